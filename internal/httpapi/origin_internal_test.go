package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestOriginAllowed(t *testing.T) {
	t.Parallel()
	o := &origin{hosts: []string{"localhost", "127.0.0.1", "::1", "fhir.example.org:8443", "*.trust.nhs.uk"}}
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"localhost:8080", true},
		{"LOCALHOST:8080", true},
		{"localhost.", true},
		{"127.0.0.1:9", true},
		{"[::1]:8080", true},
		{"[::1]", true},
		{"fhir.example.org:8443", true},
		{"fhir.example.org", false}, // the entry names a port
		{"fhir.example.org:443", false},
		{"a.trust.nhs.uk", true},
		{"b.a.trust.nhs.uk:443", true},
		{"trust.nhs.uk", false},
		{"eviltrust.nhs.uk", false},
		{"evil.example", false},
		{"localhost.evil.example", false},
		{"", false},
		{"localhost:8080/x", false},
		{"user@localhost", false},
		{"localhost:abc:def", false},
		{"::1", false}, // a bare IPv6 address is not a valid Host
		{"local host", false},
	}
	for _, tt := range tests {
		if got := o.allowed(tt.host); got != tt.want {
			t.Errorf("allowed(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
	if !(&origin{hosts: []string{"*"}}).allowed("anything.example:1") {
		t.Error(`"*" does not allow every host`)
	}
}

func TestOriginBaseURL(t *testing.T) {
	t.Parallel()
	proxy := netip.MustParsePrefix("10.1.0.0/16")
	tests := []struct {
		name       string
		o          origin
		remote     string
		host       string
		headers    map[string]string
		want       string
		wantRefuse bool
	}{
		{name: "configured base wins", o: origin{base: "https://fhir.example.org/fhir", hosts: DefaultAllowedHosts},
			remote: "192.0.2.1:5000", host: "evil.example", want: "https://fhir.example.org/fhir"},
		{name: "allowed host", o: origin{hosts: DefaultAllowedHosts}, remote: "192.0.2.1:5000", host: "localhost:8080",
			want: "http://localhost:8080/fhir"},
		{name: "host not allowed", o: origin{hosts: DefaultAllowedHosts}, remote: "192.0.2.1:5000", host: "evil.example", wantRefuse: true},
		{name: "forwarded headers from a stranger are ignored", o: origin{hosts: DefaultAllowedHosts, proxies: []netip.Prefix{proxy}},
			remote: "192.0.2.1:5000", host: "localhost:8080",
			headers: map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}, want: "http://localhost:8080/fhir"},
		{name: "forwarded headers from a trusted proxy", o: origin{hosts: []string{"fhir.example.org"}, proxies: []netip.Prefix{proxy}},
			remote: "10.1.2.3:5000", host: "10.1.9.9:8080",
			headers: map[string]string{"X-Forwarded-Host": "fhir.example.org, inner.local", "X-Forwarded-Proto": "https"}, want: "https://fhir.example.org/fhir"},
		{name: "a trusted proxy's host must be allowed too", o: origin{hosts: []string{"fhir.example.org"}, proxies: []netip.Prefix{proxy}},
			remote: "10.1.2.3:5000", host: "fhir.example.org", headers: map[string]string{"X-Forwarded-Host": "evil.example"}, wantRefuse: true},
		{name: "an odd forwarded scheme is ignored", o: origin{hosts: []string{"fhir.example.org"}, proxies: []netip.Prefix{proxy}},
			remote: "10.1.2.3:5000", host: "fhir.example.org", headers: map[string]string{"X-Forwarded-Proto": "javascript"}, want: "http://fhir.example.org/fhir"},
		{name: "IPv4-mapped proxy address", o: origin{hosts: []string{"fhir.example.org"}, proxies: []netip.Prefix{proxy}},
			remote: "[::ffff:10.1.2.3]:5000", host: "x.local", headers: map[string]string{"X-Forwarded-Host": "fhir.example.org"}, want: "http://fhir.example.org/fhir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/fhir/Patient", nil)
			r.RemoteAddr, r.Host = tt.remote, tt.host
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			got, err := tt.o.baseURL(r)
			if tt.wantRefuse {
				if err == nil {
					t.Fatalf("baseURL = %q, want a refusal", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("baseURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
