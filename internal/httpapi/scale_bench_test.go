package httpapi_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/seed"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
)

// BenchmarkScale runs the shared-care searches of issue #3 against a
// database seeded with `sharedcare seed` (and ANALYZEd), named by
// SHAREDCARE_SCALE_DATABASE_URL. Besides ns/op it reports each query's
// p50 and p95 in milliseconds.
//
//	SHAREDCARE_SCALE_DATABASE_URL='postgres://postgres@127.0.0.1:5432/scale?sslmode=disable' \
//	  go test -run '^$' -bench Scale -benchtime 300x ./internal/httpapi
func BenchmarkScale(b *testing.B) {
	url := os.Getenv("SHAREDCARE_SCALE_DATABASE_URL")
	if url == "" {
		b.Skip("set SHAREDCARE_SCALE_DATABASE_URL to a seeded database")
	}
	st, err := sqlstore.Open(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	s := newServer(b, st, 0)
	c := s.client()
	const practices, patients = 500, 48500 // as seeded by sharedcare seed -patients 48500
	queries := []struct {
		name string
		path func(i int) string
	}{
		{"worklist", func(i int) string {
			return fmt.Sprintf("/Task?owner=Organization/gp-%d&status=requested,accepted&_sort=-_lastUpdated", i%practices)
		}},
		{"identifier", func(i int) string {
			return "/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + seed.NHSNumber((i*7919)%patients)
		}},
		{"plan-revinclude", func(i int) string {
			return fmt.Sprintf("/CarePlan?subject=Patient/pat-%d&status=active&_revinclude=Task:based-on", (i*7919)%patients)
		}},
		{"page1", func(i int) string { return "/Communication?_count=20&_sort=_id" }},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			timed(b, func(i int) { call(c, "GET", s.url+q.path(i), "", 200) })
		})
	}
	// Page 100 of the same listing: follow next links to it once, then time it.
	next := s.url + "/Communication?_count=20&_sort=_id"
	for p := 1; p < 100; p++ {
		next = nextLink(call(c, "GET", next, "", 200))
	}
	b.Run("page100", func(b *testing.B) {
		timed(b, func(int) { call(c, "GET", next, "", 200) })
	})
}

// timed runs fn b.N times and reports p50 and p95.
func timed(b *testing.B, fn func(i int)) {
	d := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		fn(i)
		d[i] = time.Since(start)
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[len(d)*95/100].Microseconds())/1000, "p95-ms")
}

func nextLink(body []byte) string {
	s := string(body)
	i := strings.Index(s, `{"relation":"next","url":"`)
	if i < 0 {
		panic("no next link")
	}
	s = s[i+len(`{"relation":"next","url":"`):]
	return strings.ReplaceAll(s[:strings.IndexByte(s, '"')], `\u0026`, "&")
}
