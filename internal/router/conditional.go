package router

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
func criteria(r *Request, interaction string) (string, error) {
	c := r.Query.Encode()
	if c == "" {
		return "", fhirerr.Invalidf("", "a conditional %s needs search criteria: %s/%s?identifier=…", interaction, r.Base, r.Type)
	}
	return c, nil
}

// conditionalUpdate updates the resource the search criteria select.
func (rt *Router) conditionalUpdate(ctx context.Context, r *Request) (*Response, error) {
	ctx = r.collectWarnings(ctx)
	crit, err := criteria(r, "update")
	if err != nil {
		return nil, err
	}
	ifMatch, err := ifMatchVersion(r.Header)
	if err != nil {
		return nil, err
	}
	res, created, err := r.Service.ConditionalUpdate(ctx, r.Type, crit, r.Body, ifMatch)
	if err != nil {
		return nil, err
	}
	if created {
		return written(r, res, http.StatusCreated, "created")
	}
	return written(r, res, http.StatusOK, "updated")
}

// conditionalDelete deletes the resource the search criteria select.
func (rt *Router) conditionalDelete(ctx context.Context, r *Request) (*Response, error) {
	crit, err := criteria(r, "delete")
	if err != nil {
		return nil, err
	}
	ifMatch, err := ifMatchVersion(r.Header)
	if err != nil {
		return nil, err
	}
	id, del, err := r.Service.ConditionalDelete(ctx, r.Type, crit, ifMatch)
	if err != nil {
		return nil, err
	}
	msg := "no " + r.Type + " matches " + crit + ": nothing to delete"
	if id != "" {
		msg = "deleted " + r.Type + "/" + id
		if del.Version == 0 {
			msg = r.Type + "/" + id + " was already deleted: nothing to do"
		}
	}
	return deleted(r, del, msg), nil
}

// patch applies a JSON Patch or FHIRPath Patch to a resource.
func (rt *Router) patch(ctx context.Context, r *Request) (*Response, error) {
	ctx = r.collectWarnings(ctx)
	p, ifMatch, err := patchOf(r)
	if err != nil {
		return nil, err
	}
	res, err := r.Service.Patch(ctx, r.Type, r.ID, p, ifMatch)
	if err != nil {
		return nil, err
	}
	return written(r, res, http.StatusOK, "patched")
}

// conditionalPatch patches the resource the search criteria select.
func (rt *Router) conditionalPatch(ctx context.Context, r *Request) (*Response, error) {
	ctx = r.collectWarnings(ctx)
	crit, err := criteria(r, "patch")
	if err != nil {
		return nil, err
	}
	p, ifMatch, err := patchOf(r)
	if err != nil {
		return nil, err
	}
	res, err := r.Service.ConditionalPatch(ctx, r.Type, crit, p, ifMatch)
	if err != nil {
		return nil, err
	}
	return written(r, res, http.StatusOK, "patched")
}

// patchOf reads the patch document and If-Match of a PATCH request; the
// Content-Type says which kind of patch it is.
func patchOf(r *Request) (rest.Patch, int64, error) {
	ifMatch, err := ifMatchVersion(r.Header)
	if err != nil {
		return rest.Patch{}, 0, err
	}
	kind := rest.FHIRPathPatch
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if body := bytes.TrimLeft(r.Body, " \t\r\n"); mt == JSONPatchType || mt == PlainJSON && len(body) > 0 && body[0] == '[' {
		kind = rest.JSONPatch // some clients send JSON Patch as plain application/json
	}
	return rest.Patch{Kind: kind, Body: r.Body}, ifMatch, nil
}

// deleted answers a delete according to the Prefer header.
func deleted(r *Request, del rest.Deleted, msg string) *Response {
	resp := &Response{Status: http.StatusOK, Header: http.Header{}}
	if del.Version != 0 {
		resp.Header.Set("ETag", fhir.ETag(del.Version))
	}
	if prefer(r.Header, "return") == "minimal" {
		resp.Status = http.StatusNoContent
		return resp
	}
	resp.Body = fhir.Information(msg)
	return resp
}
