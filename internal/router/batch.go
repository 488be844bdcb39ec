package router

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/search"
)

// bundleRequest is the part of a batch Bundle the server reads; entry
// resources stay raw, to be validated by the interaction they go to.
type bundleRequest struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Entry        []bundleEntry `json:"entry"`
}

// bundleEntry is one entry of a batch or transaction.
type bundleEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Request  *struct {
		Method          string `json:"method"`
		URL             string `json:"url"`
		IfMatch         string `json:"ifMatch"`
		IfNoneMatch     string `json:"ifNoneMatch"`
		IfModifiedSince string `json:"ifModifiedSince"`
		IfNoneExist     string `json:"ifNoneExist"`
	} `json:"request"`
}

// headers are the entry's conditional request headers.
func (e *bundleEntry) headers() map[string]string {
	return map[string]string{"If-Match": e.Request.IfMatch, "If-None-Match": e.Request.IfNoneMatch,
		"If-Modified-Since": e.Request.IfModifiedSince, "If-None-Exist": e.Request.IfNoneExist}
}

// batch processes a batch Bundle: every entry on its own, through the same
// handlers as a single request, each answered in a batch-response entry.
// Transaction Bundles go to transaction.
func (rt *Router) bundle(ctx context.Context, r *Request) (*Response, error) {
	b, err := rt.readBundle(r)
	if err != nil {
		return nil, err
	}
	r.bundle = b
	if b.Type == "transaction" {
		return rt.transactionH(ctx, r)
	}
	return rt.batchH(ctx, r)
}

// readBundle decodes and checks the Bundle POSTed to the base.
func (rt *Router) readBundle(r *Request) (*bundleRequest, error) {
	var b bundleRequest
	if err := json.Unmarshal(r.Body, &b); err != nil {
		return nil, fhirerr.Invalidf("Bundle", "the body is not a Bundle: %v", err)
	}
	switch {
	case b.ResourceType != "Bundle":
		return nil, fhirerr.Invalidf("Bundle", "POST to the base takes a Bundle, not %q", b.ResourceType)
	case b.Type != "batch" && b.Type != "transaction":
		return nil, fhirerr.Invalidf("Bundle.type", "Bundle.type %q cannot be processed: send batch or transaction", b.Type)
	}
	if err := r.CheckEntries(len(b.Entry)); err != nil {
		return nil, err
	}
	if err := checkReadRows(b.Entry, r.Base); err != nil {
		return nil, err
	}
	return &b, nil
}

// batch processes a batch Bundle (read by bundle into r.bundle).
func (rt *Router) batch(ctx context.Context, r *Request) (*Response, error) {
	b := r.bundle
	out := &fhir.Bundle{Type: "batch-response"}
	reads := &readBudget{}
	for i := range b.Entry {
		e := &b.Entry[i]
		at := fmt.Sprintf("Bundle.entry[%d]", i)
		var resp *Response
		var err error
		switch {
		case e.Request == nil || e.Request.Method == "" || e.Request.URL == "":
			err = fhirerr.New(fhirerr.Invalid, "required", at+".request", "the entry has no request method and url")
		case isRead(e.Request.Method) && reads.check() != nil:
			err = reads.check() // not run: the batch's reads have returned enough
		default:
			resp, err = rt.batchEntry(ctx, r, e.Request.Method, e.Request.URL, e.Resource, e.headers())
			reads.spend(e.Request.Method, resp)
		}
		out.Entries = append(out.Entries, rt.batchResponseEntry(ctx, resp, err, at))
	}
	body, err := out.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusOK, Body: body}, nil
}

// batchEntry runs one entry as a request of its own.
func (rt *Router) batchEntry(ctx context.Context, outer *Request, method, rawURL string, resource json.RawMessage, headers map[string]string) (*Response, error) {
	req, h, err := rt.entryRequest(outer, outer.Service, method, rawURL, resource, headers)
	if err != nil {
		return nil, err
	}
	return h(ctx, req)
}

