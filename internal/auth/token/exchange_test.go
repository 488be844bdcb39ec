package token

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

const registered = "system/Patient.rs system/Task.cruds"

// claimsFor are an assertion's claims for client at now, edited.
func claimsFor(client string, now time.Time, edit func(m map[string]any)) map[string]any {
	m := map[string]any{"iss": client, "sub": client, "aud": tokenURL, "jti": randomID(),
		"iat": now.Unix(), "exp": now.Add(4 * time.Minute).Unix()}
	if edit != nil {
		edit(m)
	}
	return m
}

func form(assertion, scope string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "scope": {scope},
		"client_assertion_type": {jwtBearer}, "client_assertion": {assertion}}
}

func TestExchange(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		clk := newClock()
		s := newServer(t, st, Options{Now: clk.Now})
		for _, alg := range []jose.SignatureAlgorithm{jose.RS384, jose.ES384, jose.RS256, jose.ES256} {
			t.Run(string(alg), func(t *testing.T) {
				key := newClientKey(t, alg, "k-"+string(alg))
				c := register(t, st, store.Client{ID: "app-" + string(alg), Organization: "Organization/trust",
					Scope: registered, JWKS: jwks(t, key)})
				// aud as a string and as an array naming the token endpoint.
				for _, aud := range []any{tokenURL, []string{"https://other.example.org", tokenURL}} {
					a := key.sign(t, claimsFor(c.ID, clk.Now(), func(m map[string]any) { m["aud"] = aud }), nil)
					resp, err := s.Exchange(ctx, form(a, "system/*.rs"), tokenURL, base)
					if err != nil {
						t.Fatalf("Exchange (aud %v): %v", aud, err)
					}
					if resp.TokenType != "bearer" || resp.ExpiresIn > 300 || resp.Scope != "system/Patient.rs system/Task.rs" {
						t.Errorf("Exchange = %+v", resp)
					}
					p, err := s.Authenticate(ctx, resp.AccessToken, base)
					if err != nil {
						t.Fatal(err)
					}
					if p.Kind != auth.Client || p.ClientID != c.ID || p.Organization != "Organization/trust" || p.Scopes.String() != resp.Scope {
						t.Errorf("Authenticate = %+v", p)
					}
				}
			})
		}
	})
}

// jwksServer serves a client's key set over HTTPS and counts the fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	set     json.RawMessage
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, set json.RawMessage) *jwksServer {
	j := &jwksServer{set: set}
	j.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.fetches.Add(1)
		j.mu.Lock()
		defer j.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(j.set)
	}))
	t.Cleanup(j.Close)
	return j
}

func (j *jwksServer) serve(set json.RawMessage) {
	j.mu.Lock()
	j.set = set
	j.mu.Unlock()
}

// TestExchangeJWKSURI: a client's keys fetched from its jwks_uri over
// HTTPS, cached, and refetched once on an unknown kid (rate limited).
func TestExchangeJWKSURI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testdb.Open(t, "sqlite")
	clk := newClock()
	k1, k2 := newClientKey(t, jose.RS384, "k1"), newClientKey(t, jose.ES384, "k2")
	js := newJWKSServer(t, jwks(t, k1))
	s := newServer(t, st, Options{Now: clk.Now, HTTPClient: js.Client()})
	c := register(t, st, store.Client{ID: "remote", Scope: registered, JWKSURI: js.URL + "/jwks.json"})
	exchange := func(k clientKey, headers map[jose.HeaderKey]any) error {
		_, err := s.Exchange(ctx, form(k.sign(t, claimsFor(c.ID, clk.Now(), nil), headers), "system/Task.rs"), tokenURL, base)
		return err
	}
	check := func(what string, err error, wantOK bool, fetches int32) {
		t.Helper()
		if (err == nil) != wantOK {
			t.Errorf("%s: error %v, want success %v", what, err, wantOK)
		}
		if got := js.fetches.Load(); got != fetches {
			t.Errorf("%s: %d fetches of the jwks_uri, want %d", what, got, fetches)
		}
	}
	check("first", exchange(k1, nil), true, 1)
	check("cached", exchange(k1, map[jose.HeaderKey]any{"jku": c.JWKSURI}), true, 1)
	// The client rotates its keys: the unknown kid refetches, once.
	js.serve(jwks(t, k2))
	clk.Advance(jwksRefetch)
	check("rotated", exchange(k2, nil), true, 2)
	check("unknown kid right after a fetch", exchange(newClientKey(t, jose.RS384, "nope"), nil), false, 2)
	clk.Advance(jwksRefetch)
	check("unknown kid later", exchange(newClientKey(t, jose.RS384, "nope"), nil), false, 3)
	check("unknown kid again", exchange(newClientKey(t, jose.RS384, "nope"), nil), false, 3)
	// A plain-http jwks_uri is never fetched.
	plain := register(t, st, store.Client{ID: "plain", Scope: registered, JWKSURI: strings.Replace(js.URL, "https:", "http:", 1)})
	_, err := s.Exchange(ctx, form(k1.sign(t, claimsFor(plain.ID, clk.Now(), nil), nil), "system/Task.rs"), tokenURL, base)
	check("http jwks_uri", err, false, 3)
}

