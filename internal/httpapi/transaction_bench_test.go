package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/internal/seed"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// treatmentSummaries builds a transaction of n entries: copies of the
// ten-entry treatment summary in testdata, each for its own patient (a
// conditional create by NHS number) and practice, with fresh placeholders.
func treatmentSummaries(tb testing.TB, n, round int) string {
	tb.Helper()
	raw := treatmentSummary(tb)
	var fixture struct{ Entry []json.RawMessage }
	if err := json.Unmarshal(raw, &fixture); err != nil {
		tb.Fatal(err)
	}
	entries := make([]string, 0, n)
	for copy := 0; len(entries) < n; copy++ {
		r := strings.NewReplacer(
			"urn:uuid:5b0f1a52-0000-4000-8000-", fmt.Sprintf("urn:uuid:%08x-%04x-4000-8000-", round, copy),
			"9000000009", seed.NHSNumber(round*100000+copy), // valid: the server checks the check digit
			"gp-practice-a", fmt.Sprintf("gp-%d-%d", round, copy))
		for _, e := range fixture.Entry {
			if len(entries) < n {
				entries = append(entries, r.Replace(string(e)))
			}
		}
	}
	return txBundle(entries...)
}

// BenchmarkTransaction commits treatment-summary transactions of 100 and
// 1,000 entries through the whole HTTP stack, one at a time.
func BenchmarkTransaction(b *testing.B) {
	for _, d := range testdb.Dialects {
		for _, n := range []int{100, 1000} {
			b.Run(fmt.Sprintf("%s/%d", d, n), func(b *testing.B) {
				s := newServer(b, testdb.Open(b, d), 0)
				c := s.client()
				call(c, "POST", s.url+"/Organization", hospital, 201)
				bodies := make([]string, b.N)
				for i := range bodies {
					bodies[i] = treatmentSummaries(b, n, i)
				}
				b.SetBytes(int64(len(bodies[0])))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					call(c, "POST", s.url, bodies[i], 200)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/tx")
			})
		}
	}
}
