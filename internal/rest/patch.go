package rest

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/store"
)

// PatchKind says how to read a patch document.
type PatchKind int

// The two patch formats R4 names (http.html#patch).
const (
	JSONPatch     PatchKind = iota + 1 // RFC 6902, application/json-patch+json
	FHIRPathPatch                      // a Parameters resource (fhirpatch.html)
)

// Patch is a patch document.
type Patch struct {
	Kind PatchKind
	Body []byte
}

// Patch applies p to the current version of typ/id and stores the result as
// the next version, validated like any update. ifMatch, when not zero, is the
// version the client expects to patch.
func (s *Service) Patch(ctx context.Context, typ, id string, p Patch, ifMatch int64) (out *fhir.Resource, err error) {
	if err := s.supported(typ, registry.Patch); err != nil {
		return nil, err
	}
	if err := checkID(typ, id); err != nil {
		return nil, err
	}
	err = s.retry(ctx, func(tx *Service) error {
		out, err = tx.patch(ctx, tx.store, typ, id, p, ifMatch)
		return err
	})
	return out, err
}

// ConditionalPatch patches the resource of typ that criteria select: no
// match is 404, more than one 412.
func (s *Service) ConditionalPatch(ctx context.Context, typ, criteria string, p Patch, ifMatch int64) (out *fhir.Resource, err error) {
	if err := s.supported(typ, registry.Patch); err != nil {
		return nil, err
	}
	err = s.retry(ctx, func(tx *Service) error {
		match, err := tx.matchOne(ctx, tx.store, typ, criteria, "the conditional URL")
		switch {
		case err != nil:
			return err
		case match == nil:
			return fhirerr.NotFoundf("no %s matches %q: nothing to patch", typ, criteria)
		}
		out, err = tx.patch(ctx, tx.store, typ, match.ID, p, ifMatch)
		return err
	})
	return out, err
}

func (s *Service) patch(ctx context.Context, tx store.Store, typ, id string, p Patch, ifMatch int64) (*fhir.Resource, error) {
	head, err := tx.Head(ctx, typ, id)
	if err != nil {
		return nil, err
	}
	if head.Deleted {
		return nil, fhirerr.New(fhirerr.Gone, "deleted", "", "%s/%s was deleted (version %d): nothing to patch", typ, id, head.Version)
	}
	if ifMatch != 0 && ifMatch != head.Version {
		return nil, preconditionFailed(typ, id, ifMatch, head.Version)
	}
	body, err := applyPatch(head.Body, p)
	if err != nil {
		return nil, err
	}
	doc, err := parse(typ, body)
	if err != nil {
		return nil, err
	}
	if doc.ID() != id {
		return nil, fhirerr.New(fhirerr.Unprocessable, "processing", typ+".id", "a patch cannot change the resource's id")
	}
	return s.write(ctx, tx, doc, head, head.Version+1, "PATCH")
}
