package router

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/authz"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/search"
)

// Every interaction is authorised by the caller's SMART scopes (see
// internal/authz) in decorate, before its handler runs any SQL; a
// transaction's entries are all checked before it starts (preflight), and a
// batch's each as it runs. A context naming nobody is anonymous and may do
// nothing but read the CapabilityStatement.
//
// What each interaction needs: read, vread and history of an instance r
// (or a granular scope the resource matches); search (type, compartment,
// system), type and system history s; create c; update and patch u;
// delete d; a conditional create, update, patch or delete s besides, for
// its criteria are a search. An update that creates the resource (PUT of a
// new id, or a conditional update matching nothing) needs c as well, which
// rest checks once it knows. $operations need what their
// OperationDefinitions declare (registry.ScopeExtension).

// authorize refuses r when the caller's scopes do not permit it, or when
// it reads or changes a resource of a patient the caller's organization has
// no care relationship with (rest.CheckCare).
func (rt *Router) authorize(ctx context.Context, r *Request) error {
	p := auth.PrincipalFrom(ctx)
	if p.IsSystem() || p.Unrestricted {
		return nil
	}
	if err := rt.check(p, r); err != nil {
		return err
	}
	switch r.kind {
	case KindRead, KindVRead, KindHistoryInstance:
		if err := authz.Covered(ctx, p, r.Service, r.Type, r.ID); err != nil {
			return err
		}
		return r.Service.CheckCare(ctx, r.Type, r.ID) // writes: in rest's commit
	case KindHistoryType, KindHistorySystem:
		return r.Service.CheckCareHistory(ctx, r.Type)
	}
	return nil
}

// check is authorize without the database: all a transaction's preflight
// can ask before anything runs. It narrows r where that grants it: a
// granular scope's restriction ANDed into a search, a system search's or
// history's types.
func (rt *Router) check(p auth.Principal, r *Request) error {
	switch r.kind {
	case KindCapabilities, KindBatch, KindTransaction: // the entries are checked
		return nil
	case KindRead, KindVRead, KindHistoryInstance:
		if authz.MayRead(p, r.Type) {
			return nil
		}
		return authz.Need(p, r.Type, scope.Read)
	case KindSearchType, KindSearchCompartment:
		if authz.Full(p, scope.Search) {
			return nil // without reading the query: a full-access token's searches cost nothing here
		}
		values, err := r.searchValues()
		if err != nil {
			return err
		}
		add, err := authz.Search(p, rt.opts.Registry.Params(), r.Type, values)
		if err != nil || add == nil {
			return err
		}
		r.Query = cloneValues(r.Query)
		for k, v := range add {
			r.Query[k] = append(r.Query[k], v...)
		}
		return nil
	case KindSearchSystem:
		if authz.Full(p, scope.Search) {
			return nil
		}
		types, err := authz.Types(p, rt.searchable(), requestedTypes(r))
		if err != nil || types == nil {
			return err
		}
		r.Query = cloneValues(r.Query)
		r.Query.Set("_type", strings.Join(types, ","))
		return nil
	case KindHistoryType:
		return authz.Need(p, r.Type, scope.Search)
	case KindHistorySystem:
		if authz.Full(p, scope.Search) {
			return nil
		}
		types, err := authz.Types(p, rt.searchable(), nil)
		r.types = types
		return err
	case KindCreate:
		return rt.need(p, r, scope.Create, r.Header.Get("If-None-Exist") != "")
	case KindUpdate, KindPatch:
		return rt.need(p, r, scope.Update, r.ID == "")
	case KindDelete:
		return rt.need(p, r, scope.Delete, r.ID == "")
	case KindOperation:
		return rt.checkOperation(p, r)
	}
	return authz.Forbidden("the interaction "+string(r.kind), "*", scope.All)
}

// need checks perm on r's type and, when the interaction is conditional,
// its criteria.
func (rt *Router) need(p auth.Principal, r *Request, perm scope.Permission, conditional bool) error {
	if err := authz.Need(p, r.Type, perm); err != nil || !conditional || authz.Full(p, scope.Search) {
		return err
	}
	values := r.Query
	if inx := r.Header.Get("If-None-Exist"); inx != "" {
		var err error
		if values, err = search.ParseQuery(strings.TrimPrefix(strings.TrimPrefix(inx, r.Type), "?")); err != nil {
			return err
		}
	}
	return rt.criteria(p, r.Type, "the conditional "+string(r.kind), values)
}

// criteria checks the search that conditional criteria on typ are: s on
// typ (unrestricted: a granular scope's restriction would change what they
// match) and on every type their chains pass through.
func (rt *Router) criteria(p auth.Principal, typ, what string, values url.Values) error {
	if !p.Allows(typ, scope.Search) {
		return authz.Forbidden(what+" searches "+typ+": searching "+typ, typ, scope.Search)
	}
	return authz.Chains(p, rt.opts.Registry.Params(), typ, values)
}

// checkOperation checks the scopes r's operation declares; Resource in a
// declaration is the type the operation runs on.
func (rt *Router) checkOperation(p auth.Principal, r *Request) error {
	op, ok := rt.operation(r.Operation)
	if !ok || len(op.Scopes) == 0 {
		return authz.Forbidden("$"+r.Operation+" declares no scopes, so only the server may invoke it; it", "*", scope.All)
	}
	for _, s := range op.Scopes {
		typ := s.Type
		if typ == "Resource" {
			typ = r.Type
			if typ == "" {
				typ = "*"
			}
		}
		if !p.Allows(typ, s.Perms) {
			return authz.Forbidden("$"+r.Operation, typ, s.Perms)
		}
	}
	return nil
}

// operation finds an operation's definition by code.
func (rt *Router) operation(code string) (registry.Operation, bool) {
	for _, op := range rt.opts.Registry.Operations() {
		if op.Code == code {
			return op, true
		}
	}
	return registry.Operation{}, false
}

// searchable lists the served types that may be searched: what a search
// or history across types covers.
func (rt *Router) searchable() []string {
	var out []string
	reg := rt.opts.Registry
	for _, name := range reg.Names() {
		if t, _ := reg.Lookup(name); t.Supports(registry.SearchType) {
			out = append(out, name)
		}
	}
	return out
}

// requestedTypes are the types a system search's _type names.
func requestedTypes(r *Request) []string {
	var out []string
	for _, v := range r.Query["_type"] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// preflight checks every entry of a planned transaction before any of it
// runs (its conditional entries are resolved by search first): one entry
// out of scope refuses the whole transaction, naming the entry.
func (rt *Router) preflight(ctx context.Context, outer *Request, entries []*txEntry) error {
	p := auth.PrincipalFrom(ctx)
	if p.IsSystem() || p.Unrestricted {
		return nil
	}
	for _, e := range entries {
		req, _, err := rt.entryRequest(outer, outer.Service, e.method, e.rawURL, e.raw, e.headers)
		if err == nil {
			if e.method == http.MethodPost && e.criteria != "" {
				req.Header.Set("If-None-Exist", e.criteria)
			}
			err = rt.check(p, req)
		}
		if err != nil {
			return atEntry(err, e)
		}
	}
	return nil
}

// cloneValues copies v, so that narrowing a request's query leaves the
// caller's map as it was.
func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+1)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
