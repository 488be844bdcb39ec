package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharedcare/sharedcare/internal/auth/authtest"
	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/pkg/smartauth"
)

// TestWholeFlowFromKeyToRead: a client generates its key pair, is
// registered with its public key, discovers the token endpoint, signs a
// client assertion, gets a token and reads with it — every step the real
// one, over HTTP, on both databases, with ES384 and RS384.
func TestWholeFlowFromKeyToRead(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(`{"resourceType":"Patient","name":[{"family":"Flow"}]}`)
		for _, alg := range []jose.SignatureAlgorithm{jose.ES384, jose.RS384} {
			key, err := smartauth.NewKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key.Public()}})
			c := store.Client{ID: "flow-" + string(alg), Name: "flow", Organization: "Organization/gp1", Scope: "system/Patient.rs", JWKS: set,
				Permissions: []string{"all-patients"}} // the patient is no one's: a relationship-bound client may not read it
			if err := s.st.CreateClient(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			src := smartauth.TokenSource(context.Background(), smartauth.Config{ClientID: c.ID, Key: key, BaseURL: s.url, Scope: "system/Patient.rs", HTTPClient: s.http.Client()})
			tok, err := src.Token()
			if err != nil {
				t.Fatalf("%s: token: %v", alg, err)
			}
			if got := tok.Extra("scope"); got != "system/Patient.rs" {
				t.Errorf("%s: granted scope %v", alg, got)
			}
			auth, bearerToken := bearer(tok.AccessToken)
			s.do("GET", "/Patient/"+id, "", auth, bearerToken).mustStatus(t, http.StatusOK)
			// The scope is what it says: reading, not writing.
			s.do("POST", "/Patient", `{"resourceType":"Patient"}`, auth, bearerToken).mustStatus(t, http.StatusForbidden)
		}
	})
}

