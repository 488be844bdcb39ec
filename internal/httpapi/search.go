package httpapi

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

const formType = "application/x-www-form-urlencoded"

// search returns a searchset Bundle of the resources matching the query.
func (a *API) search(ctx context.Context, r *request) (*response, error) {
	values := url.Values{}
	for k, v := range r.query {
		values[k] = append([]string(nil), v...)
	}
	self := r.url
	if r.method == http.MethodPost { // _search: the form adds to the query string
		form, err := search.ParseQuery(string(r.body))
		if err != nil {
			return nil, err
		}
		for k, v := range form {
			values[k] = append(values[k], v...)
		}
		self = r.base + "/" + r.typ + "?" + values.Encode()
	}
	if values.Get("_summary") == "count" {
		values.Set("_count", "0")
	}
	strict := prefer(r.header, "handling") == "strict"
	var q *search.Query
	var page *store.SearchPage
	var err error
	switch {
	case r.compartment != "":
		q, page, err = r.svc.CompartmentSearch(ctx, r.compartment, r.id, r.typ, values, strict)
	case r.typ == "":
		q, page, err = r.svc.SystemSearch(ctx, values, strict)
	default:
		q, page, err = r.svc.Search(ctx, r.typ, values, strict)
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
	view := &request{query: values}
	for _, group := range []struct {
		mode string
		rs   []*fhir.Resource
	}{{"match", page.Resources}, {"include", page.Included}} {
		for _, res := range group.rs {
			body, err := a.subset(view, res)
			if err != nil {
				return nil, err
			}
			b.Entries = append(b.Entries, fhir.Entry{FullURL: r.base + "/" + res.Type + "/" + res.ID, Resource: body,
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
	return &response{status: http.StatusOK, body: body}, nil
}
