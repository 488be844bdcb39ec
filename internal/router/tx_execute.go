package router

import (
	"context"
	"fmt"
	"net/http"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
)

// txRun is one attempt at a transaction, inside its database transaction.
type txRun struct {
	rt           *Router
	outer        *Request
	tx           *rest.Service
	entries      []*txEntry
	placeholders map[string]*txEntry // fullUrl (and Type/id tail) → the entry it names
	conditional  map[string]string   // conditional reference → the Type/id it resolved to
}

func (t *txRun) run(ctx context.Context) error {
	for _, e := range t.entries { // a retried attempt starts from the plan
		e.resolving, e.resolved, e.existing, e.resp = false, e.criteria == "", nil, nil
		if e.criteria != "" {
			e.id = ""
		}
		if e.rewritten {
			e.raw, e.rawURL, e.rewritten = e.orig, e.origURL, false
			if err := e.decode(); err != nil {
				return atEntry(err, e)
			}
		}
		for _, k := range e.placeholderKeys() {
			t.placeholders[k] = e
		}
	}
	for _, e := range t.entries {
		if err := t.resolve(ctx, e, nil); err != nil {
			return err
		}
	}
	if err := t.checkTargets(); err != nil {
		return err
	}
	if err := t.lockTargets(ctx); err != nil {
		return err
	}
	for _, e := range t.entries {
		if err := t.rewrite(ctx, e); err != nil {
			return atEntry(err, e)
		}
	}
	reads := &readBudget{}
	for phase := 0; phase <= 3; phase++ {
		for _, e := range t.entries {
			if processingOrder(e.method) != phase {
				continue
			}
			if err := t.execute(ctx, e); err != nil {
				return atEntry(err, e)
			}
			reads.spend(e.method, e.resp)
			if err := reads.check(); err != nil {
				return atEntry(err, e) // all or nothing: the whole transaction is refused
			}
		}
	}
	unresolved, referenced, err := t.tx.CheckDeferred(ctx)
	if err != nil || (len(unresolved) == 0 && referenced == nil) {
		return err
	}
	byTarget := map[string]*txEntry{}
	for _, e := range t.entries {
		if e.target() != "" {
			byTarget[e.target()] = e
		}
	}
	if referenced != nil { // a DELETE entry's target is still referred to
		return fhirerr.WithIssues(fhirerr.Conflict, t.tx.ReferencedIssues(referenced, func(target string) string {
			if e := byTarget[target]; e != nil {
				return e.at()
			}
			return ""
		}))
	}
	var issues []fhirerr.Issue
	for _, u := range unresolved {
		is := rest.MissingIssue(u)
		if e := byTarget[u.Source]; e != nil {
			is = entryIssue(is, e)
		}
		issues = append(issues, is)
	}
	return fhirerr.WithIssues(fhirerr.Invalid, issues)
}

// lockTargets locks the existing resources the entries change before any is
// written, in one order for every transaction (see rest.Service.LockInOrder):
// two transactions changing A and B, listed in opposite orders, then queue
// instead of deadlocking and being retried.
func (t *txRun) lockTargets(ctx context.Context) error {
	var targets []string
	for _, e := range t.entries {
		if e.method != http.MethodPost && e.target() != "" {
			targets = append(targets, e.target())
		}
	}
	return t.tx.LockInOrder(ctx, targets)
}

// execute runs one entry through its handler, decorated like any request.
func (t *txRun) execute(ctx context.Context, e *txEntry) error {
	rawURL := e.rawURL
	switch {
	case e.existing != nil: // conditional create: the match stands, nothing is written
		req := &Request{Method: e.method, Type: e.typ, Header: http.Header{}, Base: t.outer.Base, Service: t.tx}
		req.Header.Set("Prefer", t.outer.Header.Get("Prefer"))
		h := t.rt.decorate(KindCreate, func(context.Context, *Request) (*Response, error) {
			resp, err := written(req, e.existing, http.StatusOK, "found existing")
			if err == nil {
				resp.Header.Set("Location", t.outer.Base+"/"+e.existing.Type+"/"+e.existing.ID+"/_history/"+e.existing.VersionID())
			}
			return resp, err
		})
		var err error
		e.resp, err = h(ctx, req)
		return err
	case e.method == http.MethodDelete && e.criteria != "" && e.id == "":
		req := &Request{Method: e.method, Type: e.typ, Header: http.Header{}, Base: t.outer.Base, Service: t.tx}
		h := t.rt.decorate(KindDelete, func(context.Context, *Request) (*Response, error) {
			return deleted(t.outer, rest.Deleted{}, fmt.Sprintf("no %s matches %s: nothing to delete", e.typ, e.criteria)), nil
		})
		var err error
		e.resp, err = h(ctx, req)
		return err
	case e.criteria != "" && e.method != http.MethodPost:
		rawURL = e.target() // conditional URL resolved
	}
	req, h, err := t.rt.entryRequest(t.outer, t.tx, e.method, rawURL, e.raw, e.headers)
	if err != nil {
		return err
	}
	req.newID = e.id
	e.resp, err = h(ctx, req)
	return err
}
