package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/auth/authtest"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// TestCareRelationships: two GP practices, one hospital, two patients.
// Patient a is registered with gp1 and under the hospital's care (an
// EpisodeOfCare); patient b is registered with gp2. Each party, through a
// relationship-bound client with every scope, reads and changes exactly
// its patients' records (403 otherwise) and finds exactly them in type,
// compartment and system searches and their counts; relationships follow
// the writes that make and unmake them.
func TestCareRelationships(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newServer(t, st, 0)
		for _, put := range [][2]string{
			{"/Organization/gp1", `{"resourceType":"Organization","id":"gp1"}`},
			{"/Organization/gp2", `{"resourceType":"Organization","id":"gp2"}`},
			{"/Organization/hosp", `{"resourceType":"Organization","id":"hosp"}`},
			{"/Patient/pa", `{"resourceType":"Patient","id":"pa","generalPractitioner":[{"reference":"Organization/gp1"}]}`},
			{"/Patient/pb", `{"resourceType":"Patient","id":"pb","generalPractitioner":[{"reference":"Organization/gp2"}]}`},
			{"/EpisodeOfCare/ea", `{"resourceType":"EpisodeOfCare","id":"ea","status":"active","patient":{"reference":"Patient/pa"},"managingOrganization":{"reference":"Organization/hosp"}}`},
			{"/CarePlan/cpa", `{"resourceType":"CarePlan","id":"cpa","status":"active","intent":"plan","subject":{"reference":"Patient/pa"}}`},
			{"/CarePlan/cpb", `{"resourceType":"CarePlan","id":"cpb","status":"active","intent":"plan","subject":{"reference":"Patient/pb"}}`},
		} {
			s.do("PUT", put[0], put[1]).mustStatus(t, http.StatusCreated)
		}
		as := func(org string) []string {
			return []string{"Authorization", "Bearer " + authtest.BoundToken(t, s.ts, st, "Organization/"+org, authtest.FullAccess, s.url)}
		}
		gp1, gp2, hosp := as("gp1"), as("gp2"), as("hosp")
		everyone := []string{"Authorization", "Bearer " + s.token} // all-patients
		status := func(who []string, method, path, body string) int {
			t.Helper()
			return s.do(method, path, body, who...).status
		}
		found := func(who []string, path string) []string {
			t.Helper()
			b := s.do("GET", path, "", who...).mustStatus(t, http.StatusOK).json(t)
			got := entriesByMode(t, b)
			if total, ok := b["total"].(float64); !ok || int(total) != len(got) {
				t.Errorf("%s: total %v for %d entries", path, b["total"], len(got))
			}
			return got
		}
		check := func(what string, got, want any) {
			t.Helper()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", what, diff)
			}
		}

		type party struct {
			name     string
			who      []string
			sees     map[string]int // path → status of a read
			found    []string       // CarePlan?_total=accurate
			patients []string       // Patient?_total=accurate
			system   []string       // ?_type=Patient,CarePlan,Organization
			inB      []string       // Patient/pb/CarePlan
		}
		orgs := []string{"match Organization/gp1", "match Organization/gp2", "match Organization/hosp"}
		for _, p := range []party{
			{"gp1", gp1, map[string]int{"/Patient/pa": 200, "/Patient/pb": 403, "/CarePlan/cpa": 200, "/CarePlan/cpb": 403,
				"/CarePlan/cpb/_history/1": 403, "/CarePlan/cpb/_history": 403, "/Organization/gp2": 200, "/CarePlan/nothing": 404},
				[]string{"match CarePlan/cpa"}, []string{"match Patient/pa"},
				append([]string{"match CarePlan/cpa"}, append(orgs, "match Patient/pa")...), []string{}},
			{"gp2", gp2, map[string]int{"/Patient/pa": 403, "/Patient/pb": 200, "/CarePlan/cpa/_history/1": 403, "/CarePlan/cpb": 200},
				[]string{"match CarePlan/cpb"}, []string{"match Patient/pb"},
				append([]string{"match CarePlan/cpb"}, append(orgs, "match Patient/pb")...), []string{"match CarePlan/cpb"}},
			{"hosp", hosp, map[string]int{"/Patient/pa": 200, "/Patient/pb": 403, "/EpisodeOfCare/ea": 200, "/CarePlan/cpb": 403},
				[]string{"match CarePlan/cpa"}, []string{"match Patient/pa"},
				append([]string{"match CarePlan/cpa"}, append(orgs, "match Patient/pa")...), []string{}},
			{"all-patients", everyone, map[string]int{"/Patient/pa": 200, "/Patient/pb": 200, "/CarePlan/cpb/_history": 200},
				[]string{"match CarePlan/cpa", "match CarePlan/cpb"}, []string{"match Patient/pa", "match Patient/pb"},
				append([]string{"match CarePlan/cpa", "match CarePlan/cpb"}, append(orgs, "match Patient/pa", "match Patient/pb")...),
				[]string{"match CarePlan/cpb"}},
		} {
			got := map[string]int{}
			for path := range p.sees {
				got[path] = status(p.who, "GET", path, "")
			}
			check(p.name+" reads", got, p.sees)
			check(p.name+" CarePlan search", found(p.who, "/CarePlan?_total=accurate&_sort=_id"), p.found)
			check(p.name+" Patient search", found(p.who, "/Patient?_total=accurate&_sort=_id"), p.patients)
			check(p.name+" system search", sorted(found(p.who, "/?_type=Patient,CarePlan,Organization&_total=accurate")), p.system)
			check(p.name+" Patient/pb/CarePlan", found(p.who, "/Patient/pb/CarePlan?_total=accurate"), p.inB)
		}

		// A Provenance is seen only through a patient the caller cares for:
		// gp2 learns nothing of who changed patient pa's records.
		all := string(s.do("GET", "/Provenance?_count=100", "", everyone...).mustStatus(t, http.StatusOK).body)
		mine := string(s.do("GET", "/Provenance?_count=100", "", gp2...).mustStatus(t, http.StatusOK).body)
		for _, about := range []string{`"CarePlan/cpa/_history/1"`, `"Patient/pa/_history/1"`, `"EpisodeOfCare/ea/_history/1"`} {
			if !strings.Contains(all, about) {
				t.Errorf("no Provenance targets %s at all:\n%s", about, all)
			}
			if strings.Contains(mine, about) {
				t.Errorf("gp2 sees the Provenance of %s, a record of a patient it has no relationship with", about)
			}
		}
		provs, _ := s.do("GET", "/Provenance?target=CarePlan/cpa", "", everyone...).mustStatus(t, http.StatusOK).json(t)["entry"].([]any)
		if len(provs) == 0 {
			t.Error("Provenance?target=CarePlan/cpa finds nothing")
		}
		for _, e := range provs {
			id := e.(map[string]any)["resource"].(map[string]any)["id"].(string)
			if got := status(gp2, "GET", "/Provenance/"+id, ""); got != http.StatusForbidden {
				t.Errorf("gp2 reads the Provenance of CarePlan/cpa: %d, want 403", got)
			}
			if got := status(gp1, "GET", "/Provenance/"+id, ""); got != http.StatusForbidden {
				t.Errorf("gp1 reads the Provenance of CarePlan/cpa: %d, want 403 until Provenances are linked through their targets", got)
			}
		}

		// A batch's reads are each checked.
		var batch []string
		for _, e := range s.do("POST", "", `{"resourceType":"Bundle","type":"batch","entry":[
			{"request":{"method":"GET","url":"Patient/pa"}},{"request":{"method":"GET","url":"Patient/pb"}},
			{"request":{"method":"GET","url":"CarePlan?_total=accurate"}}]}`, gp1...).mustStatus(t, http.StatusOK).json(t)["entry"].([]any) {
			e := e.(map[string]any)
			label := e["response"].(map[string]any)["status"].(string)
			if r, ok := e["resource"].(map[string]any); ok && r["resourceType"] == "Bundle" {
				label += " " + strings.Join(entriesByMode(t, r), ",")
			}
			batch = append(batch, label)
		}
		check("gp1 batch", batch, []string{"200 OK", "403 Forbidden", "200 OK match CarePlan/cpa"})

		// Operations reading a patient's record by id.
		check("$shared-care-summary of pb", []int{status(gp1, "GET", "/Patient/pb/$shared-care-summary", ""),
			status(gp2, "GET", "/Patient/pb/$shared-care-summary", "")}, []int{403, 200})

		// Type and system history cannot be narrowed (deleted versions name no patient): refused.
		check("gp1 histories", []int{status(gp1, "GET", "/CarePlan/_history", ""), status(gp1, "GET", "/_history", ""),
			status(gp1, "GET", "/Organization/_history", ""), status(everyone, "GET", "/_history", "")}, []int{403, 403, 200, 200})

		// Includes: what a match refers to, or what refers to it, only when visible.
		entries := func(who []string, path string) []string {
			t.Helper()
			return entriesByMode(t, s.do("GET", path, "", who...).mustStatus(t, http.StatusOK).json(t))
		}
		revGP := "/Organization?_id=gp2&_revinclude=Patient:general-practitioner&_revinclude=CarePlan:subject"
		check("gp1 _revinclude", entries(gp1, revGP), []string{"match Organization/gp2"})
		check("gp2 _revinclude", entries(gp2, revGP), []string{"match Organization/gp2", "include Patient/pb"})
		inc := "/EpisodeOfCare?_include=EpisodeOfCare:patient&_include=EpisodeOfCare:organization"
		check("hosp _include", entries(hosp, inc), []string{"match EpisodeOfCare/ea", "include Organization/hosp", "include Patient/pa"})
		check("gp2 _include", entries(gp2, inc), []string{})

		// Changing another practice's patient's record is refused, and changes nothing.
		cpb := `{"resourceType":"CarePlan","id":"cpb","status":"revoked","intent":"plan","subject":{"reference":"Patient/pb"}}`
		patch := `[{"op":"replace","path":"/status","value":"revoked"}]`
		check("gp1 writes to pb", []int{
			status(gp1, "PUT", "/CarePlan/cpb", cpb),
			s.do("PATCH", "/CarePlan/cpb", patch, append(gp1, "Content-Type", "application/json-patch+json")...).status,
			status(gp1, "DELETE", "/CarePlan/cpb", ""),
		}, []int{403, 403, 403})
		// Conditional: pb's plan matches nothing for gp1, and its id is not gp1's to take.
		check("gp1 conditionally updates pb's plan", status(gp1, "PUT", "/CarePlan?status=active&subject=Patient/pb", cpb), 403)
		check("gp1 updates pb's plan in a transaction", status(gp1, "POST", "", txBundle(`{"resource":`+cpb+`,"request":{"method":"PUT","url":"CarePlan/cpb"}}`)), 403)
		if s.do("GET", "/CarePlan/cpb", "").json(t)["status"] != "active" {
			t.Errorf("cpb changed by a refused write")
		}

		// A Task owned by the hospital for patient b makes a relationship;
		// deleting it unmakes it. A change of GP moves the Patient's.
		task := s.do("POST", "/Task", `{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/pb"},"owner":{"reference":"Organization/hosp"}}`, hosp...).
			mustStatus(t, http.StatusCreated).json(t)["id"].(string)
		check("hosp reads pb with a Task", status(hosp, "GET", "/Patient/pb", ""), 200)
		check("hosp finds pb's Task", found(hosp, "/Task?_total=accurate"), []string{"match Task/" + task})
		check("gp1 does not find pb's Task", found(gp1, "/Task?_total=accurate"), []string{})
		s.do("DELETE", "/Task/"+task, "").mustStatus(t, http.StatusOK)
		check("hosp reads pb after the Task went", status(hosp, "GET", "/Patient/pb", ""), 403)
		s.do("PUT", "/Patient/pa", `{"resourceType":"Patient","id":"pa","generalPractitioner":[{"reference":"Organization/gp2"}]}`).mustStatus(t, http.StatusOK)
		check("after pa moved to gp2", []int{status(gp1, "GET", "/Patient/pa", ""), status(gp2, "GET", "/Patient/pa", ""), status(gp2, "GET", "/CarePlan/cpa", "")},
			[]int{403, 200, 200})
	})
}

