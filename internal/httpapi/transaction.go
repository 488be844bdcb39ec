package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/search"
)

// A transaction (http.html#transaction) is all or nothing: every entry runs
// through the same handlers as a single request, against one Service bound
// to one database transaction, and the first failure rolls everything back.
//
// Before anything runs, the server works out what each entry writes:
//   - POSTs get their ids in advance, so entries can refer to each other by
//     fullUrl (urn:uuid:, urn:oid: or a URL) whatever the processing order;
//   - conditional entries (If-None-Exist, PUT/PATCH/DELETE Type?criteria)
//     are resolved by search, in the order their criteria depend on each
//     other's placeholders; a cycle is refused;
//   - every reference, uri and narrative link naming a placeholder is
//     rewritten to Type/id, and conditional references (Patient?identifier=…)
//     to the one resource they match.
// Entries then run in the spec's order (DELETE, POST, PUT/PATCH, GET) and
// references are checked once, when everything is written.

// txEntry is one transaction entry as the server plans it.
type txEntry struct {
	index    int
	method   string
	fullURL  string
	typ, id  string // the resource the entry writes, once known
	query    string // the request URL's query (GET; conditional PUT, PATCH, DELETE)
	criteria string // a conditional entry's search criteria, "" otherwise
	tree     map[string]any
	raw      json.RawMessage
	rawURL   string
	headers  map[string]string
	// orig and origURL are the entry as sent, for a retried attempt to
	// start from: rewriting changes tree, raw and rawURL.
	orig      json.RawMessage
	origURL   string
	rewritten bool

	resolving, resolved bool
	existing            *fhir.Resource // a conditional create's one match: nothing to write
	resp                *response
}

func (e *txEntry) at() string { return fmt.Sprintf("Bundle.entry[%d]", e.index) }

// target is the Type/id the entry writes ("" when none).
func (e *txEntry) target() string {
	if e.id == "" {
		return ""
	}
	return e.typ + "/" + e.id
}

// transaction processes a transaction Bundle.
func (a *API) transaction(ctx context.Context, r *request, b *bundleRequest) (*response, error) {
	resp, _, err := a.runTransaction(ctx, r, b)
	return resp, err
}

// runTransaction processes a transaction Bundle and also returns what each
// entry answered, in Bundle order.
func (a *API) runTransaction(ctx context.Context, r *request, b *bundleRequest) (*response, []*response, error) {
	entries, err := planTransaction(b, r.base)
	if err != nil {
		return nil, nil, err
	}
	err = r.svc.InTx(ctx, func(tx *rest.Service) error {
		tx.DeferReferenceChecks()
		t := &txRun{api: a, outer: r, tx: tx, entries: entries, placeholders: map[string]*txEntry{}, conditional: map[string]string{}}
		return t.run(ctx)
	})
	if err != nil {
		return nil, nil, err
	}
	out := &fhir.Bundle{Type: "transaction-response"}
	answers := make([]*response, len(entries))
	for i, e := range entries {
		out.Entries = append(out.Entries, batchResponseEntry(ctx, e.resp, nil, e.at()))
		answers[i] = e.resp
	}
	body, err := out.MarshalJSON()
	if err != nil {
		return nil, nil, err
	}
	return &response{status: http.StatusOK, body: body}, answers, nil
}

// planTransaction checks each entry's request and decodes its resource,
// without touching the database.
func planTransaction(b *bundleRequest, base string) ([]*txEntry, error) {
	entries := make([]*txEntry, len(b.Entry))
	fullURLs := map[string]int{}
	var issues []fhirerr.Issue
	for i := range b.Entry {
		be := &b.Entry[i]
		e := &txEntry{index: i, fullURL: be.FullURL, raw: be.Resource}
		entries[i] = e
		if err := e.plan(be, base); err != nil {
			issues = append(issues, entryIssues(err, e)...)
			continue
		}
		if e.fullURL != "" {
			if j, dup := fullURLs[e.fullURL]; dup {
				issues = append(issues, fhirerr.Issue{Code: "invalid", Expression: e.at() + ".fullUrl",
					Diagnostics: fmt.Sprintf("fullUrl %q is also the fullUrl of Bundle.entry[%d]", e.fullURL, j)})
			}
			fullURLs[e.fullURL] = i
		}
	}
	if len(issues) > 0 {
		return nil, fhirerr.WithIssues(fhirerr.Invalid, issues)
	}
	return entries, nil
}

