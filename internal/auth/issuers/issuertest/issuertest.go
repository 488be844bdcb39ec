// Package issuertest is a real OpenID Connect issuer served in-process over
// TLS, for tests of external-issuer tokens: its own keys, discovery
// document and JWKS, and tokens signed with go-jose.
package issuertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Audience is the aud of Claims' tokens: the audience an issuer is
// configured with for the server under test.
const Audience = "https://fhir.example.org/fhir"

// OrganizationClaim is the claim of Claims' tokens naming the client's organization.
const OrganizationClaim = "org"

// Issuer is the running issuer.
type Issuer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	keys map[string]jose.JSONWebKey // private keys by kid
	// Down makes every request answer 503.
	Down atomic.Bool
	// JWKSHits counts the fetches of the JWKS.
	JWKSHits atomic.Int32
}

// New starts an issuer with no keys yet; it stops when the test ends.
func New(tb testing.TB) *Issuer {
	tb.Helper()
	is := &Issuer{keys: map[string]jose.JSONWebKey{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks",
			"authorization_endpoint": is.srv.URL + "/auth", "token_endpoint": is.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		is.JWKSHits.Add(1)
		is.mu.Lock()
		defer is.mu.Unlock()
		var set jose.JSONWebKeySet
		for _, k := range is.keys {
			set.Keys = append(set.Keys, k.Public())
		}
		writeJSON(w, set)
	})
	is.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if is.Down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	tb.Cleanup(is.srv.Close)
	return is
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// URL is the issuer identifier: its tokens' iss.
func (is *Issuer) URL() string { return is.srv.URL }

// Client is an HTTP client that trusts the issuer's TLS certificate.
func (is *Issuer) Client() *http.Client { return is.srv.Client() }

// AddKey generates a key for alg, publishes it in the JWKS and returns its kid.
func (is *Issuer) AddKey(tb testing.TB, alg jose.SignatureAlgorithm) string {
	tb.Helper()
	key := NewKey(tb, alg)
	is.mu.Lock()
	defer is.mu.Unlock()
	kid := fmt.Sprintf("k%d", len(is.keys)+1)
	is.keys[kid] = jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(alg), Use: "sig"}
	return kid
}

// Key is the private key kid.
func (is *Issuer) Key(kid string) jose.JSONWebKey {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.keys[kid]
}

// NewKey generates a private key for alg: ECDSA on the curve of ES256 or
// ES384, RSA 2048 for anything else.
func NewKey(tb testing.TB, alg jose.SignatureAlgorithm) crypto.Signer {
	tb.Helper()
	var key crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return key
}

// Sign signs claims with the issuer's key kid.
func (is *Issuer) Sign(tb testing.TB, kid string, claims map[string]any) string {
	tb.Helper()
	k := is.Key(kid)
	return SignWith(tb, jose.SignatureAlgorithm(k.Algorithm), k, claims)
}

// SignWith signs claims as a JWT with key (a jose.JSONWebKey keeps its kid).
func SignWith(tb testing.TB, alg jose.SignatureAlgorithm, key any, claims map[string]any) string {
	tb.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// Claims are a valid token's claims from the issuer, for Audience, with
// changes applied (a nil value deletes the claim).
func (is *Issuer) Claims(changes map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{"iss": is.srv.URL, "aud": Audience, "sub": "svc-1", "azp": "gp-system",
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(),
		OrganizationClaim: "Organization/gp-practice-a", "scope": "system/Patient.rs system/Task.cru"}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}
