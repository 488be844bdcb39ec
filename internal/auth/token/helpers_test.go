package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
)

const (
	base     = "https://fhir.example.org/fhir"
	tokenURL = "https://fhir.example.org/fhir/auth/token"
)

// clock is a settable Options.Now shared by the servers of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newServer(t testing.TB, st *sqlstore.Store, opts Options) *Server {
	t.Helper()
	s, err := New(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clientKey is a client's key pair, as a client would generate it.
type clientKey struct {
	alg  jose.SignatureAlgorithm
	kid  string
	priv crypto.Signer
}

func newClientKey(t testing.TB, alg jose.SignatureAlgorithm, kid string) clientKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.RS384, jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil || priv == nil {
		t.Fatalf("key for %s: %v", alg, err)
	}
	return clientKey{alg: alg, kid: kid, priv: priv}
}

// jwks is the public key set of keys, as a client registers it.
func jwks(t testing.TB, keys ...clientKey) json.RawMessage {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sign is a compact JWS of claims signed with k, with extra headers.
func (k clientKey) sign(t testing.TB, claims any, headers map[jose.HeaderKey]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.kid)
	for h, v := range headers {
		opts = opts.WithHeader(h, v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func register(t testing.TB, st store.Store, c store.Client) store.Client {
	t.Helper()
	if c.Created.IsZero() {
		c.Created = time.Now().UTC().Truncate(time.Microsecond)
	}
	if err := st.(store.Clients).CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}
