package testdb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
)

// Every test gets a PostgreSQL database of its own, cloned from a template
// database that holds the migrated schema. Cloning copies files; migrating
// per test ran ~30 DDL statements and serialised every test of every package
// on Migrate's advisory lock.
const (
	testPrefix     = "sctest_" // sctest_<unix seconds>_<random>: the creation time says when it is stale
	templatePrefix = "sctmpl_" // sctmpl_<migrations digest>
	// templateLock serialises template creation and clean-up between the
	// test processes `go test ./...` runs in parallel.
	templateLock = 7152332
	staleAfter   = time.Hour
	// staleTemplateAfter: templates of other migrations (another branch's
	// checkout may be using one right now) go only when this old.
	staleTemplateAfter = 24 * time.Hour
)

// admin is one pool per test process on the PostgreSQL server's maintenance
// connection, and the template every test database is cloned from.
var admin struct {
	once        sync.Once
	pool        *pgxpool.Pool
	template    string
	err         error
	unreachable bool // err is a failure to connect, not a broken set-up
}

// unreachable fails the test under CI=true and skips it otherwise.
func unreachable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostgreSQL is required in CI but unreachable at %s: %v", PostgresURL(), err)
	}
	t.Skipf("PostgreSQL unreachable at %s (set CI=true to fail instead): %v", PostgresURL(), err)
}

// setUp connects, removes stale test databases and makes sure the template
// for this binary's migrations exists; once per process.
func setUp(ctx context.Context) (*pgxpool.Pool, string, error) {
	admin.once.Do(func() {
		admin.pool, admin.template, admin.err = connectAndPrepare(ctx)
		admin.unreachable = errors.Is(admin.err, errUnreachable)
	})
	return admin.pool, admin.template, admin.err
}

var errUnreachable = errors.New("unreachable")

func connectAndPrepare(ctx context.Context) (*pgxpool.Pool, string, error) {
	cfg, err := pgxpool.ParseConfig(PostgresURL())
	if err != nil {
		return nil, "", fmt.Errorf("testdb.connect: %w", err)
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		return nil, "", fmt.Errorf("testdb.connect: %w: %w", errUnreachable, err)
	}
	digest, err := sqlstore.MigrationsDigest("postgres")
	if err != nil {
		pool.Close()
		return nil, "", err
	}
	template := templatePrefix + digest[:16]
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, "", fmt.Errorf("testdb.connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLock); err != nil {
		pool.Close()
		return nil, "", fmt.Errorf("testdb.connect: lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", templateLock) //nolint:errcheck // the session ends with the pool anyway
	removeStale(ctx, pool, template)
	if err := ensureTemplate(ctx, pool, template); err != nil {
		pool.Close()
		return nil, "", err
	}
	return pool, template, nil
}

// removeStale drops what killed runs left behind: test databases and the
// older per-test schemas (t_<unix>_<hex>) an hour old, and templates of other
// migrations a day old. Best effort: a failure here only leaves garbage.
func removeStale(ctx context.Context, pool *pgxpool.Pool, template string) {
	now := time.Now()
	var drop []string
	for _, name := range names(ctx, pool, `SELECT datname FROM pg_database WHERE datname LIKE 'sctest\_%'`) {
		if at, ok := createdAt(name, testPrefix); ok && now.Sub(at) > staleAfter {
			drop = append(drop, name)
		}
	}
	// A template's age is that of its files (reading it needs superuser or
	// pg_read_server_files; without, old templates stay).
	for _, name := range names(ctx, pool, staleTemplates, staleTemplateAfter.String()) {
		if name != template {
			_, _ = pool.Exec(ctx, "ALTER DATABASE "+name+" WITH IS_TEMPLATE false")
			drop = append(drop, name)
		}
	}
	for _, name := range drop {
		_, _ = pool.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	for _, name := range names(ctx, pool, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\_%'`) {
		if at, ok := createdAt(name, "t_"); ok && now.Sub(at) > staleAfter {
			_, _ = pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE")
		}
	}
}

// staleTemplates lists the templates older than $1 (an interval).
const staleTemplates = `SELECT datname FROM pg_database WHERE datname LIKE 'sctmpl\_%'
	AND (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification < now() - $1::interval`

// names runs a query of one text column; nil on any error.
func names(ctx context.Context, pool *pgxpool.Pool, q string, args ...any) []string {
	rows, err := pool.Query(ctx, q, args...)
	if err != nil {
		return nil
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil
	}
	return out
}

// createdAt reads the unix time after prefix in prefix<unix>_<random>.
func createdAt(name, prefix string) (time.Time, bool) {
	sec, _, ok := strings.Cut(strings.TrimPrefix(name, prefix), "_")
	n, err := strconv.ParseInt(sec, 10, 64)
	if !ok || err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// ensureTemplate creates and migrates the template unless a finished one
// exists. It is marked IS_TEMPLATE only once migrated, so a run killed
// half-way leaves a database that the next run drops and builds again;
// ALLOW_CONNECTIONS false keeps sessions out, which cloning requires.
func ensureTemplate(ctx context.Context, pool *pgxpool.Pool, template string) error {
	var ready bool
	err := pool.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", template).Scan(&ready)
	switch {
	case err == nil && ready:
		return nil
	case err == nil:
		if _, err := pool.Exec(ctx, "DROP DATABASE "+template+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("testdb.ensureTemplate: %w", err)
		}
	case !isNoRows(err):
		return fmt.Errorf("testdb.ensureTemplate: %w", err)
	}
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+template); err != nil {
		return fmt.Errorf("testdb.ensureTemplate: %w", err)
	}
	s, err := sqlstore.Open(ctx, databaseURL(template))
	if err != nil {
		return fmt.Errorf("testdb.ensureTemplate: %w", err)
	}
	err = s.Migrate(ctx)
	s.Close()
	if err != nil {
		return fmt.Errorf("testdb.ensureTemplate: %w", err)
	}
	if _, err := pool.Exec(ctx, "ALTER DATABASE "+template+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("testdb.ensureTemplate: %w", err)
	}
	// The migration's sessions end asynchronously after Close; cloning
	// fails while one is still there.
	for range 100 {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", template).Scan(&n); err != nil || n == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func isNoRows(err error) bool { return err != nil && strings.Contains(err.Error(), "no rows") }

// databaseURL is PostgresURL naming another database.
func databaseURL(name string) string {
	u, err := url.Parse(PostgresURL())
	if err != nil {
		return PostgresURL()
	}
	u.Path = "/" + name
	return u.String()
}

// newDatabase clones the template into a database of the test's own,
// dropped when the test ends, and returns its URL.
func newDatabase(t testing.TB, ctx context.Context, from string) string {
	t.Helper()
	pool, template, err := setUp(ctx)
	if err != nil {
		if admin.unreachable {
			unreachable(t, err)
		}
		t.Fatalf("testdb: %v", err)
	}
	if from == "" {
		from = template
	}
	name := fmt.Sprintf("%s%d_%08x", testPrefix, time.Now().Unix(), rand.Uint32())
	// WAL_LOG (the default) copies the template's pages through the WAL;
	// FILE_COPY checkpoints twice per clone, several times slower here.
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+from+" STRATEGY WAL_LOG"); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends sessions a test left open (a killed server's pool).
		if _, err := pool.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("testdb: dropping %s: %v", name, err)
		}
	})
	return databaseURL(name)
}
