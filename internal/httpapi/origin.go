package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Every Location header, fullUrl and link the server writes starts with the
// FHIR base. Taking it from whatever Host a client sends would let anyone
// plant their own host in the record's links (and in caches that key on
// them), so the base is the configured one, or else built from a Host on an
// allow-list. X-Forwarded-Proto and X-Forwarded-Host only count when the
// connection comes from a configured proxy; from anyone else they are the
// client's own claims.

// origin decides the public FHIR base of a request.
type origin struct {
	base    string         // SHAREDCARE_BASE_URL; "" derives it per request
	hosts   []string       // allowed Host values: host, host:port, *.domain or *
	proxies []netip.Prefix // peers whose X-Forwarded-* headers are believed
}

// DefaultAllowedHosts are the hosts a server without SHAREDCARE_BASE_URL
// answers to out of the box: its own machine.
var DefaultAllowedHosts = []string{"localhost", "127.0.0.1", "::1"}

// baseURL is the public FHIR base (no trailing slash) for r.
func (o *origin) baseURL(r *http.Request) (string, error) {
	if o.base != "" {
		return o.base, nil
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if o.fromProxy(r) {
		if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
			host = h
		}
	}
	if !o.allowed(host) {
		return "", fhirerr.New(fhirerr.Invalid, "security", "",
			"this server does not answer to the host %q: set SHAREDCARE_BASE_URL, or add the host to SHAREDCARE_ALLOWED_HOSTS", host)
	}
	return scheme + "://" + host + FHIRBase, nil
}

// fromProxy reports whether r's peer is a trusted proxy.
func (o *origin) fromProxy(r *http.Request) bool {
	if len(o.proxies) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range o.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// allowed reports whether host (a Host header: name or IP, with an optional
// port) is on the allow-list. An entry without a port allows every port.
func (o *origin) allowed(host string) bool {
	if host == "" || strings.ContainsAny(host, "/\\@ \t\"'<>") {
		return false
	}
	name, port := host, ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		name, port = h, p
	} else if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		return false // a colon with no valid port, or a bare IPv6 address
	}
	name = strings.ToLower(strings.TrimSuffix(strings.Trim(name, "[]"), "."))
	for _, entry := range o.hosts {
		entry = strings.ToLower(entry)
		if entry == "*" {
			return true
		}
		eName, ePort := entry, ""
		if h, p, err := net.SplitHostPort(entry); err == nil {
			eName, ePort = h, p
		}
		eName = strings.Trim(eName, "[]")
		if ePort != "" && ePort != port {
			continue
		}
		if eName == name || (strings.HasPrefix(eName, "*.") && strings.HasSuffix(name, eName[1:])) {
			return true
		}
	}
	return false
}

// firstValue is the first of a comma-separated header's values: the one the
// outermost proxy set.
func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}
