package rest

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Hook carries rules of one resource type that generic FHIR does not have
// (the shared-care workflow registers them: the Task state machine,
// QuestionnaireResponse validation). Hooks run inside the write's
// transaction, with a Service bound to it, on creates, updates and patches.
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
	return &Service{store: tx, registry: s.registry, now: s.now, inTx: true, hooks: s.hooks, deferred: s.deferred, modifiers: s.modifiers}
}
