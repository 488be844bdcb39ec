package router_test

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/router"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// TestTransactionFromGo: a transaction Bundle runs from Go, without HTTP;
// its entries, conditional ones included, are writes the Service's
// observers see and interactions the router's middleware sees.
func TestTransactionFromGo(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		reg, err := registry.Load(api.FS)
		if err != nil {
			t.Fatal(err)
		}
		svc := rest.New(st, reg)
		var mu sync.Mutex
		var writes, interactions []string
		svc.Observe(rest.ObserverFunc(func(_ context.Context, _ *rest.Service, w rest.Write) error {
			mu.Lock()
			defer mu.Unlock()
			writes = append(writes, w.Method+" "+w.Type)
			return nil
		}))
		see := func(next router.Handler) router.Handler {
			return func(ctx context.Context, r *router.Request) (*router.Response, error) {
				resp, err := next(ctx, r)
				mu.Lock()
				interactions = append(interactions, string(r.Kind())+" "+r.Type)
				mu.Unlock()
				return resp, err
			}
		}
		rt := router.New(router.Options{Registry: reg, Middleware: []router.Middleware{see}})
		ctx := rest.WithBase(auth.AsSystem(context.Background()), "https://example.org/fhir")
		bundle := `{"resourceType":"Bundle","type":"transaction","entry":[
		 {"fullUrl":"urn:uuid:0b6c2f4e-0000-4000-8000-000000000001","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},
		 {"resource":{"resourceType":"Organization","identifier":[{"system":"urn:t","value":"gp"}]},"request":{"method":"PUT","url":"Organization?identifier=urn:t|gp"}},
		 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:0b6c2f4e-0000-4000-8000-000000000001"}},
		  "request":{"method":"POST","url":"Observation"}},
		 {"request":{"method":"DELETE","url":"Patient?identifier=urn:t|none"}}]}`
		res, err := rt.Transaction(ctx, svc, []byte(bundle))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Type  string
			Entry []struct{ Response struct{ Status string } }
		}
		if err := json.Unmarshal(res.Response.Body, &out); err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for _, e := range out.Entry {
			statuses = append(statuses, e.Response.Status)
		}
		if diff := cmp.Diff([]string{"201 Created", "201 Created", "201 Created", "200 OK"}, statuses); diff != "" || out.Type != "transaction-response" {
			t.Errorf("transaction-response %s (-want +got statuses):\n%s", out.Type, diff)
		}
		sort.Strings(writes)
		if diff := cmp.Diff([]string{"POST Observation", "POST Patient", "PUT Organization"}, writes); diff != "" {
			t.Errorf("writes observed (-want +got):\n%s", diff)
		}
		sort.Strings(interactions)
		if diff := cmp.Diff([]string{"create Observation", "create Patient", "delete Patient", "update Organization"}, interactions); diff != "" {
			t.Errorf("interactions seen (-want +got):\n%s", diff)
		}
		if _, err := rt.Transaction(ctx, svc, []byte(`{"resourceType":"Bundle","type":"batch"}`)); err == nil {
			t.Error("Transaction ran a batch Bundle")
		}
	})
}
