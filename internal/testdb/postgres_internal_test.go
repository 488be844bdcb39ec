package testdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRemoveStale: test databases and schemas an hour old are dropped at
// start-up, younger ones (another process's running tests) are kept.
func TestRemoveStale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, template, err := setUp(ctx)
	if err != nil {
		unreachable(t, err)
	}
	old := time.Now().Add(-2 * staleAfter).Unix()
	staleDB := fmt.Sprintf("%s%d_%08x", testPrefix, old, rand.Uint32())
	freshDB := fmt.Sprintf("%s%d_%08x", testPrefix, time.Now().Unix(), rand.Uint32())
	staleSchema := fmt.Sprintf("t_%d_%08x", old, rand.Uint32())
	for _, q := range []string{"CREATE DATABASE " + staleDB, "CREATE DATABASE " + freshDB, "CREATE SCHEMA " + staleSchema} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, q := range []string{"DROP DATABASE IF EXISTS " + staleDB, "DROP DATABASE IF EXISTS " + freshDB, "DROP SCHEMA IF EXISTS " + staleSchema} {
			_, _ = pool.Exec(context.Background(), q)
		}
	})

	removeStale(ctx, pool, template)

	exists := func(q, name string) bool {
		var n int
		if err := pool.QueryRow(ctx, q, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	const db, schema = "SELECT count(*) FROM pg_database WHERE datname = $1", "SELECT count(*) FROM pg_namespace WHERE nspname = $1"
	if exists(db, staleDB) {
		t.Errorf("%s, two hours old, was kept", staleDB)
	}
	if !exists(db, freshDB) {
		t.Errorf("%s, just made, was dropped", freshDB)
	}
	if exists(schema, staleSchema) {
		t.Errorf("schema %s, two hours old, was kept", staleSchema)
	}
	if !exists(db, template) {
		t.Errorf("the template %s was dropped", template)
	}
	// The templates' query runs (it is best effort, so errors are otherwise silent).
	rows, err := pool.Query(ctx, staleTemplates, staleTemplateAfter.String())
	if err == nil {
		rows.Close()
		err = rows.Err()
	}
	if err != nil {
		t.Errorf("the stale templates query: %v", err)
	}
}
