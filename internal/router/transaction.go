package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
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
	resp                *Response
}

func (e *txEntry) at() string { return fmt.Sprintf("Bundle.entry[%d]", e.index) }

// target is the Type/id the entry writes ("" when none).
func (e *txEntry) target() string {
	if e.id == "" {
		return ""
	}
	return e.typ + "/" + e.id
}

// transaction processes a transaction Bundle POSTed to the base (read by
// bundle into r.bundle).
func (rt *Router) transaction(ctx context.Context, r *Request) (*Response, error) {
	res, err := rt.runTransaction(ctx, r, r.bundle)
	if err != nil {
		return nil, err
	}
	return res.Response, nil
}

// TransactionResult is what a transaction answered.
type TransactionResult struct {
	// Response holds the transaction-response Bundle.
	Response *Response
	// Entries are what each entry answered, in Bundle order.
	Entries []*Response
}

// Transaction processes a transaction Bundle from Go: $handover, the seed
// command and tests use it. svc carries it out: the server's Service, or
// one already bound to a database transaction (rest.Service.InTx), which the
// Bundle's entries then join, so that the caller's own reads and writes in
// it commit or roll back with them. The FHIR base is rest.Base(ctx).
//
// The transaction as a whole is not an interaction of its own (its caller
// is: the $handover operation, or nobody for start-up work), but each of its
// entries is, and passes the middleware chain like any request.
func (rt *Router) Transaction(ctx context.Context, svc *rest.Service, bundle []byte) (*TransactionResult, error) {
	r := &Request{Method: http.MethodPost, Header: http.Header{}, Body: bundle, Base: rest.Base(ctx), Service: svc, rt: rt}
	b, err := rt.readBundle(r)
	if err != nil {
		return nil, err
	}
	if b.Type != "transaction" {
		return nil, fhirerr.Invalidf("Bundle.type", "Bundle.type %q is not a transaction", b.Type)
	}
	return rt.runTransaction(ctx, r, b)
}

// runTransaction processes a transaction Bundle.
func (rt *Router) runTransaction(ctx context.Context, r *Request, b *bundleRequest) (*TransactionResult, error) {
	entries, err := planTransaction(b, r.Base)
	if err != nil {
		return nil, err
	}
	if err := rt.preflight(ctx, r, entries); err != nil {
		return nil, err
	}
	err = r.Service.InTx(ctx, func(tx *rest.Service) error {
		tx.DeferReferenceChecks()
		t := &txRun{rt: rt, outer: r, tx: tx, entries: entries, placeholders: map[string]*txEntry{}, conditional: map[string]string{}}
		return t.run(ctx)
	})
	if err != nil {
		return nil, err
	}
	out := &fhir.Bundle{Type: "transaction-response"}
	answers := make([]*Response, len(entries))
	for i, e := range entries {
		out.Entries = append(out.Entries, rt.batchResponseEntry(ctx, e.resp, nil, e.at()))
		answers[i] = e.resp
	}
	body, err := out.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &TransactionResult{Response: &Response{Status: http.StatusOK, Body: body}, Entries: answers}, nil
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
