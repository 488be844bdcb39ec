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

// withScopes is the header pair of a real token of a new client granted scopes.
func (s *server) withScopes(scopes string) []string {
	s.t.Helper()
	return []string{"Authorization", "Bearer " + s.tokenFor(authtest.Organization, scopes)}
}

// TestScopesOverHTTP: a refused interaction is a 403 OperationOutcome
// (code forbidden) naming the scope; a transaction with one entry out of
// scope is refused whole, naming the entry; a batch refuses only the entry.
func TestScopesOverHTTP(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newServer(t, st, 0)
		id := s.create(`{"resourceType":"Patient"}`)
		r := s.do("GET", "/Patient/"+id, "", s.withScopes("system/Task.rs")...)
		if r.status != http.StatusForbidden {
			t.Fatalf("read without the scope: status %d, want 403:\n%s", r.status, r.body)
		}
		issues := r.issues(t)
		if issues[0].Code != "forbidden" || !strings.Contains(issues[0].Diagnostics, "reading Patient needs the scope system/Patient.r (or system/*.r, or the v1 system/Patient.read)") {
			t.Errorf("read without the scope: %s", r.body)
		}
		s.do("GET", "/Patient/"+id, "", s.withScopes("system/Patient.read")...).mustStatus(t, http.StatusOK)

		bundle := func(typ string) string {
			return `{"resourceType":"Bundle","type":"` + typ + `","entry":[
			 {"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},
			 {"resource":{"resourceType":"Task","status":"requested","intent":"order"},"request":{"method":"POST","url":"Task"}}]}`
		}
		before := s.rowCounts()
		r = s.do("POST", "", bundle("transaction"), s.withScopes("system/Patient.c")...)
		if r.status != http.StatusForbidden {
			t.Fatalf("transaction: status %d, want 403:\n%s", r.status, r.body)
		}
		if codes, expr := r.outcome(t); !cmp.Equal(codes, []string{"forbidden"}) || !cmp.Equal(expr, []string{"Bundle.entry[1]"}) {
			t.Errorf("transaction: codes %v, expressions %v, want forbidden at Bundle.entry[1]", codes, expr)
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("the refused transaction wrote (-before +after):\n%s", diff)
		}
		r = s.do("POST", "", bundle("batch"), s.withScopes("system/Patient.c")...).mustStatus(t, http.StatusOK)
		var got []string
		for _, e := range r.json(t)["entry"].([]any) {
			got = append(got, e.(map[string]any)["response"].(map[string]any)["status"].(string))
		}
		if diff := cmp.Diff([]string{"201 Created", "403 Forbidden"}, got); diff != "" {
			t.Errorf("batch statuses (-want +got):\n%s", diff)
		}
		s.do("GET", "/metadata", "", s.withScopes("openid")...).mustStatus(t, http.StatusOK)

		// $handover: the scopes it declares, then each entry of the
		// transaction it runs, before anything is written.
		handover := mustJSON(t, handoverBundle(t))
		declared := "system/*.read system/CarePlan.c system/Task.c system/Communication.c"
		before = s.rowCounts()
		r = s.do("POST", "/$handover", handover, s.withScopes(declared)...)
		if codes, expr := r.outcome(t); r.status != http.StatusForbidden || !cmp.Equal(codes, []string{"forbidden"}) ||
			!cmp.Equal(expr, []string{"Bundle.entry[0]"}) || !strings.Contains(string(r.body), "system/Organization.u") {
			t.Errorf("$handover writing Organizations without the scope: %d\n%s", r.status, r.body)
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("the refused handover wrote (-before +after):\n%s", diff)
		}
		r = s.do("POST", "/$handover", handover, s.withScopes("system/*.read system/Task.write")...)
		if !strings.Contains(string(r.body), "$handover needs the scope system/CarePlan.c") {
			t.Errorf("$handover without its declared scopes: %d\n%s", r.status, r.body)
		}
		s.do("POST", "/$handover", handover, s.withScopes("system/*.read system/*.write")...).mustStatus(t, http.StatusOK)
	})
}
