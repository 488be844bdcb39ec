package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// The cases of concurrency and deadlines: conditional-write locks, deadlocks
// as conflicts, and transactions that end with their context.

// holdLock locks typ in a transaction of its own until release is closed.
// It returns once the lock is held, and a channel with the transaction's result.
func holdLock(t *testing.T, s store.Store, typ string, release <-chan struct{}) <-chan error {
	t.Helper()
	locked, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.InTx(context.Background(), func(tx store.Store) error {
			if err := tx.Lock(context.Background(), typ); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	select {
	case <-locked:
	case err := <-done:
		t.Fatalf("holding the %s lock: %v", typ, err)
	}
	return done
}

// testLockKeepsOutWrites: a plain write of a type waits while a conditional
// write holds the type's lock, so a conditional search-then-write is atomic
// against it, and lands once the lock is released.
func testLockKeepsOutWrites(t *testing.T, s store.Store) {
	release := make(chan struct{})
	held := holdLock(t, s, "Patient", release)
	wrote := make(chan error, 1)
	go func() { wrote <- s.Write(context.Background(), version("Patient", "plain", 1, t0, `{}`), nil) }()
	select {
	case err := <-wrote:
		t.Fatalf("a Patient write finished (%v) while another transaction held the Patient lock", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatalf("the queued write: %v", err)
	}
}

// testDeadlockIsConflict: transactions locking the same two resources in
// opposite orders may deadlock; the one the database aborts must fail with
// ErrVersionConflict (retry it), never an internal error.
func testDeadlockIsConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustWrite(t, s, version("Patient", "a", 1, t0, `{}`))
	mustWrite(t, s, version("Patient", "b", 1, t0, `{}`))
	const pairs = 3
	var wg sync.WaitGroup
	errs := make(chan error, 2*pairs)
	for p := 0; p < pairs; p++ {
		var both sync.WaitGroup // both transactions hold their first lock
		both.Add(2)
		for _, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				first := true
				errs <- s.InTx(ctx, func(tx store.Store) error {
					if _, err := tx.Head(ctx, "Patient", order[0]); err != nil {
						return err
					}
					if first { // a backend with one writer at a time never gets here twice at once
						first = false
						both.Done()
						waitAtMost(&both, 300*time.Millisecond)
					}
					_, err := tx.Head(ctx, "Patient", order[1])
					return err
				})
			}()
		}
		wg.Wait()
	}
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, store.ErrVersionConflict) {
			t.Errorf("InTx = %v (kind %v), want nil or ErrVersionConflict", err, fhirerr.KindOf(err))
		}
	}
}

func waitAtMost(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// testTxEndsWithDeadline: a transaction whose context ends while it runs is
// rolled back, never committed, and fails with Unavailable; one whose
// context has already ended never starts.
func testTxEndsWithDeadline(t *testing.T, s store.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := s.InTx(ctx, func(tx store.Store) error {
		if err := tx.Write(ctx, version("Patient", "late", 1, fhir.Now(), `{}`), nil); err != nil {
			return err
		}
		<-ctx.Done() // the work outlasts the deadline
		return nil
	})
	wantKind(t, err, fhirerr.Unavailable)
	_, err = s.Read(context.Background(), "Patient", "late")
	wantKind(t, err, fhirerr.NotFound)

	ran := false
	err = s.InTx(ctx, func(tx store.Store) error { ran = true; return nil })
	wantKind(t, err, fhirerr.Unavailable)
	if ran {
		t.Error("InTx ran fn with a context that had already ended")
	}
	_, err = s.Read(ctx, "Patient", "late")
	wantKind(t, err, fhirerr.Unavailable)
}

// testLockWaitEndsWithDeadline: a transaction waiting for a lock gives up
// with Unavailable at its deadline, not when the holder lets go.
func testLockWaitEndsWithDeadline(t *testing.T, s store.Store) {
	release := make(chan struct{})
	held := holdLock(t, s, "Patient", release)
	defer func() {
		close(release)
		if err := <-held; err != nil {
			t.Error(err)
		}
	}()
	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err := s.InTx(ctx, func(tx store.Store) error { return tx.Lock(ctx, "Patient") })
	wantKind(t, err, fhirerr.Unavailable)
	if elapsed := time.Since(start); elapsed > deadline+time.Second {
		t.Errorf("gave up after %v, want about %v", elapsed, deadline)
	}
}
