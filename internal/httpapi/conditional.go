package httpapi

import (
	"bytes"
	"context"
	"mime"
	"net/http"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
)

// criteria is the search part of a conditional URL (/Type?criteria), which
// must select something.
func criteria(r *request, interaction string) (string, error) {
	c := r.query.Encode()
	if c == "" {
		return "", fhirerr.Invalidf("", "a conditional %s needs search criteria: %s/%s?identifier=…", interaction, r.base, r.typ)
	}
	return c, nil
}

// conditionalUpdate updates the resource the search criteria select.
func (a *API) conditionalUpdate(ctx context.Context, r *request) (*response, error) {
	ctx = r.collectWarnings(ctx)
	crit, err := criteria(r, "update")
	if err != nil {
		return nil, err
	}
	ifMatch, err := ifMatchVersion(r.header)
	if err != nil {
		return nil, err
	}
	res, created, err := r.svc.ConditionalUpdate(ctx, r.typ, crit, r.body, ifMatch)
	if err != nil {
		return nil, err
	}
	if created {
		return written(r, res, http.StatusCreated, "created")
	}
	return written(r, res, http.StatusOK, "updated")
}

// conditionalDelete deletes the resource the search criteria select.
func (a *API) conditionalDelete(ctx context.Context, r *request) (*response, error) {
	crit, err := criteria(r, "delete")
	if err != nil {
		return nil, err
	}
	ifMatch, err := ifMatchVersion(r.header)
	if err != nil {
		return nil, err
	}
	id, del, err := r.svc.ConditionalDelete(ctx, r.typ, crit, ifMatch)
	if err != nil {
		return nil, err
	}
	msg := "no " + r.typ + " matches " + crit + ": nothing to delete"
	if id != "" {
		msg = "deleted " + r.typ + "/" + id
		if del.Version == 0 {
			msg = r.typ + "/" + id + " was already deleted: nothing to do"
		}
	}
	return deleted(r, del, msg), nil
}

// patch applies a JSON Patch or FHIRPath Patch to a resource.
func (a *API) patch(ctx context.Context, r *request) (*response, error) {
	ctx = r.collectWarnings(ctx)
	p, ifMatch, err := patchOf(r)
	if err != nil {
		return nil, err
	}
	res, err := r.svc.Patch(ctx, r.typ, r.id, p, ifMatch)
	if err != nil {
		return nil, err
	}
	return written(r, res, http.StatusOK, "patched")
}

// conditionalPatch patches the resource the search criteria select.
func (a *API) conditionalPatch(ctx context.Context, r *request) (*response, error) {
	ctx = r.collectWarnings(ctx)
	crit, err := criteria(r, "patch")
	if err != nil {
		return nil, err
	}
	p, ifMatch, err := patchOf(r)
	if err != nil {
		return nil, err
	}
	res, err := r.svc.ConditionalPatch(ctx, r.typ, crit, p, ifMatch)
	if err != nil {
		return nil, err
	}
	return written(r, res, http.StatusOK, "patched")
}

// patchOf reads the patch document and If-Match of a PATCH request; the
// Content-Type says which kind of patch it is.
func patchOf(r *request) (rest.Patch, int64, error) {
	ifMatch, err := ifMatchVersion(r.header)
	if err != nil {
		return rest.Patch{}, 0, err
	}
	kind := rest.FHIRPathPatch
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if body := bytes.TrimLeft(r.body, " \t\r\n"); mt == jsonPatchType || mt == plainJSON && len(body) > 0 && body[0] == '[' {
		kind = rest.JSONPatch // some clients send JSON Patch as plain application/json
	}
	return rest.Patch{Kind: kind, Body: r.body}, ifMatch, nil
}

// deleted answers a delete according to the Prefer header.
func deleted(r *request, del rest.Deleted, msg string) *response {
	resp := &response{status: http.StatusOK, header: http.Header{}}
	if del.Version != 0 {
		resp.header.Set("ETag", fhir.ETag(del.Version))
	}
	if prefer(r.header, "return") == "minimal" {
		resp.status = http.StatusNoContent
		return resp
	}
	resp.body = fhir.Information(msg)
	return resp
}
