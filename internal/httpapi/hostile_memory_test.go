package httpapi_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/testdb"
)

// inProcess prepares one request to run through the handler without a
// network, so what serving it allocates is the server's own doing.
func inProcess(h http.Handler, token string, c hostileCase) (serve func() int) {
	req := httptest.NewRequest(c.method, httpapiBase+c.path, bytes.NewReader([]byte(c.body)))
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Set("Authorization", "Bearer "+token)
	if ct := contentType(c); ct != nil {
		req.Header.Set(ct[0], ct[1])
	}
	return func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
}

const httpapiBase = "http://localhost/fhir" // an allowed Host

// allocated is what fn allocates, as runtime.MemStats counts it.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestRefusedBodyCostsLittle: a body refused by a limit allocates at most
// a few times its own size, however hostile (before the limits, 0.8 MB of
// given names cost 536 MB). Not parallel: it reads process-wide counters.
func TestRefusedBodyCostsLittle(t *testing.T) {
	s := newLimitedServer(t, testdb.Open(t, "sqlite"))
	h, token := s.http.Config.Handler, s.tokenAt(httpapiBase)
	for _, c := range hostileBodies() {
		if c.status != http.StatusRequestEntityTooLarge {
			continue
		}
		var status int
		serve := inProcess(h, token, c)
		got := allocated(func() { status = serve() })
		if status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, status, c.status)
		}
		if budget := 2*uint64(len(c.body)) + 1<<20; got > budget {
			t.Errorf("%s: a %d-byte body allocated %d bytes, over %d", c.name, len(c.body), got, budget)
		}
		t.Logf("%s: %d-byte body, %d bytes allocated", c.name, len(c.body), got)
	}
}

// heapPeak samples the live heap while fn runs and returns the highest
// value seen above the heap before fn.
func heapPeak(fn func()) (peak uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var max atomic.Uint64
	done := make(chan struct{})
	go func() {
		for {
			if v := read(); v > max.Load() {
				max.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	fn()
	close(done)
	if m := max.Load(); m > base {
		return m - base
	}
	return 0
}

// BenchmarkHostileBodies measures each hostile body (and resources at the
// limits) through the handler on each database: allocations per request
// and the peak of the live heap above where it started.
//
//	go test -run '^$' -bench HostileBodies -benchtime 3x ./internal/httpapi/
func BenchmarkHostileBodies(b *testing.B) {
	for _, dialect := range testdb.Dialects {
		b.Run(dialect, func(b *testing.B) { benchmarkHostileBodies(b, dialect) })
	}
}

func benchmarkHostileBodies(b *testing.B, dialect string) {
	s := newLimitedServer(b, testdb.Open(b, dialect))
	h, token := s.http.Config.Handler, s.tokenAt(httpapiBase)
	cases := hostileBodies()
	atLimit := hostileCase{name: "accepted: 1,000 given names", method: "POST", path: "/Patient",
		body: patientWithGiven(strings.Split(strings.TrimSuffix(strings.Repeat(`"abcdefgh",`, 1000), ","), ",")), status: 201}
	manyValues := `{"resourceType":"Patient","name":[` + strings.TrimSuffix(strings.Repeat(`{"given":[`+strings.TrimSuffix(strings.Repeat(`"a",`, 95), ",")+`]},`, 200), ",") + `]}`
	nodes := hostileCase{name: "accepted: 19,403 JSON values", method: "POST", path: "/Patient", body: manyValues, status: 201}
	cases = append(cases, atLimit, nodes)
	for _, c := range cases {
		b.Run(strings.ReplaceAll(c.name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				b.StopTimer()
				serve := inProcess(h, token, c)
				b.StartTimer()
				peak = max(peak, heapPeak(func() {
					if got := serve(); got != c.status {
						b.Fatalf("status %d, want %d", got, c.status)
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
			b.ReportMetric(float64(len(c.body))/(1<<20), "body-MB")
		})
	}
}
