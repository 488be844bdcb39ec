package router

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
)

// The OpenAPI document describes these handlers from docs_routes.go.

// create stores a new resource with a server-assigned id.
func (rt *Router) create(ctx context.Context, r *Request) (*Response, error) {
	ctx = r.collectWarnings(ctx)
	res, created, err := r.Service.Create(ctx, r.Type, r.Body, rest.CreateOptions{ID: r.newID, IfNoneExist: r.Header.Get("If-None-Exist")})
	if err != nil {
		return nil, err
	}
	if !created { // a conditional create found its match and stored nothing
		resp, err := written(r, res, http.StatusOK, "found existing")
		if err == nil {
			resp.Header.Set("Location", r.Base+"/"+res.Type+"/"+res.ID+"/_history/"+res.VersionID())
		}
		return resp, err
	}
	return written(r, res, http.StatusCreated, "created")
}

// update stores a new version of a resource, or creates it with the client's id.
func (rt *Router) update(ctx context.Context, r *Request) (*Response, error) {
	ctx = r.collectWarnings(ctx)
	ifMatch, err := ifMatchVersion(r.Header)
	if err != nil {
		return nil, err
	}
	res, created, err := r.Service.Update(ctx, r.Type, r.ID, r.Body, ifMatch)
	if err != nil {
		return nil, err
	}
	if created {
		return written(r, res, http.StatusCreated, "created")
	}
	return written(r, res, http.StatusOK, "updated")
}

// read returns the current version of a resource.
func (rt *Router) read(ctx context.Context, r *Request) (*Response, error) {
	res, err := r.Service.Read(ctx, r.Type, r.ID)
	if err != nil {
		return nil, err
	}
	if notModified(r.Header, res) {
		resp := &Response{Status: http.StatusNotModified, Header: http.Header{}}
		setVersionHeaders(resp.Header, res)
		return resp, nil
	}
	return rt.resourceResponse(r, res)
}

// vread returns one version of a resource.
func (rt *Router) vread(ctx context.Context, r *Request) (*Response, error) {
	res, err := r.Service.VRead(ctx, r.Type, r.ID, r.VID)
	if err != nil {
		return nil, err
	}
	return rt.resourceResponse(r, res)
}

// delete marks a resource deleted.
func (rt *Router) delete(ctx context.Context, r *Request) (*Response, error) {
	ifMatch, err := ifMatchVersion(r.Header)
	if err != nil {
		return nil, err
	}
	del, err := r.Service.Delete(ctx, r.Type, r.ID, ifMatch)
	if err != nil {
		return nil, err
	}
	msg := "deleted " + r.Type + "/" + r.ID
	if del.Version == 0 {
		msg = r.Type + "/" + r.ID + " does not exist or was already deleted: nothing to do"
	}
	return deleted(r, del, msg), nil
}

// resourceResponse answers a read with the stored bytes, subset when the
// client asked for _summary or _elements.
func (rt *Router) resourceResponse(r *Request, res *fhir.Resource) (*Response, error) {
	body, err := rt.subset(r, res)
	if err != nil {
		return nil, err
	}
	resp := &Response{Status: http.StatusOK, Header: http.Header{}, Body: body}
	setVersionHeaders(resp.Header, res)
	return resp, nil
}

// subset applies _summary and _elements.
func (rt *Router) subset(r *Request, res *fhir.Resource) ([]byte, error) {
	summary, elements := r.Query.Get("_summary"), r.Query.Get("_elements")
	if (summary == "" || summary == "false") && elements == "" {
		return res.Body, nil
	}
	t, ok := rt.opts.Registry.Lookup(res.Type)
	if !ok {
		return res.Body, nil
	}
	var keep func(string) bool
	switch summary {
	case "", "false":
		wanted := map[string]bool{}
		for _, e := range strings.Split(elements, ",") {
			e = strings.TrimPrefix(strings.TrimSpace(e), res.Type+".")
			wanted[e] = true
		}
		keep = func(name string) bool {
			el, _ := t.Element(name)
			return wanted[name] || wanted[strings.TrimSuffix(el, "[x]")] || t.IsMandatory(name)
		}
	case "true":
		keep = t.IsSummary
	case "text":
		keep = func(name string) bool { return name == "text" || t.IsMandatory(name) }
	case "data":
		keep = func(name string) bool { return name != "text" }
	default:
		return nil, fhirerr.Invalidf("", "_summary=%s is not supported here (use true, text, data or false)", summary)
	}
	return fhir.Subset(res.Body, keep)
}

// written answers a create or update according to the Prefer header.
func written(r *Request, res *fhir.Resource, status int, verb string) (*Response, error) {
	resp := &Response{Status: status, Header: http.Header{}}
	setVersionHeaders(resp.Header, res)
	loc := r.Base + "/" + res.Type + "/" + res.ID + "/_history/" + res.VersionID()
	if status == http.StatusCreated {
		resp.Header.Set("Location", loc)
	}
	resp.Header.Set("Content-Location", loc)
	warnings := r.warnings.Issues()
	switch prefer(r.Header, "return") {
	case "minimal":
	case "OperationOutcome":
		resp.Body = fhir.Outcome(append([]fhirerr.Issue{{Severity: "information", Code: "informational",
			Diagnostics: verb + " " + res.Type + "/" + res.ID + " version " + res.VersionID()}}, warnings...)...)
	default:
		resp.Body = res.Body
	}
	if len(warnings) > 0 && !bytes.HasPrefix(resp.Body, outcomePrefix) { // minimal, or the resource
		resp.Outcome = fhir.Outcome(warnings...)
	}
	return resp, nil
}

func setVersionHeaders(h http.Header, res *fhir.Resource) {
	h.Set("ETag", res.ETag())
	h.Set("Last-Modified", res.LastUpdated.UTC().Format(http.TimeFormat))
}

// notModified evaluates If-None-Match and If-Modified-Since for a read.
func notModified(h http.Header, res *fhir.Resource) bool {
	if inm := h.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimSpace(tag)
			if v, ok := fhir.ParseETag(tag); (ok && v == res.Version) || tag == "*" {
				return true
			}
		}
		return false // If-None-Match takes precedence over If-Modified-Since
	}
	if ims := h.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil {
			return !res.LastUpdated.Truncate(time.Second).After(t)
		}
	}
	return false
}

// ifMatchVersion reads If-Match; 0 means none.
func ifMatchVersion(h http.Header) (int64, error) {
	im := h.Get("If-Match")
	if im == "" {
		return 0, nil
	}
	v, ok := fhir.ParseETag(strings.TrimSpace(im))
	if !ok {
		return 0, fhirerr.Invalidf("", "If-Match %q is not a version ETag such as W/\"3\"", im)
	}
	return v, nil
}

// prefer returns the value of one preference in the Prefer header.
func prefer(h http.Header, name string) string {
	for _, v := range h.Values("Prefer") {
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			if strings.EqualFold(k, name) {
				return strings.Trim(strings.TrimSpace(val), `"`)
			}
		}
	}
	return ""
}

// atoiDefault parses a positive int query value.
func positiveInt(s string, def, max int, name string) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fhirerr.Invalidf("", "%s=%q is not a non-negative integer", name, s)
	}
	if n > max {
		n = max
	}
	return n, nil
}
