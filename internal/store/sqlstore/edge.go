package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// The store's edge: every error leaving an exported method passes through
// classify, so callers see three families only —
//
//   - store.ErrVersionConflict: this transaction lost a race (a version
//     conflict, a deadlock, a serialization failure, a lock timeout); nothing
//     was written and the whole transaction may be retried;
//   - fhirerr.Unavailable: the database is down, refusing connections, or
//     did not answer within the caller's deadline; retry later (503);
//   - fhirerr kinds raised here (NotFound, Gone, ...) and internal errors.
//
// Driver errors surface in many places (Head's FOR UPDATE, Missing, Search,
// index writes, the COMMIT itself), so the classification is one function
// applied at every exit rather than a translate() call at some of them.

// txState is what one transaction remembers across the stores bound to it.
type txState struct {
	// fault is the first conflict or unavailability any statement of the
	// transaction met. On PostgreSQL such an error aborts the transaction, so
	// however fn wrapped (or swallowed) it, the transaction's outcome is this.
	fault error
	// locks holds the resource types this transaction has locked for
	// conditional writes: true exclusive, false shared.
	locks map[string]bool
}

// edge classifies *errp as it leaves an exported method, and records a
// conflict or unavailability in the transaction, if any.
func (s *Store) edge(ctx context.Context, errp *error) {
	err := *errp
	if err == nil {
		return
	}
	var fe *fhirerr.Error
	if errors.Is(err, store.ErrVersionConflict) || errors.As(err, &fe) {
		return // raised here, not by the database: the transaction goes on
	}
	*errp = classify(ctx, err)
	if s.tx != nil && s.tx.fault == nil && (errors.Is(*errp, store.ErrVersionConflict) || fhirerr.Is(*errp, fhirerr.Unavailable)) {
		s.tx.fault = *errp
	}
}

// classify maps a driver error to store.ErrVersionConflict, an Unavailable
// fhirerr, or leaves it alone.
func classify(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, store.ErrVersionConflict) {
		return err
	}
	var fe *fhirerr.Error
	if errors.As(err, &fe) {
		return err // already classified
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case code == "23505", // unique_violation: a concurrent create of the same id
			code == "40001", // serialization_failure
			code == "40P01", // deadlock_detected
			code == "55P03": // lock_not_available
			return fmt.Errorf("%w: %w", store.ErrVersionConflict, err)
		case code == "57014": // query_canceled: statement_timeout or our cancel request at the deadline
			return timedOut(err)
		case strings.HasPrefix(code, "08"), // connection exceptions
			strings.HasPrefix(code, "53"),                     // insufficient resources, too_many_connections
			code == "57P01", code == "57P02", code == "57P03": // admin/crash shutdown, cannot connect now
			return unavailable(err)
		}
		return err
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || pgconn.Timeout(err) {
		return timedOut(err)
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	switch {
	case errors.As(err, &netErr), errors.As(err, &connectErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return unavailable(err)
	}
	if msg := err.Error(); strings.Contains(msg, "UNIQUE constraint failed") { // SQLite
		return fmt.Errorf("%w: %w", store.ErrVersionConflict, err)
	} else if strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") {
		// Another process holds SQLite's write lock past busy_timeout (this
		// process's own writers queue in InTx and never get here).
		return unavailable(err)
	}
	return err
}

func unavailable(cause error) error {
	return fhirerr.Wrap(fhirerr.Unavailable, "transient", cause,
		"the database is unavailable; try again shortly")
}

func timedOut(cause error) error {
	return fhirerr.Wrap(fhirerr.Unavailable, "timeout", cause,
		"the database did not answer within the request's deadline; try again shortly")
}

// lockKey is the advisory lock of a resource type's conditional writes.
func lockKey(typ string) string { return "conditional:" + typ }

// lockType takes the lock of resource type typ for this transaction, held
// until it ends: exclusive for a conditional interaction, shared for any
// other write of typ. A type already locked (as strongly) is not locked again.
func (s *Store) lockType(ctx context.Context, typ string, exclusive bool) error {
	if s.tx == nil {
		return fmt.Errorf("sqlstore.Lock %s: not in a transaction", typ)
	}
	if s.dialect != postgres {
		return nil // SQLite runs one write transaction at a time (see InTx)
	}
	if held, ok := s.tx.locks[typ]; ok && (held || !exclusive) {
		return nil
	}
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		// A transaction never conflicts with itself, so taking exclusive over
		// its own shared lock waits only for the others.
		fn = "pg_advisory_xact_lock"
	}
	if err := s.conn(ctx).Exec("SELECT "+fn+"(hashtextextended(?, 0))", lockKey(typ)).Error; err != nil {
		return fmt.Errorf("sqlstore.Lock %s: %w", typ, err)
	}
	s.tx.locks[typ] = exclusive
	return nil
}

// searchSlot waits (as long as ctx allows) for one of the search slots,
// which hold at most half the connection pool: a crowd of slow searches
// then queues among itself while reads and writes still find connections.
// A search inside a transaction already has its connection and takes none.
func (s *Store) searchSlot(ctx context.Context) (release func(), err error) {
	if s.inTx || s.searches == nil {
		return func() {}, nil
	}
	if err := s.searches.Acquire(ctx, 1); err != nil {
		return nil, fhirerr.Wrap(fhirerr.Unavailable, "transient", err,
			"the server is busy with other searches and this one could not start within the request's deadline; try again shortly")
	}
	return func() { s.searches.Release(1) }, nil
}
