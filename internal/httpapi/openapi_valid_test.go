package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"

	"github.com/sharedcare/sharedcare/internal/testdb"
)

// TestOpenAPIValid: /openapi.json passes kin-openapi's validation (as
// Swagger 2.0, converted to OpenAPI 3), names the server's own host and
// base path, declares every path parameter, and describes bodies as FHIR
// resources, Bundles and OperationOutcomes rather than bare objects.
func TestOpenAPIValid(t *testing.T) {
	t.Parallel()
	s := newServer(t, testdb.Open(t, "sqlite"), 0)
	r := s.do("GET", "//openapi.json", "").mustStatus(t, http.StatusOK)
	var doc2 openapi2.T
	if err := json.Unmarshal(r.body, &doc2); err != nil {
		t.Fatalf("/openapi.json is not Swagger 2.0: %v", err)
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		t.Fatalf("converting to OpenAPI 3: %v", err)
	}
	if err := doc3.Validate(context.Background()); err != nil {
		t.Errorf("/openapi.json is not valid: %v", err)
	}
	host := strings.TrimPrefix(s.http.URL, "http://")
	if doc2.Host != host || doc2.BasePath != "/fhir" || strings.Join(doc2.Schemes, ",") != "http" {
		t.Errorf("host %q, base path %q, schemes %v; want %q, /fhir, [http]", doc2.Host, doc2.BasePath, doc2.Schemes, host)
	}
	if doc3.Servers[0].URL != s.url {
		t.Errorf("server URL %q, want %q", doc3.Servers[0].URL, s.url)
	}
	r = s.do("GET", "//openapi.json", "", "Host", "evil.example")
	if r.status != http.StatusBadRequest {
		t.Errorf("/openapi.json for a host not allowed: %d, want 400", r.status)
	}

	pathParam := regexp.MustCompile(`\{(\w+)\}`)
	bodies := 0
	for path, item := range doc2.Paths {
		for method, op := range item.Operations() {
			declared := map[string]bool{}
			for _, p := range op.Parameters {
				if p.In == "path" {
					declared[p.Name] = true
				}
				if p.In == "body" {
					bodies++
					if p.Schema == nil || !fhirRef(p.Schema.Ref) {
						t.Errorf("%s %s: the request body is not a FHIR resource", method, path)
					}
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter %s is not declared", method, path, m[1])
				}
			}
			for code, resp := range op.Responses.Map() {
				if code == "204" || code == "304" { // no body
					continue
				}
				if resp.Schema == nil || !fhirRef(resp.Schema.Ref) {
					t.Errorf("%s %s: response %s is not a FHIR resource", method, path, code)
				}
				if code[0] >= '4' && (resp.Schema == nil || !strings.HasSuffix(resp.Schema.Ref, ".OperationOutcome")) {
					t.Errorf("%s %s: error %s is not an OperationOutcome", method, path, code)
				}
			}
		}
	}
	if bodies < 7 { // batch, create, two updates, two patches, $handover
		t.Errorf("%d request bodies described, want every write's", bodies)
	}
}

// fhirRef reports whether a schema reference names one of the FHIR shapes.
func fhirRef(ref string) bool {
	for _, name := range []string{"Resource", "Bundle", "OperationOutcome", "Parameters"} {
		if strings.HasSuffix(ref, "."+name) {
			return true
		}
	}
	return false
}