// TestNothingWithoutAToken: every FHIR path but /metadata and SMART's
// discovery, token and key paths answers 401 with a challenge and an
// OperationOutcome, whatever the method and whether or not the path exists;
// nothing is read or written.
func TestNothingWithoutAToken(t *testing.T) {
	t.Parallel()
	s := newServer(t, testdb.Open(t, "sqlite"), 0)
	id := s.create(`{"resourceType":"Patient"}`)
	before := s.rowCounts()
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/Patient/" + id, ""},
		{"GET", "/Patient", ""},
		{"GET", "/Patient?_id=" + id, ""},
		{"GET", "/Patient/" + id + "/_history", ""},
		{"GET", "/_history", ""},
		{"GET", "/", ""},
		{"GET", "/NoSuchType/1", ""},
		{"GET", "/Patient?bad=%zz", ""},
		{"POST", "/Patient", `{"resourceType":"Patient"}`},
		{"PUT", "/Patient/" + id, `{"resourceType":"Patient","id":"` + id + `"}`},
		{"DELETE", "/Patient/" + id, ""},
		{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[]}`},
		{"GET", "/Task/$overdue", ""},
		{"POST", "/Patient/$validate", `{"resourceType":"Patient"}`},
	} {
		for _, header := range []string{"", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer not-a-jwt", "Bearer a.b.c",
			"Bearer " + strings.Repeat("x", 20000)} {
			r := s.do(c.method, c.path, c.body, "Authorization", header)
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s %s with Authorization %.20q: status %d, want 401", c.method, c.path, header, r.status)
				continue
			}
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") || !strings.Contains(got, `error="invalid_token"`) {
				t.Errorf("%s %s: WWW-Authenticate %q", c.method, c.path, got)
			}
			if codes, _ := r.outcome(t); len(codes) != 1 || codes[0] != "login" {
				t.Errorf("%s %s: outcome codes %v", c.method, c.path, codes)
			}
		}
	}
	if after := s.rowCounts(); after["resources"] != before["resources"] {
		t.Errorf("unauthenticated requests wrote: %v -> %v", before, after)
	}
	for _, path := range []string{"/metadata", "/.well-known/smart-configuration", "/auth/jwks"} {
		s.do("GET", path, "", "Authorization", "").mustStatus(t, http.StatusOK)
	}
}

// TestTokensThatAreNotForUs: a token signed by another server's key, one for
// another audience, one signed with alg none or HS256 over the public key,
// one tampered with — all 401, never 5xx, never accepted.
func TestTokensThatAreNotForUs(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		other := newServer(t, testdb.Open(t, "sqlite"), 0)
		good := s.token
		header, payload, _ := strings.Cut(good, ".")
		payload, _, _ = strings.Cut(payload, ".")
		claims, _ := base64.RawURLEncoding.DecodeString(payload)
		widened := strings.Replace(string(claims), `"system/*.cruds"`, `"system/*.cruds user/*.cruds"`, 1)
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + "."
		keys, err := s.ts.JWKS(context.Background())
		if err != nil || len(keys.Keys) == 0 {
			t.Fatalf("JWKS: %v", err)
		}
		for name, tok := range map[string]string{
			"another server's key":      other.token,
			"another audience":          authtest.Token(t, s.ts, s.st, authtest.Organization, authtest.FullAccess, "https://elsewhere.example/fhir"),
			"alg none":                  none,
			"tampered payload":          header + "." + base64.RawURLEncoding.EncodeToString([]byte(widened)) + "." + strings.SplitN(good, ".", 3)[2],
			"signature cut":             strings.Join(strings.SplitN(good, ".", 3)[:2], ".") + ".",
			"HS256 over the public key": hs256(t, keys.Keys[0], payload),
		} {
			r := s.do("GET", "/Patient", "", "Authorization", "Bearer "+tok)
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401: %s", name, r.status, r.body)
			}
		}
		s.do("GET", "/Patient", "").mustStatus(t, http.StatusOK)
	})
}

// hs256 signs payload with HMAC-SHA256 keyed by key's public bytes: the
// algorithm-confusion attack on verifiers that take alg from the token.
func hs256(t *testing.T, key jose.JSONWebKey, payload string) string {
	t.Helper()
	pub, err := json.Marshal(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pub}, (&jose.SignerOptions{}).WithHeader("kid", key.KeyID))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTokenEndpointSpeaksOAuth: the token endpoint's refusals are RFC 6749
// §5.2 JSON objects, never FHIR OperationOutcomes, never cached.
func TestTokenEndpointSpeaksOAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, testdb.Open(t, "sqlite"), 0)
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"system/*.rs"},
		"client_assertion_type": {smartauth.AssertionType}, "client_assertion": {"not.a.jwt"}}.Encode()
	for _, c := range []struct {
		name, method, contentType, body string
		status                          int
		code                            string
	}{
		{"bad assertion", "POST", "application/x-www-form-urlencoded", form, http.StatusUnauthorized, "invalid_client"},
		{"JSON body", "POST", "application/json", `{"grant_type":"client_credentials"}`, http.StatusBadRequest, "invalid_request"},
		{"repeated parameter", "POST", "application/x-www-form-urlencoded", form + "&scope=system/*.cruds", http.StatusBadRequest, "invalid_request"},
		{"other grant", "POST", "application/x-www-form-urlencoded", "grant_type=password&username=a&password=b", http.StatusBadRequest, "unsupported_grant_type"},
		{"GET", "GET", "", "", http.StatusMethodNotAllowed, "invalid_request"},
	} {
		r := s.do(c.method, "/auth/token", c.body, "Content-Type", c.contentType, "Authorization", "")
		var got struct{ Error string }
		if err := json.Unmarshal(r.body, &got); err != nil || r.status != c.status || got.Error != c.code {
			t.Errorf("%s: %d %s, want %d with error %s", c.name, r.status, r.body, c.status, c.code)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", c.name, r.header.Get("Cache-Control"))
		}
	}
}
