// Package testdb gives tests a fresh, migrated sqlstore on every database
// sharedcare supports: a temporary SQLite file always, and a throw-away
// PostgreSQL schema whenever PostgreSQL is reachable. With CI=true an
// unreachable PostgreSQL fails the test instead of skipping it.
//
// Only tests import this package.
package testdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
)

// PostgresURL is the server tests use: $SHAREDCARE_TEST_POSTGRES_URL, or the
// local trust-auth server on 127.0.0.1:5432.
func PostgresURL() string {
	if u := os.Getenv("SHAREDCARE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Dialects are the databases every store-backed test runs on.
var Dialects = []string{"sqlite", "postgres"}

// Open returns a fresh migrated store of the given dialect, closed (and its
// schema dropped) when the test ends.
func Open(t testing.TB, dialect string) *sqlstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var url string
	switch dialect {
	case "sqlite":
		url = "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case "postgres":
		url = postgresSchema(t, ctx)
	default:
		t.Fatalf("testdb.Open: unknown dialect %q", dialect)
	}
	s, err := sqlstore.Open(ctx, url)
	if err != nil {
		t.Fatalf("testdb.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("testdb.Open: %v", err)
	}
	return s
}

// ForEach runs fn as a subtest on a fresh store of each dialect.
func ForEach(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// PostgresSchemaURL returns the URL of a fresh, empty (not migrated)
// PostgreSQL schema dropped when the test ends, for tests that open the
// database themselves: through a proxy, or in a server process of their own.
// It skips the test when PostgreSQL is unreachable (fails with CI=true).
func PostgresSchemaURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return postgresSchema(t, ctx)
}

// postgresSchema creates a schema of its own for the test and returns a URL
// whose search_path points at it, so tests never see each other's rows.
func postgresSchema(t testing.TB, ctx context.Context) string {
	t.Helper()
	admin, err := sqlstore.Open(ctx, PostgresURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required in CI but unreachable at %s: %v", PostgresURL(), err)
		}
		t.Skipf("PostgreSQL unreachable at %s (set CI=true to fail instead): %v", PostgresURL(), err)
	}
	defer admin.Close()
	schema := fmt.Sprintf("t_%d_%08x", time.Now().Unix(), rand.Uint32())
	if err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if a, err := sqlstore.Open(ctx, PostgresURL()); err == nil {
			_ = a.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			a.Close()
		}
	})
	sep := "?"
	if strings.Contains(PostgresURL(), "?") {
		sep = "&"
	}
	return PostgresURL() + sep + "search_path=" + schema
}
