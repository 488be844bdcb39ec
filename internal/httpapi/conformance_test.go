package httpapi_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
)

// TestConformanceResourcesReadable: every canonical url of this server's
// own that /metadata names (operation and search parameter definitions)
// resolves on the server — by url search and by [base]/[type]/[id] — to a
// resource with that url; so do the shipped CodeSystems and Questionnaire;
// and no write reaches them.
func TestConformanceResourcesReadable(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		if err := s.wf.LoadContent(context.Background(), api.FS); err != nil {
			t.Fatal(err)
		}
		var cs struct {
			Rest []struct {
				Resource []struct {
					Type        string
					SearchParam []struct{ Definition string }
					Operation   []struct{ Definition string }
				}
				Operation []struct{ Definition string }
			}
		}
		if err := json.Unmarshal(s.do("GET", "/metadata", "").mustStatus(t, http.StatusOK).body, &cs); err != nil {
			t.Fatal(err)
		}
		canonicals := map[string]string{} // url → type
		for _, res := range cs.Rest[0].Resource {
			for _, p := range res.SearchParam {
				canonicals[p.Definition] = "SearchParameter"
			}
			for _, o := range res.Operation {
				canonicals[o.Definition] = "OperationDefinition"
			}
		}
		for _, o := range cs.Rest[0].Operation {
			canonicals[o.Definition] = "OperationDefinition"
		}
		// The shipped content /metadata does not name.
		for _, name := range []string{"codesystem-*.json", "questionnaire-*.json"} {
			files, _ := fs.Glob(api.FS, name)
			for _, f := range files {
				b, _ := fs.ReadFile(api.FS, f)
				var head struct{ ResourceType, URL string }
				if err := json.Unmarshal(b, &head); err != nil {
					t.Fatal(err)
				}
				canonicals[head.URL] = head.ResourceType
			}
		}
		ours := 0
		for canonical, typ := range canonicals {
			// The base specification's own (http://hl7.org/fhir/...) resolve at hl7.org.
			if canonical == "" || strings.HasPrefix(canonical, "http://hl7.org/fhir/") {
				continue
			}
			ours++
			var b struct {
				Total int
				Entry []struct {
					Resource struct{ ResourceType, ID, URL string }
				}
			}
			r := s.do("GET", "/"+typ+"?url="+url.QueryEscape(canonical), "").mustStatus(t, http.StatusOK)
			if err := json.Unmarshal(r.body, &b); err != nil {
				t.Fatal(err)
			}
			if b.Total != 1 || len(b.Entry) != 1 || b.Entry[0].Resource.URL != canonical || b.Entry[0].Resource.ResourceType != typ {
				t.Errorf("%s?url=%s does not find it once:\n%s", typ, canonical, r.body)
				continue
			}
			// The canonical url is [base]/[type]/[id] on the server the
			// project publishes as; here, the same path below this base.
			id := b.Entry[0].Resource.ID
			if !strings.HasSuffix(canonical, "/"+typ+"/"+id) {
				t.Errorf("%s is stored as %s/%s: the canonical's path does not name it", canonical, typ, id)
			}
			var read struct{ URL string }
			if err := json.Unmarshal(s.do("GET", "/"+typ+"/"+id, "").mustStatus(t, http.StatusOK).body, &read); err != nil || read.URL != canonical {
				t.Errorf("GET %s/%s: url %q, want %q", typ, id, read.URL, canonical)
			}
		}
		if ours < 8 { // 5 operations, Task due, 2 CodeSystems, the HNA
			t.Errorf("only %d of the server's own canonicals checked; /metadata names: %v", ours, canonicals)
		}

		// Writes are refused, with an OperationOutcome.
		before := s.rowCounts()
		od := string(s.do("GET", "/OperationDefinition/overdue", "").mustStatus(t, http.StatusOK).body)
		for _, tc := range []struct{ method, path, body string }{
			{"POST", "/OperationDefinition", strings.Replace(od, `"id":"overdue"`, `"id":"x"`, 1)},
			{"PUT", "/OperationDefinition/overdue", od},
			{"DELETE", "/OperationDefinition/overdue", ""},
			{"PATCH", "/OperationDefinition/overdue", `[{"op":"replace","path":"/title","value":"x"}]`},
			{"DELETE", "/SearchParameter/Task-due", ""},
			{"PUT", "/CodeSystem/hna-concern", string(s.do("GET", "/CodeSystem/hna-concern", "").body)},
			{"DELETE", "/Questionnaire/holistic-needs-assessment", ""},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"CodeSystem/hna-concern"}}]}`},
		} {
			hdr := []string{}
			if tc.method == "PATCH" {
				hdr = []string{"Content-Type", "application/json-patch+json"}
			}
			r := s.do(tc.method, tc.path, tc.body, hdr...)
			if r.status != http.StatusMethodNotAllowed && r.status != http.StatusForbidden {
				t.Errorf("%s %s: status %d, want 405 or 403:\n%s", tc.method, tc.path, r.status, r.body)
				continue
			}
			r.outcome(t)
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("a refused write changed the database (-before +after):\n%s", diff)
		}
	})
}
