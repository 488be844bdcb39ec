package httpapi_test

import (
	"bytes"
	"net/http"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

const appOrigin = "https://app.example.org"

func TestCORS(t *testing.T) {
	t.Parallel()
	st := testdb.Open(t, "sqlite")
	withCORS := newServer(t, st, 0, func(s *setup) { s.CORSOrigins = []string{appOrigin, "http://localhost:3000"} })
	without := newServer(t, st, 0)

	t.Run("allowed origin", func(t *testing.T) {
		r := withCORS.do("GET", "/metadata", "", "Origin", appOrigin).mustStatus(t, http.StatusOK)
		if got := r.header.Get("Access-Control-Allow-Origin"); got != appOrigin {
			t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, appOrigin)
		}
		expose := strings.ToLower(r.header.Get("Access-Control-Expose-Headers"))
		for _, h := range []string{"location", "etag", "last-modified", "content-location", "x-request-id"} {
			if !strings.Contains(expose, h) {
				t.Errorf("Access-Control-Expose-Headers = %q lacks %s", expose, h)
			}
		}
	})
	t.Run("preflight", func(t *testing.T) {
		r := withCORS.do("OPTIONS", "/Patient/p1", "", "Origin", appOrigin, "Access-Control-Request-Method", "PUT",
			"Access-Control-Request-Headers", "authorization, content-type, if-match, prefer").mustStatus(t, http.StatusNoContent)
		if got := r.header.Get("Access-Control-Allow-Origin"); got != appOrigin {
			t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, appOrigin)
		}
		if m := r.header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "PUT") || !strings.Contains(m, "PATCH") {
			t.Errorf("Access-Control-Allow-Methods = %q", m)
		}
		allow := strings.ToLower(r.header.Get("Access-Control-Allow-Headers"))
		for _, h := range []string{"authorization", "content-type", "if-match", "if-none-match", "if-none-exist", "if-modified-since", "prefer"} {
			if !strings.Contains(allow, h) {
				t.Errorf("Access-Control-Allow-Headers = %q lacks %s", allow, h)
			}
		}
		if r.header.Get("Access-Control-Allow-Credentials") != "" {
			t.Error("credentials allowed; the API takes none")
		}
	})
	t.Run("other origin", func(t *testing.T) {
		r := withCORS.do("GET", "/metadata", "", "Origin", "https://evil.example").mustStatus(t, http.StatusOK)
		r2 := withCORS.do("OPTIONS", "/Patient/p1", "", "Origin", "https://evil.example", "Access-Control-Request-Method", "PUT")
		for _, h := range []http.Header{r.header, r2.header} {
			for name := range h {
				if strings.HasPrefix(name, "Access-Control-") {
					t.Errorf("another origin got %s: %s", name, h.Get(name))
				}
			}
		}
		if r2.status == http.StatusNoContent {
			t.Error("a preflight from another origin was answered 204")
		}
	})
	t.Run("disabled by default", func(t *testing.T) {
		r := without.do("GET", "/metadata", "", "Origin", appOrigin).mustStatus(t, http.StatusOK)
		r2 := without.do("OPTIONS", "/Patient/p1", "", "Origin", appOrigin, "Access-Control-Request-Method", "PUT")
		for _, h := range []http.Header{r.header, r2.header} {
			for name := range h {
				if strings.HasPrefix(name, "Access-Control-") {
					t.Errorf("CORS header %s sent with no origins configured", name)
				}
			}
		}
	})
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		db, err := st.DB()
		if err != nil {
			t.Fatal(err)
		}
		s := newServer(t, st, 0, func(s *setup) {
			s.MetricsCollectors = []prometheus.Collector{collectors.NewDBStatsCollector(db, "sharedcare")}
		})
		id := s.create(`{"resourceType":"Patient","gender":"female"}`)
		s.do("GET", "/Patient/"+id, "").mustStatus(t, http.StatusOK)
		s.do("GET", "/Patient/"+id, "").mustStatus(t, http.StatusOK)
		s.do("GET", "/Patient/nobody", "").mustStatus(t, http.StatusNotFound)
		s.do("GET", "/Patient?gender=female", "").mustStatus(t, http.StatusOK)
		s.do("GET", "/Nonsense/x1", "").mustStatus(t, http.StatusNotFound)
		s.do("GET", "/Patient/"+id+"/_history/1", "").mustStatus(t, http.StatusOK)
		s.do("POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"Patient/`+id+`"}}]}`).
			mustStatus(t, http.StatusOK)
		s.do("POST", "", `{"resourceType":"Bundle","type":"batch","entry":[]}`).mustStatus(t, http.StatusOK)
		s.do("GET", "/Task/$overdue", "").mustStatus(t, http.StatusOK)
		s.do("GET", "/Patient/"+id+"/Nowhere/x/y", "").mustStatus(t, http.StatusNotFound)

		r := s.do("GET", "//metrics", "").mustStatus(t, http.StatusOK)
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("/metrics is not Prometheus text: %v\n%s", err, r.body)
		}
		counts := map[string]float64{}
		for _, m := range families["sharedcare_http_requests_total"].GetMetric() {
			counts[labels(m, "interaction", "type", "status")] = m.GetCounter().GetValue()
			if l := labels(m, "type"); strings.Contains(l, id) || strings.Contains(l, "Nonsense") {
				t.Errorf("a label holds a request's own value: %s", l)
			}
		}
		for want, n := range map[string]float64{
			"create Patient 201":      1,
			"read Patient 200":        2,
			"read Patient 404":        1,
			"search-type Patient 200": 1,
			"read other 404":          1,
			"vread Patient 200":       1,
			"transaction  200":        1,
			"batch  200":              1,
			"operation Task 200":      1,
			"unknown  404":            1,
		} {
			if counts[want] != n {
				t.Errorf("requests{%s} = %v, want %v (all: %v)", want, counts[want], n, counts)
			}
		}
		var reads uint64
		for _, m := range families["sharedcare_http_request_duration_seconds"].GetMetric() {
			if labels(m, "interaction", "type") == "read Patient" {
				reads = m.GetHistogram().GetSampleCount()
			}
		}
		if reads != 3 {
			t.Errorf("latency histogram of Patient reads holds %d requests, want 3", reads)
		}
		for _, name := range []string{"go_sql_max_open_connections", "go_sql_in_use_connections", "go_goroutines", "process_cpu_seconds_total"} {
			if families[name] == nil {
				t.Errorf("/metrics lacks %s", name)
			}
		}
		if got := families["go_sql_max_open_connections"].GetMetric()[0].GetGauge().GetValue(); got < 1 {
			t.Errorf("go_sql_max_open_connections = %v", got)
		}
	})
}

