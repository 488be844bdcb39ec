package httpapi_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/internal/testdb"
)

// TestHostHeaderIsNotReflected: links come from the configured base or an
// allowed Host, never from whatever Host a client sends.
func TestHostHeaderIsNotReflected(t *testing.T) {
	t.Parallel()
	patient := `{"resourceType":"Patient"}`
	t.Run("unknown host refused, nothing written", func(t *testing.T) {
		s := newServer(t, testdb.Open(t, "sqlite"), 0)
		before := s.rowCounts()
		r := s.do("POST", "/Patient", patient, "Host", "evil.example")
		r.mustStatus(t, http.StatusBadRequest)
		if codes, _ := r.outcome(t); codes[0] != "security" || !strings.Contains(string(r.body), "SHAREDCARE_ALLOWED_HOSTS") {
			t.Errorf("outcome does not say why: %s", r.body)
		}
		if after := s.rowCounts(); after["resources"] != before["resources"] {
			t.Errorf("a refused request wrote: %v -> %v", before, after)
		}
		s.do("GET", "/Patient", "", "Host", "evil.example").mustStatus(t, http.StatusBadRequest)
	})
	t.Run("allowed host is used", func(t *testing.T) {
		s := newServer(t, testdb.Open(t, "sqlite"), 0)
		auth, token := bearer(s.tokenAt("http://localhost:8080/fhir"))
		r := s.do("POST", "/Patient", patient, "Host", "localhost:8080", auth, token).mustStatus(t, http.StatusCreated)
		if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "http://localhost:8080/fhir/Patient/") {
			t.Errorf("Location = %q", loc)
		}
		b := s.do("GET", "/Patient", "", "Host", "localhost:8080", auth, token).mustStatus(t, http.StatusOK)
		if strings.Contains(string(b.body), "127.0.0.1") || !strings.Contains(string(b.body), `"fullUrl":"http://localhost:8080/fhir/Patient/`) {
			t.Errorf("search links are not from the Host: %s", b.body)
		}
	})
	t.Run("configured base wins over any Host", func(t *testing.T) {
		s := newServer(t, testdb.Open(t, "sqlite"), 0, func(o *setup) { o.BaseURL = "https://fhir.example.org/fhir" })
		r := s.do("POST", "/Patient", patient, "Host", "evil.example", "X-Forwarded-Host", "evil2.example").mustStatus(t, http.StatusCreated)
		if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "https://fhir.example.org/fhir/Patient/") {
			t.Errorf("Location = %q", loc)
		}
	})
	t.Run("X-Forwarded-* only from a trusted proxy", func(t *testing.T) {
		s := newServer(t, testdb.Open(t, "sqlite"), 0, func(o *setup) {
			o.AllowedHosts = []string{"fhir.example.org", "127.0.0.1"}
		})
		auth, token := bearer(s.tokenAt("http://fhir.example.org/fhir"))
		r := s.do("POST", "/Patient", patient, "Host", "fhir.example.org", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example", auth, token)
		if loc := r.mustStatus(t, http.StatusCreated).header.Get("Location"); !strings.HasPrefix(loc, "http://fhir.example.org/fhir/") {
			t.Errorf("untrusted peer's forwarded headers were used: Location = %q", loc)
		}
		trusted := newServer(t, testdb.Open(t, "sqlite"), 0, func(o *setup) {
			o.AllowedHosts = []string{"fhir.example.org"}
			o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		})
		r = trusted.do("POST", "/Patient", patient, "Host", "127.0.0.1:1234", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "fhir.example.org",
			"Authorization", "Bearer "+trusted.tokenAt("https://fhir.example.org/fhir"))
		if loc := r.mustStatus(t, http.StatusCreated).header.Get("Location"); !strings.HasPrefix(loc, "https://fhir.example.org/fhir/Patient/") {
			t.Errorf("trusted proxy's forwarded headers were not used: Location = %q", loc)
		}
		trusted.do("POST", "/Patient", patient, "Host", "127.0.0.1:1234", "X-Forwarded-Host", "evil.example").mustStatus(t, http.StatusBadRequest)
	})
}

// TestSecurityHeaders: no sniffing anywhere; nothing under the FHIR base but
// the CapabilityStatement may be cached.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := newServer(t, testdb.Open(t, "sqlite"), 0)
	id := s.create(`{"resourceType":"Patient","name":[{"family":"Smith"}]}`)
	tests := []struct {
		method, path string
		noStore      bool
	}{
		{"GET", "/Patient/" + id, true},
		{"GET", "/Patient?family=Smith", true},
		{"GET", "/Patient/" + id + "/_history", true},
		{"GET", "/Patient/missing", true},
		{"GET", "/Nope", true},
		{"GET", "", true},
		{"GET", "/metadata", false},
		{"GET", "//healthz", false},
		{"GET", "//openapi.json", false},
	}
	for _, tt := range tests {
		r := s.do(tt.method, tt.path, "")
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options = %q", tt.method, tt.path, got)
		}
		if got := r.header.Get("Cache-Control"); (got == "no-store") != tt.noStore {
			t.Errorf("%s %s: Cache-Control = %q, want no-store: %v", tt.method, tt.path, got, tt.noStore)
		}
	}
	r := s.do("POST", "/Patient", `{"resourceType":"Patient"}`).mustStatus(t, http.StatusCreated)
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("create: Cache-Control = %q", r.header.Get("Cache-Control"))
	}
}
