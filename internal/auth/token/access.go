package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/store"
)

var _ auth.Authenticator = (*Server)(nil)

// accessClaims are the claims of an access token (see the package doc).
type accessClaims struct {
	jwt.Claims
	ClientID     string   `json:"client_id"`
	Scope        string   `json:"scope"`
	Organization string   `json:"organization,omitempty"`
	Permissions  []string `json:"permissions,omitempty"`
}

// Issue mints an access token for c with the scopes granted, for the FHIR
// base audience, without an assertion (Exchange's last step; tests, tools).
func (s *Server) Issue(ctx context.Context, c store.Client, granted scope.Set, audience string) (*Response, error) {
	now := s.opts.Now()
	if err := s.ring.refresh(ctx, s.keys, now); err != nil {
		return nil, err
	}
	s.ring.mu.RLock()
	signer := s.ring.signer
	s.ring.mu.RUnlock()
	if signer == nil {
		return nil, fmt.Errorf("token.Issue: no signing key")
	}
	claims := accessClaims{
		Claims: jwt.Claims{
			Issuer: audience, Audience: jwt.Audience{audience}, Subject: c.ID, ID: randomID(),
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(s.opts.Lifetime)),
		},
		ClientID: c.ID, Scope: granted.String(), Organization: c.Organization, Permissions: c.Permissions,
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return nil, wrap("Issue", err)
	}
	return &Response{AccessToken: raw, TokenType: "bearer", ExpiresIn: int(s.opts.Lifetime / time.Second), Scope: claims.Scope}, nil
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Authenticate verifies one of this server's access tokens presented at the
// FHIR base base. A token verified before costs a hash and a map lookup.
func (s *Server) Authenticate(ctx context.Context, raw, base string) (auth.Principal, error) {
	if len(raw) > auth.MaxTokenBytes {
		return auth.Principal{}, invalid("too large")
	}
	now := s.opts.Now()
	key := sha256.Sum256([]byte(raw))
	if v, ok := s.verified.get(key, now); ok {
		if v.base != base {
			return auth.Principal{}, invalid("issued for another audience")
		}
		return v.principal, nil
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{serverAlg})
	if err != nil {
		return auth.Principal{}, invalid("malformed")
	}
	k, ok, err := s.ring.verifier(ctx, s.keys, tok.Headers[0].KeyID, now)
	if err != nil {
		return auth.Principal{}, err
	}
	if !ok {
		return auth.Principal{}, invalid("unknown key")
	}
	var c accessClaims
	if err := tok.Claims(k.public, &c); err != nil {
		return auth.Principal{}, invalid("bad signature")
	}
	if c.Expiry == nil {
		return auth.Principal{}, invalid("no expiry")
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: base, AnyAudience: jwt.Audience{base}, Time: now}, leeway); err != nil {
		return auth.Principal{}, invalid(err.Error())
	}
	granted, err := scope.Parse(c.Scope)
	if err != nil || c.ClientID == "" {
		return auth.Principal{}, invalid("bad claims")
	}
	p := auth.Principal{Kind: auth.Client, ClientID: c.ClientID, Organization: c.Organization, Scopes: granted,
		AllPatients: slices.Contains(c.Permissions, auth.PermissionAllPatients)}
	s.verified.put(key, verified{principal: p, base: base, until: c.Expiry.Time().Add(leeway)}, now)
	return p, nil
}

func invalid(why string) error { return fmt.Errorf("%w: %s", auth.ErrInvalidToken, why) }

// maxVerified bounds the tokens remembered as verified.
const maxVerified = 10000

type verified struct {
	principal auth.Principal
	base      string
	until     time.Time
}

// verifiedCache remembers verified tokens by their SHA-256 until they
// expire, so a token presented again is not verified again.
type verifiedCache struct {
	mu  sync.RWMutex
	max int
	m   map[[32]byte]verified
}

func (c *verifiedCache) get(key [32]byte, now time.Time) (verified, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	return v, ok && now.Before(v.until)
}

func (c *verifiedCache) put(key [32]byte, v verified, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[[32]byte]verified)
	}
	if len(c.m) >= c.max {
		for k, old := range c.m {
			if !now.Before(old.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max { // all live: start afresh rather than grow
			clear(c.m)
		}
	}
	c.m[key] = v
}
