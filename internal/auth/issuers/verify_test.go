package issuers

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// caller is what a test checks of a Principal.
type caller struct{ ClientID, Organization, User, Scopes string }

func TestAuthenticateValid(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	rs, es := ti.addKey(t, jose.RS256), ti.addKey(t, jose.ES384)
	v := New(context.Background(), []Issuer{ti.config()}, ti.srv.Client())
	for _, tt := range []struct {
		name    string
		kid     string
		changes map[string]any
		want    caller
	}{
		{name: "scope string, RS256", kid: rs,
			want: caller{"gp-system", "Organization/gp-practice-a", "", "system/Patient.rs system/Task.cru"}},
		{name: "scp string, ES384, bare organization id, user", kid: es,
			changes: map[string]any{"scope": nil, "scp": "system/Task.rs", "org": "gp-practice-b", "fhirUser": "Practitioner/dr-jones"},
			want:    caller{"gp-system", "Organization/gp-practice-b", "Practitioner/dr-jones", "system/Task.rs"}},
		{name: "scp array, client_id, aud list", kid: rs,
			changes: map[string]any{"scope": nil, "scp": []string{"system/Patient.r", "system/Observation.rs?category=laboratory"}, "azp": nil,
				"client_id": "epr", "aud": []string{"other", audience}},
			want: caller{"epr", "Organization/gp-practice-a", "", "system/Patient.r system/Observation.rs?category=laboratory"}},
		{name: "sub when nothing else names the client, no scopes", kid: rs,
			changes: map[string]any{"scope": nil, "azp": nil},
			want:    caller{"svc-1", "Organization/gp-practice-a", "", ""}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Authenticate(context.Background(), ti.sign(t, tt.kid, ti.claims(tt.changes)), "ignored")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, caller{p.ClientID, p.Organization, p.User, p.Scopes.String()}); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
			if p.Kind != auth.Client || p.Issuer != ti.srv.URL || p.Unrestricted {
				t.Errorf("principal %+v: want a restricted client of issuer %s", p, ti.srv.URL)
			}
		})
	}
	if !v.Trusts(ti.srv.URL) || v.Trusts("https://elsewhere.example") {
		t.Errorf("Trusts: want only %s", ti.srv.URL)
	}
}

// TestKeyRotation: a token signed with a key the issuer published after the
// JWKS was cached is verified after one refetch; known keys cost none.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	old := ti.addKey(t, jose.RS384)
	v := New(context.Background(), []Issuer{ti.config()}, ti.srv.Client())
	ctx := context.Background()
	if _, err := v.Authenticate(ctx, ti.sign(t, old, ti.claims(nil)), ""); err != nil {
		t.Fatal(err)
	}
	if n := ti.jwksHits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times for the first token, want 1", n)
	}
	rotated := ti.addKey(t, jose.ES256)
	if _, err := v.Authenticate(ctx, ti.sign(t, rotated, ti.claims(nil)), ""); err != nil {
		t.Fatalf("token signed with the rotated key: %v", err)
	}
	if _, err := v.Authenticate(ctx, ti.sign(t, old, ti.claims(nil)), ""); err != nil {
		t.Fatal(err)
	}
	if n := ti.jwksHits.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2 (once more for the unknown kid, none for known ones)", n)
	}
}

