package rest

import (
	"context"
	"slices"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Unresolved is a local reference whose target did not exist when checked.
type Unresolved struct {
	Source string   // Type/id of the resource holding the reference
	Ref    fhir.Ref // the reference, with its path in the source
}

// InTx runs fn with a Service bound to one store transaction: every
// interaction fn carries out commits together or not at all. A lost race with
// another writer (a version conflict, a deadlock, a serialization failure)
// reruns fn from the start, so fn must not keep state from an earlier attempt.
func (s *Service) InTx(ctx context.Context, fn func(tx *Service) error) error {
	if s.inTx {
		return fn(s)
	}
	return s.transact(ctx, "a resource in this transaction", fn)
}

// transact runs fn in a new transaction, bound to a Service of its own,
// retried as attempt does; once fn succeeds, the transaction observers see
// what it wrote before it commits.
func (s *Service) transact(ctx context.Context, what string, fn func(tx *Service) error) error {
	return attempt(ctx, s.store, what, func(st store.Store) error {
		tx := s.child(st)
		if err := fn(tx); err != nil {
			return err
		}
		return tx.finish(ctx)
	})
}

// LockInOrder locks the existing resources among targets (Type/id) until
// the transaction ends, in sorted order. Writers lock what they change as
// they go (store.Store.Head), so transactions changing the same resources in
// different orders would deadlock; taking the locks up front, in the same
// order everywhere, makes them queue instead. The store breaks any deadlock
// this cannot foresee (resources written by hooks, conditional matches) and
// InTx retries it, but each one costs PostgreSQL's deadlock_timeout.
func (s *Service) LockInOrder(ctx context.Context, targets []string) error {
	if !s.inTx {
		return fhirerr.New(fhirerr.Internal, "exception", "", "rest.LockInOrder outside a transaction")
	}
	sorted := slices.Clone(targets)
	slices.Sort(sorted)
	for _, target := range slices.Compact(sorted) {
		typ, id, _ := strings.Cut(target, "/")
		if _, err := s.store.Head(ctx, typ, id); err != nil && !fhirerr.Is(err, fhirerr.NotFound) {
			return err
		}
	}
	return nil
}

// DeferReferenceChecks makes a transaction-bound Service collect local
// references and deletions instead of checking each write's at once:
// entries of a transaction may refer to resources that later entries
// create, and may delete a resource together with what refers to it. Call
// CheckDeferred once everything is written.
func (s *Service) DeferReferenceChecks() {
	if s.inTx && s.deferred == nil {
		s.deferred = &deferredChecks{}
	}
}

// CheckDeferred checks what DeferReferenceChecks collected against the
// transaction's state now, and stops collecting. unresolved are the
// references whose targets do not exist (or are deleted); referenced, when
// not nil, reports deleted resources that current resources (including
// those the transaction wrote, and not those it deleted) still refer to.
func (s *Service) CheckDeferred(ctx context.Context) (unresolved []Unresolved, referenced *Referenced, err error) {
	if s.deferred == nil {
		return nil, nil, nil
	}
	pending := s.deferred
	s.deferred = nil
	if unresolved, err = s.unresolved(ctx, pending.refs); err != nil || len(unresolved) > 0 {
		return unresolved, nil, err
	}
	referenced, err = s.checkReferrers(ctx, s.store, pending.deleted)
	return nil, referenced, err
}

func (s *Service) unresolved(ctx context.Context, pending []Unresolved) ([]Unresolved, error) {
	refs := make([]fhir.Ref, len(pending))
	for i, p := range pending {
		refs[i] = p.Ref
	}
	missing, err := s.store.Missing(ctx, refs)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	gone := map[string]bool{}
	for _, m := range missing {
		gone[m.Target()] = true
	}
	var out []Unresolved
	for _, p := range pending {
		if gone[p.Ref.Target()] {
			out = append(out, p)
		}
	}
	return out, nil
}

// MissingIssue describes an unresolved reference as an OperationOutcome
// issue at the reference's path.
func MissingIssue(u Unresolved) fhirerr.Issue { return missingIssue(u.Ref) }
