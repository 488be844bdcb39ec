package rest

import (
	"context"
	"net/http"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Write is one write on its way to the store: every create, update, patch
// and delete — plain, conditional, in a transaction, or made by a hook —
// is one, and passes commit.
type Write struct {
	Method   string // POST, PUT, PATCH or DELETE
	Type, ID string
	Version  int64 // the version being written
	// Prev is the current version being replaced or deleted; nil when the
	// resource is new or was deleted.
	Prev *fhir.Resource
	// Next is the resource being written, without its new meta until it is
	// stored; nil for a DELETE.
	Next *fhir.Document
	// Stored is what was stored (for a DELETE, the deletion version), set
	// once it is: observers see it.
	Stored *fhir.Resource
}

// Deleted reports whether w is a deletion.
func (w *Write) Deleted() bool { return w.Method == http.MethodDelete }

// Observer sees every write of every type, inside its transaction, after
// it is stored: the place for what must be recorded with every write (an
// audit record, a Provenance, an outbox event). tx is bound to the write's
// transaction, so what the observer writes commits with it; an error rolls
// the write back.
type Observer interface {
	Observe(ctx context.Context, tx *Service, w Write) error
}

// ObserverFunc is a function as an Observer.
type ObserverFunc func(ctx context.Context, tx *Service, w Write) error

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, tx *Service, w Write) error { return f(ctx, tx, w) }

// Observe registers o for every write. Register before serving, like hooks.
func (s *Service) Observe(o Observer) { s.observers = append(s.observers, o) }

// commit is the one path of every write into tx: protected content is
// guarded, the type's hooks run before and after, the version is stamped,
// checked and stored with its index rows (or the deletion recorded and
// checked for referrers), and then every observer sees it.
func (s *Service) commit(ctx context.Context, tx store.Store, w Write) (*fhir.Resource, error) {
	change := "changed"
	if w.Deleted() {
		change = "deleted"
	}
	if err := s.guard(ctx, w.Type, w.ID, change); err != nil {
		return nil, err
	}
	if w.Prev != nil {
		if err := s.checkCare(ctx, tx, w.Type, w.ID); err != nil {
			return nil, err
		}
	}
	var err error
	if w.Deleted() {
		w.Stored, err = s.storeDeletion(ctx, tx, w)
	} else {
		w.Stored, err = s.storeVersion(ctx, tx, w)
	}
	if err != nil {
		return nil, err
	}
	if err := s.keepCare(ctx, tx, w); err != nil {
		return nil, err
	}
	if len(s.txObservers) > 0 && s.log != nil {
		s.log.add(w)
	}
	if len(s.observers) > 0 {
		bound := s.bound(tx)
		for _, o := range s.observers {
			if err := o.Observe(ctx, bound, w); err != nil {
				return nil, err
			}
		}
	}
	return w.Stored, nil
}

// storeVersion checks w.Next, runs the type's hooks around it and stores it.
func (s *Service) storeVersion(ctx context.Context, tx store.Store, w Write) (*fhir.Resource, error) {
	doc, prev := w.Next, w.Prev
	out := &fhir.Resource{Type: w.Type, ID: w.ID, Version: w.Version, LastUpdated: s.now(), Method: w.Method}
	if err := s.checkContent(doc); err != nil {
		return nil, err
	}
	hooks := s.hooks[out.Type]
	var bound *Service
	if len(hooks) > 0 {
		bound = s.bound(tx)
		for _, h := range hooks {
			if err := h.BeforeWrite(ctx, bound, prev, doc); err != nil {
				return nil, err
			}
		}
	}
	doc.SetVersion(w.Version, out.LastUpdated)
	body, err := doc.Marshal()
	if err != nil {
		return nil, err
	}
	out.Body = body
	if err := s.checkReferences(ctx, tx, out.Type, out.ID, doc, s.kept(ctx, hooks, prev, doc)); err != nil {
		return nil, err
	}
	if err := tx.Write(ctx, out, s.registry.Params().Index(out.Type, doc.Tree())); err != nil {
		return nil, err
	}
	for _, h := range hooks {
		if err := h.AfterWrite(ctx, bound, prev, out, doc); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// storeDeletion runs the type's delete hooks and records the deletion of
// w.Prev, refused while current resources refer to it (checked at the end
// of a transaction, whose other entries may remove the references).
func (s *Service) storeDeletion(ctx context.Context, tx store.Store, w Write) (*fhir.Resource, error) {
	hooks := s.hooks[w.Type]
	for _, h := range hooks {
		if d, ok := h.(DeleteHook); ok {
			if err := d.BeforeDelete(ctx, s.bound(tx), w.Prev); err != nil {
				return nil, err
			}
		}
	}
	del := &fhir.Resource{Type: w.Type, ID: w.ID, Version: w.Version, LastUpdated: s.now(), Deleted: true, Method: w.Method}
	if err := tx.Write(ctx, del, nil); err != nil {
		return nil, err
	}
	target := fhir.Ref{Type: w.Type, ID: w.ID, Value: w.Type + "/" + w.ID}
	if s.deferred != nil { // a transaction: its other entries may still remove the references
		s.deferred.deleted = append(s.deferred.deleted, target)
		return del, nil
	}
	referenced, err := s.checkReferrers(ctx, tx, []fhir.Ref{target})
	if err != nil {
		return nil, err
	}
	if referenced != nil {
		return nil, s.referencedError(referenced)
	}
	return del, nil
}
