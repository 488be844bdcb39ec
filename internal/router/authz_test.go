package router_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/router"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/internal/workflow"
)

const base = "https://example.org/fhir"

// scoped serves requests as principals with parsed scopes, over one
// database holding a small record.
type scoped struct {
	t   *testing.T
	rt  *router.Router
	svc *rest.Service
}

func newScoped(t *testing.T, st *sqlstore.Store) *scoped {
	t.Helper()
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	svc := rest.New(st, reg)
	w := workflow.New(svc, workflow.DefaultConfig)
	// The HTTP layer maps error kinds to statuses; here a 403 is all a
	// batch entry needs told apart.
	entryError := func(_ context.Context, err error) (int, []byte) {
		if fhirerr.Is(err, fhirerr.Forbidden) {
			return http.StatusForbidden, nil
		}
		return http.StatusInternalServerError, nil
	}
	s := &scoped{t: t, svc: svc,
		rt: router.New(router.Options{Registry: reg, Operations: w.Operations(), EntryError: entryError})}
	for _, body := range []string{
		`{"resourceType":"Organization","id":"org1","name":"Valley Surgery"}`,
		`{"resourceType":"Patient","id":"p1","managingOrganization":{"reference":"Organization/org1"}}`,
		obs("o-lab", "laboratory"),
		obs("o-vit", "vital-signs"),
		`{"resourceType":"Task","id":"t1","status":"requested","intent":"order","for":{"reference":"Patient/p1"},"owner":{"reference":"Organization/org1"}}`,
	} {
		var head struct{ ResourceType, ID string }
		_ = json.Unmarshal([]byte(body), &head)
		if _, _, err := svc.Update(auth.AsSystem(context.Background()), head.ResourceType, head.ID, []byte(body), 0); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func obs(id, category string) string {
	return `{"resourceType":"Observation","id":"` + id + `","status":"final","identifier":[{"system":"urn:t","value":"` + id + `"}],` +
		`"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"` + category + `"}]}],` +
		`"code":{"text":"x"},"subject":{"reference":"Patient/p1"}}`
}

// as is a context for an all-patients client (these tests are about
// scopes, not care relationships) granted scopes ("" for none); nil p means
// a context naming nobody.
func as(scopes string) context.Context {
	return auth.WithPrincipal(context.Background(), auth.Principal{Kind: auth.Client, ClientID: "c", Scopes: scope.MustParse(scopes), AllPatients: true})
}

// do serves one request: target is the path below the base with its query.
func (s *scoped) do(ctx context.Context, method, target, body string, header ...string) (*router.Response, error) {
	s.t.Helper()
	path, rawQuery, _ := strings.Cut(target, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		s.t.Fatal(err)
	}
	r := &router.Request{Method: method, Query: q, Header: http.Header{}, Body: []byte(body), Base: base,
		URL: base + "/" + target, Service: s.svc}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return s.rt.Serve(ctx, r, path)
}

// entries lists the Type/id of a Bundle's resources, by search mode.
func entries(t *testing.T, body []byte) []string {
	t.Helper()
	var b struct {
		Entry []struct {
			Resource struct{ ResourceType, ID string }
			Search   struct{ Mode string }
		}
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range b.Entry {
		if e.Resource.ResourceType != "OperationOutcome" && e.Resource.ID != "" {
			out = append(out, e.Search.Mode+" "+e.Resource.ResourceType+"/"+e.Resource.ID)
		}
	}
	sort.Strings(out)
	return out
}

// forbidden checks err is a 403 whose diagnostics contain want.
func forbidden(t *testing.T, what string, err error, want string) {
	t.Helper()
	var fe *fhirerr.Error
	switch {
	case err == nil:
		t.Errorf("%s: allowed, want 403", what)
	case !fhirerr.Is(err, fhirerr.Forbidden) || !asError(err, &fe) || fe.Issues[0].Code != "forbidden":
		t.Errorf("%s: %v, want 403 forbidden", what, err)
	case !strings.Contains(err.Error(), want):
		t.Errorf("%s: %q does not name %q", what, err.Error(), want)
	}
}

func asError(err error, fe **fhirerr.Error) bool {
	e, ok := err.(*fhirerr.Error)
	*fe = e
	return ok
}

// TestScopeMatrix: every interaction against a table of scope sets,
// allowed or 403 as SMART says; a 403 names the scope.
func TestScopeMatrix(t *testing.T) {
	t.Parallel()
	type interaction struct {
		name, method, target, body string
		header                     []string
	}
	patch := `[{"op":"replace","path":"/status","value":"final"}]`
	interactions := []interaction{
		{name: "read", method: "GET", target: "Observation/o-lab"},
		{name: "vread", method: "GET", target: "Observation/o-lab/_history/1"},
		{name: "history-instance", method: "GET", target: "Observation/o-lab/_history"},
		{name: "history-type", method: "GET", target: "Observation/_history"},
		{name: "history-system", method: "GET", target: "_history"},
		{name: "search", method: "GET", target: "Observation?status=final"},
		{name: "search-post", method: "POST", target: "Observation/_search", body: "status=final", header: []string{"Content-Type", router.FormType}},
		{name: "compartment", method: "GET", target: "Patient/p1/Observation"},
		{name: "search-system", method: "GET", target: "?_type=Observation"},
		{name: "create", method: "POST", target: "Observation", body: obs("ignored", "laboratory")},
		{name: "create-conditional", method: "POST", target: "Observation", body: obs("ignored", "laboratory"), header: []string{"If-None-Exist", "identifier=urn:t|o-lab"}},
		{name: "update", method: "PUT", target: "Observation/o-lab", body: obs("o-lab", "laboratory")},
		{name: "update-creates", method: "PUT", target: "Observation/{new}", body: obs("{new}", "laboratory")},
		{name: "update-conditional", method: "PUT", target: "Observation?identifier=urn:t|o-lab", body: obs("o-lab", "laboratory")},
		{name: "patch", method: "PATCH", target: "Observation/o-lab", body: patch, header: []string{"Content-Type", router.JSONPatchType}},
		{name: "patch-conditional", method: "PATCH", target: "Observation?identifier=urn:t|o-lab", body: patch, header: []string{"Content-Type", router.JSONPatchType}},
		{name: "delete", method: "DELETE", target: "Observation/never-there"},
		{name: "delete-conditional", method: "DELETE", target: "Observation?identifier=urn:t|none"},
		{name: "capabilities", method: "GET", target: "metadata"},
	}
	reads := "read vread history-instance"
	searches := "history-type history-system search search-post compartment search-system"
	writes := "create update update-creates patch delete"
	conditional := "create-conditional update-conditional patch-conditional delete-conditional"
	all := strings.Join([]string{reads, searches, writes, conditional, "capabilities"}, " ")
	cases := []struct {
		name, scopes, allowed string
		anonymous             bool
	}{
		{name: "full v2", scopes: "system/*.cruds", allowed: all},
		{name: "v1 star", scopes: "system/*.*", allowed: all},
		{name: "v1 read", scopes: "system/*.read", allowed: reads + " " + searches + " capabilities"},
		{name: "v1 write", scopes: "system/*.write", allowed: writes + " capabilities"},
		{name: "v1 read and write", scopes: "system/*.read system/*.write", allowed: all},
		{name: "type v2", scopes: "system/Observation.cruds", allowed: all},
		{name: "type v1", scopes: "system/Observation.read system/Observation.write", allowed: all},
		{name: "wrong type", scopes: "system/Patient.cruds", allowed: "history-system capabilities"},
		{name: "no s", scopes: "system/Observation.crud", allowed: reads + " " + writes + " capabilities"},
		{name: "no c", scopes: "system/Observation.ruds", allowed: reads + " " + searches + " update patch delete update-conditional patch-conditional delete-conditional capabilities"},
		{name: "no r", scopes: "system/Observation.cuds", allowed: searches + " " + writes + " " + conditional + " capabilities"},
		{name: "no u", scopes: "system/Observation.crds", allowed: reads + " " + searches + " create delete create-conditional delete-conditional capabilities"},
		{name: "no d", scopes: "system/Observation.crus", allowed: reads + " " + searches + " create update update-creates patch create-conditional update-conditional patch-conditional capabilities"},
		{name: "u without c cannot create", scopes: "system/Observation.u", allowed: "update patch capabilities"},
		{name: "granular", scopes: "system/Observation.rs?category=laboratory", allowed: reads + " search search-post compartment capabilities"},
		{name: "granular grants no writes", scopes: "system/Observation.cruds?category=laboratory", allowed: reads + " search search-post compartment capabilities"},
		{name: "user scopes grant nothing", scopes: "user/*.cruds patient/*.rs", allowed: "capabilities"},
		{name: "no scopes", scopes: "openid fhirUser", allowed: "capabilities"},
		{name: "nobody", anonymous: true, allowed: "capabilities"},
	}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newScoped(t, st)
		for n, c := range cases {
			ctx := as(c.scopes)
			if c.anonymous {
				ctx = context.Background()
			}
			ctx = rest.WithBase(ctx, base)
			allowed := map[string]bool{}
			for _, name := range strings.Fields(c.allowed) {
				allowed[name] = true
			}
			for _, i := range interactions {
				newID := fmt.Sprintf("new-%d", n)
				_, err := s.do(ctx, i.method, strings.ReplaceAll(i.target, "{new}", newID), strings.ReplaceAll(i.body, "{new}", newID), i.header...)
				switch {
				case allowed[i.name] && err != nil:
					t.Errorf("%s: %s: %v, want allowed", c.name, i.name, err)
				case !allowed[i.name]:
					forbidden(t, c.name+": "+i.name, err, "needs")
				}
			}
		}
	})
}

// TestOperationsDeclareScopes: every shipped OperationDefinition declares
// its scopes, and one that does not is reported.
func TestOperationsDeclareScopes(t *testing.T) {
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	if err := router.CheckScopes(reg.Operations()); err != nil {
		t.Error(err)
	}
	undeclared := append([]registry.Operation(nil), reg.Operations()...)
	undeclared[0].Scopes = nil
	if err := router.CheckScopes(undeclared); err == nil || !strings.Contains(err.Error(), undeclared[0].Code) {
		t.Errorf("a definition without scopes: %v", err)
	}
}