// TestCareHandover: a hospital's relationship-bound client hands a patient
// over; the practice the handover names as GP sees the patient and the
// Tasks it owns at once (the handover's own writes made the relationships),
// and another practice sees none of it.
func TestCareHandover(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newServer(t, st, 0)
		as := func(org string) []string {
			return []string{"Authorization", "Bearer " + authtest.BoundToken(t, s.ts, st, "Organization/"+org, authtest.FullAccess, s.url)}
		}
		hosp, gp, other := as("riverside-hospital"), as("gp-practice-a"), as("gp-practice-b")
		s.do("POST", "/$handover", mustJSON(t, handoverBundle(t)), hosp...).mustStatus(t, http.StatusOK)
		count := func(who []string, path string) float64 {
			t.Helper()
			return s.do("GET", path, "", who...).mustStatus(t, http.StatusOK).json(t)["total"].(float64)
		}
		got := [][]float64{
			{count(hosp, "/Patient?_total=accurate"), count(hosp, "/Task?_total=accurate")},
			{count(gp, "/Patient?_total=accurate"), count(gp, "/Task?_total=accurate"), count(gp, "/Task?owner=Organization/gp-practice-a&_total=accurate")},
			{count(other, "/Patient?_total=accurate"), count(other, "/Task?_total=accurate")},
		}
		if diff := cmp.Diff([][]float64{{1, 3}, {1, 3, 2}, {0, 0}}, got); diff != "" {
			t.Errorf("patients and Tasks seen by hospital, GP, another practice (-want +got):\n%s", diff)
		}
	})
}
