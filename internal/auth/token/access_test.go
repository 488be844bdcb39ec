package token

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

var gpApp = store.Client{ID: "gp-app", Organization: "Organization/gp", Permissions: []string{"all-patients"}}

func TestIssueAuthenticate(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		clk := newClock()
		s := newServer(t, st, Options{Now: clk.Now})
		granted := scope.MustParse("system/Patient.rs system/Task.cruds")
		resp, err := s.Issue(ctx, gpApp, granted, base)
		if err != nil {
			t.Fatal(err)
		}
		if resp.TokenType != "bearer" || resp.ExpiresIn != 300 || resp.Scope != "system/Patient.rs system/Task.cruds" {
			t.Errorf("Issue = %+v", resp)
		}
		// The claims, as a reader of the token sees them.
		tok, err := jwt.ParseSigned(resp.AccessToken, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		set, err := s.JWKS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Keys) != 1 || !set.Keys[0].IsPublic() || set.Keys[0].KeyID != tok.Headers[0].KeyID {
			t.Fatalf("JWKS = %+v; want the one public key %s", set, tok.Headers[0].KeyID)
		}
		var c accessClaims
		if err := tok.Claims(set.Keys[0].Key, &c); err != nil {
			t.Fatal(err)
		}
		if c.Issuer != base || !c.Audience.Contains(base) || c.Subject != "gp-app" || c.ClientID != "gp-app" ||
			c.Organization != "Organization/gp" || !cmp.Equal(c.Permissions, []string{"all-patients"}) || c.ID == "" ||
			c.Expiry.Time().Sub(c.IssuedAt.Time()) != 5*time.Minute {
			t.Errorf("claims = %+v", c)
		}

		want := auth.Principal{Kind: auth.Client, ClientID: "gp-app", Organization: "Organization/gp", Scopes: granted, AllPatients: true}
		replica := newServer(t, st, Options{Now: clk.Now})
		for i, srv := range []*Server{s, s, replica} { // uncached, cached, another replica
			p, err := srv.Authenticate(ctx, resp.AccessToken, base)
			if err != nil {
				t.Fatalf("Authenticate #%d: %v", i, err)
			}
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("Authenticate #%d (-want +got):\n%s", i, diff)
			}
			if _, err := srv.Authenticate(ctx, resp.AccessToken, "https://other.example.org/fhir"); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("Authenticate #%d at another base: %v, want ErrInvalidToken", i, err)
			}
		}
		clk.Advance(5*time.Minute + leeway + time.Second)
		for i, srv := range []*Server{s, newServer(t, st, Options{Now: clk.Now})} { // cached, not
			if _, err := srv.Authenticate(ctx, resp.AccessToken, base); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("expired token #%d: %v, want ErrInvalidToken", i, err)
			}
		}
	})
}

// TestRotate runs two replicas on one database across a key rotation: each
// picks up the new key, and tokens of the old one verify until they expire.
func TestRotate(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		clk := newClock()
		a, b := newServer(t, st, Options{Now: clk.Now}), newServer(t, st, Options{Now: clk.Now})
		old := issue(t, a)
		oldKid := kidOf(t, old)
		clk.Advance(time.Second) // the newest key is the one created last
		kid, err := Rotate(ctx, st, Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		if kid == oldKid {
			t.Fatalf("Rotate kept kid %s", kid)
		}
		clk.Advance(keyRefresh) // a running replica signs with the new key within keyRefresh
		fresh := issue(t, a)
		if got := kidOf(t, fresh); got != kid {
			t.Errorf("after rotation a signs with %s, want %s", got, kid)
		}
		for _, tok := range []string{fresh, old} {
			if _, err := b.Authenticate(ctx, tok, base); err != nil {
				t.Errorf("replica b: %v", err)
			}
		}
		set, err := b.JWKS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Keys) != 2 || set.Keys[0].KeyID != kid || set.Keys[1].KeyID != oldKid {
			t.Errorf("JWKS after rotation: %d keys %v, want the new and the old", len(set.Keys), set.Keys)
		}
		// Once retired, the old key is gone.
		clk.Advance(retireAfter)
		if set, err := b.JWKS(ctx); err != nil || len(set.Keys) != 1 || set.Keys[0].KeyID != kid {
			t.Errorf("JWKS after retirement: %v, %v; want only %s", set.Keys, err, kid)
		}
	})
}