// entryRequest turns a Bundle entry into the request it stands for and finds
// its handler; svc carries the interactions out.
func (rt *Router) entryRequest(outer *Request, svc *rest.Service, method, rawURL string, resource json.RawMessage, headers map[string]string) (*Request, Handler, error) {
	u, err := url.Parse(strings.TrimPrefix(rawURL, outer.Base+"/"))
	if err != nil || u.IsAbs() {
		return nil, nil, fhirerr.Invalidf("request.url", "request.url %q is not a URL relative to this server's base", rawURL)
	}
	query, err := search.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, nil, relocate(err, "request.url")
	}
	req := &Request{Method: strings.ToUpper(method), Query: query, Header: http.Header{}, Base: outer.Base,
		URL: outer.Base + "/" + strings.TrimPrefix(rawURL, outer.Base+"/"), Service: svc}
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	for _, k := range []string{"Prefer"} { // the Bundle's own preferences apply to its entries
		if v := outer.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	var segments []string
	if p := strings.Trim(u.Path, "/"); p != "" {
		segments = strings.Split(p, "/")
	}
	ro, err := rt.find(segments, req)
	if err != nil {
		return nil, nil, err
	}
	if len(segments) == 0 {
		return nil, nil, fhirerr.Invalidf("", "a Bundle entry cannot be another batch or transaction, or a system search")
	}
	ep, ok := ro.methods[req.Method]
	if req.Method == http.MethodHead {
		ep, ok = ro.methods[http.MethodGet]
	}
	if !ok || ro.form {
		return nil, nil, fhirerr.New(fhirerr.MethodNotAllowed, "not-supported", "", "%s is not supported on %s", req.Method, ro.shape)
	}
	h := ep.h
	req.kind = ep.kind // decorate sets it again; a transaction's preflight reads it
	switch req.Method {
	case http.MethodPost, http.MethodPut:
		if len(resource) == 0 {
			return nil, nil, fhirerr.New(fhirerr.Invalid, "required", "", "a %s entry needs a resource", req.Method)
		}
		req.Body = resource
	case http.MethodPatch:
		if req.Body, err = patchBody(resource, req.Header); err != nil {
			return nil, nil, err
		}
	}
	return req, h, nil
}

// patchBody reads the patch of a PATCH entry: a Binary holding a JSON Patch,
// or a Parameters resource holding a FHIRPath Patch (http.html#transaction).
func patchBody(resource json.RawMessage, header http.Header) ([]byte, error) {
	var bin struct {
		ResourceType string `json:"resourceType"`
		ContentType  string `json:"contentType"`
		Data         []byte `json:"data"` // base64 in JSON
	}
	if len(resource) == 0 || json.Unmarshal(resource, &bin) != nil {
		return nil, fhirerr.New(fhirerr.Invalid, "required", "", "a PATCH entry needs a resource: a Binary holding a JSON Patch, or a Parameters resource")
	}
	switch bin.ResourceType {
	case "Binary":
		if mt, _, _ := mime.ParseMediaType(bin.ContentType); mt != JSONPatchType {
			return nil, fhirerr.Invalidf("Binary.contentType", "a Binary in a PATCH entry must hold %s, not %q", JSONPatchType, bin.ContentType)
		}
		header.Set("Content-Type", JSONPatchType)
		return bin.Data, nil
	case "Parameters":
		header.Set("Content-Type", FHIRJSON)
		return resource, nil
	}
	return nil, fhirerr.Invalidf("", "a PATCH entry holds a Binary (JSON Patch) or Parameters (FHIRPath Patch), not %q", bin.ResourceType)
}

var outcomePrefix = []byte(`{"resourceType":"OperationOutcome"`)

// entryError renders an entry's error with Options.EntryError, or as a 500
// without one.
func (rt *Router) entryError(ctx context.Context, err error) (int, []byte) {
	if rt.opts.EntryError != nil {
		return rt.opts.EntryError(ctx, err)
	}
	var fe *fhirerr.Error
	if !errors.As(err, &fe) {
		fe = fhirerr.New(fhirerr.Internal, "exception", "", "internal error")
	}
	return http.StatusInternalServerError, fhir.Outcome(fe.Issues...)
}

// batchResponseEntry renders one entry's outcome; internal errors are logged
// in full and shown as "internal error", as for single requests.
func (rt *Router) batchResponseEntry(ctx context.Context, resp *Response, err error, at string) fhir.Entry {
	if err != nil {
		var fe *fhirerr.Error
		if errors.As(err, &fe) {
			issues := append([]fhirerr.Issue(nil), fe.Issues...)
			for i := range issues {
				switch x := issues[i].Expression; {
				case x == "":
					issues[i].Expression = at
				case x == "request" || strings.HasPrefix(x, "request."): // relative to the entry
					issues[i].Expression = at + "." + x
				}
			}
			err = fhirerr.WithIssues(fe.Kind, issues)
		} else {
			err = fmt.Errorf("%s: %w", at, err)
		}
		status, outcome := rt.entryError(ctx, err)
		return fhir.Entry{Response: &fhir.EntryResponse{Status: strconv.Itoa(status) + " " + http.StatusText(status),
			Outcome: outcome}}
	}
	e := fhir.Entry{Response: &fhir.EntryResponse{Status: strconv.Itoa(resp.Status) + " " + http.StatusText(resp.Status),
		Location: resp.Header.Get("Location"), Etag: resp.Header.Get("ETag")}}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			e.Response.LastModified = fhir.Instant(t)
		}
	}
	// Every body the server renders leads with resourceType (stored bodies,
	// Bundles, OperationOutcomes), so the prefix tells them apart unparsed.
	if bytes.HasPrefix(resp.Body, outcomePrefix) {
		e.Response.Outcome = resp.Body
	} else if len(resp.Body) > 0 {
		e.Resource = resp.Body
	}
	if e.Response.Outcome == nil && resp.Outcome != nil { // warnings about a write answered with its resource
		e.Response.Outcome = resp.Outcome
	}
	return e
}
