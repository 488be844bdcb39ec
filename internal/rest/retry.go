package rest

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// maxAttempts bounds the attempts at a transaction that keeps losing races
// with other writers. Each attempt starts from scratch and re-reads, so it
// only repeats under heavy contention on the same resources.
const maxAttempts = 20

// Back-off between attempts: a random wait up to a ceiling that doubles from
// retryBase to retryCap, so that the transactions of a deadlock do not meet
// again in the same order at the same moment.
const (
	retryBase = 2 * time.Millisecond
	retryCap  = 200 * time.Millisecond
)

// attempt runs fn in a transaction of st, again from the start (after a
// short jittered pause) when the transaction lost a race: a version
// conflict, a deadlock or a serialization failure (store.ErrVersionConflict).
// It gives up with 409 after maxAttempts, and with Unavailable when ctx ends
// first. what names the contended thing in the 409's message.
func attempt(ctx context.Context, st store.Store, what string, fn func(tx store.Store) error) error {
	var err error
	for n := 0; n < maxAttempts; n++ {
		if n > 0 {
			ceiling := min(retryCap, retryBase<<(n-1))
			pause := time.NewTimer(rand.N(ceiling) + time.Millisecond)
			select {
			case <-ctx.Done():
				pause.Stop()
				return fhirerr.Wrap(fhirerr.Unavailable, "timeout", err,
					what+" kept conflicting with concurrent writes until the request's deadline; try again")
			case <-pause.C:
			}
		}
		resetWarnings(ctx) // what a lost attempt warned of may not hold for the next
		err = st.InTx(ctx, fn)
		if !errors.Is(err, store.ErrVersionConflict) {
			return err
		}
	}
	return fhirerr.Wrap(fhirerr.Conflict, "conflict", err, what+" is being changed by others; try again")
}
