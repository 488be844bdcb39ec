package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// diagnostics checks the reply is an OperationOutcome and returns its issues'
// diagnostics and expressions, joined, for a test to look into.
func (r *reply) diagnostics(t *testing.T) (diag, expr string) {
	t.Helper()
	r.outcome(t)
	var oo struct {
		Issue []struct {
			Diagnostics string
			Expression  []string
		}
	}
	if err := json.Unmarshal(r.body, &oo); err != nil {
		t.Fatal(err)
	}
	var ds, es []string
	for _, is := range oo.Issue {
		ds = append(ds, is.Diagnostics)
		es = append(es, is.Expression...)
	}
	return strings.Join(ds, "\n"), strings.Join(es, "\n")
}

// TestMalformedQueryNeverDropsACriterion is issue 9's first defect: Go's
// URL.Query() dropped family=O%Brien and kept gender=female, so a
// conditional PUT overwrote the one female patient, a conditional DELETE
// deleted her and a search returned everyone. Every way a query reaches the
// server must refuse it with a 400 naming the parameter, and change nothing.
func TestMalformedQueryNeverDropsACriterion(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		obrien := s.create(`{"resourceType":"Patient","name":[{"family":"O'Brien"}],"gender":"male"}`)
		smith := s.create(`{"resourceType":"Patient","name":[{"family":"Smith"}],"gender":"female"}`)
		task := s.create(`{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/` + smith + `"}}`)
		const bad = "family=O%Brien&gender=female"
		patient := `{"resourceType":"Patient","name":[{"family":"Overwritten"}],"gender":"female"}`
		patch := `[{"op":"replace","path":"/gender","value":"other"}]`
		form := []string{"Content-Type", "application/x-www-form-urlencoded"}
		entry := func(typ, request string, resource string) string {
			e := `{"request":` + request
			if resource != "" {
				e += `,"resource":` + resource
			}
			return `{"resourceType":"Bundle","type":"` + typ + `","entry":[` + e + `}]}`
		}
		cases := []struct {
			name, method, path, body string
			headers                  []string
			param, expression        string // named in diagnostics; the expression, if any
		}{
			{"search", "GET", "/Patient?" + bad, "", nil, "family", ""},
			{"search strict", "GET", "/Patient?" + bad, "", []string{"Prefer", "handling=strict"}, "family", ""},
			{"search lenient", "GET", "/Patient?" + bad, "", []string{"Prefer", "handling=lenient"}, "family", ""},
			{"search, bad name", "GET", "/Patient?fam%ZZily=O&gender=female", "", nil, "fam%ZZily", ""},
			{"search, not UTF-8", "GET", "/Patient?family=%FF&gender=female", "", nil, "family", ""},
			{"_search form body", "POST", "/Patient/_search", bad, form, "family", ""},
			{"_search query string", "POST", "/Patient/_search?" + bad, "gender=female", form, "family", ""},
			{"system search", "GET", "/?_type=Patient&" + bad, "", nil, "family", ""},
			{"compartment search", "GET", "/Patient/" + smith + "/Task?status=%zz", "", nil, "status", ""},
			{"_format", "GET", "/Patient?gender=female&_format=%zz", "", nil, "_format", ""},
			{"history", "GET", "/Patient/_history?_since=%zz", "", nil, "_since", ""},
			{"$overdue", "GET", "/Task/$overdue?owner=Organization%2", "", nil, "owner", ""},
			{"conditional update", "PUT", "/Patient?" + bad, patient, nil, "family", ""},
			{"conditional update strict", "PUT", "/Patient?" + bad, patient, []string{"Prefer", "handling=strict"}, "family", ""},
			{"conditional delete", "DELETE", "/Patient?" + bad, "", nil, "family", ""},
			{"conditional patch", "PATCH", "/Patient?" + bad, patch, []string{"Content-Type", "application/json-patch+json"}, "family", ""},
			{"If-None-Exist", "POST", "/Patient", patient, []string{"If-None-Exist", bad}, "family", ""},
			{"transaction entry url", "POST", "", entry("transaction", `{"method":"PUT","url":"Patient?`+bad+`"}`, patient), nil,
				"family", "Bundle.entry[0].request.url"},
			{"transaction DELETE url", "POST", "", entry("transaction", `{"method":"DELETE","url":"Patient?`+bad+`"}`, ""), nil,
				"family", "Bundle.entry[0].request.url"},
			{"transaction GET url", "POST", "", entry("transaction", `{"method":"GET","url":"Patient?`+bad+`"}`, ""), nil,
				"family", "Bundle.entry[0].request.url"},
			{"transaction ifNoneExist", "POST", "", entry("transaction", `{"method":"POST","url":"Patient","ifNoneExist":"`+bad+`"}`, patient), nil,
				"family", "Bundle.entry[0].request.ifNoneExist"},
			{"transaction conditional reference", "POST", "", entry("transaction", `{"method":"POST","url":"Task"}`,
				`{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient?`+bad+`"}}`), nil,
				"family", "Bundle.entry[0].resource.for"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := s.rowCounts()
				r := s.do(c.method, c.path, c.body, c.headers...).mustStatus(t, http.StatusBadRequest)
				diag, expr := r.diagnostics(t)
				if !strings.Contains(diag, c.param) || !strings.Contains(diag, "malformed") && !strings.Contains(diag, "UTF-8") {
					t.Errorf("diagnostics do not name %s as malformed:\n%s", c.param, diag)
				}
				if c.expression != "" && !strings.Contains(expr, c.expression) {
					t.Errorf("expressions %q, want %s", expr, c.expression)
				}
				if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
					t.Errorf("rows changed (-before +after):\n%s", diff)
				}
			})
		}
		// Batch entries are answered one by one: the bad one is a 400 in its
		// place, and it too changes nothing.
		for name, body := range map[string]string{
			"batch entry url":   entry("batch", `{"method":"DELETE","url":"Patient?`+bad+`"}`, ""),
			"batch PUT url":     entry("batch", `{"method":"PUT","url":"Patient?`+bad+`"}`, patient),
			"batch GET url":     entry("batch", `{"method":"GET","url":"Patient?`+bad+`"}`, ""),
			"batch ifNoneExist": entry("batch", `{"method":"POST","url":"Patient","ifNoneExist":"`+bad+`"}`, patient),
		} {
			t.Run(name, func(t *testing.T) {
				before := s.rowCounts()
				var b struct {
					Entry []struct {
						Response struct {
							Status  string
							Outcome json.RawMessage
						}
					}
				}
				if err := json.Unmarshal(s.do("POST", "", body).mustStatus(t, http.StatusOK).body, &b); err != nil || len(b.Entry) != 1 {
					t.Fatalf("not a one-entry batch-response (%v)", err)
				}
				if got := b.Entry[0].Response.Status; !strings.HasPrefix(got, "400") {
					t.Errorf("entry status %q, want 400", got)
				}
				if o := string(b.Entry[0].Response.Outcome); !strings.Contains(o, "family") || !strings.Contains(o, "Bundle.entry[0]") {
					t.Errorf("entry outcome does not name family at Bundle.entry[0]: %s", o)
				}
				if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
					t.Errorf("rows changed (-before +after):\n%s", diff)
				}
			})
		}
		// Both patients and the task are as they were.
		for _, ref := range []string{"Patient/" + obrien, "Patient/" + smith, "Task/" + task} {
			if v := s.do("GET", "/"+ref, "").mustStatus(t, http.StatusOK).json(t)["meta"].(map[string]any)["versionId"]; v != "1" {
				t.Errorf("%s is at version %v, want 1", ref, v)
			}
		}
		// The same criteria, well formed, still work: the refusal is about
		// the escape, not the parameters.
		good := "family=O%27Brien&gender=male"
		if n := len(s.do("GET", "/Patient?"+good, "").mustStatus(t, http.StatusOK).json(t)["entry"].([]any)); n != 1 {
			t.Errorf("GET /Patient?%s found %d, want 1", good, n)
		}
		s.do("GET", "/Patient?name=a;b", "").mustStatus(t, http.StatusOK) // ';' is data, not a dropped pair
	})
}
