package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const hospital = `{"resourceType":"Organization","identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RGT"}],"name":"Cambridge University Hospitals"}`

// txResponse is the part of a transaction-response the tests read.
type txResponse struct {
	ResourceType, Type string
	Entry              []struct {
		Resource map[string]any
		Response struct {
			Status, Location, Etag, LastModified string
		}
	}
}

func (r *reply) transaction(t *testing.T) txResponse {
	t.Helper()
	var tr txResponse
	if err := json.Unmarshal(r.body, &tr); err != nil || tr.Type != "transaction-response" {
		t.Fatalf("not a transaction-response (%v):\n%s", err, r.body)
	}
	return tr
}

// target is "Type/id" of a response entry's location.
func target(t *testing.T, location string) string {
	t.Helper()
	parts := strings.Split(location, "/")
	if len(parts) < 4 || parts[len(parts)-2] != "_history" {
		t.Fatalf("location %q is not …/Type/id/_history/v", location)
	}
	return parts[len(parts)-4] + "/" + parts[len(parts)-3]
}

func txBundle(entries ...string) string {
	return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
}

func TestTransactionTreatmentSummary(t *testing.T) {
	t.Parallel()
	body := treatmentSummary(t)
	forEachServer(t, func(t *testing.T, s *server) {
		hospitalID := s.create(hospital)
		tr := s.do("POST", "", string(body)).mustStatus(t, http.StatusOK).transaction(t)
		if len(tr.Entry) != 10 {
			t.Fatalf("%d response entries, want 10", len(tr.Entry))
		}
		wantStatus := []string{"201 Created", "201 Created", "201 Created", "201 Created", "201 Created", "201 Created",
			"201 Created", "201 Created", "201 Created", "201 Created"}
		var ids []string
		for i, e := range tr.Entry {
			if e.Response.Status != wantStatus[i] {
				t.Errorf("entry %d status %q, want %q", i, e.Response.Status, wantStatus[i])
			}
			if e.Response.Etag != `W/"1"` || e.Response.LastModified == "" {
				t.Errorf("entry %d etag %q lastModified %q", i, e.Response.Etag, e.Response.LastModified)
			}
			ids = append(ids, target(t, e.Response.Location))
		}
		patient, gp, condition, plan := ids[0], ids[1], ids[2], ids[5]
		if gp != "Organization/gp-practice-a" {
			t.Errorf("the PUT Organization is %s", gp)
		}
		cp := s.do("GET", "/"+plan, "").mustStatus(t, http.StatusOK).json(t)
		got := map[string]any{
			"subject":   ref(cp["subject"]),
			"author":    ref(cp["author"]),
			"addresses": ref(cp["addresses"].([]any)[0]),
			"extension": ref(cp["extension"].([]any)[0].(map[string]any)["valueReference"]),
			"contained": ref(cp["contained"].([]any)[0].(map[string]any)["subject"]),
			"goal":      ref(cp["goal"].([]any)[0]),
			"performer": ref(cp["activity"].([]any)[1].(map[string]any)["detail"].(map[string]any)["performer"].([]any)[0]),
			"narrative": strings.Contains(cp["text"].(map[string]any)["div"].(string), `href="`+patient+`"`),
		}
		want := map[string]any{"subject": patient, "author": "Organization/" + hospitalID, "addresses": condition,
			"extension": condition, "contained": patient, "goal": "#g1", "performer": gp, "narrative": true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CarePlan references (-want +got):\n%s", diff)
		}
		tasks := s.do("GET", "/Task?based-on="+plan+"&owner="+gp+"&requester=Organization/"+hospitalID, "").mustStatus(t, http.StatusOK).json(t)
		if n := len(tasks["entry"].([]any)); n != 3 {
			t.Errorf("%d Tasks based on the plan, owned by the GP, requested by the hospital; want 3", n)
		}

		// Sent again: the patient is matched by NHS number, not duplicated.
		again := s.do("POST", "", string(body)).mustStatus(t, http.StatusOK).transaction(t)
		if again.Entry[0].Response.Status != "200 OK" || target(t, again.Entry[0].Response.Location) != patient {
			t.Errorf("second patient entry: %+v, want 200 OK at %s", again.Entry[0].Response, patient)
		}
		if again.Entry[1].Response.Status != "200 OK" { // the PUT updates the practice
			t.Errorf("second PUT status %q, want 200 OK", again.Entry[1].Response.Status)
		}
		plan2 := s.do("GET", "/"+target(t, again.Entry[5].Response.Location), "").json(t)
		if ref(plan2["subject"]) != patient {
			t.Errorf("second plan's subject %v, want the matched %s", plan2["subject"], patient)
		}
		s.do("GET", "/Patient?identifier=9000000009", "").mustStatus(t, http.StatusOK)
		// Each of the three writes (the hospital's PUT, the two
		// transactions) also stored one Provenance.
		if n := s.rowCounts()["resources"]; n != 1+10+8+3 {
			t.Errorf("%d resources stored, want 22: the hospital, 10, then 8 more (the patient matched, the practice updated), and 3 Provenances", n)
		}
	})
}