// labels renders the values of a metric's named labels, space-separated.
func labels(m *dto.Metric, names ...string) string {
	var vals []string
	for _, n := range names {
		for _, l := range m.GetLabel() {
			if l.GetName() == n {
				vals = append(vals, l.GetValue())
			}
		}
	}
	return strings.Join(vals, " ")
}

// TestDocsOffline: /docs and everything it loads come from the server
// itself, with the right content types, so it works without internet.
func TestDocsOffline(t *testing.T) {
	t.Parallel()
	s := newServer(t, testdb.Open(t, "sqlite"), 0)
	page := s.do("GET", "//docs", "").mustStatus(t, http.StatusOK)
	if ct := page.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/docs Content-Type = %q", ct)
	}
	if external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]`).FindString(string(page.body)); external != "" {
		t.Errorf("/docs refers to %q, outside the server", external)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page.body), -1)
	want := map[string]string{".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
	var scripts int
	for _, m := range refs {
		ref := m[1]
		if !strings.HasPrefix(ref, "/docs/") {
			t.Errorf("/docs refers to %q, not under /docs/", ref)
			continue
		}
		r := s.do("GET", "/"+ref, "").mustStatus(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, want[path.Ext(ref)]) || want[path.Ext(ref)] == "" {
			t.Errorf("%s Content-Type = %q", ref, ct)
		}
		if len(r.body) == 0 {
			t.Errorf("%s is empty", ref)
		}
		if strings.HasSuffix(ref, ".js") {
			scripts++
			if bytes.Contains(r.body, []byte("https://unpkg.com")) || bytes.Contains(r.body, []byte("cdn.jsdelivr")) {
				t.Errorf("%s loads from a CDN", ref)
			}
		}
	}
	if scripts < 2 {
		t.Errorf("/docs loads %d scripts, want Swagger UI and its start-up: %s", scripts, page.body)
	}
	if start := s.do("GET", "//docs/start.js", ""); !bytes.Contains(start.body, []byte(`"/openapi.json"`)) {
		t.Errorf("the start-up script does not load /openapi.json: %s", start.body)
	}
	for _, p := range []string{"//docs/index.html", "//docs/", "//docs/swagger-initializer.js", "//docs/x/swagger-ui.css"} {
		if r := s.do("GET", p, ""); r.status == http.StatusOK {
			t.Errorf("GET %s = 200; only the page's own assets are served", p)
		}
	}
}
