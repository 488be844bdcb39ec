package router_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// statuses lists a batch- or transaction-response's entry statuses.
func statuses(t *testing.T, body []byte) []string {
	t.Helper()
	var b struct {
		Entry []struct{ Response struct{ Status string } }
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range b.Entry {
		out = append(out, e.Response.Status)
	}
	return out
}

// TestTransactionOutOfScopeFailsWhole: one entry out of scope refuses the
// whole transaction before anything runs, naming the entry; in a batch
// only that entry is refused.
func TestTransactionOutOfScopeFailsWhole(t *testing.T) {
	t.Parallel()
	bundle := func(typ string) string {
		return `{"resourceType":"Bundle","type":"` + typ + `","entry":[
		 {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:t","value":"new"}]},"request":{"method":"POST","url":"Patient"}},
		 {"resource":` + obs("x", "laboratory") + `,"request":{"method":"POST","url":"Observation"}}]}`
	}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newScoped(t, st)
		ctx := rest.WithBase(as("system/Patient.c"), base)
		_, err := s.do(ctx, "POST", "", bundle("transaction"))
		forbidden(t, "transaction", err, "system/Observation.c")
		if err != nil && !strings.Contains(err.Error(), "Bundle.entry[1]") {
			t.Errorf("transaction: %v does not name Bundle.entry[1]", err)
		}
		sys := rest.WithBase(auth.AsSystem(context.Background()), base)
		resp, err := s.do(sys, "GET", "Patient?identifier=urn:t|new", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := entries(t, resp.Body); len(got) != 0 {
			t.Errorf("the refused transaction wrote %v", got)
		}

		resp, err = s.do(ctx, "POST", "", bundle("batch"))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"201 Created", "403 Forbidden"}, statuses(t, resp.Body)); diff != "" {
			t.Errorf("batch statuses (-want +got):\n%s", diff)
		}

		// A conditional entry's criteria are a search: s is needed before
		// the transaction resolves them.
		cond := `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"resource":{"resourceType":"Patient","id":"p9"},"request":{"method":"PUT","url":"Patient?identifier=urn:t|p9"}}]}`
		_, err = s.do(rest.WithBase(as("system/Patient.cu"), base), "POST", "", cond)
		forbidden(t, "conditional transaction entry", err, "system/Patient.s")
		// So is a conditional reference in a resource.
		ref := `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?identifier=urn:t|new"}},
		  "request":{"method":"POST","url":"Observation"}}]}`
		_, err = s.do(rest.WithBase(as("system/Observation.c"), base), "POST", "", ref)
		forbidden(t, "conditional reference", err, "system/Patient.s")
	})
}

// TestIncludesLeaveOutUnreadableTypes: _include, _revinclude and :iterate
// bring in only types the token may read, and the total counts matches.
func TestIncludesLeaveOutUnreadableTypes(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newScoped(t, st)
		for _, c := range []struct {
			name, scopes, target string
			want                 []string
		}{
			{"include, target unreadable", "system/Observation.rs", "Observation?_id=o-lab&_include=Observation:subject",
				[]string{"match Observation/o-lab"}},
			{"include, typed target unreadable", "system/Observation.rs", "Observation?_id=o-lab&_include=Observation:subject:Patient",
				[]string{"match Observation/o-lab"}},
			{"include, readable", "system/Observation.rs system/Patient.r", "Observation?_id=o-lab&_include=Observation:subject",
				[]string{"include Patient/p1", "match Observation/o-lab"}},
			{"include granular only", "system/Observation.rs system/Patient.r?gender=male", "Observation?_id=o-lab&_include=Observation:subject",
				[]string{"match Observation/o-lab"}},
			{"iterate stops at the unreadable", "system/Observation.rs system/Patient.r",
				"Observation?_id=o-lab&_include=Observation:subject&_include:iterate=Patient:organization",
				[]string{"include Patient/p1", "match Observation/o-lab"}},
			{"iterate, readable", "system/Observation.rs system/Patient.r system/Organization.r",
				"Observation?_id=o-lab&_include=Observation:subject&_include:iterate=Patient:organization",
				[]string{"include Organization/org1", "include Patient/p1", "match Observation/o-lab"}},
			{"revinclude unreadable", "system/Patient.rs", "Patient?_id=p1&_revinclude=Observation:subject&_revinclude=Task:patient",
				[]string{"match Patient/p1"}},
			{"revinclude readable", "system/Patient.rs system/Task.r", "Patient?_id=p1&_revinclude=Observation:subject&_revinclude=Task:patient",
				[]string{"include Task/t1", "match Patient/p1"}},
		} {
			resp, err := s.do(rest.WithBase(as(c.scopes), base), "GET", c.target+"&_total=accurate", "")
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if diff := cmp.Diff(c.want, entries(t, resp.Body)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
			var b struct{ Total int }
			_ = json.Unmarshal(resp.Body, &b)
			if b.Total != 1 {
				t.Errorf("%s: total %d, want 1 (the match only)", c.name, b.Total)
			}
		}
	})
}

