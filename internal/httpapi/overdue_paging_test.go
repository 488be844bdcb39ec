package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// overduePage is what the paging test reads of a $overdue page.
type overduePage struct {
	Total int
	Link  []struct{ Relation, URL string }
	Entry []struct {
		Resource struct {
			ResourceType, ID string
			Issue            []struct {
				Diagnostics string
				Expression  []string
			}
		}
	}
}

func (p overduePage) link(rel string) string {
	for _, l := range p.Link {
		if l.Relation == rel {
			return l.URL
		}
	}
	return ""
}

// TestOverduePaging: five Tasks at risk, two to a page, walked by the next
// links: three pages, every Task once, each page's outcome explaining only
// its own Tasks; a tampered cursor is a 400.
func TestOverduePaging(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		var want []string
		// Two Tasks share a due date, so the order's tie-break (id) is walked too.
		for i, due := range []string{"2026-01-05", "2026-01-04", "2026-01-04", "2026-01-02", "2026-01-01"} {
			want = append(want, s.create(fmt.Sprintf(`{"resourceType":"Task","status":"requested","intent":"order",
				"description":"task %d","restriction":{"period":{"end":%q}}}`, i, due)))
		}
		s.create(`{"resourceType":"Task","status":"requested","intent":"order","restriction":{"period":{"end":"2999-01-01"}}}`) // not at risk
		if want[1] > want[2] {
			want[1], want[2] = want[2], want[1]
		}
		var got []string
		next := s.url + "/Task/$overdue?_count=2"
		pages := 0
		for next != "" {
			pages++
			if pages > 5 {
				t.Fatal("the next links do not end")
			}
			var p overduePage
			r := s.do("GET", strings.TrimPrefix(next, s.url), "").mustStatus(t, http.StatusOK)
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Total != 5 {
				t.Errorf("page %d: total %d, want 5 (every Task at risk)", pages, p.Total)
			}
			if p.link("self") == "" {
				t.Errorf("page %d has no self link", pages)
			}
			var ids, explained []string
			for i, e := range p.Entry {
				switch e.Resource.ResourceType {
				case "Task":
					ids = append(ids, e.Resource.ID)
				case "OperationOutcome":
					if i != len(p.Entry)-1 {
						t.Errorf("page %d: the outcome is not the last entry", pages)
					}
					for j, is := range e.Resource.Issue {
						if diff := cmp.Diff([]string{fmt.Sprintf("Bundle.entry[%d].resource", j)}, is.Expression); diff != "" {
							t.Errorf("page %d reason %d expression (-want +got):\n%s", pages, j, diff)
						}
						explained = append(explained, strings.Fields(is.Diagnostics)[0])
					}
				}
			}
			var wantExplained []string
			for _, id := range ids {
				wantExplained = append(wantExplained, "Task/"+id)
			}
			if diff := cmp.Diff(wantExplained, explained); diff != "" {
				t.Errorf("page %d: the outcome explains (-page's Tasks +explained):\n%s", pages, diff)
			}
			if len(ids) > 2 {
				t.Errorf("page %d has %d Tasks, want at most 2", pages, len(ids))
			}
			got = append(got, ids...)
			next = p.link("next")
		}
		if pages != 3 {
			t.Errorf("%d pages, want 3", pages)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Tasks walked (-want +got):\n%s", diff)
		}
		sorted := append([]string(nil), got...)
		sort.Strings(sorted)
		for i := 1; i < len(sorted); i++ {
			if sorted[i] == sorted[i-1] {
				t.Errorf("Task %s listed twice", sorted[i])
			}
		}

		// A tampered cursor, or one from another owner's list, is a 400.
		var first overduePage
		if err := json.Unmarshal(s.do("GET", "/Task/$overdue?_count=2", "").mustStatus(t, http.StatusOK).body, &first); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(first.link("next"))
		if err != nil {
			t.Fatal(err)
		}
		cursor := u.Query().Get("_cursor")
		for _, bad := range []string{cursor + "x", "x" + cursor, cursor[:strings.LastIndex(cursor, ".")] + ".!!", "garbage", cursor + ".1"} {
			s.do("GET", "/Task/$overdue?_count=2&_cursor="+url.QueryEscape(bad), "").mustStatus(t, http.StatusBadRequest)
		}
		s.do("GET", "/Task/$overdue?_count=2&owner=Organization/x&_cursor="+url.QueryEscape(cursor), "").mustStatus(t, http.StatusBadRequest)
		s.do("GET", "/Task/$overdue?_count=two", "").mustStatus(t, http.StatusBadRequest)
	})
}
