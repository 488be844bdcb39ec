package router

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

const (
	defaultCount = 20
	maxCount     = 1000
	// cursorParam carries the keyset cursor in next links: paging stays
	// correct while others write, unlike an offset.
	cursorParam = "_cursor"
)

// history returns a history Bundle at the instance, type or system level.
func (rt *Router) history(ctx context.Context, r *Request) (*Response, error) {
	count, err := positiveInt(r.Query.Get("_count"), defaultCount, maxCount, "_count")
	if err != nil {
		return nil, err
	}
	q := store.HistoryQuery{Type: r.Type, ID: r.ID, Types: r.types, Count: max(count, 1)}
	if s := r.Query.Get("_since"); s != "" {
		if q.Since, err = parseInstant(s); err != nil {
			return nil, fhirerr.Invalidf("", "_since=%q is not a valid instant (e.g. 2026-11-21T09:00:00Z): %v", s, err)
		}
	}
	if c := r.Query.Get(cursorParam); c != "" {
		if q.Before, err = strconv.ParseInt(c, 10, 64); err != nil || q.Before < 1 {
			return nil, fhirerr.Invalidf("", "%s=%q is not a paging cursor from a next link", cursorParam, c)
		}
	}
	if r.Query.Has("_at") {
		return nil, fhirerr.NotSupportedf("_at is not supported on history; use _since")
	}
	page, err := r.Service.History(ctx, q)
	if err != nil {
		return nil, err
	}
	b := &fhir.Bundle{Type: "history", Total: &page.Total, Links: []fhir.Link{{Relation: "self", URL: r.URL}}}
	if count == 0 {
		page.Versions, page.Next = nil, 0
	}
	if page.Next != 0 {
		b.Links = append(b.Links, fhir.Link{Relation: "next", URL: withParam(r.URL, cursorParam, strconv.FormatInt(page.Next, 10))})
	}
	for _, v := range page.Versions {
		b.Entries = append(b.Entries, historyEntry(r.Base, v))
	}
	body, err := b.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusOK, Body: body}, nil
}

func historyEntry(base string, v *fhir.Resource) fhir.Entry {
	e := fhir.Entry{
		FullURL: base + "/" + v.Type + "/" + v.ID,
		Request: &fhir.EntryRequest{Method: v.Method, URL: v.Type + "/" + v.ID},
		Response: &fhir.EntryResponse{Status: "200 OK", Etag: v.ETag(), LastModified: fhir.Instant(v.LastUpdated),
			Location: v.Type + "/" + v.ID + "/_history/" + v.VersionID()},
	}
	switch {
	case v.Method == http.MethodDelete:
		e.Response.Status = "204 No Content"
	case v.Version == 1:
		e.Response.Status = "201 Created"
	}
	if v.Method == http.MethodPost {
		e.Request.URL = v.Type
	}
	if !v.Deleted {
		e.Resource = v.Body
	}
	return e
}

// withParam returns rawURL with one query parameter set.
func withParam(rawURL, name, value string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	q, err := search.ParseQuery(u.RawQuery)
	if err != nil {
		return rawURL
	}
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// withoutParam returns rawURL without one query parameter.
func withoutParam(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	q, err := search.ParseQuery(u.RawQuery)
	if err != nil || !q.Has(name) {
		return rawURL
	}
	q.Del(name)
	u.RawQuery = q.Encode()
	return u.String()
}

// parseInstant reads a FHIR instant or dateTime (a date alone is midnight UTC).
func parseInstant(s string) (time.Time, error) {
	s = strings.ReplaceAll(s, " ", "+") // an unescaped '+' in a query string arrives as a space
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return time.Time{}, err
}