// TestChainsAndHasNeedSearch: a chain or _has through a type the token may
// not search is a 403 naming the parameter, whether anything matches or not.
func TestChainsAndHasNeedSearch(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newScoped(t, st)
		for _, c := range []struct {
			name, scopes, target, refused string
		}{
			{"chain", "system/Observation.rs", "Observation?subject.name=x", "system/Patient.s"},
			{"typed chain", "system/Observation.rs", "Observation?subject:Patient.name=x", "system/Patient.s"},
			{"chain allowed", "system/Observation.rs system/Patient.s", "Observation?subject:Patient.name=x", ""},
			{"two-level chain", "system/Observation.rs system/Patient.s", "Observation?subject:Patient.organization.name=x", "system/Organization.s"},
			{"has", "system/Patient.rs", "Patient?_has:Observation:subject:status=final", "system/Observation.s"},
			{"has allowed", "system/Patient.rs system/Observation.s", "Patient?_has:Observation:subject:status=final", ""},
			{"has, granular does not count", "system/Patient.rs system/Observation.rs?category=laboratory", "Patient?_has:Observation:subject:status=final", "system/Observation.s"},
			{"conditional create's criteria chain", "system/Observation.cs", "Observation", "system/Patient.s"},
		} {
			var err error
			if c.name == "conditional create's criteria chain" {
				_, err = s.do(rest.WithBase(as(c.scopes), base), "POST", c.target, obs("x", "laboratory"), "If-None-Exist", "subject.name=x")
			} else {
				_, err = s.do(rest.WithBase(as(c.scopes), base), "GET", c.target, "")
			}
			if c.refused == "" {
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
				}
				continue
			}
			forbidden(t, c.name, err, c.refused)
			if err != nil && !strings.Contains(err.Error(), "subject") && !strings.Contains(err.Error(), "_has") {
				t.Errorf("%s: %v does not name the parameter", c.name, err)
			}
		}
	})
}

// TestAcrossTypes: a system search's _type must name only searchable
// types; without _type, a system search and history cover just those.
func TestAcrossTypes(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newScoped(t, st)
		ctx := rest.WithBase(as("system/Observation.rs"), base)
		_, err := s.do(ctx, "GET", "?_type=Observation,Patient", "")
		forbidden(t, "_type naming Patient", err, "system/Patient.s")
		resp, err := s.do(ctx, "GET", "?_lastUpdated=gt2000-01-01", "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"match Observation/o-lab", "match Observation/o-vit"}, entries(t, resp.Body)); diff != "" {
			t.Errorf("system search without _type (-want +got):\n%s", diff)
		}
		resp, err = s.do(ctx, "GET", "_history", "")
		if err != nil {
			t.Fatal(err)
		}
		var h struct {
			Total int
			Entry []struct{ Request struct{ URL string } }
		}
		if err := json.Unmarshal(resp.Body, &h); err != nil {
			t.Fatal(err)
		}
		for _, e := range h.Entry {
			if !strings.HasPrefix(e.Request.URL, "Observation") {
				t.Errorf("system history shows %s", e.Request.URL)
			}
		}
		if h.Total != 2 || len(h.Entry) != 2 {
			t.Errorf("system history: total %d, %d entries; want the 2 Observation versions", h.Total, len(h.Entry))
		}
		_, err = s.do(rest.WithBase(as("system/Observation.r"), base), "GET", "_history", "")
		forbidden(t, "system history without s", err, "system/*.s")
	})
}

