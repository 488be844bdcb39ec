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
			if _, public := publicPaths[method+" "+path]; public {
				continue // checked by TestOpenAPIDescribesAuthentication
			}
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

// publicPaths are the operations served without a token, with the schema
// of their success answer: none of them a FHIR resource but /metadata's.
var publicPaths = map[string]string{
	"GET /metadata":                        ".Resource",
	"POST /auth/token":                     ".TokenResponse",
	"GET /auth/jwks":                       ".JSONWebKeySet",
	"GET /.well-known/smart-configuration": ".SMARTConfiguration",
}

// TestOpenAPIDescribesAuthentication: the document offers a bearer token
// and SMART's client-credentials flow (its token URL the server's own),
// requires one of them on every FHIR operation, which lists 401 and 403,
// and describes the public SMART endpoints without either.
func TestOpenAPIDescribesAuthentication(t *testing.T) {
	t.Parallel()
	s := newServer(t, testdb.Open(t, "sqlite"), 0)
	var doc openapi2.T
	if err := json.Unmarshal(s.do("GET", "//openapi.json", "").mustStatus(t, http.StatusOK).body, &doc); err != nil {
		t.Fatal(err)
	}
	if b := doc.SecurityDefinitions["bearer"]; b == nil || b.Type != "apiKey" || b.In != "header" || b.Name != "Authorization" {
		t.Errorf("security definition bearer = %+v, want an Authorization header", b)
	}
	if o := doc.SecurityDefinitions["smart"]; o == nil || o.Type != "oauth2" || o.Flow != "application" || o.TokenURL != s.url+"/auth/token" {
		t.Errorf("security definition smart = %+v, want OAuth2 client credentials with token URL %s/auth/token", o, s.url)
	}
	seen := map[string]bool{}
	for path, item := range doc.Paths {
		for method, op := range item.Operations() {
			key := method + " " + path
			var security openapi2.SecurityRequirements
			if op.Security != nil {
				security = *op.Security
			}
			if want, public := publicPaths[key]; public {
				seen[key] = true
				if len(security) != 0 {
					t.Errorf("%s is public, but the document asks for %v", key, security)
				}
				if ok := op.Responses.Value("200"); ok == nil || ok.Schema == nil || !strings.HasSuffix(ok.Schema.Ref, want) {
					t.Errorf("%s: success not described as %s", key, want[1:])
				}
				continue
			}
			schemes := map[string]bool{}
			for _, req := range security {
				for name := range req {
					schemes[name] = true
				}
			}
			if len(security) != 2 || !schemes["bearer"] || !schemes["smart"] {
				t.Errorf("%s: security %v, want bearer or smart", key, security)
			}
			for _, code := range []string{"401", "403"} {
				if op.Responses.Value(code) == nil {
					t.Errorf("%s: no %s response", key, code)
				}
			}
			if r := op.Responses.Value("401"); r != nil && r.Headers["WWW-Authenticate"] == nil {
				t.Errorf("%s: 401 without its WWW-Authenticate challenge", key)
			}
		}
	}
	for key := range publicPaths {
		if !seen[key] {
			t.Errorf("%s is not described", key)
		}
	}
	token := doc.Paths["/auth/token"].Post
	form := map[string]bool{}
	for _, p := range token.Parameters {
		if p.In == "formData" && p.Required {
			form[p.Name] = true
		}
	}
	for _, name := range []string{"grant_type", "scope", "client_assertion_type", "client_assertion"} {
		if !form[name] {
			t.Errorf("POST /auth/token: form parameter %s not described", name)
		}
	}
	for _, code := range []string{"400", "401"} {
		if r := token.Responses.Value(code); r == nil || r.Schema == nil || !strings.HasSuffix(r.Schema.Ref, ".OAuthError") {
			t.Errorf("POST /auth/token: %s is not described as an RFC 6749 error", code)
		}
	}
}
