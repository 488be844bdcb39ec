package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// InTx runs fn in one transaction. Nested calls join the outer transaction.
//
// The transaction ends with ctx: on PostgreSQL its statement_timeout is the
// time left to ctx's deadline, a ctx that ends while fn runs rolls it back
// (database/sql does that for a transaction begun with ctx), and it is never
// committed once ctx has ended, so a client that was told nothing never has
// its write stored behind its back.
//
// On SQLite, write transactions queue here, one at a time, for as long as
// ctx allows: SQLite has one writer anyway, and queueing in-process keeps
// them off busy_timeout, which failed large concurrent transactions with
// SQLITE_BUSY. A transaction that cannot start before ctx ends fails with
// Unavailable.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) (err error) {
	if s.inTx {
		return fn(s)
	}
	if err := ctx.Err(); err != nil {
		return timedOut(err)
	}
	if s.writers != nil {
		if err := s.writers.Acquire(ctx, 1); err != nil {
			return fhirerr.Wrap(fhirerr.Unavailable, "transient", err,
				"the database is busy with other writes and this one could not start within the request's deadline; try again shortly")
		}
		defer s.writers.Release(1)
	}
	state := &txState{locks: map[string]bool{}}
	err = s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		tx := &Store{db: db, dialect: s.dialect, inTx: true, tx: state, searches: s.searches}
		if err := tx.boundStatements(ctx); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return ctx.Err() // past the deadline: roll back rather than commit
	})
	if err == nil {
		return nil
	}
	if state.fault != nil {
		// However fn reported it, the transaction failed because of this.
		return fmt.Errorf("sqlstore.InTx: %w", state.fault)
	}
	return classify(ctx, err)
}

// boundStatements gives the transaction's statements the time left to ctx's
// deadline as their statement_timeout, so PostgreSQL itself stops work that
// nobody will wait for (a lock wait included), even when the cancel request
// sent at the deadline cannot reach it.
func (s *Store) boundStatements(ctx context.Context) (err error) {
	defer s.edge(ctx, &err)
	deadline, ok := ctx.Deadline()
	if !ok || s.dialect != postgres {
		return nil
	}
	ms := time.Until(deadline).Milliseconds()
	if ms < 1 {
		return timedOut(context.DeadlineExceeded)
	}
	if err := s.conn(ctx).Exec("SELECT set_config('statement_timeout', ?, true)", strconv.FormatInt(ms, 10)).Error; err != nil {
		return fmt.Errorf("sqlstore.InTx: statement_timeout: %w", err)
	}
	return nil
}

// Lock gives this transaction the conditional-write lock of resource type
// typ until it ends (see store.Store). On PostgreSQL it is an advisory lock
// that every write of typ takes in shared mode (Head inside a transaction,
// Write); SQLite runs one write transaction at a time, so there it only
// checks it is in one.
func (s *Store) Lock(ctx context.Context, typ string) (err error) {
	defer s.edge(ctx, &err)
	return s.lockType(ctx, typ, true)
}
