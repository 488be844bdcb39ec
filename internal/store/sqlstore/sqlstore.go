// Package sqlstore is the gorm-backed store.Store for PostgreSQL (production)
// and SQLite (the embedded default). All SQL and every driver error stay in
// this package: callers see fhirerr kinds and store.ErrVersionConflict.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/sync/semaphore"
	gormpg "gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

const (
	postgres = "postgres"
	sqliteD  = "sqlite"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on a SQL database. The zero value is not usable; call Open.
type Store struct {
	db      *gorm.DB
	dialect string
	inTx    bool
	tx      *txState // the transaction this store is bound to; nil outside InTx
	// writers queues SQLite's write transactions in this process (see
	// InTx); nil on PostgreSQL.
	writers *semaphore.Weighted
	// searches bounds the searches running outside transactions, so that
	// slow searches can hold at most half the connection pool and reads and
	// writes always find a connection.
	searches *semaphore.Weighted
}

// Options tune a store; the zero value gives the defaults.
type Options struct {
	// MaxOpenConns bounds the PostgreSQL connection pool (default 32).
	// SQLite always uses 8: one writer at a time and a few readers.
	MaxOpenConns int
}

// Open connects to the database named by url: postgres://… (or postgresql://…)
// or sqlite:PATH. It does not migrate; call Migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	return OpenWith(ctx, url, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, url string, opt Options) (*Store, error) {
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // every write here is already in an explicit transaction
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	var (
		dialector gorm.Dialector
		dialect   string
	)
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		pgcfg, err := pgx.ParseConfig(url)
		if err != nil {
			return nil, fmt.Errorf("sqlstore.Open: %s: %w", redact(url), err)
		}
		// At a caller's deadline pgx by default only closes the socket, and
		// PostgreSQL goes on running the statement for nobody. A cancel
		// request stops it on the server and keeps the connection; if the
		// server cannot even take that (frozen, unreachable), the socket is
		// cut a moment later so the caller still gets its answer on time.
		pgcfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
			return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 500 * time.Millisecond}
		}
		dialect, dialector = postgres, gormpg.New(gormpg.Config{Conn: stdlib.OpenDB(*pgcfg)})
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return nil, fmt.Errorf("sqlstore.Open: sqlite: needs a file path, e.g. sqlite:./data/sharedcare.db")
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("sqlstore.Open: %w", err)
			}
		}
		// WAL lets reads run beside the single writer; immediate transactions
		// take the write lock up front, so concurrent writers queue on
		// busy_timeout instead of failing with SQLITE_BUSY mid-transaction.
		dsn := path + "?_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
			"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
		dialect, dialector = sqliteD, sqlite.Open(dsn)
	default:
		return nil, fmt.Errorf("sqlstore.Open: unsupported database URL %q: want postgres://… or sqlite:PATH", redact(url))
	}
	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("sqlstore.Open: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("sqlstore.Open: %w", err)
	}
	conns := 8
	if dialect == postgres {
		conns = 32
		if opt.MaxOpenConns > 0 {
			conns = opt.MaxOpenConns
		}
	}
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, dialect: dialect, searches: semaphore.NewWeighted(int64(max(1, conns/2)))}
	if dialect == sqliteD {
		s.writers = semaphore.NewWeighted(1)
	}
	if err := s.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// redact hides a password in a database URL for messages and logs.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	if user, _, hasPw := strings.Cut(userinfo, ":"); hasPw {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return url
}

// Dialect names the database: "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) (err error) {
	defer s.edge(ctx, &err)
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("sqlstore.Ping: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore.Ping: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("sqlstore.Close: %w", err)
	}
	return sqlDB.Close()
}

