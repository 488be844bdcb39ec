package smartauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/pkg/smartauth"
)

// verify checks an assertion as a token endpoint must, with go-jose and
// the registered public key, and returns its claims.
func verify(t *testing.T, assertion string, pub jose.JSONWebKey) (jwt.Claims, jose.Header) {
	t.Helper()
	tok, err := jwt.ParseSigned(assertion, smartauth.Algorithms)
	if err != nil {
		t.Fatalf("parse assertion: %v", err)
	}
	var c jwt.Claims
	if err := tok.Claims(pub, &c); err != nil {
		t.Fatalf("the assertion does not verify with the public key: %v", err)
	}
	return c, tok.Headers[0]
}

func TestAssertion(t *testing.T) {
	for _, alg := range smartauth.Algorithms {
		t.Run(string(alg), func(t *testing.T) {
			key, err := smartauth.NewKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().Truncate(time.Second)
			const aud = "https://fhir.example/fhir/auth/token"
			a, err := smartauth.Assertion(key, "client-1", aud, now)
			if err != nil {
				t.Fatal(err)
			}
			c, h := verify(t, a, key.Public())
			if h.Algorithm != string(alg) || h.KeyID != key.KeyID || h.KeyID == "" || h.ExtraHeaders["typ"] != "JWT" {
				t.Errorf("header alg %s kid %q typ %v; want %s, %q, JWT", h.Algorithm, h.KeyID, h.ExtraHeaders["typ"], alg, key.KeyID)
			}
			if err := c.ValidateWithLeeway(jwt.Expected{Issuer: "client-1", Subject: "client-1",
				AnyAudience: jwt.Audience{aud}, Time: now}, 0); err != nil {
				t.Error(err)
			}
			if exp := c.Expiry.Time(); exp.Sub(now) != smartauth.AssertionLifetime || exp.Sub(now) > 5*time.Minute {
				t.Errorf("exp is %v after now; want %v (at most 5 minutes)", exp.Sub(now), smartauth.AssertionLifetime)
			}
			if c.ID == "" {
				t.Error("no jti")
			}
			b, _ := smartauth.Assertion(key, "client-1", aud, now)
			if c2, _ := verify(t, b, key.Public()); c2.ID == c.ID {
				t.Error("two assertions share a jti")
			}
			// Another key's public half does not verify it.
			other, _ := smartauth.NewKey(alg)
			tok, _ := jwt.ParseSigned(a, smartauth.Algorithms)
			if err := tok.Claims(other.Public(), &jwt.Claims{}); err == nil {
				t.Error("the assertion verifies with another key")
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	es, err := smartauth.NewKey(jose.ES384)
	if err != nil {
		t.Fatal(err)
	}
	jwk, _ := json.Marshal(es)
	pub, _ := json.Marshal(es.Public())
	noKid := es
	noKid.KeyID, noKid.Algorithm = "", ""
	bare, _ := json.Marshal(noKid)
	wrongAlg := es
	wrongAlg.Algorithm = "RS384"
	mismatched, _ := json.Marshal(wrongAlg)
	der, _ := x509.MarshalPKCS8PrivateKey(es.Key)
	pkcs8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	sec1der, _ := x509.MarshalECPrivateKey(es.Key.(*ecdsa.PrivateKey))
	sec1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1der})
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	der521, _ := x509.MarshalPKCS8PrivateKey(p521)
	tests := []struct {
		name    string
		in      []byte
		wantErr bool
	}{
		{"JWK", jwk, false},
		{"JWK without kid or alg: thumbprint and ES384", bare, false},
		{"PKCS8 PEM", pkcs8, false},
		{"SEC1 PEM", sec1, false},
		{"public JWK", pub, true},
		{"alg that does not fit the key", mismatched, true},
		{"P-521", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der521}), true},
		{"certificate PEM", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), true},
		{"garbage", []byte("hello"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(path, tt.in, 0o600); err != nil {
				t.Fatal(err)
			}
			k, err := smartauth.LoadKey(path)
			if tt.wantErr {
				if err == nil {
					t.Errorf("LoadKey accepted it as %s %q", k.Algorithm, k.KeyID)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Every form of the key gets the same alg, and the key id it is registered under.
			if k.Algorithm != "ES384" || k.KeyID != es.KeyID {
				t.Errorf("alg %s kid %q; want ES384 %q", k.Algorithm, k.KeyID, es.KeyID)
			}
			a, err := smartauth.Assertion(k, "c", "https://x/token", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			verify(t, a, es.Public())
		})
	}
}

func TestUsable(t *testing.T) {
	es, _ := smartauth.NewKey(jose.ES256)
	rs, _ := smartauth.NewKey(jose.RS256)
	wrong := rs.Public()
	wrong.Algorithm = "ES384"
	ps := rs.Public()
	ps.Algorithm = "PS256"
	for _, tt := range []struct {
		name string
		k    jose.JSONWebKey
		want bool
	}{
		{"EC public", es.Public(), true},
		{"RSA public", rs.Public(), true},
		{"EC private", es, false},
		{"RSA private", rs, false},
		{"alg for another key type", wrong, false},
		{"alg outside SMART's", ps, false},
		{"symmetric", jose.JSONWebKey{Key: []byte("secret"), KeyID: "s"}, false},
	} {
		if got := smartauth.Usable(tt.k); got != tt.want {
			t.Errorf("%s: Usable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDiscover(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/.well-known/smart-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token_endpoint":"http://%s/fhir/auth/token","capabilities":["client-confidential-asymmetric"]}`, r.Host)
	})
	mux.HandleFunc("GET /relative/.well-known/smart-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"token_endpoint":"/auth/token"}`)
	})
	mux.HandleFunc("GET /html/.well-known/smart-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	for _, base := range []string{srv.URL + "/fhir", srv.URL + "/fhir/"} {
		got, err := smartauth.Discover(ctx, srv.Client(), base)
		if want := srv.URL + "/fhir/auth/token"; err != nil || got != want {
			t.Errorf("Discover(%s) = %q, %v; want %q", base, got, err, want)
		}
	}
	var te *smartauth.TokenError
	if _, err := smartauth.Discover(ctx, srv.Client(), srv.URL+"/nothing"); !errors.As(err, &te) || te.StatusCode != 404 {
		t.Errorf("Discover of a server without SMART: error %v, want a 404 TokenError", err)
	}
	for _, base := range []string{"/relative", "/html"} {
		if got, err := smartauth.Discover(ctx, srv.Client(), srv.URL+base); err == nil {
			t.Errorf("Discover(%s) = %q; want an error", base, got)
		}
	}
}

// tokenServer is a token endpoint that verifies assertions for real, with
// the client's public key, and issues opaque tokens living expiresIn.
type tokenServer struct {
	*httptest.Server
	pub       jose.JSONWebKey
	expiresIn int
	issued    atomic.Int32
}

func newTokenServer(t *testing.T, pub jose.JSONWebKey, expiresIn int) *tokenServer {
	ts := &tokenServer{pub: pub, expiresIn: expiresIn}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/.well-known/smart-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"token_endpoint": ts.URL + "/fhir/auth/token"})
	})
	seen := map[string]bool{}
	mux.HandleFunc("POST /fhir/auth/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		refuse := func(code string) {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": "refused"})
		}
		if r.PostFormValue("grant_type") != "client_credentials" || r.PostFormValue("client_assertion_type") != smartauth.AssertionType {
			refuse("invalid_request")
			return
		}
		tok, err := jwt.ParseSigned(r.PostFormValue("client_assertion"), smartauth.Algorithms)
		var c jwt.Claims
		if err != nil || tok.Headers[0].KeyID != ts.pub.KeyID || tok.Claims(ts.pub, &c) != nil ||
			c.Validate(jwt.Expected{Issuer: "c1", Subject: "c1", AnyAudience: jwt.Audience{ts.URL + "/fhir/auth/token"}}) != nil || seen[c.ID] {
			refuse("invalid_client")
			return
		}
		seen[c.ID] = true
		if r.PostFormValue("scope") != "system/Patient.rs" {
			refuse("invalid_scope")
			return
		}
		n := ts.issued.Add(1)
		json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("token-%d", n), "token_type": "bearer",
			"expires_in": ts.expiresIn, "scope": "system/Patient.rs"})
	})
	ts.Server = httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func TestTokenSource(t *testing.T) {
	key, err := smartauth.NewKey(jose.ES384)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Run("cached while fresh", func(t *testing.T) {
		ts := newTokenServer(t, key.Public(), 300)
		src := smartauth.TokenSource(ctx, smartauth.Config{ClientID: "c1", Key: key, BaseURL: ts.URL + "/fhir",
			Scope: "system/Patient.rs", HTTPClient: ts.Client()})
		for range 3 {
			tok, err := src.Token()
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != "token-1" || tok.Type() != "Bearer" || tok.Extra("scope") != "system/Patient.rs" {
				t.Errorf("token %q type %q scope %v; want token-1, Bearer, system/Patient.rs", tok.AccessToken, tok.Type(), tok.Extra("scope"))
			}
			if left := time.Until(tok.Expiry); left < 290*time.Second || left > 300*time.Second {
				t.Errorf("expires in %v; want about 300s", left)
			}
		}
	})
	t.Run("renewed before expiry", func(t *testing.T) {
		ts := newTokenServer(t, key.Public(), 20) // inside the renewal margin: every Token renews
		src := smartauth.TokenSource(ctx, smartauth.Config{ClientID: "c1", Key: key, BaseURL: ts.URL + "/fhir",
			Scope: "system/Patient.rs", HTTPClient: ts.Client()})
		var got []string
		for range 2 {
			tok, err := src.Token()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, tok.AccessToken)
		}
		if diff := cmp.Diff([]string{"token-1", "token-2"}, got); diff != "" {
			t.Errorf("tokens (-want +got):\n%s", diff)
		}
	})
	t.Run("refusals carry the server's code", func(t *testing.T) {
		other, _ := smartauth.NewKey(jose.ES384)
		ts := newTokenServer(t, key.Public(), 300)
		for _, tt := range []struct {
			name, scope string
			key         jose.JSONWebKey
			want        string
		}{
			{"wrong key", "system/Patient.rs", other, "invalid_client"},
			{"scope", "system/Task.rs", key, "invalid_scope"},
		} {
			_, err := smartauth.TokenSource(ctx, smartauth.Config{ClientID: "c1", Key: tt.key, BaseURL: ts.URL + "/fhir",
				Scope: tt.scope, HTTPClient: ts.Client()}).Token()
			var te *smartauth.TokenError
			if !errors.As(err, &te) || te.Code != tt.want || te.StatusCode != 400 {
				t.Errorf("%s: error %v; want a 400 TokenError %s", tt.name, err, tt.want)
			}
		}
	})
}