// plan reads one entry's request. Errors carry expressions relative to the
// entry ("request.url") or to its resource ("Patient.name").
func (e *txEntry) plan(be *bundleEntry, base string) error {
	if be.Request == nil || be.Request.Method == "" || be.Request.URL == "" {
		return fhirerr.New(fhirerr.Invalid, "required", "request", "the entry needs a request with a method and a url")
	}
	e.method, e.headers = strings.ToUpper(be.Request.Method), be.headers()
	e.rawURL = strings.TrimPrefix(be.Request.URL, base+"/")
	e.orig, e.origURL = e.raw, e.rawURL
	u, err := url.Parse(e.rawURL)
	if err != nil || u.IsAbs() || strings.HasPrefix(e.rawURL, "/") {
		return fhirerr.Invalidf("request.url", "request.url %q is not a URL relative to this server's base", be.Request.URL)
	}
	e.query = u.RawQuery
	// Criteria are read strictly here, before anything runs: one that could
	// not be read would otherwise widen a conditional write's match.
	if _, err := search.ParseQuery(e.query); err != nil {
		return relocate(err, "request.url")
	}
	if _, err := search.ParseQuery(be.Request.IfNoneExist); err != nil {
		return relocate(err, "request.ifNoneExist")
	}
	segments := strings.Split(strings.Trim(u.Path, "/"), "/")
	e.typ = segments[0]
	switch e.method {
	case http.MethodGet, http.MethodHead:
		return nil
	case http.MethodPost:
		if len(segments) != 1 || e.query != "" {
			return fhirerr.Invalidf("request.url", "a POST entry's url is the resource type, not %q", be.Request.URL)
		}
		e.criteria = be.Request.IfNoneExist
		delete(e.headers, "If-None-Exist") // resolved here, not by the create
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		switch {
		case len(segments) == 2 && e.query == "":
			e.id = segments[1]
		case len(segments) == 1 && e.query != "":
			e.criteria = e.query
		default:
			return fhirerr.Invalidf("request.url", "a %s entry's url is Type/id or Type?criteria, not %q", e.method, be.Request.URL)
		}
	default:
		return fhirerr.Invalidf("request.method", "%q is not a transaction method (GET, HEAD, POST, PUT, PATCH, DELETE)", be.Request.Method)
	}
	if e.method == http.MethodDelete {
		return nil
	}
	if len(e.raw) == 0 {
		return fhirerr.New(fhirerr.Invalid, "required", "resource", "a %s entry needs a resource", e.method)
	}
	if err := e.decode(); err != nil {
		return err
	}
	rt, _ := e.tree["resourceType"].(string)
	if e.method != http.MethodPatch && rt != e.typ {
		return fhirerr.Invalidf("resource", "the resource is a %q, but request.url is for %s", rt, e.typ)
	}
	if e.method == http.MethodPost && e.criteria == "" {
		e.id = fhir.NewID()
	}
	return nil
}

// decode reads the entry's resource into tree.
func (e *txEntry) decode() error {
	e.tree = nil
	dec := json.NewDecoder(bytes.NewReader(e.raw))
	dec.UseNumber()
	if err := dec.Decode(&e.tree); err != nil || e.tree == nil {
		return fhirerr.Invalidf("resource", "the entry's resource is not a JSON object")
	}
	return nil
}

// processingOrder is the phase in which an entry runs (http.html#trules):
// deletes, then creates, then updates and patches, then reads.
func processingOrder(method string) int {
	switch method {
	case http.MethodDelete:
		return 0
	case http.MethodPost:
		return 1
	case http.MethodPut, http.MethodPatch:
		return 2
	}
	return 3
}

