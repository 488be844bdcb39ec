package httpapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const patient = `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],
	"name":[{"family":"Jones","given":["Ann"]}],"gender":"female","birthDate":"1961-04-12",
	"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ann Jones</div>"},
	"contact":[{"name":{"family":"Jones","given":["Bob"]}}]}`

func TestCreateThenRead(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		r := s.do("POST", "/Patient", patient, "Content-Type", "application/fhir+json; charset=utf-8").mustStatus(t, http.StatusCreated)
		got := r.json(t)
		id, _ := got["id"].(string)
		if !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(id) {
			t.Fatalf("server-assigned id = %q, want a UUID", id)
		}
		meta := got["meta"].(map[string]any)
		if meta["versionId"] != "1" || meta["lastUpdated"] == nil {
			t.Errorf("meta = %v, want versionId 1 and lastUpdated", meta)
		}
		if loc := r.header.Get("Location"); loc != s.url+"/Patient/"+id+"/_history/1" {
			t.Errorf("Location = %q", loc)
		}
		if et := r.header.Get("ETag"); et != `W/"1"` {
			t.Errorf("ETag = %q", et)
		}
		if _, err := http.ParseTime(r.header.Get("Last-Modified")); err != nil {
			t.Errorf("Last-Modified %q: %v", r.header.Get("Last-Modified"), err)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/fhir+json; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		read := s.do("GET", "/Patient/"+id, "").mustStatus(t, http.StatusOK)
		if string(read.body) != string(r.body) {
			t.Errorf("read body differs from create body:\n%s\n%s", read.body, r.body)
		}
		if read.header.Get("ETag") != `W/"1"` {
			t.Errorf("read ETag = %q", read.header.Get("ETag"))
		}
		if !strings.HasPrefix(string(read.body), `{"resourceType":"Patient","id":"`+id+`","meta":`) {
			t.Errorf("stored JSON does not lead with resourceType, id, meta: %.80s", read.body)
		}
	})
}

func TestCreateIgnoresClientIDAndMeta(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		body := `{"resourceType":"Patient","id":"mine","meta":{"versionId":"7","lastUpdated":"2001-01-01T00:00:00Z","tag":[{"code":"keep"}]}}`
		got := s.do("POST", "/Patient", body).mustStatus(t, http.StatusCreated).json(t)
		meta := got["meta"].(map[string]any)
		if got["id"] == "mine" || meta["versionId"] != "1" || meta["lastUpdated"] == "2001-01-01T00:00:00Z" {
			t.Errorf("client id or meta kept: %v", got)
		}
		if tags, _ := meta["tag"].([]any); len(tags) != 1 {
			t.Errorf("meta.tag lost: %v", meta)
		}
	})
}

func TestUpdateVersionsAndVRead(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(patient)
		v2 := strings.Replace(patient, `"resourceType":"Patient",`, `"resourceType":"Patient","id":"`+id+`",`, 1)
		v2 = strings.Replace(v2, "Jones", "Smith", 1)
		r := s.do("PUT", "/Patient/"+id, v2).mustStatus(t, http.StatusOK)
		if r.header.Get("ETag") != `W/"2"` || r.header.Get("Location") != "" {
			t.Errorf("update headers: ETag %q Location %q", r.header.Get("ETag"), r.header.Get("Location"))
		}
		if got := s.do("GET", "/Patient/"+id, "").json(t); got["name"].([]any)[0].(map[string]any)["family"] != "Smith" {
			t.Errorf("read after update = %v", got["name"])
		}
		v1 := s.do("GET", "/Patient/"+id+"/_history/1", "").mustStatus(t, http.StatusOK)
		if fam := v1.json(t)["name"].([]any)[0].(map[string]any)["family"]; fam != "Jones" || v1.header.Get("ETag") != `W/"1"` {
			t.Errorf("vread 1: family %v, ETag %q", fam, v1.header.Get("ETag"))
		}
		s.do("GET", "/Patient/"+id+"/_history/3", "").mustStatus(t, http.StatusNotFound)
		s.do("GET", "/Patient/"+id+"/_history/x", "").mustStatus(t, http.StatusBadRequest)
	})
}

func TestUpdateAsCreate(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		r := s.do("PUT", "/Patient/nhs-9000000009", `{"resourceType":"Patient","id":"nhs-9000000009"}`).mustStatus(t, http.StatusCreated)
		if r.header.Get("Location") != s.url+"/Patient/nhs-9000000009/_history/1" || r.header.Get("ETag") != `W/"1"` {
			t.Errorf("headers: %v", r.header)
		}
		s.do("GET", "/Patient/nhs-9000000009", "").mustStatus(t, http.StatusOK)
	})
}