func (s *Store) conn(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// Read returns the current version of a resource.
func (s *Store) Read(ctx context.Context, typ, id string) (_ *fhir.Resource, err error) {
	defer s.edge(ctx, &err)
	r, err := s.Head(ctx, typ, id) // one query: Head reads the body too, cheaply
	if err != nil {
		return nil, err
	}
	if r.Deleted {
		return nil, gone(typ, id, r.Version)
	}
	return r, nil
}

// Head returns the current version, deleted or not.
func (s *Store) Head(ctx context.Context, typ, id string) (_ *fhir.Resource, err error) {
	defer s.edge(ctx, &err)
	if s.inTx {
		// Head inside a transaction precedes a write of typ: queue behind a
		// conditional write of typ in progress (see Lock) before locking the row.
		if err := s.lockType(ctx, typ, false); err != nil {
			return nil, err
		}
	}
	r := &fhir.Resource{Type: typ, ID: id}
	var lastUpdated int64
	var body []byte
	q := "SELECT version, last_updated, deleted, body FROM resources WHERE type = ? AND id = ?"
	if s.inTx && s.dialect == postgres {
		// Writers read the head before writing the next version: lock the row so
		// they queue here instead of failing on a version conflict. (SQLite's
		// immediate transactions already serialise writers.)
		q += " FOR UPDATE"
	}
	row := s.queryRow(ctx, q, typ, id)
	if err := row.Scan(&r.Version, &lastUpdated, &r.Deleted, &body); err != nil {
		if isNoRows(err) {
			return nil, fhirerr.NotFoundf("%s/%s is not known", typ, id)
		}
		return nil, fmt.Errorf("sqlstore.Head %s/%s: %w", typ, id, err)
	}
	r.LastUpdated = time.UnixMicro(lastUpdated).UTC()
	r.Body = body
	return r, nil
}

// VRead returns one version from history.
func (s *Store) VRead(ctx context.Context, typ, id string, version int64) (_ *fhir.Resource, err error) {
	defer s.edge(ctx, &err)
	r := &fhir.Resource{Type: typ, ID: id, Version: version}
	var lastUpdated int64
	var body []byte
	row := s.conn(ctx).Raw("SELECT last_updated, method, body FROM resource_history WHERE type = ? AND id = ? AND version = ?",
		typ, id, version).Row()
	if err := row.Scan(&lastUpdated, &r.Method, &body); err != nil {
		if isNoRows(err) {
			if _, herr := s.Head(ctx, typ, id); herr != nil {
				return nil, herr
			}
			return nil, fhirerr.NotFoundf("%s/%s has no version %d", typ, id, version)
		}
		return nil, fmt.Errorf("sqlstore.VRead %s/%s/%d: %w", typ, id, version, err)
	}
	if r.Method == "DELETE" {
		return nil, gone(typ, id, version)
	}
	r.LastUpdated = time.UnixMicro(lastUpdated).UTC()
	r.Body = body
	return r, nil
}

func gone(typ, id string, version int64) error {
	return fhirerr.New(fhirerr.Gone, "deleted", "", "%s/%s was deleted (version %d)", typ, id, version)
}

// Write stores the next version of a resource, current row and history row
// in one transaction.
func (s *Store) Write(ctx context.Context, r *fhir.Resource, index []search.Entry) (err error) {
	if !s.inTx {
		return s.InTx(ctx, func(tx store.Store) error { return tx.Write(ctx, r, index) })
	}
	defer s.edge(ctx, &err)
	if err := s.lockType(ctx, r.Type, false); err != nil {
		return err
	}
	lastUpdated := r.LastUpdated.UnixMicro()
	var body any // NULL for a deletion
	if !r.Deleted {
		body = r.Body
	}
	var res sql.Result
	if r.Version == 1 {
		res, err = s.exec(ctx, `INSERT INTO resources (type, id, version, last_updated, deleted, body) VALUES (?, ?, 1, ?, ?, ?)
			ON CONFLICT (type, id) DO NOTHING`, r.Type, r.ID, lastUpdated, r.Deleted, body)
	} else {
		res, err = s.exec(ctx, `UPDATE resources SET version = ?, last_updated = ?, deleted = ?, body = ?
			WHERE type = ? AND id = ? AND version = ?`, r.Version, lastUpdated, r.Deleted, body, r.Type, r.ID, r.Version-1)
	}
	if err != nil {
		return fmt.Errorf("sqlstore.Write %s/%s: %w", r.Type, r.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlstore.Write %s/%s: %w", r.Type, r.ID, err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore.Write %s/%s version %d: %w", r.Type, r.ID, r.Version, store.ErrVersionConflict)
	}
	_, err = s.exec(ctx, `INSERT INTO resource_history (type, id, version, last_updated, method, body) VALUES (?, ?, ?, ?, ?, ?)`,
		r.Type, r.ID, r.Version, lastUpdated, r.Method, body)
	if err != nil {
		return fmt.Errorf("sqlstore.Write %s/%s history: %w", r.Type, r.ID, err)
	}
	if err := s.replaceIndex(ctx, r.Type, r.ID, r.Version > 1, index); err != nil {
		return fmt.Errorf("sqlstore.Write %s/%s index: %w", r.Type, r.ID, err)
	}
	return nil
}

// Missing returns the refs whose targets do not exist or are deleted.
func (s *Store) Missing(ctx context.Context, refs []fhir.Ref) (_ []fhir.Ref, err error) {
	defer s.edge(ctx, &err)
	if len(refs) == 0 {
		return nil, nil
	}
	targets := map[string]bool{}
	var sb strings.Builder
	var args []any
	for _, r := range refs {
		if targets[r.Target()] {
			continue
		}
		targets[r.Target()] = false
		if len(args) > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?)")
		args = append(args, r.Type, r.ID)
	}
	q := "SELECT type, id FROM resources WHERE deleted = ? AND (type, id) IN (" + sb.String() + ")"
	if s.inTx && s.dialect == postgres {
		// Hold the targets as a foreign key would: a concurrent delete (Head
		// takes FOR UPDATE) waits for this writer and then finds its
		// reference; a delete that went first makes this re-check see it.
		// (SQLite's writers are serial already.)
		q += " ORDER BY type, id FOR KEY SHARE"
	}
	rows, err := s.conn(ctx).Raw(q, append([]any{false}, args...)...).Rows()
	if err != nil {
		return nil, fmt.Errorf("sqlstore.Missing: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ, id string
		if err := rows.Scan(&typ, &id); err != nil {
			return nil, fmt.Errorf("sqlstore.Missing: %w", err)
		}
		targets[typ+"/"+id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore.Missing: %w", err)
	}
	var missing []fhir.Ref
	for _, r := range refs {
		if !targets[r.Target()] {
			missing = append(missing, r)
		}
	}
	return missing, nil
}

// History returns a page of versions, newest first.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) (_ *store.HistoryPage, err error) {
	defer s.edge(ctx, &err)
	var where []string
	var args []any
	if q.Type != "" {
		where, args = append(where, "type = ?"), append(args, q.Type)
	}
	if q.ID != "" {
		where, args = append(where, "id = ?"), append(args, q.ID)
	}
	if len(q.Types) > 0 {
		where, args = append(where, "type IN ("+placeholders(len(q.Types))+")"), append(args, strings2any(q.Types)...)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "last_updated >= ?"), append(args, q.Since.UnixMicro())
	}
	filter := ""
	if len(where) > 0 {
		filter = " WHERE " + strings.Join(where, " AND ")
	}
	page := &store.HistoryPage{}
	db := s.conn(ctx)
	if err := db.Raw("SELECT COUNT(*) FROM resource_history"+filter, args...).Row().Scan(&page.Total); err != nil {
		return nil, fmt.Errorf("sqlstore.History: %w", err)
	}
	if q.Before > 0 {
		if filter == "" {
			filter = " WHERE seq < ?"
		} else {
			filter += " AND seq < ?"
		}
		args = append(args, q.Before)
	}
	rows, err := db.Raw("SELECT seq, type, id, version, last_updated, method, body FROM resource_history"+filter+
		" ORDER BY seq DESC LIMIT ?", append(args, q.Count+1)...).Rows()
	if err != nil {
		return nil, fmt.Errorf("sqlstore.History: %w", err)
	}
	defer rows.Close()
	var lastSeq int64
	for rows.Next() {
		r := &fhir.Resource{}
		var seq, lastUpdated int64
		var body []byte
		if err := rows.Scan(&seq, &r.Type, &r.ID, &r.Version, &lastUpdated, &r.Method, &body); err != nil {
			return nil, fmt.Errorf("sqlstore.History: %w", err)
		}
		if len(page.Versions) == q.Count {
			page.Next = lastSeq
			break
		}
		r.LastUpdated = time.UnixMicro(lastUpdated).UTC()
		r.Body = body
		r.Deleted = r.Method == "DELETE"
		page.Versions = append(page.Versions, r)
		lastSeq = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore.History: %w", err)
	}
	return page, nil
}

func isNoRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || errors.Is(err, gorm.ErrRecordNotFound)
}

// Exec runs one administrative statement (tests, the migrate command).
func (s *Store) Exec(ctx context.Context, sql string, args ...any) error {
	if err := s.conn(ctx).Exec(sql, args...).Error; err != nil {
		return fmt.Errorf("sqlstore.Exec: %w", err)
	}
	return nil
}

// dataTables are the tables that hold resources, for RowCounts.
var dataTables = []string{"resources", "resource_history", "idx_string", "idx_token", "idx_reference", "idx_date", "idx_number", "idx_uri",
	"request_records"}

// RowCounts counts the rows of each table holding resource data: what an
// operator checks, and what tests use to prove a failed write left nothing.
func (s *Store) RowCounts(ctx context.Context) (map[string]int64, error) {
	out := make(map[string]int64, len(dataTables))
	for _, t := range dataTables {
		var n int64
		if err := s.conn(ctx).Raw("SELECT COUNT(*) FROM " + t).Row().Scan(&n); err != nil {
			return nil, fmt.Errorf("sqlstore.RowCounts %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}
