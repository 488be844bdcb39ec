package workflow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/router"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/internal/workflow"
)

// TestHandoverChecksInsideItsTransaction: $handover checks its rules in
// the database transaction that stores the Bundle, so the rules see that
// transaction's view. Here the GP practice the Tasks are handed to exists
// only inside the caller's (uncommitted) transaction: a check reading
// outside it would find no owner and refuse the handover.
func TestHandoverChecksInsideItsTransaction(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		reg, err := registry.Load(api.FS)
		if err != nil {
			t.Fatal(err)
		}
		svc := rest.New(st, reg)
		wf := workflow.New(svc, workflow.DefaultConfig)
		rt := router.New(router.Options{Registry: reg, Operations: wf.Operations()})
		raw, err := os.ReadFile("handover/testdata/handover-bundle.json")
		if err != nil {
			t.Fatal(err)
		}
		var bundle struct {
			Entry []map[string]any `json:"entry"`
		}
		var rest0 map[string]any
		if err := json.Unmarshal(raw, &bundle); err != nil || json.Unmarshal(raw, &rest0) != nil {
			t.Fatal(err)
		}
		var gp []byte
		var gpURL string
		var kept []any
		for _, e := range bundle.Entry {
			if e["request"].(map[string]any)["url"] == "Organization/gp-practice-a" {
				gp, _ = json.Marshal(e["resource"])
				gpURL, _ = e["fullUrl"].(string)
				continue
			}
			kept = append(kept, e)
		}
		if gp == nil {
			t.Fatal("the example handover no longer PUTs Organization/gp-practice-a")
		}
		rest0["entry"] = kept
		body, _ := json.Marshal(rest0)
		if gpURL != "" { // the other entries name the practice by its fullUrl: now by its id
			body = bytes.ReplaceAll(body, []byte(`"`+gpURL+`"`), []byte(`"Organization/gp-practice-a"`))
		}
		ctx := rest.WithBase(auth.AsSystem(context.Background()), "https://example.org/fhir")
		serve := func(svc *rest.Service) (*router.Response, error) {
			return rt.Serve(ctx, &router.Request{Method: http.MethodPost, Header: http.Header{}, Base: "https://example.org/fhir",
				Service: svc, Body: body}, "$handover")
		}
		if _, err := serve(svc); !fhirerr.Is(err, fhirerr.Unprocessable) {
			t.Fatalf("handover to a GP practice that does not exist: %v, want 422", err)
		}
		err = svc.InTx(ctx, func(tx *rest.Service) error {
			if _, _, err := tx.Update(ctx, "Organization", "gp-practice-a", gp, 0); err != nil {
				return err
			}
			resp, err := serve(tx)
			if err == nil && resp.Status != http.StatusOK {
				t.Errorf("handover status %d", resp.Status)
			}
			return err
		})
		if err != nil {
			t.Fatalf("handover to a GP practice created in the same transaction: %v", err)
		}
	})
}