func ref(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["reference"].(string)
	return s
}

func TestTransactionRollsBack(t *testing.T) {
	t.Parallel()
	body := treatmentSummary(t)
	forEachServer(t, func(t *testing.T, s *server) {
		s.create(hospital)
		before := s.rowCounts()
		var bundle map[string]any
		if err := json.Unmarshal(body, &bundle); err != nil {
			t.Fatal(err)
		}
		entries := bundle["entry"].([]any)
		task := entries[7].(map[string]any)["resource"].(map[string]any)
		task["status"] = "finished-ish" // not a TaskStatus code
		bad, _ := json.Marshal(bundle)
		r := s.do("POST", "", string(bad)).mustStatus(t, http.StatusBadRequest)
		_, exprs := r.outcome(t)
		if !contains(exprs, "Bundle.entry[7].resource.status") {
			t.Errorf("expressions %q do not name Bundle.entry[7].resource.status", exprs)
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("a failed transaction left rows behind (-before +after):\n%s", diff)
		}
		// The same failure late in processing: a PUT (run after every POST)
		// whose If-Match is stale.
		task["status"] = "requested"
		entries[1].(map[string]any)["request"].(map[string]any)["ifMatch"] = `W/"7"`
		bad, _ = json.Marshal(bundle)
		r = s.do("POST", "", string(bad)).mustStatus(t, http.StatusPreconditionFailed)
		if _, exprs := r.outcome(t); !contains(exprs, "Bundle.entry[1]") {
			t.Errorf("expressions %q do not name Bundle.entry[1]", exprs)
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("a failed transaction left rows behind (-before +after):\n%s", diff)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestTransactionOrderAndConditionals(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		old := s.create(`{"resourceType":"Patient","identifier":[{"system":"s","value":"old"}]}`)
		s.create(`{"resourceType":"Patient","identifier":[{"system":"s","value":"twin"}]}`)
		s.create(`{"resourceType":"Patient","identifier":[{"system":"s","value":"twin"}]}`)
		upd := s.create(`{"resourceType":"Patient","identifier":[{"system":"s","value":"upd"}],"gender":"male"}`)

		// Listed in the reverse of processing order: the GET sees the POST,
		// the DELETE runs first.
		tr := s.do("POST", "", txBundle(
			`{"request":{"method":"GET","url":"Patient?identifier=s|new"}}`,
			`{"resource":{"resourceType":"Patient","gender":"female"},"request":{"method":"PUT","url":"Patient?identifier=s|upd"}}`,
			`{"fullUrl":"urn:uuid:a0000000-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","identifier":[{"system":"s","value":"new"}]},"request":{"method":"POST","url":"Patient"}}`,
			`{"request":{"method":"DELETE","url":"Patient?identifier=s|old"}}`,
		)).mustStatus(t, http.StatusOK).transaction(t)
		var statuses []string
		for _, e := range tr.Entry {
			statuses = append(statuses, e.Response.Status)
		}
		if diff := cmp.Diff([]string{"200 OK", "200 OK", "201 Created", "200 OK"}, statuses); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if n := len(tr.Entry[0].Resource["entry"].([]any)); n != 1 {
			t.Errorf("the GET found %d patients; it runs last, so it should see the new one", n)
		}
		s.do("GET", "/Patient/"+old, "").mustStatus(t, http.StatusGone)
		if p := s.do("GET", "/Patient/"+upd, "").json(t); p["gender"] != "female" {
			t.Errorf("conditional PUT did not update Patient/%s: %v", upd, p)
		}

		for _, tt := range []struct {
			name, bundle string
			status       int
			expression   string
		}{
			{"conditional reference with two matches", txBundle(
				`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?identifier=s|twin"}},"request":{"method":"POST","url":"Observation"}}`),
				http.StatusPreconditionFailed, "Bundle.entry[0].resource.subject"},
			{"conditional reference with no match", txBundle(
				`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?identifier=s|nobody"}},"request":{"method":"POST","url":"Observation"}}`),
				http.StatusBadRequest, "Bundle.entry[0].resource.subject"},
			{"conditional create with two matches", txBundle(
				`{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=s|twin"}}`),
				http.StatusPreconditionFailed, "Bundle.entry[0]"},
			{"conditional update with two matches", txBundle(
				`{"resource":{"resourceType":"Patient"},"request":{"method":"PUT","url":"Patient?identifier=s|twin"}}`),
				http.StatusPreconditionFailed, "Bundle.entry[0]"},
			{"conditional delete with two matches", txBundle(
				`{"request":{"method":"DELETE","url":"Patient?identifier=s|twin"}}`),
				http.StatusPreconditionFailed, "Bundle.entry[0]"},
			{"undefined placeholder", txBundle(
				`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:b0000000-0000-4000-8000-000000000009"}},"request":{"method":"POST","url":"Observation"}}`),
				http.StatusBadRequest, "Bundle.entry[0].resource.subject"},
			{"reference to a missing resource", txBundle(
				`{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}`,
				`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/nope"}},"request":{"method":"POST","url":"Observation"}}`),
				http.StatusBadRequest, "Bundle.entry[1].resource.subject"},
			{"reference to a resource the transaction deletes", txBundle(
				`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/`+upd+`"}},"request":{"method":"POST","url":"Observation"}}`,
				`{"request":{"method":"DELETE","url":"Patient/`+upd+`"}}`),
				http.StatusBadRequest, "Bundle.entry[0].resource.subject"},
			{"duplicate fullUrl", txBundle(
				`{"fullUrl":"urn:uuid:c0000000-0000-4000-8000-000000000001","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}`,
				`{"fullUrl":"urn:uuid:c0000000-0000-4000-8000-000000000001","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}`),
				http.StatusBadRequest, "Bundle.entry[1].fullUrl"},
			{"missing request", txBundle(
				`{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}`,
				`{"resource":{"resourceType":"Patient"}}`),
				http.StatusBadRequest, "Bundle.entry[1].request"},
			{"unsupported method", txBundle(
				`{"resource":{"resourceType":"Patient"},"request":{"method":"OPTIONS","url":"Patient"}}`),
				http.StatusBadRequest, "Bundle.entry[0].request.method"},
			{"resource of another type than the url", txBundle(
				`{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Observation"}}`),
				http.StatusBadRequest, "Bundle.entry[0].resource"},
			{"absolute url elsewhere", txBundle(
				`{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"https://elsewhere.example/fhir/Patient"}}`),
				http.StatusBadRequest, "Bundle.entry[0].request.url"},
			{"the same resource twice", txBundle(
				`{"resource":{"resourceType":"Patient","id":"p1"},"request":{"method":"PUT","url":"Patient/p1"}}`,
				`{"request":{"method":"DELETE","url":"Patient/p1"}}`),
				http.StatusBadRequest, "Bundle.entry[1].request"},
			{"circular conditional references", txBundle(
				`{"fullUrl":"urn:uuid:d0000000-0000-4000-8000-00000000000a","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient","ifNoneExist":"general-practitioner=urn:uuid:d0000000-0000-4000-8000-00000000000b"}}`,
				`{"fullUrl":"urn:uuid:d0000000-0000-4000-8000-00000000000b","resource":{"resourceType":"Organization"},"request":{"method":"POST","url":"Organization","ifNoneExist":"partof=urn:uuid:d0000000-0000-4000-8000-00000000000a"}}`),
				http.StatusBadRequest, "Bundle.entry[0].request"},
			{"unknown search parameter in criteria", txBundle(
				`{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient","ifNoneExist":"shoe-size=9"}}`),
				http.StatusBadRequest, "Bundle.entry[0]"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := s.rowCounts()
				r := s.do("POST", "", tt.bundle).mustStatus(t, tt.status)
				if _, exprs := r.outcome(t); !contains(exprs, tt.expression) {
					t.Errorf("expressions %q do not include %q", exprs, tt.expression)
				}
				if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
					t.Errorf("rows changed (-before +after):\n%s", diff)
				}
			})
		}
	})
}

