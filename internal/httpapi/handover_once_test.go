package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// taskCount is how many current Tasks the server holds: the GP worklist
// and everything else.
func (s *server) taskCount(t *testing.T) float64 {
	t.Helper()
	return s.do("GET", "/Task?_total=accurate&_count=1", "").mustStatus(t, http.StatusOK).json(t)["total"].(float64)
}

// TestHandoverRetryStoresNothing: a hospital system that times out and
// sends the same handover again gets the first answer, byte for byte, and
// the GP's worklist does not grow.
func TestHandoverRetryStoresNothing(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		bundle := handoverBundle(t)
		first := s.do("POST", "/$handover", mustJSON(t, bundle)).mustStatus(t, http.StatusOK)
		tasks, rows := s.taskCount(t), s.rowCounts()
		if tasks != 3 || rows["request_records"] != 1 {
			t.Fatalf("after the handover: %v Tasks, %d request records; want 3 and 1", tasks, rows["request_records"])
		}
		// The same Bundle again, and formatted differently: a retry.
		again := s.do("POST", "/$handover", mustJSON(t, bundle)).mustStatus(t, http.StatusOK)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(mustJSON(t, bundle)), "", "    "); err != nil {
			t.Fatal(err)
		}
		reformatted := s.do("POST", "/$handover", pretty.String()).mustStatus(t, http.StatusOK)
		for name, r := range map[string]*reply{"retry": again, "reformatted retry": reformatted} {
			if !bytes.Equal(first.body, r.body) {
				t.Errorf("%s answered differently from the first time:\nfirst %s\nretry %s", name, first.body, r.body)
			}
		}
		if diff := cmp.Diff(rows, s.rowCounts()); diff != "" {
			t.Errorf("retries stored something (-before +after):\n%s", diff)
		}
		if got := s.taskCount(t); got != 3 {
			t.Errorf("the worklist went from 3 to %v Tasks", got)
		}

		// The identifier of a stored handover with different content: 409.
		bundle["entry"].([]any)[11].(map[string]any)["resource"].(map[string]any)["description"] = "Something else"
		r := s.do("POST", "/$handover", mustJSON(t, bundle)).mustStatus(t, http.StatusConflict)
		if _, exprs := r.outcome(t); !contains(exprs, "Bundle.identifier") ||
			!strings.Contains(string(r.body), "https://fhir.cuh.nhs.uk/Id/handover|HO-2026-000417 was already used by a different $handover") {
			t.Errorf("want a conflict naming Bundle.identifier:\n%s", r.body)
		}
		// With a new identifier it is a new handover.
		bundle["identifier"].(map[string]any)["value"] = "HO-2026-000418"
		s.do("POST", "/$handover", mustJSON(t, bundle)).mustStatus(t, http.StatusOK)
		if got := s.taskCount(t); got != 6 {
			t.Errorf("after a second handover: %v Tasks, want 6", got)
		}
	})
}

// TestHandoverConcurrentRetries: four copies of one handover at once store
// it once, and all get the same answer.
func TestHandoverConcurrentRetries(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		body := mustJSON(t, handoverBundle(t))
		const copies = 4
		var wg sync.WaitGroup
		replies := make([]*reply, copies)
		for i := range replies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				replies[i] = s.doConcurrently("POST", "/$handover", body)
			}()
		}
		wg.Wait()
		for i, r := range replies {
			if r.status != http.StatusOK || !bytes.Equal(r.body, replies[0].body) {
				t.Errorf("copy %d: %d, want 200 and the same answer as copy 0:\n%s", i, r.status, r.body)
			}
		}
		if got, rows := s.taskCount(t), s.rowCounts(); got != 3 || rows["request_records"] != 1 {
			t.Errorf("%d concurrent copies stored %v Tasks and %d records; want 3 and 1", copies, got, rows["request_records"])
		}
	})
}

// TestHandoverNeedsIdentifier: without Bundle.identifier (system and value)
// a handover is refused, naming the element, with any other broken rule;
// a refused handover records nothing, so it can be corrected and sent again
// under its identifier.
func TestHandoverNeedsIdentifier(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		before := s.rowCounts()
		for _, tt := range []struct {
			name       string
			identifier any
			want       string
		}{
			{"missing", nil, "Bundle.identifier"},
			{"no system", map[string]any{"value": "HO-1"}, "Bundle.identifier.system"},
			{"no value", map[string]any{"system": "https://fhir.cuh.nhs.uk/Id/handover"}, "Bundle.identifier.value"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				b := handoverBundle(t)
				if tt.identifier == nil {
					delete(b, "identifier")
				} else {
					b["identifier"] = tt.identifier
				}
				r := s.do("POST", "/$handover", mustJSON(t, b)).mustStatus(t, http.StatusUnprocessableEntity)
				if _, exprs := r.outcome(t); !cmp.Equal(exprs, []string{tt.want}) {
					t.Errorf("expressions %q, want [%s]", exprs, tt.want)
				}
			})
		}
		// Other broken rules are reported with it.
		b := handoverBundle(t)
		delete(b, "identifier")
		delete(b["entry"].([]any)[11].(map[string]any)["resource"].(map[string]any), "owner")
		_, exprs := s.do("POST", "/$handover", mustJSON(t, b)).mustStatus(t, http.StatusUnprocessableEntity).outcome(t)
		if !contains(exprs, "Bundle.identifier") || !contains(exprs, "Bundle.entry[11].resource.owner") {
			t.Errorf("expressions %q: want Bundle.identifier and Bundle.entry[11].resource.owner", exprs)
		}
		// Refused under its identifier, then corrected: stored.
		b = handoverBundle(t)
		owner := b["entry"].([]any)[11].(map[string]any)["resource"].(map[string]any)["owner"]
		delete(b["entry"].([]any)[11].(map[string]any)["resource"].(map[string]any), "owner")
		s.do("POST", "/$handover", mustJSON(t, b)).mustStatus(t, http.StatusUnprocessableEntity)
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("refused handovers stored something (-before +after):\n%s", diff)
		}
		b["entry"].([]any)[11].(map[string]any)["resource"].(map[string]any)["owner"] = owner
		s.do("POST", "/$handover", mustJSON(t, b)).mustStatus(t, http.StatusOK)
	})
}
