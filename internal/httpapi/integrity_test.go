package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/internal/workflow/taskflow"
)

// ooIssue is one OperationOutcome issue as the tests read it.
type ooIssue struct {
	Severity, Code, Diagnostics string
	Expression                  []string
}

// issues decodes an OperationOutcome body.
func (r *reply) issues(t *testing.T) []ooIssue {
	t.Helper()
	var oo struct {
		ResourceType string
		Issue        []ooIssue
	}
	if err := json.Unmarshal(r.body, &oo); err != nil || oo.ResourceType != "OperationOutcome" {
		t.Fatalf("body is not an OperationOutcome (%v):\n%s", err, r.body)
	}
	return oo.Issue
}

// diagnostics lists the issues' diagnostics.
func diagnostics(issues []ooIssue) []string {
	var out []string
	for _, is := range issues {
		out = append(out, is.Diagnostics)
	}
	return out
}

// TestDeleteReferencedPatientRefused: the README's transaction, then its
// conditional delete of the Patient. The Patient's CarePlan, Tasks and the
// rest still refer to it, so the delete is refused with 409 naming them,
// and the Tasks stay workable.
func TestDeleteReferencedPatientRefused(t *testing.T) {
	t.Parallel()
	body := treatmentSummary(t)
	forEachServer(t, func(t *testing.T, s *server) {
		s.create(hospital)
		tr := s.do("POST", "", string(body)).mustStatus(t, http.StatusOK).transaction(t)
		patient := target(t, tr.Entry[0].Response.Location)
		var tasks []string
		for _, e := range tr.Entry[6:9] {
			tasks = append(tasks, target(t, e.Response.Location))
		}
		before := s.rowCounts()
		r := s.do("DELETE", "/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", "").mustStatus(t, http.StatusConflict)
		got := diagnostics(r.issues(t))
		if !strings.HasPrefix(got[0], "Unable to delete "+patient+": ") {
			t.Errorf("first issue %q does not say %s cannot be deleted", got[0], patient)
		}
		for _, task := range tasks {
			want := task + " refers to " + patient + " at Task.for"
			if !containsPrefix(got, want) && !anyPrefix(got, want) {
				t.Errorf("no issue says %q; issues:\n%s", want, strings.Join(got, "\n"))
			}
		}
		for _, typ := range []string{"CarePlan/", "Condition/", "Procedure/", "MedicationStatement/", "Communication/"} {
			if !anyPrefix(got, typ) {
				t.Errorf("no issue names the %s that refers to the Patient:\n%s", typ, strings.Join(got, "\n"))
			}
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("a refused delete changed the database (-before +after):\n%s", diff)
		}
		s.do("GET", "/"+patient, "").mustStatus(t, http.StatusOK)
		// The Tasks can still be accepted: their Patient is still there.
		s.do("PATCH", "/"+tasks[0], `[{"op":"replace","path":"/status","value":"accepted"}]`,
			"Content-Type", "application/json-patch+json").mustStatus(t, http.StatusOK)
		// Plain DELETE of the instance is refused the same way.
		s.do("DELETE", "/"+patient, "").mustStatus(t, http.StatusConflict)
	})
}

func anyPrefix(list []string, prefix string) bool {
	for _, x := range list {
		if strings.HasPrefix(x, prefix) {
			return true
		}
	}
	return false
}

// TestDeletePracticeOwningTasksRefused: a GP practice that owns seven
// Tasks cannot be deleted; with more referrers than are listed, the rest
// are counted.
func TestDeletePracticeOwningTasksRefused(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		practice := s.create(`{"resourceType":"Organization","name":"Valley Surgery"}`)
		var tasks []string
		for i := 0; i < 7; i++ {
			tasks = append(tasks, "Task/"+s.create(`{"resourceType":"Task","status":"requested","intent":"order",
				"owner":{"reference":"Organization/`+practice+`"}}`))
		}
		r := s.do("DELETE", "/Organization/"+practice, "").mustStatus(t, http.StatusConflict)
		issues := r.issues(t)
		if len(issues) != 8 {
			t.Fatalf("%d issues, want 1 + 7 referrers:\n%s", len(issues), r.body)
		}
		if want := "Unable to delete Organization/" + practice + ": 7 current resources refer to it"; !strings.HasPrefix(issues[0].Diagnostics, want) {
			t.Errorf("first issue %q, want it to start %q", issues[0].Diagnostics, want)
		}
		for _, is := range issues {
			if is.Code != "conflict" || is.Severity != "error" {
				t.Errorf("issue %+v: want severity error, code conflict", is)
			}
		}
		for _, task := range tasks {
			if want := task + " refers to Organization/" + practice + " at Task.owner (search parameter owner)"; !contains(diagnostics(issues), want) {
				t.Errorf("no issue %q:\n%s", want, r.body)
			}
		}
		for i := 0; i < 18; i++ {
			s.create(`{"resourceType":"Task","status":"requested","intent":"order","owner":{"reference":"Organization/` + practice + `"}}`)
		}
		issues = s.do("DELETE", "/Organization/"+practice, "").mustStatus(t, http.StatusConflict).issues(t)
		if len(issues) != 22 || issues[21].Diagnostics != "and 5 more" || !strings.Contains(issues[0].Diagnostics, ": 25 current resources") {
			t.Errorf("25 referrers: want 1 + 20 listed + \"and 5 more\", got %d issues:\n%s", len(issues), strings.Join(diagnostics(issues), "\n"))
		}
		s.do("GET", "/Organization/"+practice, "").mustStatus(t, http.StatusOK)
	})
}

