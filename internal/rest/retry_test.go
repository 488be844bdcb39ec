package rest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// TestDeadlockedTransactionsAreRetried: transactions updating the same two
// resources in opposite orders, in step, deadlock on PostgreSQL; the one the
// database aborts is retried whole, so every transaction lands.
func TestDeadlockedTransactionsAreRetried(t *testing.T) {
	t.Parallel()
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := auth.AsSystem(context.Background())
		svc := rest.New(st, reg)
		patient := func(id string, n int) []byte {
			return fmt.Appendf(nil, `{"resourceType":"Patient","id":%q,"name":[{"family":"F%d"}]}`, id, n)
		}
		for _, id := range []string{"a", "b"} {
			if _, _, err := svc.Update(ctx, "Patient", id, patient(id, 0), 0); err != nil {
				t.Fatal(err)
			}
		}
		const pairs = 3
		for p := 0; p < pairs; p++ {
			var wg, both sync.WaitGroup
			both.Add(2)
			for _, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					first := true
					err := svc.InTx(ctx, func(tx *rest.Service) error {
						if _, _, err := tx.Update(ctx, "Patient", order[0], patient(order[0], p), 0); err != nil {
							return err
						}
						if first { // meet the other transaction holding its first lock
							first = false
							both.Done()
							waitAtMost(&both, 300*time.Millisecond)
						}
						_, _, err := tx.Update(ctx, "Patient", order[1], patient(order[1], p), 0)
						return err
					})
					if err != nil {
						t.Errorf("transaction %v: %v", order, err)
					}
				}()
			}
			wg.Wait()
		}
		for _, id := range []string{"a", "b"} {
			r, err := svc.Read(ctx, "Patient", id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Version != 1+2*pairs {
				t.Errorf("Patient/%s at version %d, want %d", id, r.Version, 1+2*pairs)
			}
		}
	})
}

func waitAtMost(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}
