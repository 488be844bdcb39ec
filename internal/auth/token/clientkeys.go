package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharedcare/sharedcare/internal/store"
)

const (
	// jwksTTL is how long a client's fetched key set is used before it is
	// fetched again.
	jwksTTL = 10 * time.Minute
	// jwksRefetch is the least time between fetches of one client's key set
	// (an unknown kid refetches at most this often).
	jwksRefetch = 5 * time.Second
	// jwksTimeout bounds a fetch of a key set.
	jwksTimeout = 10 * time.Second
	// maxJWKSBytes bounds a fetched key set.
	maxJWKSBytes = 64 << 10
)

// clientJWKS finds clients' public keys: inline in the registration, or
// fetched from their jwks_uri over HTTPS and cached.
type clientJWKS struct {
	http *http.Client
	mu   sync.Mutex
	sets map[string]*fetchedSet // by client id and jwks_uri
}

type fetchedSet struct {
	mu      sync.Mutex // one fetch at a time per client
	set     jose.JSONWebKeySet
	fetched time.Time // when set was fetched
	tried   time.Time // when a fetch was last attempted
}

func newClientJWKS(hc *http.Client) *clientJWKS {
	c := *hc
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" || len(via) >= 3 {
			return errors.New("jwks_uri redirected off https or too often")
		}
		return nil
	}
	return &clientJWKS{http: &c, sets: map[string]*fetchedSet{}}
}

// key returns c's public key kid for alg, or false.
func (j *clientJWKS) key(ctx context.Context, c store.Client, kid, alg string, now time.Time) (any, bool) {
	if len(c.JWKS) > 0 {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(c.JWKS, &set); err != nil {
			return nil, false
		}
		return pick(set, kid, alg)
	}
	if c.JWKSURI == "" {
		return nil, false
	}
	j.mu.Lock()
	f := j.sets[c.ID+" "+c.JWKSURI]
	if f == nil {
		f = &fetchedSet{}
		j.sets[c.ID+" "+c.JWKSURI] = f
	}
	j.mu.Unlock()

	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := pick(f.set, kid, alg)
	if ok && now.Sub(f.fetched) < jwksTTL {
		return k, true
	}
	if now.Sub(f.tried) < jwksRefetch {
		return k, ok // fetched moments ago: an unknown kid waits
	}
	f.tried = now
	set, err := j.fetch(ctx, c.JWKSURI)
	if err != nil {
		return nil, false // the client's keys are unreachable: it is not authenticated
	}
	f.set, f.fetched = set, now
	return pick(set, kid, alg)
}

func (j *clientJWKS) fetch(ctx context.Context, uri string) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "https" {
		return set, fmt.Errorf("token.fetch: jwks_uri %q is not https", uri)
	}
	ctx, cancel := context.WithTimeout(ctx, jwksTimeout) // whatever the HTTP client's own
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return set, wrap("fetch", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.http.Do(req)
	if err != nil {
		return set, wrap("fetch", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return set, fmt.Errorf("token.fetch %s: status %d", uri, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return set, wrap("fetch", err)
	}
	if len(body) > maxJWKSBytes {
		return set, fmt.Errorf("token.fetch %s: larger than %d bytes", uri, maxJWKSBytes)
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return set, wrap("fetch", err)
	}
	return set, nil
}

// pick is the public RSA or EC signing key kid of set usable with alg.
func pick(set jose.JSONWebKeySet, kid, alg string) (any, bool) {
	for _, k := range set.Key(kid) {
		if (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != alg) {
			continue
		}
		switch pub := k.Public().Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			return pub, true
		}
	}
	return nil, false
}