func TestDelete(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(`{"resourceType":"Goal","lifecycleStatus":"active","description":{"text":"walk"},"subject":{"reference":"Patient/` +
			s.create(`{"resourceType":"Patient"}`) + `"}}`)
		r := s.do("DELETE", "/Goal/"+id, "").mustStatus(t, http.StatusOK)
		r.outcome(t)
		if r.header.Get("ETag") != `W/"2"` {
			t.Errorf("delete ETag = %q", r.header.Get("ETag"))
		}
		s.do("GET", "/Goal/"+id, "").mustStatus(t, http.StatusGone).outcome(t)
		s.do("GET", "/Goal/"+id+"/_history/2", "").mustStatus(t, http.StatusGone)
		s.do("GET", "/Goal/"+id+"/_history/1", "").mustStatus(t, http.StatusOK)
		s.do("DELETE", "/Goal/"+id, "").mustStatus(t, http.StatusOK)   // already deleted
		s.do("DELETE", "/Goal/never", "").mustStatus(t, http.StatusOK) // never existed
		s.do("DELETE", "/Goal/never", "", "Prefer", "return=minimal").mustStatus(t, http.StatusNoContent)
		back := fmt.Sprintf(`{"resourceType":"Goal","id":"%s","lifecycleStatus":"proposed","description":{"text":"walk"},"subject":{"reference":"Patient/x"}}`, id)
		s.do("PUT", "/Goal/"+id, back).mustStatus(t, http.StatusBadRequest) // Patient/x does not exist
		back = strings.Replace(back, `"subject":{"reference":"Patient/x"}`, `"subject":{"display":"someone"}`, 1)
		r = s.do("PUT", "/Goal/"+id, back).mustStatus(t, http.StatusCreated)
		if r.header.Get("ETag") != `W/"3"` {
			t.Errorf("re-create ETag = %q, want W/\"3\"", r.header.Get("ETag"))
		}
		h := s.do("GET", "/Goal/"+id+"/_history", "").mustStatus(t, http.StatusOK).json(t)
		if h["total"] != float64(3) {
			t.Errorf("history total = %v, want 3", h["total"])
		}
	})
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(`{"resourceType":"Patient"}`)
		body := `{"resourceType":"Patient","id":"` + id + `","active":true}`
		s.do("PUT", "/Patient/"+id, body, "If-Match", `W/"2"`).mustStatus(t, http.StatusPreconditionFailed).outcome(t)
		s.do("PUT", "/Patient/"+id, body, "If-Match", `garbage`).mustStatus(t, http.StatusBadRequest)
		s.do("PUT", "/Patient/"+id, body, "If-Match", `W/"1"`).mustStatus(t, http.StatusOK)
		s.do("PUT", "/Patient/"+id, body, "If-Match", `W/"1"`).mustStatus(t, http.StatusPreconditionFailed)
		s.do("PUT", "/Patient/nobody", `{"resourceType":"Patient","id":"nobody"}`, "If-Match", `W/"1"`).mustStatus(t, http.StatusPreconditionFailed)
		s.do("DELETE", "/Patient/"+id, "", "If-Match", `W/"1"`).mustStatus(t, http.StatusPreconditionFailed)
		s.do("DELETE", "/Patient/"+id, "", "If-Match", `W/"2"`).mustStatus(t, http.StatusOK)
	})
}

func TestConditionalRead(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(`{"resourceType":"Patient"}`)
		r := s.do("GET", "/Patient/"+id, "", "If-None-Match", `W/"1"`).mustStatus(t, http.StatusNotModified)
		if len(r.body) != 0 || r.header.Get("ETag") != `W/"1"` {
			t.Errorf("304 body %q ETag %q", r.body, r.header.Get("ETag"))
		}
		s.do("GET", "/Patient/"+id, "", "If-None-Match", `W/"2"`).mustStatus(t, http.StatusOK)
		future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
		past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
		s.do("GET", "/Patient/"+id, "", "If-Modified-Since", future).mustStatus(t, http.StatusNotModified)
		s.do("GET", "/Patient/"+id, "", "If-Modified-Since", past).mustStatus(t, http.StatusOK)
	})
}

