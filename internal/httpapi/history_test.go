package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// entries lists "METHOD Type/id status" for each history entry.
func entries(t *testing.T, bundle map[string]any) []string {
	t.Helper()
	if bundle["resourceType"] != "Bundle" || bundle["type"] != "history" {
		t.Fatalf("not a history Bundle: %v", bundle)
	}
	out := []string{}
	es, _ := bundle["entry"].([]any)
	for _, e := range es {
		e := e.(map[string]any)
		req := e["request"].(map[string]any)
		resp := e["response"].(map[string]any)
		label := req["method"].(string) + " " + strings.TrimPrefix(e["fullUrl"].(string)[strings.Index(e["fullUrl"].(string), "/fhir/")+6:], "") + " " + resp["status"].(string)
		if _, has := e["resource"]; has == (req["method"] == "DELETE") {
			t.Errorf("entry %s: resource present = %v", label, has)
		}
		out = append(out, label)
	}
	return out
}

func link(bundle map[string]any, rel string) string {
	ls, _ := bundle["link"].([]any)
	for _, l := range ls {
		if l := l.(map[string]any); l["relation"] == rel {
			return l["url"].(string)
		}
	}
	return ""
}

func TestHistory(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Patient/a", `{"resourceType":"Patient","id":"a"}`).mustStatus(t, http.StatusCreated)
		s.do("PUT", "/Organization/gp", `{"resourceType":"Organization","id":"gp","name":"Valley Surgery"}`).mustStatus(t, http.StatusCreated)
		time.Sleep(5 * time.Millisecond) // lastUpdated has millisecond precision; _since below must split the writes
		since := time.Now().UTC().Format(time.RFC3339Nano)
		time.Sleep(5 * time.Millisecond)
		s.do("PUT", "/Patient/a", `{"resourceType":"Patient","id":"a","active":true}`).mustStatus(t, http.StatusOK)
		s.do("DELETE", "/Patient/a", "").mustStatus(t, http.StatusOK)

		// System history holds the Provenance of each of the four writes
		// too (provenances), listed apart: their ids are the server's and
		// each shares its write's millisecond.
		tests := []struct {
			path        string
			want        []string
			provenances int
		}{
			{"/Patient/a/_history", []string{"DELETE Patient/a 204 No Content", "PUT Patient/a 200 OK", "PUT Patient/a 201 Created"}, 0},
			{"/Patient/_history", []string{"DELETE Patient/a 204 No Content", "PUT Patient/a 200 OK", "PUT Patient/a 201 Created"}, 0},
			{"/_history", []string{"DELETE Patient/a 204 No Content", "PUT Patient/a 200 OK", "PUT Organization/gp 201 Created", "PUT Patient/a 201 Created"}, 4},
			{"/_history?_since=" + url.QueryEscape(since), []string{"DELETE Patient/a 204 No Content", "PUT Patient/a 200 OK"}, 2},
			{"/Organization/_history", []string{"PUT Organization/gp 201 Created"}, 0},
			{"/Goal/_history", []string{}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.path, func(t *testing.T) {
				b := s.do("GET", tt.path, "").mustStatus(t, http.StatusOK).json(t)
				got, provenances := []string{}, 0
				for _, e := range entries(t, b) {
					if strings.HasPrefix(e, "POST Provenance/") && strings.HasSuffix(e, " 201 Created") {
						provenances++
						continue
					}
					got = append(got, e)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("entries (-want +got):\n%s", diff)
				}
				if provenances != tt.provenances {
					t.Errorf("%d Provenance entries, want %d", provenances, tt.provenances)
				}
				if b["total"] != float64(len(tt.want)+tt.provenances) {
					t.Errorf("total = %v, want %d", b["total"], len(tt.want)+tt.provenances)
				}
				if !strings.HasSuffix(link(b, "self"), tt.path) {
					t.Errorf("self link = %q", link(b, "self"))
				}
			})
		}
		// The first create of a history entry reads back with its request as written.
		s.create(`{"resourceType":"Organization","name":"Oncology"}`)
		b := s.do("GET", "/Organization/_history", "").json(t)
		first := b["entry"].([]any)[0].(map[string]any)
		if diff := cmp.Diff(map[string]any{"method": "POST", "url": "Organization"}, first["request"]); diff != "" {
			t.Errorf("POST entry request (-want +got):\n%s", diff)
		}
	})
}

func TestHistoryPaging(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		for i := 0; i < 5; i++ {
			s.create(`{"resourceType":"Practitioner"}`)
		}
		var seen []string
		next := s.url + "/Practitioner/_history?_count=2"
		for pages := 0; next != ""; pages++ {
			if pages > 3 {
				t.Fatal("paging does not end")
			}
			b := s.do("GET", strings.TrimPrefix(next, s.url), "").mustStatus(t, http.StatusOK).json(t)
			seen = append(seen, entries(t, b)...)
			s.create(`{"resourceType":"Practitioner"}`) // writes between pages must not shift the pages
			next = link(b, "next")
		}
		if len(seen) != 5 {
			t.Errorf("paged through %d entries, want 5: %v", len(seen), seen)
		}
		b := s.do("GET", "/Practitioner/_history?_count=0", "").mustStatus(t, http.StatusOK).json(t)
		if b["entry"] != nil || b["total"] != float64(8) {
			t.Errorf("_count=0: entry %v total %v; want no entries and total 8", b["entry"], b["total"])
		}
	})
}
