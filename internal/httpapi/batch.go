package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// bundleRequest is the part of a batch Bundle the server reads; entry
// resources stay raw, to be validated by the interaction they go to.
type bundleRequest struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
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
	} `json:"entry"`
}

// batch processes a batch Bundle: every entry on its own, through the same
// handlers as a single request, each answered in a batch-response entry.
//
//	@Summary		Batch
//	@Description	POST a Bundle of type batch to the base: each entry is processed independently through the same interactions as a single request, and answered in the same position of a batch-response Bundle (status, location, etag, lastModified, the resource, or an OperationOutcome). Transaction bundles arrive with issue #4.
//	@Tags			system
//	@Accept			json
//	@Produce		json
//	@Param			body	body		object	true	"Bundle of type batch"
//	@Success		200		{object}	object	"Bundle of type batch-response"
//	@Failure		400		{object}	object	"OperationOutcome: not a batch Bundle"
//	@Failure		413		{object}	object	"OperationOutcome: too many entries"
//	@Router			/ [post]
func (a *API) batch(ctx context.Context, r *request) (*response, error) {
	var b bundleRequest
	if err := json.Unmarshal(r.body, &b); err != nil {
		return nil, fhirerr.Invalidf("Bundle", "the body is not a Bundle: %v", err)
	}
	switch {
	case b.ResourceType != "Bundle":
		return nil, fhirerr.Invalidf("Bundle", "POST to the base takes a Bundle, not %q", b.ResourceType)
	case b.Type == "transaction":
		return nil, fhirerr.NotSupportedf("transaction Bundles are not supported yet; send type batch")
	case b.Type != "batch":
		return nil, fhirerr.Invalidf("Bundle.type", "Bundle.type %q cannot be processed: send batch", b.Type)
	case len(b.Entry) > a.opts.MaxBundleEntries:
		return nil, fhirerr.New(fhirerr.TooLarge, "too-costly", "Bundle.entry", "the Bundle has %d entries; the limit is %d", len(b.Entry), a.opts.MaxBundleEntries)
	}
	out := &fhir.Bundle{Type: "batch-response"}
	for i, e := range b.Entry {
		at := fmt.Sprintf("Bundle.entry[%d]", i)
		var resp *response
		var err error
		switch {
		case e.Request == nil || e.Request.Method == "" || e.Request.URL == "":
			err = fhirerr.New(fhirerr.Invalid, "required", at+".request", "the entry has no request method and url")
		default:
			resp, err = a.batchEntry(ctx, r, e.Request.Method, e.Request.URL, e.Resource, map[string]string{
				"If-Match": e.Request.IfMatch, "If-None-Match": e.Request.IfNoneMatch,
				"If-Modified-Since": e.Request.IfModifiedSince, "If-None-Exist": e.Request.IfNoneExist})
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
	u, err := url.Parse(strings.TrimPrefix(rawURL, outer.base+"/"))
	if err != nil || u.IsAbs() {
		return nil, fhirerr.Invalidf("", "request.url %q is not a URL relative to this server's base", rawURL)
	}
	req := &request{method: strings.ToUpper(method), query: u.Query(), header: http.Header{}, base: outer.base,
		url: outer.base + "/" + rawURL}
	for k, v := range headers {
		if v != "" {
			req.header.Set(k, v)
		}
	}
	for _, k := range []string{"Prefer"} { // the batch's own preferences apply to its entries
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
		return nil, err
	}
	if len(segments) == 0 {
		return nil, fhirerr.Invalidf("", "a batch entry cannot be another batch or a system search")
	}
	h, ok := rt.methods[req.method]
	if !ok || rt.form {
		return nil, fhirerr.New(fhirerr.MethodNotAllowed, "not-supported", "", "%s is not supported on %s", req.method, rt.shape)
	}
	if req.method == http.MethodPost || req.method == http.MethodPut {
		if len(resource) == 0 {
			return nil, fhirerr.New(fhirerr.Invalid, "required", "", "a %s entry needs a resource", req.method)
		}
		req.body = resource
	}
	return h(ctx, req)
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
			if issues[i].Expression == "" {
				issues[i].Expression = at
			}
		}
		status := statusOf[fe.Kind]
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
	return e
}
