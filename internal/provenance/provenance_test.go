package provenance_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/provenance"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

var errAfter = errors.New("a later part of the transaction failed")

// failing is a TxObserver registered after the recorder: it fails the
// transaction once the Provenance is written in it, when told to.
type failing struct {
	t    *testing.T
	fail bool
}

func (f *failing) BeforeCommit(ctx context.Context, tx *rest.Service, _ []rest.Write) error {
	if !f.fail {
		return nil
	}
	_, page, err := tx.Search(auth.AsSystem(ctx), "Provenance", url.Values{}, true)
	if err != nil {
		return err
	}
	if len(page.Resources) != 1 {
		f.t.Errorf("%d Provenances in the transaction before it failed, want the write's one", len(page.Resources))
	}
	return errAfter
}

// TestProvenanceRollsBackWithTheWrite: a Provenance is written in its
// write's transaction, so a failure after it takes both away; the
// server's own writes (as the system principal) record none.
func TestProvenanceRollsBackWithTheWrite(t *testing.T) {
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		svc := rest.New(st, reg)
		provenance.Register(svc)
		later := &failing{t: t, fail: true}
		svc.ObserveTx(later)
		ctx := auth.WithPrincipal(context.Background(), auth.Principal{Kind: auth.Client, ClientID: "c1", Organization: "Organization/o"})
		count := func() int64 {
			n, err := st.RowCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n["resources"]
		}

		if _, _, err := svc.Create(ctx, "Patient", []byte(`{"resourceType":"Patient"}`), rest.CreateOptions{}); !errors.Is(err, errAfter) {
			t.Fatalf("create: %v, want the later failure", err)
		}
		if n := count(); n != 0 {
			t.Errorf("%d resources after the failed transaction, want none (neither the Patient nor its Provenance)", n)
		}

		later.fail = false
		if _, _, err := svc.Create(ctx, "Patient", []byte(`{"resourceType":"Patient"}`), rest.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 2 {
			t.Errorf("%d resources, want 2 (the Patient, its Provenance)", n)
		}
		if _, _, err := svc.Update(auth.AsSystem(ctx), "Patient", "own", []byte(`{"resourceType":"Patient","id":"own"}`), 0); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 3 {
			t.Errorf("%d resources, want 3: the server's own write records no Provenance", n)
		}
	})
}
