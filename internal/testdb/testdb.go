// Package testdb gives tests a fresh, migrated sqlstore on every database
// sharedcare supports: a temporary SQLite file always, and a throw-away
// PostgreSQL database (cloned from a migrated template) whenever PostgreSQL
// is reachable. With CI=true an unreachable PostgreSQL fails the test instead
// of skipping it.
//
// Only tests import this package.
package testdb

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
)

// PostgresURL is the server tests use: $SHAREDCARE_TEST_POSTGRES_URL, or the
// local trust-auth server on 127.0.0.1:5432. Its user must be allowed to
// create databases.
func PostgresURL() string {
	if u := os.Getenv("SHAREDCARE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Dialects are the databases every store-backed test runs on.
var Dialects = []string{"sqlite", "postgres"}

// Open returns a fresh migrated store of the given dialect, closed (and its
// database removed) when the test ends.
func Open(t testing.TB, dialect string) *sqlstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var url string
	switch dialect {
	case "sqlite":
		url = "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case "postgres":
		url = newDatabase(t, ctx, "")
	default:
		t.Fatalf("testdb.Open: unknown dialect %q", dialect)
	}
	s, err := sqlstore.Open(ctx, url)
	if err != nil {
		t.Fatalf("testdb.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if dialect == "sqlite" { // PostgreSQL's clone is migrated already
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("testdb.Open: %v", err)
		}
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

// PostgresDatabaseURL returns the URL of a fresh, migrated PostgreSQL
// database of the test's own, dropped when the test ends, for tests that
// open the database themselves: through a proxy, or in a server process of
// their own. It skips the test when PostgreSQL is unreachable (fails with
// CI=true).
func PostgresDatabaseURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return newDatabase(t, ctx, "")
}

// PostgresSchemaURL is PostgresDatabaseURL, by its name from when tests had
// a schema each.
//
// Deprecated: use PostgresDatabaseURL.
func PostgresSchemaURL(t testing.TB) string {
	t.Helper()
	return PostgresDatabaseURL(t)
}

// EmptyPostgresURL returns the URL of a fresh PostgreSQL database with no
// schema at all, for tests of migrating from nothing.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return newDatabase(t, ctx, "template0")
}