// TestExchangeHostile is the corpus of token requests that must be refused,
// each with its RFC 6749 code and status, none panicking, and no key
// fetched from where the assertion points.
func TestExchangeHostile(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		clk := newClock()
		evil := newJWKSServer(t, nil) // where hostile headers point
		s := newServer(t, st, Options{Now: clk.Now, HTTPClient: evil.Client()})
		key := newClientKey(t, jose.ES384, "k1")
		c := register(t, st, store.Client{ID: "app", Scope: registered, JWKS: jwks(t, key)})
		register(t, st, store.Client{ID: "off", Scope: registered, JWKS: jwks(t, key), Disabled: true})
		attacker := newClientKey(t, jose.ES384, "k1") // names the client's kid
		evil.serve(jwks(t, attacker))
		now := clk.Now()
		valid := func(edit func(m map[string]any)) map[string]any { return claimsFor(c.ID, now, edit) }
		good := key.sign(t, valid(nil), nil)
		parts := strings.Split(good, ".")
		b64 := base64.RawURLEncoding.EncodeToString
		pub, _ := json.Marshal(jose.JSONWebKey{Key: key.priv.Public()})
		hmac, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pub}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
		if err != nil {
			t.Fatal(err)
		}
		hmacJWS, _ := hmac.Sign(mustJSON(t, valid(nil)))
		hmacToken, _ := hmacJWS.CompactSerialize()
		var attackerJWK map[string]any
		json.Unmarshal(mustJSON(t, jose.JSONWebKey{Key: attacker.priv.Public()}), &attackerJWK)
		replayed := key.sign(t, valid(nil), nil)
		if _, err := s.Exchange(ctx, form(replayed, "system/Task.rs"), tokenURL, base); err != nil {
			t.Fatalf("first use of the assertion to replay: %v", err)
		}

		withForm := func(edit func(f url.Values)) url.Values {
			f := form(key.sign(t, valid(nil), nil), "system/Task.rs")
			edit(f)
			return f
		}
		signed := func(edit func(m map[string]any)) url.Values {
			return form(key.sign(t, valid(edit), nil), "system/Task.rs")
		}
		assertion := func(a string) url.Values { return form(a, "system/Task.rs") }
		corpus := []struct {
			name string
			form url.Values
			code string
		}{
			{"no grant_type", withForm(func(f url.Values) { f.Del("grant_type") }), "invalid_request"},
			{"password grant", withForm(func(f url.Values) { f.Set("grant_type", "password") }), "unsupported_grant_type"},
			{"other assertion type", withForm(func(f url.Values) { f.Set("client_assertion_type", "urn:x") }), "invalid_request"},
			{"no assertion", withForm(func(f url.Values) { f.Del("client_assertion") }), "invalid_request"},
			{"no scope", withForm(func(f url.Values) { f.Del("scope") }), "invalid_request"},
			{"scope not registered", withForm(func(f url.Values) { f.Set("scope", "system/Observation.rs") }), "invalid_scope"},
			{"malformed scope", withForm(func(f url.Values) { f.Set("scope", "system/Task.xyz") }), "invalid_scope"},
			{"alg none", assertion(b64([]byte(`{"alg":"none","kid":"k1"}`)) + "." + b64(mustJSON(t, valid(nil))) + "."), "invalid_client"},
			{"HS256 signed with the public key", assertion(hmacToken), "invalid_client"},
			{"wrong key", assertion(attacker.sign(t, valid(nil), nil)), "invalid_client"},
			{"tampered payload", assertion(parts[0] + "." + b64(mustJSON(t, valid(func(m map[string]any) { m["exp"] = now.Add(time.Hour).Unix() }))) + "." + parts[2]), "invalid_client"},
			{"expired", signed(func(m map[string]any) { m["exp"] = now.Add(-time.Minute).Unix() }), "invalid_client"},
			{"not yet valid", signed(func(m map[string]any) { m["nbf"] = now.Add(2 * time.Minute).Unix() }), "invalid_client"},
			{"exp more than 5 minutes ahead", signed(func(m map[string]any) { m["exp"] = now.Add(10 * time.Minute).Unix() }), "invalid_client"},
			{"no exp", signed(func(m map[string]any) { delete(m, "exp") }), "invalid_client"},
			{"wrong aud", signed(func(m map[string]any) { m["aud"] = base }), "invalid_client"},
			{"sub is not iss", signed(func(m map[string]any) { m["sub"] = "someone" }), "invalid_client"},
			{"no jti", signed(func(m map[string]any) { delete(m, "jti") }), "invalid_client"},
			{"replayed jti", assertion(replayed), "invalid_client"},
			{"unknown client", signed(func(m map[string]any) { m["iss"], m["sub"] = "nobody", "nobody" }), "invalid_client"},
			{"disabled client", signed(func(m map[string]any) { m["iss"], m["sub"] = "off", "off" }), "invalid_client"},
			{"oversized", assertion(good + strings.Repeat("A", auth.MaxTokenBytes)), "invalid_client"},
			{"not a JWS", assertion("hello"), "invalid_client"},
			{"bad base64", assertion("!!!.@@@.###"), "invalid_client"},
			{"JSON garbage", assertion(b64([]byte(`{"alg":`)) + "." + b64([]byte(`[1,`)) + ".c2ln"), "invalid_client"},
			{"payload not JSON", assertion(parts[0] + "." + b64([]byte("nope")) + "." + parts[2]), "invalid_client"},
			{"unknown kid", assertion(newClientKey(t, jose.ES384, "k9").sign(t, valid(nil), nil)), "invalid_client"},
			{"no kid", assertion(clientKey{alg: jose.ES384, priv: key.priv}.sign(t, valid(nil), nil)), "invalid_client"},
			{"jku elsewhere", assertion(attacker.sign(t, valid(nil), map[jose.HeaderKey]any{"jku": evil.URL})), "invalid_client"},
			{"x5u elsewhere", assertion(attacker.sign(t, valid(nil), map[jose.HeaderKey]any{"x5u": evil.URL})), "invalid_client"},
			{"embedded jwk", assertion(attacker.sign(t, valid(nil), map[jose.HeaderKey]any{"jwk": attackerJWK})), "invalid_client"},
			{"jku on a client's genuine assertion", assertion(key.sign(t, valid(nil), map[jose.HeaderKey]any{"jku": evil.URL})), "invalid_client"},
		}
		for _, tc := range corpus {
			resp, err := s.Exchange(ctx, tc.form, tokenURL, base)
			var e *Error
			if resp != nil || !errors.As(err, &e) || e.Code != tc.code || e.Status != map[bool]int{true: 401, false: 400}[tc.code == "invalid_client"] {
				t.Errorf("%s: answered %v, error %v; want %s", tc.name, resp != nil, err, tc.code)
			}
		}
		if n := evil.fetches.Load(); n != 0 {
			t.Errorf("%d fetches from where assertions pointed, want none", n)
		}
		// The control: the corpus's valid assertion passes.
		if _, err := s.Exchange(ctx, assertion(good), tokenURL, base); err != nil {
			t.Errorf("the good assertion after the corpus: %v", err)
		}
	})
}