// placeholderKeys are the strings by which other entries may name what e
// writes: its fullUrl and, for a RESTful fullUrl, its Type/id tail.
func (e *txEntry) placeholderKeys() []string {
	if e.fullURL == "" || e.method == http.MethodGet || e.method == http.MethodHead || e.method == http.MethodDelete {
		return nil
	}
	keys := []string{e.fullURL}
	if !strings.HasPrefix(e.fullURL, "urn:") {
		parts := strings.Split(strings.TrimRight(e.fullURL, "/"), "/")
		if n := len(parts); n >= 2 && parts[n-2] == e.typ {
			if tail := e.typ + "/" + parts[n-1]; tail != e.fullURL {
				keys = append(keys, tail)
			}
		}
	}
	return keys
}

// txRun is one attempt at a transaction, inside its database transaction.
type txRun struct {
	api          *API
	outer        *request
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

// narrativeLink finds href and src attributes in narrative XHTML.
var narrativeLink = regexp.MustCompile(`(href|src)="([^"]*)"`)

// rewrite points the entry's placeholders and conditional references at
// the resources they name, and renders the resource anew if it changed.
func (t *txRun) rewrite(ctx context.Context, e *txEntry) error {
	if e.method == http.MethodGet || e.method == http.MethodHead {
		q, err := t.substitute(ctx, e.query, nil)
		if err == nil && q != e.query {
			e.rawURL, e.rewritten = strings.SplitN(e.rawURL, "?", 2)[0]+"?"+q, true
		}
		return err
	}
	if e.tree == nil {
		return nil
	}
	rt, _ := e.tree["resourceType"].(string)
	changed := false
	err := fhir.RewriteStrings(rt, e.tree, func(path, key, value string) (string, error) {
		out, err := t.rewriteString(ctx, path, key, value)
		if out != value {
			changed = true
		}
		return out, err
	})
	if err != nil {
		return err
	}
	if e.method == http.MethodPut && e.criteria != "" && e.tree["id"] == nil {
		e.tree["id"], changed = e.id, true // the update needs the id its criteria found
	}
	if changed {
		e.rewritten = true
		if e.raw, err = json.Marshal(e.tree); err != nil {
			return fmt.Errorf("httpapi.rewrite: %w", err)
		}
	}
	return nil
}

func (t *txRun) rewriteString(ctx context.Context, path, key, value string) (string, error) {
	if dep, ok := t.placeholders[value]; ok {
		if dep.id == "" {
			return value, fhirerr.Invalidf(path, "%q names %s, which writes no resource", value, dep.at())
		}
		return dep.target(), nil
	}
	switch {
	case key == "div":
		return narrativeLink.ReplaceAllStringFunc(value, func(attr string) string {
			m := narrativeLink.FindStringSubmatch(attr)
			if dep, ok := t.placeholders[m[2]]; ok && dep.id != "" {
				return m[1] + `="` + dep.target() + `"`
			}
			return attr
		}), nil
	case key != "reference":
		return value, nil
	case strings.HasPrefix(value, "urn:uuid:"), strings.HasPrefix(value, "urn:oid:"):
		return value, fhirerr.Invalidf(path, "reference %q names no entry of this transaction (no entry has it as fullUrl)", value)
	}
	typ, criteria, conditional := strings.Cut(value, "?")
	if !conditional || strings.Contains(typ, ":") || strings.Contains(typ, "/") {
		return value, nil
	}
	if resolved, ok := t.conditional[value]; ok { // bundles repeat them (every Task's requester)
		return resolved, nil
	}
	resolved, err := t.conditionalReference(ctx, path, typ, criteria)
	if err == nil {
		t.conditional[value] = resolved
	}
	return resolved, err
}

// conditionalReference resolves a reference such as
// Patient?identifier=sys|1: to an entry with the same conditional criteria,
// else to the one resource the search matches.
func (t *txRun) conditionalReference(ctx context.Context, path, typ, criteria string) (string, error) {
	if _, err := search.ParseQuery(criteria); err != nil {
		return "", relocate(err, path)
	}
	criteria, err := t.substitute(ctx, criteria, nil)
	if err != nil {
		return "", err
	}
	want, err := search.ParseQuery(criteria)
	if err != nil {
		return "", relocate(err, path)
	}
	for _, e := range t.entries {
		if e.criteria != "" && e.typ == typ && e.id != "" && e.method != http.MethodDelete {
			if have, err := search.ParseQuery(e.criteria); err == nil && have.Encode() == want.Encode() {
				return e.target(), nil
			}
		}
	}
	matches, err := t.tx.Match(ctx, typ, criteria)
	if err != nil {
		return "", relocate(err, path)
	}
	switch len(matches) {
	case 0:
		return "", fhirerr.New(fhirerr.Invalid, "not-found", path, "conditional reference %s?%s matches no resource", typ, criteria)
	case 1:
		return typ + "/" + matches[0].ID, nil
	}
	return "", fhirerr.New(fhirerr.PreconditionFailed, "multiple-matches", path,
		"conditional reference %s?%s matches more than one resource", typ, criteria)
}

// execute runs one entry through its handler.
func (t *txRun) execute(ctx context.Context, e *txEntry) error {
	rawURL := e.rawURL
	switch {
	case e.existing != nil: // conditional create: the match stands, nothing is written
		req := &request{header: http.Header{}, base: t.outer.base}
		req.header.Set("Prefer", t.outer.header.Get("Prefer"))
		resp, err := written(req, e.existing, http.StatusOK, "found existing")
		if err == nil {
			resp.header.Set("Location", t.outer.base+"/"+e.existing.Type+"/"+e.existing.ID+"/_history/"+e.existing.VersionID())
		}
		e.resp = resp
		return err
	case e.method == http.MethodDelete && e.criteria != "" && e.id == "":
		e.resp = deleted(t.outer, rest.Deleted{}, fmt.Sprintf("no %s matches %s: nothing to delete", e.typ, e.criteria))
		return nil
	case e.criteria != "" && e.method != http.MethodPost:
		rawURL = e.target() // conditional URL resolved
	}
	req, h, err := t.api.entryRequest(t.outer, t.tx, e.method, rawURL, e.raw, e.headers)
	if err != nil {
		return err
	}
	req.newID = e.id
	e.resp, err = h(ctx, req)
	return err
}

// atEntry places an entry's error in the Bundle: expressions relative to
// the resource ("Patient.name") or to the entry ("request.url") become
// Bundle.entry[i]…, and the diagnostics say which entry failed.
func atEntry(err error, e *txEntry) error {
	var fe *fhirerr.Error
	if !errors.As(err, &fe) {
		return err
	}
	return fhirerr.WithIssues(fe.Kind, entryIssues(fe, e))
}

func entryIssues(err error, e *txEntry) []fhirerr.Issue {
	var fe *fhirerr.Error
	if !errors.As(err, &fe) {
		return []fhirerr.Issue{{Code: "exception", Expression: e.at(), Diagnostics: err.Error()}}
	}
	out := make([]fhirerr.Issue, len(fe.Issues))
	for i, is := range fe.Issues {
		out[i] = entryIssue(is, e)
	}
	return out
}

func entryIssue(is fhirerr.Issue, e *txEntry) fhirerr.Issue {
	if strings.HasPrefix(is.Expression, "Bundle.entry[") {
		return is
	}
	rt, _ := e.tree["resourceType"].(string)
	switch x := is.Expression; {
	case x == "":
		is.Expression = e.at()
	case x == "request" || strings.HasPrefix(x, "request.") || x == "resource" || x == "fullUrl":
		is.Expression = e.at() + "." + x
	case rt != "" && (x == rt || strings.HasPrefix(x, rt+".") || strings.HasPrefix(x, rt+"[")):
		is.Expression = e.at() + ".resource" + x[len(rt):]
	default:
		is.Expression = e.at() + ".resource." + x
	}
	if e.method != "" {
		is.Diagnostics = e.at() + " (" + e.method + " " + fhirerr.Clip(e.rawURL, fhirerr.MaxQuoted) + "): " + is.Diagnostics
	} else {
		is.Diagnostics = e.at() + ": " + is.Diagnostics
	}
	return is
}

// relocate gives an error without expressions the path it arose at.
func relocate(err error, path string) error {
	var fe *fhirerr.Error
	if !errors.As(err, &fe) {
		return err
	}
	issues := append([]fhirerr.Issue(nil), fe.Issues...)
	for i := range issues {
		if issues[i].Expression == "" {
			issues[i].Expression = path
		}
	}
	return fhirerr.WithIssues(fe.Kind, issues)
}
