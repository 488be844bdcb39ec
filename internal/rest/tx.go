package rest

import (
	"context"
	"errors"

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
// another writer reruns fn from the start, so fn must not keep state from an
// earlier attempt.
func (s *Service) InTx(ctx context.Context, fn func(tx *Service) error) error {
	if s.inTx {
		return fn(s)
	}
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		err = s.store.InTx(ctx, func(st store.Store) error {
			return fn(&Service{store: st, registry: s.registry, now: s.now, inTx: true, hooks: s.hooks, modifiers: s.modifiers})
		})
		if !errors.Is(err, store.ErrVersionConflict) {
			return err
		}
	}
	return fhirerr.Wrap(fhirerr.Conflict, "conflict", err, "resources in this transaction are being changed by others; try again")
}

// DeferReferenceChecks makes a transaction-bound Service collect local
// references instead of checking each write's at once: entries of a
// transaction may refer to resources that later entries create. Call
// CheckDeferred once everything is written.
func (s *Service) DeferReferenceChecks() {
	if s.inTx && s.deferred == nil {
		s.deferred = &[]Unresolved{}
	}
}

// CheckDeferred returns the collected references whose targets do not exist
// (or are deleted) now, and stops collecting.
func (s *Service) CheckDeferred(ctx context.Context) ([]Unresolved, error) {
	if s.deferred == nil {
		return nil, nil
	}
	pending := *s.deferred
	s.deferred = nil
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
