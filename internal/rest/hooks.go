package rest

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Hook carries rules of one resource type that generic FHIR does not have
// (the shared-care workflow registers them: the Task state machine,
// QuestionnaireResponse validation). Hooks run inside the write's
// transaction, with a Service bound to it, on creates, updates and patches
// (and deletes, when they are DeleteHooks too), all through commit.
type Hook interface {
	// BeforeWrite may refuse a write before it is stored. prev is the
	// version being replaced (nil when the resource is new or was deleted);
	// next is the version about to be stored, without its new meta yet.
	BeforeWrite(ctx context.Context, tx *Service, prev *fhir.Resource, next *fhir.Document) error
	// AfterWrite runs once stored has been written, in the same
	// transaction: what it writes (a Provenance) commits with it, and its
	// error rolls the write back.
	AfterWrite(ctx context.Context, tx *Service, prev, stored *fhir.Resource, next *fhir.Document) error
}

// DeleteHook is a Hook that also rules on deletions of its type: prev is
// the current version about to be deleted. Deletes pass the same commit
// path as every other write; a type without rules on them need not say so.
type DeleteHook interface {
	BeforeDelete(ctx context.Context, tx *Service, prev *fhir.Resource) error
}

// Hook registers h for every write of typ. Register hooks before serving:
// the Service is not safe for concurrent registration.
func (s *Service) Hook(typ string, h Hook) {
	if s.hooks == nil {
		s.hooks = map[string][]Hook{}
	}
	s.hooks[typ] = append(s.hooks[typ], h)
}

// bound is the Service carrying out interactions in tx: s itself when it is
// bound to tx already.
func (s *Service) bound(tx store.Store) *Service {
	if s.inTx && s.store == tx {
		return s
	}
	b := s.child(tx)
	b.deferred, b.log = s.deferred, s.log
	return b
}

// Retirer is a Hook whose type has writes that retire a resource: a Task
// cancelled or entered-in-error. Such a write may keep the references its
// previous version held even when their targets are gone (deleted before
// deletes were refused while referred to), so that what a deletion left
// stranded can still be closed; any reference it adds or changes is
// checked as usual.
type Retirer interface {
	Retires(prev *fhir.Resource, next *fhir.Document) bool
}

// kept are the references a retiring write keeps unchecked: those prev
// already held. nil when the write is no retirement.
func (s *Service) kept(ctx context.Context, hooks []Hook, prev *fhir.Resource, next *fhir.Document) map[string]bool {
	if prev == nil || prev.Deleted {
		return nil
	}
	retires := false
	for _, h := range hooks {
		if r, ok := h.(Retirer); ok && r.Retires(prev, next) {
			retires = true
		}
	}
	if !retires {
		return nil
	}
	old, err := fhir.ParseDocument(prev.Body)
	if err != nil {
		return nil // then every reference is checked
	}
	out := map[string]bool{}
	for _, ref := range old.References(baseOf(ctx)) {
		out[ref.Value] = true
	}
	return out
}