// TestDeleteIntegrityExceptions: what does not block a delete.
func TestDeleteIntegrityExceptions(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		// A reference to itself.
		self := s.create(`{"resourceType":"Patient"}`)
		s.do("PUT", "/Patient/"+self, `{"resourceType":"Patient","id":"`+self+`","link":[{"other":{"reference":"Patient/`+self+`"},"type":"seealso"}]}`).
			mustStatus(t, http.StatusOK)
		s.do("DELETE", "/Patient/"+self, "").mustStatus(t, http.StatusOK)

		// A Task's own Provenance names the version it records (Task/1/_history/2),
		// which the deletion leaves in history.
		practice := s.create(`{"resourceType":"Organization","name":"Valley Surgery"}`)
		task := s.create(`{"resourceType":"Task","status":"requested","intent":"order","owner":{"reference":"Organization/` + practice + `"}}`)
		s.do("PATCH", "/Task/"+task, `[{"op":"replace","path":"/status","value":"accepted"}]`,
			"Content-Type", "application/json-patch+json").mustStatus(t, http.StatusOK)
		prov := s.do("GET", "/Provenance?target=Task/"+task, "").mustStatus(t, http.StatusOK).json(t)
		if prov["total"] != float64(2) { // the creation's and the transition's
			t.Fatalf("want the creation's and the transition's Provenances, got %v", prov["total"])
		}
		s.do("DELETE", "/Task/"+task, "").mustStatus(t, http.StatusOK)
		// The Provenance names the caller as agent, not the Task's owner: the
		// practice is referred to by nothing current any more.
		s.do("DELETE", "/Organization/"+practice, "").mustStatus(t, http.StatusOK)
		// An unversioned Provenance.target blocks, as in HAPI.
		p := s.create(`{"resourceType":"Patient"}`)
		s.create(`{"resourceType":"Provenance","target":[{"reference":"Patient/` + p + `"}],"recorded":"2026-11-20T10:00:00Z",
			"agent":[{"who":{"display":"Dr Who"}}]}`)
		s.do("DELETE", "/Patient/"+p, "").mustStatus(t, http.StatusConflict)
	})
}

// TestDeleteIntegrityInTransactions: in a transaction the check runs once
// everything is written, so referrers deleted or re-pointed by the same
// transaction do not count, and referrers it creates do.
func TestDeleteIntegrityInTransactions(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		patient := s.create(`{"resourceType":"Patient"}`)
		other := s.create(`{"resourceType":"Patient"}`)
		task := s.create(`{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/` + patient + `"}}`)
		obs := s.create(`{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/` + patient + `"}}`)

		// Deleting the Patient alone: 409 naming the entry that deletes it.
		before := s.rowCounts()
		r := s.do("POST", "", txBundle(`{"request":{"method":"DELETE","url":"Patient/`+patient+`"}}`)).mustStatus(t, http.StatusConflict)
		issues := r.issues(t)
		if len(issues) != 3 || issues[1].Diagnostics != "Observation/"+obs+" refers to Patient/"+patient+" at Observation.subject (search parameter patient)" ||
			!contains(issues[1].Expression, "Bundle.entry[0]") {
			t.Errorf("want the two referrers at Bundle.entry[0], got:\n%s", r.body)
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("a refused transaction changed the database (-before +after):\n%s", diff)
		}

		// A referrer created by the same transaction is refused too.
		s.do("POST", "", txBundle(
			`{"request":{"method":"DELETE","url":"Patient/`+other+`"}}`,
			`{"request":{"method":"POST","url":"CarePlan"},"resource":{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/`+other+`"}}}`)).
			mustStatus(t, http.StatusBadRequest)
		s.do("GET", "/Patient/"+other, "").mustStatus(t, http.StatusOK)

		// Deleting the Observation and moving the Task to another patient in
		// the same transaction frees the Patient.
		s.do("POST", "", txBundle(
			`{"request":{"method":"DELETE","url":"Patient/`+patient+`"}}`,
			`{"request":{"method":"DELETE","url":"Observation/`+obs+`"}}`,
			`{"request":{"method":"PUT","url":"Task/`+task+`"},"resource":{"resourceType":"Task","id":"`+task+`","status":"requested","intent":"order","for":{"reference":"Patient/`+other+`"}}}`)).
			mustStatus(t, http.StatusOK)
		s.do("GET", "/Patient/"+patient, "").mustStatus(t, http.StatusGone)

		// In a batch each DELETE stands alone: the referred-to one fails,
		// the free one succeeds.
		free := s.create(`{"resourceType":"Patient"}`)
		bundle := strings.Replace(txBundle(
			`{"request":{"method":"DELETE","url":"Patient/`+other+`"}}`,
			`{"request":{"method":"DELETE","url":"Patient/`+free+`"}}`), `"transaction"`, `"batch"`, 1)
		var br struct {
			Entry []struct{ Response struct{ Status string } }
		}
		if err := json.Unmarshal(s.do("POST", "", bundle).mustStatus(t, http.StatusOK).body, &br); err != nil {
			t.Fatal(err)
		}
		if got := []string{br.Entry[0].Response.Status, br.Entry[1].Response.Status}; !cmp.Equal(got, []string{"409 Conflict", "200 OK"}) {
			t.Errorf("batch statuses %v, want [409 Conflict 200 OK]", got)
		}
	})
}