func TestTransactionPlaceholderForms(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		// urn:oid: and a RESTful fullUrl, referred to relatively, both resolve.
		tr := s.do("POST", "", txBundle(
			`{"fullUrl":"urn:oid:1.2.826.0.1.3680043.2.1","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}`,
			`{"fullUrl":"`+s.url+`/Organization/temp-1","resource":{"resourceType":"Organization","name":"x"},"request":{"method":"POST","url":"Organization"}}`,
			`{"resource":{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"urn:oid:1.2.826.0.1.3680043.2.1"},"owner":{"reference":"Organization/temp-1"},"instantiatesUri":"urn:oid:1.2.826.0.1.3680043.2.1"},"request":{"method":"POST","url":"Task"}}`,
		)).mustStatus(t, http.StatusOK).transaction(t)
		patient, org := target(t, tr.Entry[0].Response.Location), target(t, tr.Entry[1].Response.Location)
		if org == "Organization/temp-1" {
			t.Errorf("a POST kept the client's temporary id")
		}
		task := s.do("GET", "/"+target(t, tr.Entry[2].Response.Location), "").json(t)
		got := []string{ref(task["for"]), ref(task["owner"]), task["instantiatesUri"].(string)}
		if diff := cmp.Diff([]string{patient, org, patient}, got); diff != "" {
			t.Errorf("rewritten references (-want +got):\n%s", diff)
		}
	})
}