func TestPrefer(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		r := s.do("POST", "/Patient", `{"resourceType":"Patient"}`, "Prefer", "return=minimal").mustStatus(t, http.StatusCreated)
		if len(r.body) != 0 || r.header.Get("Location") == "" {
			t.Errorf("minimal: body %q, Location %q", r.body, r.header.Get("Location"))
		}
		r = s.do("POST", "/Patient", `{"resourceType":"Patient"}`, "Prefer", "return=OperationOutcome").mustStatus(t, http.StatusCreated)
		codes, _ := r.outcome(t)
		if codes[0] != "informational" {
			t.Errorf("OperationOutcome code = %v", codes)
		}
		r = s.do("POST", "/Patient", `{"resourceType":"Patient"}`, "Prefer", "return=representation").mustStatus(t, http.StatusCreated)
		if r.json(t)["resourceType"] != "Patient" {
			t.Errorf("representation: %s", r.body)
		}
	})
}

func TestSummaryAndElements(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(patient)
		keys := func(m map[string]any) []string {
			var out []string
			for _, k := range []string{"resourceType", "id", "meta", "identifier", "name", "gender", "birthDate", "text", "contact"} {
				if _, ok := m[k]; ok {
					out = append(out, k)
				}
			}
			return out
		}
		tests := []struct {
			query  string
			want   []string
			tagged bool
		}{
			{"", []string{"resourceType", "id", "meta", "identifier", "name", "gender", "birthDate", "text", "contact"}, false},
			{"?_summary=false", []string{"resourceType", "id", "meta", "identifier", "name", "gender", "birthDate", "text", "contact"}, false},
			{"?_summary=true", []string{"resourceType", "id", "meta", "identifier", "name", "gender", "birthDate"}, true},
			{"?_summary=text", []string{"resourceType", "id", "meta", "text"}, true},
			{"?_summary=data", []string{"resourceType", "id", "meta", "identifier", "name", "gender", "birthDate", "contact"}, true},
			{"?_elements=name,birthDate", []string{"resourceType", "id", "meta", "name", "birthDate"}, true},
			{"?_elements=Patient.gender", []string{"resourceType", "id", "meta", "gender"}, true},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				got := s.do("GET", "/Patient/"+id+tt.query, "").mustStatus(t, http.StatusOK).json(t)
				if diff := cmp.Diff(tt.want, keys(got)); diff != "" {
					t.Errorf("elements (-want +got):\n%s", diff)
				}
				tags, _ := got["meta"].(map[string]any)["tag"].([]any)
				subsetted := len(tags) == 1 && tags[0].(map[string]any)["code"] == "SUBSETTED"
				if subsetted != tt.tagged {
					t.Errorf("SUBSETTED tag = %v, want %v (meta %v)", subsetted, tt.tagged, got["meta"])
				}
			})
		}
		// Mandatory elements stay, whatever was asked for.
		cp := s.create(`{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/` + id + `"},"title":"Follow-up"}`)
		got := s.do("GET", "/CarePlan/"+cp+"?_elements=title", "").mustStatus(t, http.StatusOK).json(t)
		for _, k := range []string{"status", "intent", "subject", "title"} {
			if got[k] == nil {
				t.Errorf("_elements=title dropped %s: %v", k, got)
			}
		}
		s.do("GET", "/Patient/"+id+"?_summary=count", "").mustStatus(t, http.StatusBadRequest).outcome(t)
	})
}

func TestPrettyAndFormat(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(`{"resourceType":"Patient","active":true}`)
		r := s.do("GET", "/Patient/"+id+"?_pretty=true", "").mustStatus(t, http.StatusOK)
		if !strings.Contains(string(r.body), "\n  \"id\"") {
			t.Errorf("_pretty=true not indented:\n%s", r.body)
		}
		for _, f := range []string{"json", "application/fhir+json", "application/json"} {
			s.do("GET", "/Patient/"+id+"?_format="+f, "").mustStatus(t, http.StatusOK)
		}
		r = s.do("GET", "/Patient/"+id, "", "Accept", "application/json")
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Accept: application/json gave Content-Type %q", ct)
		}
		s.do("GET", "/Patient/"+id, "", "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8").mustStatus(t, http.StatusOK)
	})
}

