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
	"github.com/sharedcare/sharedcare/internal/auth/issuers/issuertest"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// caller is what a test checks of a Principal.
type caller struct{ ClientID, Organization, User, Scopes string }

func TestAuthenticateValid(t *testing.T) {
	t.Parallel()
	ti := issuertest.New(t)
	rs, es := ti.AddKey(t, jose.RS256), ti.AddKey(t, jose.ES384)
	v := New(context.Background(), []Issuer{config(ti)}, ti.Client())
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
				"client_id": "epr", "aud": []string{"other", issuertest.Audience}},
			want: caller{"epr", "Organization/gp-practice-a", "", "system/Patient.r system/Observation.rs?category=laboratory"}},
		{name: "sub when nothing else names the client, no scopes", kid: rs,
			changes: map[string]any{"scope": nil, "azp": nil},
			want:    caller{"svc-1", "Organization/gp-practice-a", "", ""}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Authenticate(context.Background(), ti.Sign(t, tt.kid, ti.Claims(tt.changes)), "ignored")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, caller{p.ClientID, p.Organization, p.User, p.Scopes.String()}); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
			if p.Kind != auth.Client || p.Issuer != ti.URL() || p.Unrestricted {
				t.Errorf("principal %+v: want a restricted client of issuer %s", p, ti.URL())
			}
		})
	}
	if !v.Trusts(ti.URL()) || v.Trusts("https://elsewhere.example") {
		t.Errorf("Trusts: want only %s", ti.URL())
	}
}

// TestKeyRotation: a token signed with a key the issuer published after the
// JWKS was cached is verified after one refetch; known keys cost none.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	ti := issuertest.New(t)
	old := ti.AddKey(t, jose.RS384)
	v := New(context.Background(), []Issuer{config(ti)}, ti.Client())
	ctx := context.Background()
	if _, err := v.Authenticate(ctx, ti.Sign(t, old, ti.Claims(nil)), ""); err != nil {
		t.Fatal(err)
	}
	if n := ti.JWKSHits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times for the first token, want 1", n)
	}
	rotated := ti.AddKey(t, jose.ES256)
	if _, err := v.Authenticate(ctx, ti.Sign(t, rotated, ti.Claims(nil)), ""); err != nil {
		t.Fatalf("token signed with the rotated key: %v", err)
	}
	if _, err := v.Authenticate(ctx, ti.Sign(t, old, ti.Claims(nil)), ""); err != nil {
		t.Fatal(err)
	}
	if n := ti.JWKSHits.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2 (once more for the unknown kid, none for known ones)", n)
	}
}

func TestAuthenticateRefused(t *testing.T) {
	t.Parallel()
	ti := issuertest.New(t)
	kid := ti.AddKey(t, jose.RS256)
	other := issuertest.New(t) // a real issuer, but not a trusted one
	otherKid := other.AddKey(t, jose.RS256)
	v := New(context.Background(), []Issuer{config(ti)}, ti.Client())
	valid := ti.Sign(t, kid, ti.Claims(nil))
	parts := strings.Split(valid, ".")

	signing := ti.Key(kid)
	pub := signing.Public().Key
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	claimsJSON, _ := json.Marshal(ti.Claims(nil))
	b64 := base64.RawURLEncoding.EncodeToString
	wrongKey := ti.Key(kid)
	wrongKey.Key = issuertest.NewKey(t, jose.RS256) // the same kid, another key

	for _, tt := range []struct{ name, token, why string }{
		{"wrong audience", ti.Sign(t, kid, ti.Claims(map[string]any{"aud": "https://other.example/fhir"})), `expected audience`},
		{"expired", ti.Sign(t, kid, ti.Claims(map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})), `expired`},
		{"no exp", ti.Sign(t, kid, ti.Claims(map[string]any{"exp": nil})), `expired`},
		{"not yet valid", ti.Sign(t, kid, ti.Claims(map[string]any{"nbf": time.Now().Add(10 * time.Minute).Unix()})), `nbf`},
		{"untrusted issuer", other.Sign(t, otherKid, other.Claims(nil)), `not trusted`},
		{"untrusted issuer claiming a trusted one's iss", other.Sign(t, otherKid, ti.Claims(nil)), `verify`},
		{"alg none", b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(claimsJSON) + ".", `not a JWT signed`},
		{"HS256 keyed with the public key", issuertest.SignWith(t, jose.HS256, pubPEM, ti.Claims(nil)), `not a JWT signed`},
		{"wrong key under a known kid", issuertest.SignWith(t, jose.RS256, wrongKey, ti.Claims(nil)), `verify`},
		{"tampered payload", parts[0] + "." + b64([]byte(strings.Replace(string(claimsJSON), "gp-practice-a", "hospital", 1))) + "." + parts[2], `verify`},
		{"missing organization", ti.Sign(t, kid, ti.Claims(map[string]any{"org": nil})), `claim "org"`},
		{"organization of another type", ti.Sign(t, kid, ti.Claims(map[string]any{"org": "Patient/p1"})), `claim "org"`},
		{"organization not a string", ti.Sign(t, kid, ti.Claims(map[string]any{"org": 42})), `claim "org"`},
		{"malformed scope", ti.Sign(t, kid, ti.Claims(map[string]any{"scope": "system/Task.rr"})), `system/Task.rr`},
		{"scope not a string", ti.Sign(t, kid, ti.Claims(map[string]any{"scope": []string{"system/Task.r"}})), `claim scope`},
		{"empty user", ti.Sign(t, kid, ti.Claims(map[string]any{"fhirUser": ""})), `claim "fhirUser"`},
		{"no client", ti.Sign(t, kid, ti.Claims(map[string]any{"azp": nil, "sub": nil})), `no client`},
		{"not a JWT", "not-a-token", `not a JWT signed`},
		{"oversized", strings.Repeat("a", auth.MaxTokenBytes+1), `not a JWT signed`},
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
	ti := issuertest.New(t)
	kid := ti.AddKey(t, jose.ES256)
	ti.Down.Store(true)
	v := New(context.Background(), []Issuer{config(ti)}, ti.Client())
	token := ti.Sign(t, kid, ti.Claims(nil))
	_, err := v.Authenticate(context.Background(), token, "")
	if err == nil || errors.Is(err, auth.ErrInvalidToken) || !fhirerr.Is(err, fhirerr.Unavailable) {
		t.Fatalf("issuer down: Authenticate error = %v, want fhirerr.Unavailable, not ErrInvalidToken", err)
	}
	ti.Down.Store(false)
	// Within the retry interval the failure is remembered, not retried.
	if _, err := v.Authenticate(context.Background(), token, ""); !fhirerr.Is(err, fhirerr.Unavailable) {
		t.Fatalf("just after a failed discovery: %v, want Unavailable without trying again", err)
	}
	v.retryAfter = 0 // the interval has passed
	if _, err := v.Authenticate(context.Background(), token, ""); err != nil {
		t.Fatalf("issuer back: %v", err)
	}
	// Its JWKS unreachable for a kid not cached: 503 again, not 401.
	ti.Down.Store(true)
	_, err = v.Authenticate(context.Background(), ti.Sign(t, ti.AddKey(t, jose.ES256), ti.Claims(nil)), "")
	if errors.Is(err, auth.ErrInvalidToken) || !fhirerr.Is(err, fhirerr.Unavailable) {
		t.Errorf("JWKS down: Authenticate error = %v, want fhirerr.Unavailable", err)
	}
}
