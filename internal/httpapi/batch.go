package httpapi

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
func (a *API) batch(ctx context.Context, r *request) (*response, error) {
	var b bundleRequest
	if err := json.Unmarshal(r.body, &b); err != nil {
		return nil, fhirerr.Invalidf("Bundle", "the body is not a Bundle: %v", err)
	}
	switch {
	case b.ResourceType != "Bundle":
		return nil, fhirerr.Invalidf("Bundle", "POST to the base takes a Bundle, not %q", b.ResourceType)
	case b.Type != "batch" && b.Type != "transaction":
		return nil, fhirerr.Invalidf("Bundle.type", "Bundle.type %q cannot be processed: send batch or transaction", b.Type)
	case len(b.Entry) > a.opts.MaxBundleEntries:
		return nil, fhirerr.New(fhirerr.TooLarge, "too-costly", "Bundle.entry", "the Bundle has %d entries; the limit is %d", len(b.Entry), a.opts.MaxBundleEntries)
	}
	if err := checkReadRows(b.Entry, r.base); err != nil {
		return nil, err
	}
	if b.Type == "transaction" {
		return a.transaction(ctx, r, &b)
	}
	out := &fhir.Bundle{Type: "batch-response"}
	reads := &readBudget{}
	for i := range b.Entry {
		e := &b.Entry[i]
		at := fmt.Sprintf("Bundle.entry[%d]", i)
		var resp *response
		var err error
		switch {
		case e.Request == nil || e.Request.Method == "" || e.Request.URL == "":
			err = fhirerr.New(fhirerr.Invalid, "required", at+".request", "the entry has no request method and url")
		case isRead(e.Request.Method) && reads.check() != nil:
			err = reads.check() // not run: the batch's reads have returned enough
		default:
			resp, err = a.batchEntry(ctx, r, e.Request.Method, e.Request.URL, e.Resource, e.headers())
			reads.spend(e.Request.Method, resp)
		}
		out.Entries = append(out.Entries, batchResponseEntry(ctx, resp, err, at))
	}
	body, err := out.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: body}, nil
}

// batchEntry runs one entry as a request of its own.
func (a *API) batchEntry(ctx context.Context, outer *request, method, rawURL string, resource json.RawMessage, headers map[string]string) (*response, error) {
	req, h, err := a.entryRequest(outer, outer.svc, method, rawURL, resource, headers)
	if err != nil {
		return nil, err
	}
	return h(ctx, req)
}

// entryRequest turns a Bundle entry into the request it stands for and finds
// its handler; svc carries the interactions out.
func (a *API) entryRequest(outer *request, svc *rest.Service, method, rawURL string, resource json.RawMessage, headers map[string]string) (*request, handler, error) {
	u, err := url.Parse(strings.TrimPrefix(rawURL, outer.base+"/"))
	if err != nil || u.IsAbs() {
		return nil, nil, fhirerr.Invalidf("request.url", "request.url %q is not a URL relative to this server's base", rawURL)
	}
	query, err := search.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, nil, relocate(err, "request.url")
	}
	req := &request{method: strings.ToUpper(method), query: query, header: http.Header{}, base: outer.base,
		url: outer.base + "/" + strings.TrimPrefix(rawURL, outer.base+"/"), svc: svc}
	for k, v := range headers {
		if v != "" {
			req.header.Set(k, v)
		}
	}
	for _, k := range []string{"Prefer"} { // the Bundle's own preferences apply to its entries
		if v := outer.header.Get(k); v != "" {
			req.header.Set(k, v)
		}
	}
	var segments []string
	if p := strings.Trim(u.Path, "/"); p != "" {
		segments = strings.Split(p, "/")
	}
	rt, err := a.match(segments, req)
	if err != nil {
		return nil, nil, err
	}
	if len(segments) == 0 {
		return nil, nil, fhirerr.Invalidf("", "a Bundle entry cannot be another batch or transaction, or a system search")
	}
	h, ok := rt.methods[req.method]
	if req.method == http.MethodHead {
		h, ok = rt.methods[http.MethodGet]
	}
	if !ok || rt.form {
		return nil, nil, fhirerr.New(fhirerr.MethodNotAllowed, "not-supported", "", "%s is not supported on %s", req.method, rt.shape)
	}
	switch req.method {
	case http.MethodPost, http.MethodPut:
		if len(resource) == 0 {
			return nil, nil, fhirerr.New(fhirerr.Invalid, "required", "", "a %s entry needs a resource", req.method)
		}
		req.body = resource
	case http.MethodPatch:
		if req.body, err = patchBody(resource, req.header); err != nil {
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
		if mt, _, _ := mime.ParseMediaType(bin.ContentType); mt != jsonPatchType {
			return nil, fhirerr.Invalidf("Binary.contentType", "a Binary in a PATCH entry must hold %s, not %q", jsonPatchType, bin.ContentType)
		}
		header.Set("Content-Type", jsonPatchType)
		return bin.Data, nil
	case "Parameters":
		header.Set("Content-Type", fhirJSON)
		return resource, nil
	}
	return nil, fhirerr.Invalidf("", "a PATCH entry holds a Binary (JSON Patch) or Parameters (FHIRPath Patch), not %q", bin.ResourceType)
}

var outcomePrefix = []byte(`{"resourceType":"OperationOutcome"`)

// batchResponseEntry renders one entry's outcome; internal errors are logged
// in full and shown as "internal error", as for single requests.
func batchResponseEntry(ctx context.Context, resp *response, err error, at string) fhir.Entry {
	if err != nil {
		var fe *fhirerr.Error
		if !errors.As(err, &fe) {
			loggerFrom(ctx).Error("internal error in batch entry", "entry", at, "err", err)
			fe = fhirerr.New(fhirerr.Internal, "exception", "", "internal error (request id %s)", requestIDFrom(ctx))
		}
		issues := append([]fhirerr.Issue(nil), fe.Issues...)
		for i := range issues {
			switch x := issues[i].Expression; {
			case x == "":
				issues[i].Expression = at
			case x == "request" || strings.HasPrefix(x, "request."): // relative to the entry
				issues[i].Expression = at + "." + x
			}
		}
		status := statusFor(fe.Kind)
		return fhir.Entry{Response: &fhir.EntryResponse{Status: strconv.Itoa(status) + " " + http.StatusText(status),
			Outcome: fhir.Outcome(issues...)}}
	}
	e := fhir.Entry{Response: &fhir.EntryResponse{Status: strconv.Itoa(resp.status) + " " + http.StatusText(resp.status),
		Location: resp.header.Get("Location"), Etag: resp.header.Get("ETag")}}
	if lm := resp.header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			e.Response.LastModified = fhir.Instant(t)
		}
	}
	// Every body the server renders leads with resourceType (stored bodies,
	// Bundles, OperationOutcomes), so the prefix tells them apart unparsed.
	if bytes.HasPrefix(resp.body, outcomePrefix) {
		e.Response.Outcome = resp.body
	} else if len(resp.body) > 0 {
		e.Resource = resp.body
	}
	if e.Response.Outcome == nil && resp.outcome != nil { // warnings about a write answered with its resource
		e.Response.Outcome = resp.outcome
	}
	return e
}