// TestBadRequests walks every refusal: status, OperationOutcome and where the
// fault is (expression) when there is one.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		pid := s.create(`{"resourceType":"Patient"}`)
		deep := `{"resourceType":"Patient","extension":` + strings.Repeat(`[{"url":"http://x","extension":`, 70) + `[]` + strings.Repeat(`}]`, 70) + `}`
		tests := []struct {
			name, method, path, body string
			headers                  []string
			status                   int
			expression               []string
		}{
			{name: "unknown type read", method: "GET", path: "/Medication/1", status: 404},
			{name: "unknown type create", method: "POST", path: "/Specimen", body: `{"resourceType":"Specimen"}`, status: 404},
			{name: "unknown read", method: "GET", path: "/Patient/nope", status: 404},
			{name: "invalid id in URL", method: "GET", path: "/Patient/" + strings.Repeat("x", 65), status: 400},
			{name: "not an object", method: "POST", path: "/Patient", body: `[{"resourceType":"Patient"}]`, status: 400},
			{name: "not JSON", method: "POST", path: "/Patient", body: `{"resourceType":"Patient",`, status: 400},
			{name: "wrong resourceType", method: "POST", path: "/Patient", body: `{"resourceType":"Practitioner"}`, status: 400, expression: []string{"Practitioner"}},
			{name: "no resourceType", method: "POST", path: "/Patient", body: `{"active":true}`, status: 400},
			{name: "id mismatch", method: "PUT", path: "/Patient/" + pid, body: `{"resourceType":"Patient","id":"other"}`, status: 400, expression: []string{"Patient.id"}},
			{name: "id missing on update", method: "PUT", path: "/Patient/" + pid, body: `{"resourceType":"Patient"}`, status: 400, expression: []string{"Patient.id"}},
			{name: "invalid id on update", method: "PUT", path: "/Patient/a_b", body: `{"resourceType":"Patient","id":"a_b"}`, status: 400, expression: []string{"Patient.id"}},
			{name: "unknown element", method: "POST", path: "/Patient", body: `{"resourceType":"Patient","favouriteColour":"blue"}`, status: 400, expression: []string{"Patient.favouriteColour"}},
			{name: "bad date", method: "POST", path: "/Patient", body: `{"resourceType":"Patient","birthDate":"12/04/1961"}`, status: 400, expression: []string{"Patient.birthDate"}},
			{name: "bad decimal", method: "POST", path: "/Observation", body: `{"resourceType":"Observation","status":"final","code":{"text":"Hb"},"valueQuantity":{"value":"12,5"}}`, status: 400, expression: []string{"Observation.valueQuantity.value"}},
			{name: "bad uri", method: "POST", path: "/Patient", body: `{"resourceType":"Patient","identifier":[{"system":"has space","value":"1"}]}`, status: 400, expression: []string{"Patient.identifier[0].system"}},
			{name: "missing required", method: "POST", path: "/CarePlan", body: `{"resourceType":"CarePlan","intent":"plan","subject":{"reference":"Patient/` + pid + `"}}`, status: 400, expression: []string{"CarePlan.status"}},
			{name: "code outside required binding", method: "POST", path: "/CarePlan", body: `{"resourceType":"CarePlan","status":"finished","intent":"plan","subject":{"reference":"Patient/` + pid + `"}}`, status: 400, expression: []string{"CarePlan.status"}},
			{name: "reference to missing resource", method: "POST", path: "/CarePlan", body: `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/ghost"}}`, status: 400, expression: []string{"CarePlan.subject"}},
			{name: "reference nested in a backbone element", method: "POST", path: "/CarePlan", body: `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/` + pid + `"},"activity":[{"reference":{"reference":"ServiceRequest/ghost"}}]}`, status: 400, expression: []string{"CarePlan.activity[0].reference"}},
			{name: "reference in a contained resource", method: "POST", path: "/Patient", body: `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"gp","extension":[{"url":"http://x","valueReference":{"reference":"Organization/ghost"}}]}],"generalPractitioner":[{"reference":"#gp"}]}`, status: 400, expression: []string{"Patient.contained[0].extension[0].valueReference"}},
			{name: "malformed local reference", method: "POST", path: "/Patient", body: `{"resourceType":"Patient","managingOrganization":{"reference":"Organization/../../etc"}}`, status: 400, expression: []string{"Patient.managingOrganization"}},
			{name: "reference with an impossible id", method: "POST", path: "/Patient", body: `{"resourceType":"Patient","managingOrganization":{"reference":"Organization/a b"}}`, status: 400, expression: []string{"Patient.managingOrganization"}},
			{name: "empty array", method: "POST", path: "/Patient", body: `{"resourceType":"Patient","name":[]}`, status: 400, expression: []string{"Patient.name"}},
			{name: "empty string", method: "POST", path: "/Patient", body: `{"resourceType":"Patient","gender":""}`, status: 400, expression: []string{"Patient.gender"}},
			{name: "duplicate element", method: "POST", path: "/Patient", body: `{"resourceType":"Patient","gender":"male","gender":"female"}`, status: 400, expression: []string{"Patient.gender"}},
			{name: "script in narrative", method: "POST", path: "/Patient", body: `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></div>"}}`, status: 400, expression: []string{"Patient.text.div"}},
			{name: "absolute reference to missing resource", method: "POST", path: "/CarePlan", body: `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"` + s.url + `/Patient/ghost"}}`, status: 400, expression: []string{"CarePlan.subject"}},
			{name: "reference to wrong type", method: "POST", path: "/CarePlan", body: `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Practitioner/` + pid + `"}}`, status: 400, expression: []string{"CarePlan.subject"}},
			{name: "too deep", method: "POST", path: "/Patient", body: deep, status: 400},
			{name: "XML body", method: "POST", path: "/Patient", body: `<Patient xmlns="http://hl7.org/fhir"/>`, headers: []string{"Content-Type", "application/fhir+xml"}, status: 415},
			{name: "form body", method: "POST", path: "/Patient", body: `a=b`, headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415},
			{name: "Accept XML", method: "GET", path: "/Patient/" + pid, headers: []string{"Accept", "application/fhir+xml"}, status: 406},
			{name: "_format xml", method: "GET", path: "/Patient/" + pid + "?_format=xml", status: 406},
			{name: "unknown path", method: "GET", path: "/Patient/1/2/3/4/5", status: 404},
			{name: "outside the FHIR base", method: "GET", path: "//nothing-here", status: 404},
			{name: "method not allowed", method: "DELETE", path: "/metadata", status: 405},
			{name: "bad _count", method: "GET", path: "/Patient/_history?_count=many", status: 400},
			{name: "bad _since", method: "GET", path: "/_history?_since=yesterday", status: 400},
			{name: "conditional delete without criteria", method: "DELETE", path: "/Patient", status: 400},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := s.do(tt.method, tt.path, tt.body, tt.headers...).mustStatus(t, tt.status)
				_, exprs := r.outcome(t)
				for _, want := range tt.expression {
					found := false
					for _, e := range exprs {
						found = found || e == want
					}
					if !found {
						t.Errorf("expression %q not among %q\n%s", want, exprs, r.body)
					}
				}
			})
		}
		r := s.do("DELETE", "/metadata", "")
		if r.header.Get("Allow") != "GET" {
			t.Errorf("405 Allow = %q, want GET", r.header.Get("Allow"))
		}
	})
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	forEachSmallServer(t, 2048, func(t *testing.T, s *server) {
		big := `{"resourceType":"Patient","name":[{"text":"` + strings.Repeat("x", 4096) + `"}]}`
		s.do("POST", "/Patient", big).mustStatus(t, http.StatusRequestEntityTooLarge).outcome(t)
		s.do("POST", "/Patient", `{"resourceType":"Patient"}`).mustStatus(t, http.StatusCreated)
	})
}