// TestExchangeReplayAcrossReplicas: one assertion presented to two
// replicas at once buys one token.
func TestExchangeReplayAcrossReplicas(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		replicas := []*Server{newServer(t, st, Options{}), newServer(t, st, Options{})}
		key := newClientKey(t, jose.RS384, "k")
		register(t, st, store.Client{ID: "app", Scope: registered, JWKS: jwks(t, key)})
		f := form(key.sign(t, claimsFor("app", time.Now(), nil), nil), "system/Task.rs")
		var wg sync.WaitGroup
		var wins, refusals atomic.Int32
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := replicas[i%2].Exchange(context.Background(), f, tokenURL, base)
				var e *Error
				switch {
				case err == nil:
					wins.Add(1)
				case errors.As(err, &e) && e.Code == "invalid_client":
					refusals.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || refusals.Load() != 5 {
			t.Errorf("%d tokens and %d refusals for one assertion presented 6 times, want 1 and 5", wins.Load(), refusals.Load())
		}
	})
}

// TestExchangeDBDown: a database that is gone is the database's error, not
// a refusal of the client.
func TestExchangeDBDown(t *testing.T) {
	t.Parallel()
	st := testdb.Open(t, "sqlite")
	s := newServer(t, st, Options{})
	key := newClientKey(t, jose.ES256, "k")
	register(t, st, store.Client{ID: "app", Scope: registered, JWKS: jwks(t, key)})
	st.Close()
	_, err := s.Exchange(context.Background(), form(key.sign(t, claimsFor("app", time.Now(), nil), nil), "system/Task.rs"), tokenURL, base)
	var e *Error
	if err == nil || errors.As(err, &e) {
		t.Errorf("with the database closed: %v, want the database's error", err)
	}
}