func TestAuthenticateRefused(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	kid := ti.addKey(t, jose.RS256)
	other := newTestIssuer(t) // a real issuer, but not a trusted one
	otherKid := other.addKey(t, jose.RS256)
	v := New(context.Background(), []Issuer{ti.config()}, ti.srv.Client())
	valid := ti.sign(t, kid, ti.claims(nil))
	parts := strings.Split(valid, ".")

	signing := ti.keys[kid]
	pub := signing.Public().Key
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	claimsJSON, _ := json.Marshal(ti.claims(nil))
	b64 := base64.RawURLEncoding.EncodeToString
	wrongKey := ti.keys[kid]
	wrongKey.Key = newKey(t, jose.RS256) // the same kid, another key

	for _, tt := range []struct{ name, token, why string }{
		{"wrong audience", ti.sign(t, kid, ti.claims(map[string]any{"aud": "https://other.example/fhir"})), `expected audience`},
		{"expired", ti.sign(t, kid, ti.claims(map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})), `expired`},
		{"no exp", ti.sign(t, kid, ti.claims(map[string]any{"exp": nil})), `expired`},
		{"not yet valid", ti.sign(t, kid, ti.claims(map[string]any{"nbf": time.Now().Add(10 * time.Minute).Unix()})), `nbf`},
		{"untrusted issuer", other.sign(t, otherKid, other.claims(nil)), `not trusted`},
		{"untrusted issuer claiming a trusted one's iss", other.sign(t, otherKid, ti.claims(nil)), `verify`},
		{"alg none", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(claimsJSON) + ".", `not a JWT signed`},
		{"HS256 keyed with the public key", signWith(t, jose.HS256, pubPEM, ti.claims(nil)), `not a JWT signed`},
		{"wrong key under a known kid", signWith(t, jose.RS256, wrongKey, ti.claims(nil)), `verify`},
		{"tampered payload", parts[0] + "." + b64([]byte(strings.Replace(string(claimsJSON), "gp-practice-a", "hospital", 1))) + "." + parts[2], `verify`},
		{"missing organization", ti.sign(t, kid, ti.claims(map[string]any{"org": nil})), `claim "org"`},
		{"organization of another type", ti.sign(t, kid, ti.claims(map[string]any{"org": "Patient/p1"})), `claim "org"`},
		{"organization not a string", ti.sign(t, kid, ti.claims(map[string]any{"org": 42})), `claim "org"`},
		{"malformed scope", ti.sign(t, kid, ti.claims(map[string]any{"scope": "system/Task.rr"})), `system/Task.rr`},
		{"scope not a string", ti.sign(t, kid, ti.claims(map[string]any{"scope": []string{"system/Task.r"}})), `claim scope`},
		{"empty user", ti.sign(t, kid, ti.claims(map[string]any{"fhirUser": ""})), `claim "fhirUser"`},
		{"no client", ti.sign(t, kid, ti.claims(map[string]any{"azp": nil, "sub": nil})), `no client`},
		{"not a JWT", "not-a-token", `not a JWT signed`},
		{"oversized", strings.Repeat("a", MaxTokenBytes+1), `not a JWT signed`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Authenticate(context.Background(), tt.token, "")
			if !errors.Is(err, auth.ErrInvalidToken) || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("Authenticate = %+v, %v; want an error wrapping ErrInvalidToken, saying %q", p, err, tt.why)
			}
		})
	}
}

// TestIssuerDownAtStart: an issuer unreachable when the server starts is
// no reason not to start; its tokens get 503 (not 401) until it is back.
func TestIssuerDownAtStart(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	kid := ti.addKey(t, jose.ES256)
	ti.down.Store(true)
	v := New(context.Background(), []Issuer{ti.config()}, ti.srv.Client())
	token := ti.sign(t, kid, ti.claims(nil))
	_, err := v.Authenticate(context.Background(), token, "")
	if err == nil || errors.Is(err, auth.ErrInvalidToken) || !fhirerr.Is(err, fhirerr.Unavailable) {
		t.Fatalf("issuer down: Authenticate error = %v, want fhirerr.Unavailable, not ErrInvalidToken", err)
	}
	ti.down.Store(false)
	// Within the retry interval the failure is remembered, not retried.
	if _, err := v.Authenticate(context.Background(), token, ""); !fhirerr.Is(err, fhirerr.Unavailable) {
		t.Fatalf("just after a failed discovery: %v, want Unavailable without trying again", err)
	}
	v.retryAfter = 0 // the interval has passed
	if _, err := v.Authenticate(context.Background(), token, ""); err != nil {
		t.Fatalf("issuer back: %v", err)
	}
	// Its JWKS unreachable for a kid not cached: 503 again, not 401.
	ti.down.Store(true)
	_, err = v.Authenticate(context.Background(), ti.sign(t, ti.addKey(t, jose.ES256), ti.claims(nil)), "")
	if errors.Is(err, auth.ErrInvalidToken) || !fhirerr.Is(err, fhirerr.Unavailable) {
		t.Errorf("JWKS down: Authenticate error = %v, want fhirerr.Unavailable", err)
	}
}
