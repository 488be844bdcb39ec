package httpapi

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
func (a *API) create(ctx context.Context, r *request) (*response, error) {
	ctx = r.collectWarnings(ctx)
	res, created, err := r.svc.Create(ctx, r.typ, r.body, rest.CreateOptions{ID: r.newID, IfNoneExist: r.header.Get("If-None-Exist")})
	if err != nil {
		return nil, err
	}
	if !created { // a conditional create found its match and stored nothing
		resp, err := written(r, res, http.StatusOK, "found existing")
		if err == nil {
			resp.header.Set("Location", r.base+"/"+res.Type+"/"+res.ID+"/_history/"+res.VersionID())
		}
		return resp, err
	}
	return written(r, res, http.StatusCreated, "created")
}

// update stores a new version of a resource, or creates it with the client's id.
func (a *API) update(ctx context.Context, r *request) (*response, error) {
	ctx = r.collectWarnings(ctx)
	ifMatch, err := ifMatchVersion(r.header)
	if err != nil {
		return nil, err
	}
	res, created, err := r.svc.Update(ctx, r.typ, r.id, r.body, ifMatch)
	if err != nil {
		return nil, err
	}
	if created {
		return written(r, res, http.StatusCreated, "created")
	}
	return written(r, res, http.StatusOK, "updated")
}

// read returns the current version of a resource.
func (a *API) read(ctx context.Context, r *request) (*response, error) {
	res, err := r.svc.Read(ctx, r.typ, r.id)
	if err != nil {
		return nil, err
	}
	if notModified(r.header, res) {
		resp := &response{status: http.StatusNotModified, header: http.Header{}}
		setVersionHeaders(resp.header, res)
		return resp, nil
	}
	return a.resourceResponse(r, res)
}

// vread returns one version of a resource.
func (a *API) vread(ctx context.Context, r *request) (*response, error) {
	res, err := r.svc.VRead(ctx, r.typ, r.id, r.vid)
	if err != nil {
		return nil, err
	}
	return a.resourceResponse(r, res)
}

// delete marks a resource deleted.
func (a *API) delete(ctx context.Context, r *request) (*response, error) {
	ifMatch, err := ifMatchVersion(r.header)
	if err != nil {
		return nil, err
	}
	del, err := r.svc.Delete(ctx, r.typ, r.id, ifMatch)
	if err != nil {
		return nil, err
	}
	msg := "deleted " + r.typ + "/" + r.id
	if del.Version == 0 {
		msg = r.typ + "/" + r.id + " does not exist or was already deleted: nothing to do"
	}
	return deleted(r, del, msg), nil
}

// resourceResponse answers a read with the stored bytes, subset when the
// client asked for _summary or _elements.
func (a *API) resourceResponse(r *request, res *fhir.Resource) (*response, error) {
	body, err := a.subset(r, res)
	if err != nil {
		return nil, err
	}
	resp := &response{status: http.StatusOK, header: http.Header{}, body: body}
	setVersionHeaders(resp.header, res)
	return resp, nil
}

// subset applies _summary and _elements.
func (a *API) subset(r *request, res *fhir.Resource) ([]byte, error) {
	summary, elements := r.query.Get("_summary"), r.query.Get("_elements")
	if (summary == "" || summary == "false") && elements == "" {
		return res.Body, nil
	}
	t, ok := a.opts.Registry.Lookup(res.Type)
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
func written(r *request, res *fhir.Resource, status int, verb string) (*response, error) {
	resp := &response{status: status, header: http.Header{}}
	setVersionHeaders(resp.header, res)
	loc := r.base + "/" + res.Type + "/" + res.ID + "/_history/" + res.VersionID()
	if status == http.StatusCreated {
		resp.header.Set("Location", loc)
	}
	resp.header.Set("Content-Location", loc)
	warnings := r.warnings.Issues()
	switch prefer(r.header, "return") {
	case "minimal":
	case "OperationOutcome":
		resp.body = fhir.Outcome(append([]fhirerr.Issue{{Severity: "information", Code: "informational",
			Diagnostics: verb + " " + res.Type + "/" + res.ID + " version " + res.VersionID()}}, warnings...)...)
	default:
		resp.body = res.Body
	}
	if len(warnings) > 0 && !bytes.HasPrefix(resp.body, outcomePrefix) { // minimal, or the resource
		resp.outcome = fhir.Outcome(warnings...)
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