// TestGranularScopes: a granular scope grants a search that carries its
// restriction, ANDs it into one that does not when it is the only one,
// and refuses otherwise; a read must match it.
func TestGranularScopes(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newScoped(t, st)
		lab := rest.WithBase(as("system/Observation.rs?category=laboratory"), base)
		two := rest.WithBase(as("system/Observation.rs?category=laboratory system/Observation.rs?category=vital-signs"), base)
		for _, c := range []struct {
			name   string
			ctx    context.Context
			target string
			want   []string // nil: refused
		}{
			{"carries it", lab, "Observation?category=laboratory", []string{"match Observation/o-lab"}},
			{"ANDed in", lab, "Observation", []string{"match Observation/o-lab"}},
			{"ANDed into another category", lab, "Observation?category=vital-signs", []string{}},
			{"compartment, ANDed in", lab, "Patient/p1/Observation", []string{"match Observation/o-lab"}},
			{"two, carries one", two, "Observation?category=vital-signs", []string{"match Observation/o-vit"}},
			{"two, carries none", two, "Observation", nil},
		} {
			resp, err := s.do(c.ctx, "GET", c.target, "")
			if c.want == nil {
				forbidden(t, c.name, err, "category=laboratory")
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			got := entries(t, resp.Body)
			if got == nil {
				got = []string{}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
		if _, err := s.do(lab, "GET", "Observation/o-lab", ""); err != nil {
			t.Errorf("read of a covered resource: %v", err)
		}
		_, err := s.do(lab, "GET", "Observation/o-vit", "")
		forbidden(t, "read of an uncovered resource", err, "system/Observation.r")
		_, errMissing := s.do(lab, "GET", "Observation/no-such", "")
		forbidden(t, "read of a missing resource", errMissing, "system/Observation.r")
		_, err = s.do(lab, "GET", "Observation/o-vit/_history/1", "")
		forbidden(t, "vread of an uncovered resource", err, "system/Observation.r")
		_, err = s.do(rest.WithBase(as("system/Observation.rs?no-such-param=x"), base), "GET", "Observation/o-lab", "")
		forbidden(t, "read under a restriction the server cannot search by", err, "system/Observation.r")
	})
}

// TestOperationScopes: each operation needs the scopes its definition
// declares.
func TestOperationScopes(t *testing.T) {
	t.Parallel()
	summary := "system/Patient.r system/CarePlan.rs system/Task.rs system/CareTeam.rs system/QuestionnaireResponse.rs system/Communication.rs"
	validate := `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + obs("v", "laboratory") + `}]}`
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newScoped(t, st)
		for _, c := range []struct {
			name, scopes, method, target, body, refused string
		}{
			{"overdue", "system/Task.rs", "GET", "Task/$overdue", "", ""},
			{"overdue without s", "system/Task.r", "GET", "Task/$overdue", "", "system/Task.rs"},
			{"summary", summary, "GET", "Patient/p1/$shared-care-summary", "", ""},
			{"summary without Communication", strings.Replace(summary, "system/Communication.rs", "", 1), "GET", "Patient/p1/$shared-care-summary", "", "system/Communication.rs"},
			{"summary, v1 read", "system/*.read", "GET", "Patient/p1/$shared-care-summary", "", ""},
			{"validate", "system/Observation.c", "POST", "Observation/$validate", validate, ""},
			{"validate another type", "system/Patient.c", "POST", "Observation/$validate", validate, "system/Observation.c"},
			{"extract without Questionnaire", "system/QuestionnaireResponse.r", "GET", "QuestionnaireResponse/qr/$extract", "", "system/Questionnaire.rs"},
			{"extract", "system/QuestionnaireResponse.r system/Questionnaire.rs", "GET", "QuestionnaireResponse/no-such/$extract", "", "-"},
			{"handover without CarePlan", "system/Task.c system/Communication.c", "POST", "$handover", `{"resourceType":"Bundle","type":"transaction"}`, "system/CarePlan.c"},
		} {
			_, err := s.do(rest.WithBase(as(c.scopes), base), c.method, c.target, c.body, "Content-Type", "application/fhir+json")
			if c.refused == "-" { // allowed, and then finds nothing
				if !fhirerr.Is(err, fhirerr.NotFound) {
					t.Errorf("%s: %v, want 404", c.name, err)
				}
				continue
			}
			if c.refused == "" {
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
				}
				continue
			}
			forbidden(t, c.name, err, c.refused)
		}
	})
}