// TestConcurrentIfMatch: of many updates racing with the same If-Match,
// exactly one wins and the rest get 412.
func TestConcurrentIfMatch(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(`{"resourceType":"Patient"}`)
		const racers = 12
		statuses := make(chan int, racers)
		var wg sync.WaitGroup
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"resourceType":"Patient","id":"%s","name":[{"text":"writer %d"}]}`, id, i)
				statuses <- s.doConcurrently("PUT", "/Patient/"+id, body, "If-Match", `W/"1"`).status
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for st := range statuses {
			count[st]++
		}
		if diff := cmp.Diff(map[int]int{200: 1, 412: racers - 1}, count); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
	})
}

// TestConcurrentUpdatesLoseNothing: unconditional updates from many clients
// all land, each as its own version.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(`{"resourceType":"Patient"}`)
		const writers, each = 8, 5
		var wg sync.WaitGroup
		var mu sync.Mutex
		failed := map[int]int{}
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					body := fmt.Sprintf(`{"resourceType":"Patient","id":"%s","name":[{"text":"w%d-%d"}]}`, id, w, i)
					if st := s.doConcurrently("PUT", "/Patient/"+id, body).status; st != 200 {
						mu.Lock()
						failed[st]++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if len(failed) > 0 {
			t.Fatalf("failed updates by status: %v", failed)
		}
		h := s.do("GET", "/Patient/"+id+"/_history?_count=1000", "").mustStatus(t, http.StatusOK).json(t)
		if h["total"] != float64(writers*each+1) {
			t.Errorf("history total = %v, want %d", h["total"], writers*each+1)
		}
		names := map[string]bool{}
		for _, e := range h["entry"].([]any) {
			res := e.(map[string]any)["resource"].(map[string]any)
			if n, ok := res["name"]; ok {
				names[n.([]any)[0].(map[string]any)["text"].(string)] = true
			}
		}
		if len(names) != writers*each {
			t.Errorf("history holds %d distinct updates, want %d", len(names), writers*each)
		}
		if got := s.do("GET", "/Patient/"+id, "").header.Get("ETag"); got != fmt.Sprintf(`W/"%d"`, writers*each+1) {
			t.Errorf("final ETag = %s", got)
		}
	})
}
