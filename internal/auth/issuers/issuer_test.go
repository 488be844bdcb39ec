package issuers

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

// testIssuer is a real OpenID Connect issuer served in-process over TLS:
// its own keys, discovery document and JWKS.
type testIssuer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	keys     map[string]jose.JSONWebKey // private keys by kid
	down     atomic.Bool                // every request answers 503
	jwksHits atomic.Int32
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	ti := &testIssuer{keys: map[string]jose.JSONWebKey{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"issuer": ti.srv.URL, "jwks_uri": ti.srv.URL + "/jwks",
			"authorization_endpoint": ti.srv.URL + "/auth", "token_endpoint": ti.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		ti.jwksHits.Add(1)
		ti.mu.Lock()
		defer ti.mu.Unlock()
		var set jose.JSONWebKeySet
		for _, k := range ti.keys {
			set.Keys = append(set.Keys, k.Public())
		}
		writeJSON(w, set)
	})
	ti.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ti.down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(ti.srv.Close)
	return ti
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// addKey generates a key for alg, publishes it in the JWKS and returns its kid.
func (ti *testIssuer) addKey(t *testing.T, alg jose.SignatureAlgorithm) string {
	t.Helper()
	key := newKey(t, alg)
	ti.mu.Lock()
	defer ti.mu.Unlock()
	kid := fmt.Sprintf("k%d", len(ti.keys)+1)
	ti.keys[kid] = jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(alg), Use: "sig"}
	return kid
}

func newKey(t *testing.T, alg jose.SignatureAlgorithm) crypto.Signer {
	t.Helper()
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
		t.Fatal(err)
	}
	return key
}

// sign signs claims with the issuer's key kid.
func (ti *testIssuer) sign(t *testing.T, kid string, claims map[string]any) string {
	t.Helper()
	ti.mu.Lock()
	k := ti.keys[kid]
	ti.mu.Unlock()
	return signWith(t, jose.SignatureAlgorithm(k.Algorithm), k, claims)
}

func signWith(t *testing.T, alg jose.SignatureAlgorithm, key any, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

const audience = "https://fhir.example.org/fhir"

// claims are a valid token's claims from ti, with changes applied (a nil
// value deletes the claim).
func (ti *testIssuer) claims(changes map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{"iss": ti.srv.URL, "aud": audience, "sub": "svc-1", "azp": "gp-system",
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(),
		"org": "Organization/gp-practice-a", "scope": "system/Patient.rs system/Task.cru"}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func (ti *testIssuer) config() Issuer {
	return Issuer{URL: ti.srv.URL, Audience: audience, OrganizationClaim: "org", UserClaim: DefaultUserClaim}
}
