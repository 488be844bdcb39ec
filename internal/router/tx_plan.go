package router

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
)

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
