package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/router"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// recorder is an interaction middleware that notes every interaction it
// sees, with its outcome.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (rec *recorder) middleware(next router.Handler) router.Handler {
	return func(ctx context.Context, r *router.Request) (*router.Response, error) {
		resp, err := next(ctx, r)
		i := r.Interaction(ctx).Outcome(resp, err)
		line := fmt.Sprintf("%s %s", i.Kind, i.Type)
		if i.Operation != "" {
			line += " $" + i.Operation
		}
		if i.Err != nil {
			line += " " + fhirerr.KindOf(i.Err).String()
		} else {
			line += fmt.Sprint(" ", i.Status)
		}
		if i.Caller.Kind != auth.Client { // every request here is the test client's
			line += " caller=" + i.Caller.Kind.String()
		}
		rec.mu.Lock()
		rec.seen = append(rec.seen, line)
		rec.mu.Unlock()
		return resp, err
	}
}

// take returns what was seen since the last take.
func (rec *recorder) take() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.seen
	rec.seen = nil
	return out
}

// TestInteractionMiddlewareSeesEveryInteraction: the middleware chain sees
// each single request, each batch and transaction entry (entries replay
// through the route table; a conditional create that finds its match and a
// conditional delete that finds nothing are entries too), the batch and
// the transaction themselves, a $handover and every entry of the
// transaction it runs, and a DELETE — each exactly once, with its kind,
// type, caller and outcome.
func TestInteractionMiddlewareSeesEveryInteraction(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		rec := &recorder{}
		s := newServer(t, st, 0, func(set *setup) { set.Interaction = append(set.Interaction, rec.middleware) })
		check := func(step string, want ...string) {
			t.Helper()
			if diff := cmp.Diff(want, rec.take()); diff != "" {
				t.Errorf("%s: interactions seen (-want +got):\n%s", step, diff)
			}
		}
		id := s.create(`{"resourceType":"Patient","identifier":[{"system":"urn:test","value":"1"}]}`)
		check("create", "create Patient 201")

		s.do("GET", "/Patient/"+id, "").mustStatus(t, http.StatusOK)
		s.do("HEAD", "/Patient/"+id, "").mustStatus(t, http.StatusOK)
		s.do("GET", "/Patient?identifier=urn:test|1", "").mustStatus(t, http.StatusOK)
		s.do("GET", "/Patient/nobody", "").mustStatus(t, http.StatusNotFound)
		s.do("GET", "/metadata", "").mustStatus(t, http.StatusOK)
		check("reads", "read Patient 200", "read Patient 200", "search-type Patient 200", "read Patient not-found", "capabilities  200 caller=anonymous")

		s.do("POST", "", `{"resourceType":"Bundle","type":"batch","entry":[
		 {"request":{"method":"GET","url":"Patient/`+id+`"}},
		 {"request":{"method":"GET","url":"Patient/nobody"}},
		 {"request":{"method":"GET","url":"Patient/`+id+`/_history"}}]}`).mustStatus(t, http.StatusOK)
		check("batch", "read Patient 200", "read Patient not-found", "history-instance Patient 200", "batch  200")

		s.do("POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"fullUrl":"urn:uuid:5f0c1e2a-0000-4000-8000-000000000001","resource":{"resourceType":"Patient"},
		  "request":{"method":"POST","url":"Patient"}},
		 {"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:test|1"}},
		 {"request":{"method":"DELETE","url":"Patient?identifier=urn:test|none"}},
		 {"request":{"method":"GET","url":"Patient/`+id+`"}}]}`).mustStatus(t, http.StatusOK)
		check("transaction", "delete Patient 200", "create Patient 201", "create Patient 200", "read Patient 200", "transaction  200")

		s.do("POST", "/$handover", mustJSON(t, handoverBundle(t))).mustStatus(t, http.StatusOK)
		want := strings.Split(strings.Repeat("create x 201,", 11)+strings.Repeat("update x 201,", 5)+"operation  $handover 200", ",")
		got := rec.take()
		for i := range got {
			if f := strings.Fields(got[i]); f[0] == "create" || f[0] == "update" {
				f[1] = "x" // the order within a phase is the Bundle's; the types are many
				got[i] = strings.Join(f, " ")
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("$handover: interactions seen (-want +got):\n%s", diff)
		}

		s.do("DELETE", "/Patient/"+id, "").mustStatus(t, http.StatusOK)
		s.do("GET", "/Task/$overdue", "").mustStatus(t, http.StatusOK)
		check("delete and an operation", "delete Patient 200", "operation Task $overdue 200")
	})
}

// TestInteractionMiddlewareRefuses: a middleware that refuses an
// interaction stops it, whether it is a request or a transaction entry
// (which then rolls the whole transaction back).
func TestInteractionMiddlewareRefuses(t *testing.T) {
	noDeletes := func(next router.Handler) router.Handler {
		return func(ctx context.Context, r *router.Request) (*router.Response, error) {
			if r.Kind() == router.KindDelete {
				return nil, fhirerr.New(fhirerr.Forbidden, "forbidden", "", "no deletes today")
			}
			return next(ctx, r)
		}
	}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newServer(t, st, 0, func(set *setup) { set.Interaction = []router.Middleware{noDeletes} })
		id := s.create(`{"resourceType":"Patient"}`)
		s.do("DELETE", "/Patient/"+id, "").mustStatus(t, http.StatusForbidden)
		s.do("POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},
		 {"request":{"method":"DELETE","url":"Patient/`+id+`"}}]}`).mustStatus(t, http.StatusForbidden)
		s.do("GET", "/Patient/"+id, "").mustStatus(t, http.StatusOK)
		// The Patient and the Provenance of its creation.
		if n := s.rowCounts()["resources"]; n != 2 {
			t.Errorf("%d resources stored, want 2 (a Patient, its Provenance): the refused transaction stored its create", n)
		}
	})
}
