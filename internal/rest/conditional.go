package rest

import (
	"context"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Conditional interactions (http.html#cond-update and friends) find their
// target by search. The search and the write share one transaction, and the
// resource type is locked first (store.Store.Lock), so the search-then-write
// is atomic: racing conditional requests on a type queue, the second sees
// what the first wrote.
//
// The lock is the whole type, not the criteria: any two criteria on a type
// can match the same resource (identifier=S|V, identifier=V and
// identifier=S|V&_id:missing=false are one condition spelled three ways, and
// family=X and birthdate=Y both match a new Patient that has both), so no
// finer key is correct without knowing every body in flight. Plain writes of
// the type take the same lock shared: a plain update racing a conditional
// one cannot slip a change in between the latter's search and write (which
// would let a conditional update or delete act on a resource that no longer
// matches), yet plain writes never wait for each other. Conditional writes
// are few next to plain ones, so queueing them per type costs little.

// Match returns the current resources of typ matching criteria (a query
// string such as "identifier=sys|1"), at most two: enough to tell none, one
// and many apart. It must run inside InTx.
func (s *Service) Match(ctx context.Context, typ, criteria string) ([]*fhir.Resource, error) {
	if !s.inTx {
		return nil, fhirerr.New(fhirerr.Internal, "exception", "", "rest.Match outside a transaction")
	}
	return s.match(ctx, s.store, typ, criteria, "the search criteria")
}

// match locks criteria and searches with them in tx. what names the criteria
// in messages ("If-None-Exist", "the conditional URL").
func (s *Service) match(ctx context.Context, tx store.Store, typ, criteria, what string) ([]*fhir.Resource, error) {
	criteria = strings.TrimPrefix(strings.TrimPrefix(criteria, typ), "?")
	values, err := search.ParseQuery(criteria)
	if err != nil {
		return nil, fhirerr.Invalidf("", "%s: %v", what, err)
	}
	for _, k := range resultParams {
		values.Del(k) // paging, sorting and includes mean nothing here
	}
	if len(values) == 0 {
		return nil, fhirerr.Invalidf("", "%s %q has no search criteria", what, criteria)
	}
	q, err := s.query(ctx, typ, values, true) // strict: an ignored criterion would widen the match
	if err != nil {
		return nil, err
	}
	q.Count, q.Total = 2, "none"
	if err := tx.Lock(ctx, typ); err != nil {
		return nil, err
	}
	page, err := tx.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	return page.Resources, nil
}

// resultParams shape a search's results rather than select resources.
var resultParams = []string{"_count", "_sort", "_include", "_revinclude", "_summary", "_elements",
	"_total", "_format", "_pretty", "_contained", "_containedType"}

// matchOne is match for interactions that act on one resource: nil when
// nothing matches, 412 when more than one does.
func (s *Service) matchOne(ctx context.Context, tx store.Store, typ, criteria, what string) (*fhir.Resource, error) {
	matches, err := s.match(ctx, tx, typ, criteria, what)
	switch {
	case err != nil:
		return nil, err
	case len(matches) > 1:
		return nil, fhirerr.New(fhirerr.PreconditionFailed, "multiple-matches", "",
			"%s %q matches more than one %s: make the criteria more selective", what, criteria, typ)
	case len(matches) == 1:
		return matches[0], nil
	}
	return nil, nil
}

// ConditionalUpdate stores body as the resource of typ that criteria
// select: none creates it (with the body's id when it has one, as an
// update-as-create), one updates it (the body's id, if any, must be the
// match's), more than one fails with 412.
func (s *Service) ConditionalUpdate(ctx context.Context, typ, criteria string, body []byte, ifMatch int64) (out *fhir.Resource, created bool, err error) {
	if err := s.supported(typ, registry.Update); err != nil {
		return nil, false, err
	}
	res, err := parse(typ, body)
	if err != nil {
		return nil, false, err
	}
	bodyID := res.ID()
	if bodyID != "" {
		if err := checkID(typ, bodyID); err != nil {
			return nil, false, err
		}
	}
	err = s.retry(ctx, func(tx *Service) error {
		match, err := tx.matchOne(ctx, tx.store, typ, criteria, "the conditional URL")
		switch {
		case err != nil:
			return err
		case match == nil && bodyID == "":
			res.SetID(fhir.NewID())
		case match != nil && bodyID != "" && bodyID != match.ID:
			return fhirerr.Invalidf(typ+".id", "the id in the body (%q) is not the id of the resource the criteria select (%q)", bodyID, match.ID)
		case match != nil:
			res.SetID(match.ID)
		}
		out, created, err = tx.put(ctx, tx.store, res, ifMatch, "PUT")
		return err
	})
	return out, created, err
}

// ConditionalDelete deletes the resource of typ that criteria select. No
// match is an ordinary delete of nothing; more than one fails with 412.
// It returns the deleted resource's id ("" when none).
func (s *Service) ConditionalDelete(ctx context.Context, typ, criteria string, ifMatch int64) (id string, out Deleted, err error) {
	if err := s.supported(typ, registry.Delete); err != nil {
		return "", Deleted{}, err
	}
	err = s.retry(ctx, func(tx *Service) error {
		id, out = "", Deleted{}
		match, err := tx.matchOne(ctx, tx.store, typ, criteria, "the conditional URL")
		if err != nil || match == nil {
			return err
		}
		id = match.ID
		out, err = tx.delete(ctx, tx.store, typ, id, ifMatch)
		return err
	})
	return id, out, err
}