// TestStrandedTaskCanBeClosed: Tasks whose Patient or owner was deleted
// before deletes were refused (made here directly in the store) cannot be
// worked on, but can still be cancelled or marked entered-in-error.
func TestStrandedTaskCanBeClosed(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		patient := s.create(`{"resourceType":"Patient"}`)
		practice := s.create(`{"resourceType":"Organization","name":"Closed Surgery"}`)
		task := func() string {
			return s.create(`{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/` + patient + `"},
				"owner":{"reference":"Organization/` + practice + `"},"requester":{"reference":"Organization/` + practice + `"}}`)
		}
		a, b, c := task(), task(), task()
		ctx := context.Background()
		err := s.st.InTx(ctx, func(tx store.Store) error {
			for _, target := range []struct{ typ, id string }{{"Patient", patient}, {"Organization", practice}} {
				head, err := tx.Head(ctx, target.typ, target.id)
				if err != nil {
					return err
				}
				del := &fhir.Resource{Type: target.typ, ID: target.id, Version: head.Version + 1, LastUpdated: fhir.Now(), Deleted: true, Method: "DELETE"}
				if err := tx.Write(ctx, del, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		patch := func(id, status string) *reply {
			return s.do("PATCH", "/Task/"+id, fmt.Sprintf(`[{"op":"replace","path":"/status","value":%q}]`, status),
				"Content-Type", "application/json-patch+json")
		}
		r := patch(a, "accepted").mustStatus(t, http.StatusBadRequest)
		if !strings.Contains(string(r.body), "does not exist on this server") {
			t.Errorf("accepting a stranded Task: want the missing references named:\n%s", r.body)
		}
		patch(a, "cancelled").mustStatus(t, http.StatusOK)
		patch(b, "entered-in-error").mustStatus(t, http.StatusOK)
		// A retiring write keeps the references it had, but may not add new
		// broken ones.
		r = s.do("PUT", "/Task/"+c, `{"resourceType":"Task","id":"`+c+`","status":"cancelled","intent":"order",
			"for":{"reference":"Patient/`+patient+`"},"focus":{"reference":"CarePlan/nowhere"}}`).mustStatus(t, http.StatusBadRequest)
		if !strings.Contains(string(r.body), "CarePlan/nowhere") || strings.Contains(string(r.body), "Patient/"+patient+" does not exist") {
			t.Errorf("want only the new reference refused:\n%s", r.body)
		}
		// The cancellation's Provenance names who cancelled, not the deleted
		// practice that owned the Task.
		prov := s.do("GET", "/Provenance?target=Task/"+a, "").mustStatus(t, http.StatusOK).json(t)
		var entries []any // the cancellation's, beside the creation's
		for _, e := range prov["entry"].([]any) {
			if activityCode(e.(map[string]any)["resource"].(map[string]any)) == "cancelled" {
				entries = append(entries, e)
			}
		}
		if len(entries) != 1 || prov["total"] != float64(2) {
			t.Fatalf("want one Provenance for the creation and one for the cancellation:\n%v", prov)
		}
		who := entries[0].(map[string]any)["resource"].(map[string]any)["agent"].([]any)[0].(map[string]any)["who"]
		if wantWho, _ := taskflow.Agent(s.caller()); !cmp.Equal(who, wantWho) {
			t.Errorf("Provenance agent.who %v, want the caller %v", who, wantWho)
		}
	})
}

// TestDeleteRacingNewReferrer: a delete and a create that refers to the
// same resource, at once, never both succeed (on PostgreSQL the reference
// check holds its target as a foreign key would; SQLite's writers are
// serial).
func TestDeleteRacingNewReferrer(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		for round := 0; round < 15; round++ {
			patient := s.create(`{"resourceType":"Patient"}`)
			done := make(chan int, 1)
			go func() {
				done <- s.doConcurrently("POST", "/Task", `{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/`+patient+`"}}`).status
			}()
			del := s.do("DELETE", "/Patient/"+patient, "").status
			switch got := [2]int{del, <-done}; got {
			case [2]int{http.StatusOK, http.StatusBadRequest}, [2]int{http.StatusConflict, http.StatusCreated}:
			default:
				t.Fatalf("round %d: DELETE gave %d and the referring POST %d; want one of them refused", round, got[0], got[1])
			}
		}
	})
}
