package router

import (
	"github.com/sharedcare/sharedcare/internal/fhir"
)

// Paging is what a paged operation reads of its request: the page size
// (_count, default and bound as for search) and the cursor of the page
// asked for (_cursor, "" for the first).
type Paging struct {
	Count  int
	Cursor string
}

// PagingOf reads the paging parameters of r, so that an operation that
// returns a searchset pages like search does.
func PagingOf(r *Request) (Paging, error) {
	count, err := positiveInt(r.Query.Get("_count"), defaultCount, maxCount, "_count")
	if err != nil {
		return Paging{}, err
	}
	return Paging{Count: count, Cursor: r.Query.Get(cursorParam)}, nil
}

// PageLinks are the links of a page of r's results, as search gives them:
// self, first when this is not the first page, and next when next (the
// cursor of the following page) is not "".
func PageLinks(r *Request, next string) []fhir.Link {
	links := []fhir.Link{{Relation: "self", URL: r.URL}}
	if first := withoutParam(r.URL, cursorParam); first != r.URL {
		links = append(links, fhir.Link{Relation: "first", URL: first})
	}
	if next != "" {
		links = append(links, fhir.Link{Relation: "next", URL: withParam(r.URL, cursorParam, next)})
	}
	return links
}
