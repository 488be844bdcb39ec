package token

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharedcare/sharedcare/internal/store"
)

// serverAlg is the algorithm of the server's keys (see the package doc).
const serverAlg = jose.RS256

// Rotate adds a new signing key and retires the older ones once the last
// token they may have signed has expired. It returns the new key's kid.
func Rotate(ctx context.Context, st store.Store, opts Options) (kid string, err error) {
	keys, ok := st.(store.SigningKeys)
	if !ok {
		return "", fmt.Errorf("token.Rotate: the store does not keep signing keys")
	}
	now := opts.withDefaults().Now()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", wrap("Rotate", err)
	}
	jwk := jose.JSONWebKey{Key: priv, Algorithm: string(serverAlg), Use: "sig"}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", wrap("Rotate", err)
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	raw, err := jwk.MarshalJSON()
	if err != nil {
		return "", wrap("Rotate", err)
	}
	next := store.SigningKey{ID: jwk.KeyID, Private: raw, Created: now}
	if err := keys.RotateSigningKey(ctx, next, now.Add(retireAfter)); err != nil {
		return "", wrap("Rotate", err)
	}
	return jwk.KeyID, nil
}

// serverKey is one parsed signing key.
type serverKey struct {
	public  jose.JSONWebKey
	expires time.Time // zero: the signing key
}

// keyring caches the parsed keys in memory: verifying a token costs no
// database round trip. It rereads them every keyRefresh, and on an unknown
// kid at most every keyReload.
type keyring struct {
	mu      sync.RWMutex
	signer  jose.Signer // with the newest key
	kid     string      // the newest key's
	byKid   map[string]serverKey
	loaded  time.Time // when the keys were last read
	tried   time.Time // when a reread was last attempted
	loading sync.Mutex
}

func (r *keyring) empty() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.signer == nil
}

// load reads the keys that verify at now and makes the newest the signer.
func (r *keyring) load(ctx context.Context, st store.SigningKeys, now time.Time) error {
	r.mu.Lock()
	r.tried = now
	r.mu.Unlock()
	keys, err := st.SigningKeys(ctx, now)
	if err != nil {
		return wrap("load", err)
	}
	byKid := make(map[string]serverKey, len(keys))
	var signer jose.Signer
	var kid string
	for i, k := range keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(k.Private); err != nil {
			return fmt.Errorf("token.load: key %s: %w", k.ID, err)
		}
		if i == 0 {
			opts := (&jose.SignerOptions{}).WithType("JWT")
			if signer, err = jose.NewSigner(jose.SigningKey{Algorithm: serverAlg, Key: jwk}, opts); err != nil {
				return fmt.Errorf("token.load: key %s: %w", k.ID, err)
			}
			kid = k.ID
		}
		byKid[k.ID] = serverKey{public: jwk.Public(), expires: k.Expires}
	}
	r.mu.Lock()
	r.signer, r.kid, r.byKid, r.loaded = signer, kid, byKid, now
	r.mu.Unlock()
	return nil
}

// refresh rereads the keys when they are older than keyRefresh.
func (r *keyring) refresh(ctx context.Context, st store.SigningKeys, now time.Time) error {
	r.mu.RLock()
	stale := now.Sub(r.loaded) >= keyRefresh
	r.mu.RUnlock()
	if !stale {
		return nil
	}
	r.loading.Lock() // one reader at a time; the others find them fresh
	defer r.loading.Unlock()
	r.mu.RLock()
	stale = now.Sub(r.loaded) >= keyRefresh
	r.mu.RUnlock()
	if !stale {
		return nil
	}
	return r.load(ctx, st, now)
}

// verifier returns the key kid names, rereading the keys once (rate
// limited) when it is unknown. ok is false when no such key verifies.
func (r *keyring) verifier(ctx context.Context, st store.SigningKeys, kid string, now time.Time) (_ serverKey, ok bool, _ error) {
	if err := r.refresh(ctx, st, now); err != nil {
		return serverKey{}, false, err
	}
	lookup := func() (serverKey, bool, bool) {
		r.mu.RLock()
		defer r.mu.RUnlock()
		k, ok := r.byKid[kid]
		return k, ok, now.Sub(r.tried) >= keyReload
	}
	k, ok, mayReload := lookup()
	if !ok && mayReload {
		r.loading.Lock()
		if _, ok, mayReload = lookup(); !ok && mayReload {
			if err := r.load(ctx, st, now); err != nil {
				r.loading.Unlock()
				return serverKey{}, false, err
			}
		}
		r.loading.Unlock()
		k, ok, _ = lookup()
	}
	if ok && !k.expires.IsZero() && !now.Before(k.expires) {
		return serverKey{}, false, nil // retired since the keys were read
	}
	return k, ok, nil
}

// publicKeys are the keys that still verify, newest first.
func (r *keyring) publicKeys() jose.JSONWebKeySet {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var set jose.JSONWebKeySet
	if k, ok := r.byKid[r.kid]; ok {
		set.Keys = append(set.Keys, k.public)
	}
	for kid, k := range r.byKid {
		if kid != r.kid {
			set.Keys = append(set.Keys, k.public)
		}
	}
	return set
}

// JWKS returns the server's public keys that still verify (GET /auth/jwks).
func (s *Server) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	if err := s.ring.refresh(ctx, s.keys, s.opts.Now()); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	return s.ring.publicKeys(), nil
}

// SigningAlgorithms are the client assertion algorithms accepted, for
// discovery (token_endpoint_auth_signing_alg_values_supported).
func SigningAlgorithms() []string {
	out := make([]string, len(assertionAlgs))
	for i, a := range assertionAlgs {
		out[i] = string(a)
	}
	return out
}