// TestUnknownKidReloadIsRateLimited: a token naming a kid the server has
// not loaded rereads the keys at most every keyReload, so a stream of
// hostile tokens costs the database one query a second.
func TestUnknownKidReloadIsRateLimited(t *testing.T) {
	t.Parallel()
	st := testdb.Open(t, "sqlite")
	clk := newClock()
	a := newServer(t, st, Options{Now: clk.Now})
	clk.Advance(keyReload / 2)
	if _, err := Rotate(context.Background(), st, Options{Now: clk.Now}); err != nil {
		t.Fatal(err)
	}
	tok := issue(t, newServer(t, st, Options{Now: clk.Now})) // signed with the new key
	if _, err := a.Authenticate(context.Background(), tok, base); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("within keyReload of the last read: %v, want ErrInvalidToken (no reread)", err)
	}
	clk.Advance(keyReload / 2)
	if _, err := a.Authenticate(context.Background(), tok, base); err != nil {
		t.Errorf("after keyReload: %v, want the key reread and the token verified", err)
	}
}

// TestConcurrentStart starts two replicas together on an empty database.
func TestConcurrentStart(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		clk := newClock()
		servers := make([]*Server, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				servers[i], errs[i] = New(context.Background(), st, Options{Now: clk.Now})
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		tokens := []string{issue(t, servers[0]), issue(t, servers[1])}
		clk.Advance(keyReload)
		for i, s := range servers {
			for j, tok := range tokens {
				if _, err := s.Authenticate(context.Background(), tok, base); err != nil {
					t.Errorf("server %d, token of %d: %v", i, j, err)
				}
			}
		}
	})
}

func issue(t testing.TB, s *Server) string {
	t.Helper()
	resp, err := s.Issue(context.Background(), gpApp, scope.MustParse("system/*.rs"), base)
	if err != nil {
		t.Fatal(err)
	}
	return resp.AccessToken
}

func kidOf(t testing.TB, raw string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Headers[0].KeyID
}

