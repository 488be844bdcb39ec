package router

import (
	"context"
	"net/http"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
)

// resolve finds what a conditional entry writes, after the entries its
// criteria name by placeholder. path is the chain being resolved, for
// reporting cycles.
func (t *txRun) resolve(ctx context.Context, e *txEntry, path []*txEntry) error {
	if e.resolved {
		return nil
	}
	if e.resolving {
		var names []string
		for _, p := range append(path, e) {
			names = append(names, p.at())
		}
		return fhirerr.New(fhirerr.Invalid, "invalid", e.at()+".request",
			"circular conditional references: %s depend on each other's results", strings.Join(names, " → "))
	}
	e.resolving = true
	criteria, err := t.substitute(ctx, e.criteria, func(dep *txEntry) error { return t.resolve(ctx, dep, append(path, e)) })
	if err != nil {
		return err
	}
	matches, err := t.tx.Match(ctx, e.typ, criteria)
	if err != nil {
		return atEntry(err, e)
	}
	e.resolving, e.resolved = false, true
	if len(matches) > 1 {
		return atEntry(fhirerr.New(fhirerr.PreconditionFailed, "multiple-matches", "",
			"the conditional criteria %q match more than one %s", criteria, e.typ), e)
	}
	switch e.method {
	case http.MethodPost:
		if len(matches) == 1 {
			e.existing, e.id = matches[0], matches[0].ID
		} else {
			e.id = fhir.NewID()
		}
	case http.MethodPut:
		if len(matches) == 1 {
			e.id = matches[0].ID
		} else if id, _ := e.tree["id"].(string); id != "" {
			e.id = id
		} else {
			e.id = fhir.NewID()
		}
	case http.MethodPatch:
		if len(matches) == 0 {
			return atEntry(fhirerr.NotFoundf("no %s matches %q: nothing to patch", e.typ, criteria), e)
		}
		e.id = matches[0].ID
	case http.MethodDelete:
		if len(matches) == 1 {
			e.id = matches[0].ID
		}
	}
	return nil
}

// substitute replaces placeholders among the values of a query string by
// the Type/id their entries write, resolving those entries first (before).
func (t *txRun) substitute(ctx context.Context, query string, before func(*txEntry) error) (string, error) {
	if query == "" {
		return "", nil
	}
	values, err := search.ParseQuery(query)
	if err != nil {
		return "", relocate(err, "request")
	}
	changed := false
	for k, vs := range values {
		for i, v := range vs {
			parts := strings.Split(v, ",")
			for j, p := range parts {
				dep, ok := t.placeholders[p]
				if !ok {
					continue
				}
				if before != nil {
					if err := before(dep); err != nil {
						return "", err
					}
				}
				if dep.id == "" {
					return "", fhirerr.Invalidf("request", "%s names %s, which writes no resource", query, p)
				}
				parts[j], changed = dep.target(), true
			}
			values[k][i] = strings.Join(parts, ",")
		}
	}
	if !changed {
		return query, nil
	}
	return values.Encode(), nil
}

// checkTargets refuses two entries writing the same resource: their order
// would decide the outcome.
func (t *txRun) checkTargets() error {
	seen := map[string]*txEntry{}
	for _, e := range t.entries {
		if e.method == http.MethodGet || e.method == http.MethodHead || e.target() == "" || e.existing != nil {
			continue
		}
		if first, dup := seen[e.target()]; dup {
			return fhirerr.Invalidf(e.at()+".request", "%s and %s both write %s; a transaction may write a resource once",
				first.at(), e.at(), e.target())
		}
		seen[e.target()] = e
	}
	return nil
}
