package router

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// search returns a searchset Bundle of the resources matching the query.
func (rt *Router) search(ctx context.Context, r *Request) (*Response, error) {
	values, err := r.searchValues()
	if err != nil {
		return nil, err
	}
	self := r.URL
	if r.Method == http.MethodPost {
		self = r.Base + "/" + r.Type + "?" + values.Encode()
	}
	if values.Get("_summary") == "count" {
		values.Set("_count", "0")
	}
	strict := prefer(r.Header, "handling") == "strict"
	var q *search.Query
	var page *store.SearchPage
	switch {
	case r.Compartment != "":
		q, page, err = r.Service.CompartmentSearch(ctx, r.Compartment, r.ID, r.Type, values, strict)
	case r.Type == "":
		q, page, err = r.Service.SystemSearch(ctx, values, strict)
	default:
		q, page, err = r.Service.Search(ctx, r.Type, values, strict)
	}
	if err != nil {
		return nil, err
	}
	b := &fhir.Bundle{Type: "searchset", Links: []fhir.Link{{Relation: "self", URL: self}}}
	if page.Total >= 0 {
		b.Total = &page.Total
	}
	first := withoutParam(self, cursorParam)
	if first != self {
		b.Links = append(b.Links, fhir.Link{Relation: "first", URL: first})
	}
	if page.Prev != "" {
		b.Links = append(b.Links, fhir.Link{Relation: "previous", URL: withParam(self, cursorParam, page.Prev)})
	}
	if page.Next != "" {
		b.Links = append(b.Links, fhir.Link{Relation: "next", URL: withParam(self, cursorParam, page.Next)})
	}
	view := &Request{Query: values}
	for _, group := range []struct {
		mode string
		rs   []*fhir.Resource
	}{{"match", page.Resources}, {"include", page.Included}} {
		for _, res := range group.rs {
			body, err := rt.subset(view, res)
			if err != nil {
				return nil, err
			}
			b.Entries = append(b.Entries, fhir.Entry{FullURL: r.Base + "/" + res.Type + "/" + res.ID, Resource: body,
				Search: &fhir.EntrySearch{Mode: group.mode}})
		}
	}
	var notes []fhirerr.Issue // one outcome entry says everything the client should know
	if len(q.Ignored) > 0 {
		notes = append(notes, fhirerr.Issue{Severity: "warning", Code: "not-supported",
			Diagnostics: "ignored unknown or unsupported search parameters: " + strings.Join(q.Ignored, ", ")})
	}
	for _, w := range page.Warnings {
		notes = append(notes, fhirerr.Issue{Severity: "warning", Code: "too-costly", Diagnostics: w})
	}
	if len(notes) > 0 {
		b.Entries = append(b.Entries, fhir.Entry{Resource: fhir.Outcome(notes...), Search: &fhir.EntrySearch{Mode: "outcome"}})
	}
	body, err := b.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusOK, Body: body}, nil
}

// searchValues are a search's parameters: the query string's, and for POST
// _search the form's added to them.
func (r *Request) searchValues() (url.Values, error) {
	values := cloneValues(r.Query)
	if r.Method == http.MethodPost { // _search: the form adds to the query string
		form, err := search.ParseQuery(string(r.Body))
		if err != nil {
			return nil, err
		}
		for k, v := range form {
			values[k] = append(values[k], v...)
		}
	}
	return values, nil
}
