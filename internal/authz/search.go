package authz

import (
	"context"
	"net/url"
	"strings"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Search authorises a search of typ with values (type level or within a
// compartment). It returns the restriction to AND into the query when a
// single granular scope is what grants it and the request does not carry
// it already; nil otherwise.
func Search(p auth.Principal, params *search.Params, typ string, values url.Values) (url.Values, error) {
	if Full(p, scope.Search) {
		return nil, nil
	}
	var add url.Values
	if !p.Allows(typ, scope.Search) {
		restrictions := p.Scopes.Restrictions(typ, scope.Search)
		switch {
		case len(restrictions) == 0:
			return nil, Forbidden(doing(scope.Search, typ), typ, scope.Search)
		case granted(values, restrictions):
		case len(restrictions) == 1:
			add = restrictions[0]
		default:
			return nil, granularForbidden(typ, restrictions)
		}
	}
	return add, Chains(p, params, typ, values)
}

// Chains refuses a chained parameter or _has that passes through a type p
// may not search: what it matches would tell whether such resources exist.
// A chain without a :Type modifier passes through every type its reference
// parameter may target (that has the inner parameter).
func Chains(p auth.Principal, params *search.Params, typ string, values url.Values) error {
	if Full(p, scope.Search) {
		return nil
	}
	for key, vs := range values {
		if !strings.HasPrefix(key, "_has:") && !strings.Contains(key, ".") {
			continue
		}
		q, err := params.Parse(typ, url.Values{key: vs}, false)
		if err != nil {
			continue // the search itself reports it, before any SQL
		}
		var types []string
		for i := range q.Clauses {
			types = through(&q.Clauses[i], types)
		}
		for _, t := range types {
			if !p.Allows(t, scope.Search) {
				return Forbidden("the search parameter "+fhirerr.Clip(key, fhirerr.MaxQuoted)+" searches "+t+", and searching "+t, t, scope.Search)
			}
		}
	}
	return nil
}

// through appends the types c's chains and _has pass through.
func through(c *search.Clause, types []string) []string {
	if c == nil {
		return types
	}
	if c.Chain != nil {
		for _, t := range c.Chain.Targets {
			types = through(t.Inner, append(types, t.Type))
		}
	}
	if c.Has != nil {
		types = through(c.Has.Inner, append(types, c.Has.Type))
	}
	return types
}

// Types narrows a search or history across types (served: every type that
// may be searched) to those p may search. requested are the types the
// request names (_type), none for all: naming one p may not search is a
// 403. It returns nil when no narrowing is needed.
func Types(p auth.Principal, served, requested []string) ([]string, error) {
	if Full(p, scope.Search) {
		return nil, nil
	}
	for _, t := range requested {
		if !p.Allows(t, scope.Search) {
			return nil, Forbidden("_type names "+t+": searching "+t, t, scope.Search)
		}
	}
	if len(requested) > 0 {
		return nil, nil
	}
	var out []string
	for _, t := range served {
		if p.Allows(t, scope.Search) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, Forbidden("searching across types (at least one type)", "*", scope.Search)
	}
	return out, nil
}

// Searcher runs a search: rest.Service.
type Searcher interface {
	Search(ctx context.Context, typ string, values url.Values, strict bool) (*search.Query, *store.SearchPage, error)
}

// Covered authorises reading typ/id (read, vread, history of the instance)
// for p. Without an unrestricted r on typ, the resource (its current
// version) must match one of p's granular scopes on typ, which a search
// _id=id&<restriction> decides; whether it exists or not, a resource no
// scope covers is a 403, so the answer leaks nothing.
func Covered(ctx context.Context, p auth.Principal, s Searcher, typ, id string) error {
	if p.Allows(typ, scope.Read) {
		return nil
	}
	for _, r := range p.Scopes.Restrictions(typ, scope.Read) {
		values := url.Values{"_id": {id}, "_count": {"1"}, "_total": {"none"}}
		for k, v := range r {
			values[k] = append(values[k], v...)
		}
		_, page, err := s.Search(ctx, typ, values, true)
		if fhirerr.Is(err, fhirerr.Invalid) {
			continue // a restriction this server cannot search by covers nothing
		}
		if err != nil {
			return err
		}
		if len(page.Resources) > 0 {
			return nil
		}
	}
	return Forbidden(doing(scope.Read, typ)+"/"+id, typ, scope.Read)
}

// MayRead reports whether read of typ is granted to p by some scope,
// unrestricted or granular (Covered then decides for one resource).
func MayRead(p auth.Principal, typ string) bool {
	return p.Allows(typ, scope.Read) || len(p.Scopes.Restrictions(typ, scope.Read)) > 0
}
