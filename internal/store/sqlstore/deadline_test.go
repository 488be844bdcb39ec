package sqlstore_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// TestStatementTimeoutFollowsDeadline: on PostgreSQL a transaction's
// statement_timeout is the time left to its deadline, so the server itself
// stops a statement nobody will wait for; and such a statement ends with
// Unavailable at the deadline.
//
// Not parallel: it times a statement against its deadline, which other tests' load would stretch.
func TestStatementTimeoutFollowsDeadline(t *testing.T) {
	st := testdb.Open(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := st.InTx(ctx, func(tx store.Store) error {
		v, err := tx.(*sqlstore.Store).Setting(ctx, "statement_timeout")
		if err != nil {
			return err
		}
		ms, err := strconv.Atoi(strings.TrimSuffix(v, "ms"))
		if err != nil || ms <= 0 || ms > 3000 {
			t.Errorf("statement_timeout in a transaction with 3 s left = %q, want 1..3000ms", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := st.Setting(context.Background(), "statement_timeout"); err != nil || v != "0" {
		t.Errorf("statement_timeout outside the transaction = %q, %v; want the server default 0 back", v, err)
	}

	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = st.InTx(short, func(tx store.Store) error {
		return tx.(*sqlstore.Store).Exec(short, "SELECT pg_sleep(5)")
	})
	if elapsed := time.Since(start); elapsed > 1500*time.Millisecond {
		t.Errorf("a 5 s statement in a 300 ms transaction ran %v", elapsed)
	}
	if !fhirerr.Is(err, fhirerr.Unavailable) {
		t.Errorf("InTx = %v (kind %v), want Unavailable", err, fhirerr.KindOf(err))
	}
}

// TestSearchesLeaveConnectionsForOthers: searches outside transactions hold
// at most half the pool; with every search slot taken a search waits and
// gives up with Unavailable at its deadline, while reads and writes go on.
func TestSearchesLeaveConnectionsForOthers(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		// Pool of 8 on SQLite, 32 on PostgreSQL: half for searches.
		slots := 4
		if st.Dialect() == "postgres" {
			slots = 16
		}
		release, err := st.TakeSearchSlots(ctx, slots)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		r := &fhir.Resource{Type: "Patient", ID: "p", Version: 1, LastUpdated: fhir.Now(), Body: []byte(`{}`), Method: "POST"}
		if err := st.Write(ctx, r, nil); err != nil {
			t.Fatalf("a write with every search slot taken: %v", err)
		}
		if _, err := st.Read(ctx, "Patient", "p"); err != nil {
			t.Fatalf("a read with every search slot taken: %v", err)
		}
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		_, err = st.Search(short, &search.Query{Type: "Patient", Count: 10})
		if !fhirerr.Is(err, fhirerr.Unavailable) {
			t.Errorf("Search with every slot taken = %v, want Unavailable", err)
		}
		release()
		if _, err := st.Search(ctx, &search.Query{Type: "Patient", Count: 10}); err != nil {
			t.Errorf("Search once the slots are free: %v", err)
		}
	})
}