// TestAuthenticateHostile is the corpus of access tokens that must be
// refused: each with ErrInvalidToken, twice (a refusal is never cached as
// a success), and none panics.
func TestAuthenticateHostile(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		clk := newClock()
		s := newServer(t, st, Options{Now: clk.Now})
		good := issue(t, s)
		kid := kidOf(t, good)
		set, err := s.JWKS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pubJSON, _ := set.Keys[0].MarshalJSON()
		now := clk.Now()
		claims := func(edit func(c *accessClaims)) accessClaims {
			c := accessClaims{Claims: jwt.Claims{Issuer: base, Audience: jwt.Audience{base}, Subject: "gp-app", ID: "j",
				IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))},
				ClientID: "gp-app", Scope: "system/*.cruds"}
			if edit != nil {
				edit(&c)
			}
			return c
		}
		// serverSigned is signed with the server's own key: valid but for the edit.
		serverSigned := func(edit func(c *accessClaims)) string {
			raw, err := jwt.Signed(s.ring.signer).Claims(claims(edit)).Serialize()
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		attacker := newClientKey(t, jose.RS256, kid) // names the server's kid
		hmac := func() string {
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pubJSON},
				(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := jwt.Signed(signer).Claims(claims(nil)).Serialize()
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		parts := strings.Split(good, ".")
		b64 := base64.RawURLEncoding.EncodeToString
		tampered, _ := json.Marshal(claims(func(c *accessClaims) { c.ClientID, c.Subject = "hospital-app", "hospital-app" }))
		embedded, _ := json.Marshal(jose.JSONWebKey{Key: attacker.priv.Public()})
		var rawEmbedded map[string]any
		json.Unmarshal(embedded, &rawEmbedded)
		rs384 := newClientKey(t, jose.RS384, kid)

		corpus := []struct{ name, token string }{
			{"empty", ""},
			{"alg none", b64([]byte(`{"alg":"none","typ":"JWT","kid":"`+kid+`"}`)) + "." + b64(mustJSON(t, claims(nil))) + "."},
			{"HS256 signed with the public key", hmac()},
			{"wrong key", attacker.sign(t, claims(nil), nil)},
			{"RS384 (not the server's alg)", rs384.sign(t, claims(nil), nil)},
			{"tampered payload", parts[0] + "." + b64(tampered) + "." + parts[2]},
			{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(issue(t, s), ".")[2]},
			{"expired", serverSigned(func(c *accessClaims) {
				c.IssuedAt, c.Expiry = jwt.NewNumericDate(now.Add(-10*time.Minute)), jwt.NewNumericDate(now.Add(-time.Minute))
			})},
			{"not yet valid", serverSigned(func(c *accessClaims) { c.NotBefore = jwt.NewNumericDate(now.Add(2 * time.Minute)) })},
			{"no exp", serverSigned(func(c *accessClaims) { c.Expiry = nil })},
			{"wrong aud", serverSigned(func(c *accessClaims) { c.Audience = jwt.Audience{"https://other.example.org/fhir"} })},
			{"wrong iss", serverSigned(func(c *accessClaims) { c.Issuer = "https://idp.example.org" })},
			{"bad scope", serverSigned(func(c *accessClaims) { c.Scope = "system/Patient.xyz" })},
			{"no client", serverSigned(func(c *accessClaims) { c.ClientID = "" })},
			{"unknown kid", newClientKey(t, jose.RS256, "no-such-kid").sign(t, claims(nil), nil)},
			{"jku elsewhere", attacker.sign(t, claims(nil), map[jose.HeaderKey]any{"jku": "https://evil.example.org/jwks"})},
			{"x5u elsewhere", attacker.sign(t, claims(nil), map[jose.HeaderKey]any{"x5u": "https://evil.example.org/cert"})},
			{"embedded jwk", attacker.sign(t, claims(nil), map[jose.HeaderKey]any{"jwk": rawEmbedded})},
			{"oversized", good + strings.Repeat("A", auth.MaxTokenBytes)},
			{"not a JWS", "hello"},
			{"bad base64", "!!!.@@@.###"},
			{"JSON garbage", b64([]byte(`{"alg":`)) + "." + b64([]byte(`[1,2`)) + "." + b64([]byte("sig"))},
			{"payload not JSON", parts[0] + "." + b64([]byte("not json")) + "." + parts[2]},
			{"JWS JSON serialization", `{"payload":"` + parts[1] + `","signatures":[]}`},
		}
		for _, tc := range corpus {
			for i := 0; i < 2; i++ {
				if p, err := s.Authenticate(ctx, tc.token, base); !errors.Is(err, auth.ErrInvalidToken) {
					t.Errorf("%s (#%d): %+v, %v; want ErrInvalidToken", tc.name, i, p, err)
				}
			}
		}
		// The controls: the corpus's own valid tokens pass.
		for _, tok := range []string{good, serverSigned(nil)} {
			if _, err := s.Authenticate(ctx, tok, base); err != nil {
				t.Errorf("a good token after the corpus: %v", err)
			}
		}
	})
}

// TestAuthenticateDBDown: a key that must be read from a database that is
// gone fails with the database's error, not as an invalid token.
func TestAuthenticateDBDown(t *testing.T) {
	t.Parallel()
	st := testdb.Open(t, "sqlite")
	clk := newClock()
	s := newServer(t, st, Options{Now: clk.Now})
	st.Close()
	clk.Advance(keyRefresh)
	_, err := s.Authenticate(context.Background(), newClientKey(t, jose.RS256, "x").sign(t, map[string]any{"iss": base}, nil), base)
	if err == nil || errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("with the database closed: %v, want the database's error", err)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