func TestTransactionPrefer(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		tr := s.do("POST", "", txBundle(`{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}`),
			"Prefer", "return=minimal").mustStatus(t, http.StatusOK).transaction(t)
		if tr.Entry[0].Resource != nil || tr.Entry[0].Response.Location == "" {
			t.Errorf("return=minimal entry: %+v", tr.Entry[0])
		}
	})
}

func TestTransactionEntryLimit(t *testing.T) {
	t.Parallel()
	forEachSmallServer(t, 0, func(t *testing.T, s *server) {
		entries := make([]string, 10001)
		for i := range entries {
			entries[i] = fmt.Sprintf(`{"request":{"method":"GET","url":"Patient/%d"}}`, i)
		}
		s.do("POST", "", txBundle(entries...)).mustStatus(t, http.StatusRequestEntityTooLarge).outcome(t)
	})
}

// TestConcurrentTransactions races transactions that write the same
// resource: on PostgreSQL they collide and are retried whole; every one must
// land, none half.
func TestConcurrentTransactions(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		const racers = 6
		bundle := txBundle(
			`{"fullUrl":"urn:uuid:e0000000-0000-4000-8000-000000000001","resource":{"resourceType":"Organization","id":"shared","name":"Riverside"},"request":{"method":"PUT","url":"Organization/shared"}}`,
			`{"resource":{"resourceType":"Task","status":"requested","intent":"order","owner":{"reference":"urn:uuid:e0000000-0000-4000-8000-000000000001"}},"request":{"method":"POST","url":"Task"}}`)
		if count := s.race(racers, "POST", "", bundle); count[http.StatusOK] != racers {
			t.Errorf("statuses %v; want %d 200", count, racers)
		}
		if etag := s.do("GET", "/Organization/shared", "").header.Get("ETag"); etag != fmt.Sprintf(`W/"%d"`, racers) {
			t.Errorf("Organization/shared is at %s, want version %d", etag, racers)
		}
		tasks := s.do("GET", "/Task?owner=Organization/shared", "").json(t)["entry"].([]any)
		if len(tasks) != racers {
			t.Errorf("%d Tasks owned by Organization/shared, want %d", len(tasks), racers)
		}
	})
}
