package token

import (
	"context"
	"net/url"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// assertionAlgs are the client assertion algorithms accepted: SMART's
// RS384 and ES384, and RS256/ES256. Parsing is limited to them, so `none`
// and HMAC (algorithm confusion with a public key) never verify.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS384, jose.ES384, jose.RS256, jose.ES256}

const (
	jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// maxAssertionLife is how far ahead an assertion's exp may be.
	maxAssertionLife = 5 * time.Minute
	// assertionSkew absorbs the client's clock running ahead or behind.
	assertionSkew = 10 * time.Second
)

// Exchange answers POST {base}/auth/token (SMART Backend Services, RFC
// 7521/7523): form is the parsed form body, tokenURL the URL the assertion's
// aud must name, audience the FHIR base URL the access token is for.
// Refusals are *Error; other errors are the infrastructure's.
func (s *Server) Exchange(ctx context.Context, form url.Values, tokenURL, audience string) (*Response, error) {
	switch {
	case form.Get("grant_type") == "":
		return nil, errInvalidRequest
	case form.Get("grant_type") != "client_credentials":
		return nil, errGrantType
	case form.Get("client_assertion_type") != jwtBearer || form.Get("client_assertion") == "" || form.Get("scope") == "":
		return nil, errInvalidRequest
	}
	c, err := s.authenticateClient(ctx, form.Get("client_assertion"), tokenURL)
	if err != nil {
		return nil, err
	}
	requested, err := scope.Parse(form.Get("scope"))
	if err != nil {
		return nil, errInvalidScope
	}
	registered, err := scope.Parse(c.Scope)
	if err != nil {
		return nil, errInvalidScope
	}
	granted := scope.Intersect(requested, registered)
	if len(granted.Resources) == 0 && len(granted.Other) == 0 {
		return nil, errInvalidScope
	}
	return s.Issue(ctx, c, granted, audience)
}

// authenticateClient verifies the client assertion and returns the client
// it authenticates; the jti is claimed last, so only a genuine assertion
// can use one up.
func (s *Server) authenticateClient(ctx context.Context, assertion, tokenURL string) (store.Client, error) {
	if len(assertion) > auth.MaxTokenBytes {
		return store.Client{}, errInvalidClient
	}
	tok, err := jwt.ParseSigned(assertion, assertionAlgs)
	if err != nil {
		return store.Client{}, errInvalidClient
	}
	h := tok.Headers[0]
	// Keys come only from the client's registration, never from the token.
	if h.KeyID == "" || h.JSONWebKey != nil || h.ExtraHeaders["x5u"] != nil || len(tok.Headers) != 1 {
		return store.Client{}, errInvalidClient
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Issuer == "" {
		return store.Client{}, errInvalidClient
	}
	c, err := s.clients.Client(ctx, unverified.Issuer)
	if fhirerr.KindOf(err) == fhirerr.NotFound {
		return store.Client{}, errInvalidClient
	} else if err != nil {
		return store.Client{}, err
	}
	if c.Disabled {
		return store.Client{}, errInvalidClient
	}
	if jku, ok := h.ExtraHeaders["jku"]; ok && (c.JWKSURI == "" || jku != c.JWKSURI) {
		return store.Client{}, errInvalidClient
	}
	key, ok := s.jwks.key(ctx, c, h.KeyID, h.Algorithm, s.opts.Now())
	if !ok {
		return store.Client{}, errInvalidClient
	}
	var claims jwt.Claims
	if err := tok.Claims(key, &claims); err != nil {
		return store.Client{}, errInvalidClient
	}
	now := s.opts.Now()
	err = claims.ValidateWithLeeway(jwt.Expected{Issuer: c.ID, Subject: c.ID, AnyAudience: jwt.Audience{tokenURL}, Time: now}, assertionSkew)
	if err != nil || claims.ID == "" || claims.Expiry == nil ||
		claims.Expiry.Time().After(now.Add(maxAssertionLife+assertionSkew)) {
		return store.Client{}, errInvalidClient
	}
	fresh, err := s.replay.ClaimAssertion(ctx, c.ID, claims.ID, claims.Expiry.Time().Add(assertionSkew))
	if err != nil {
		return store.Client{}, err
	}
	if !fresh {
		return store.Client{}, errInvalidClient
	}
	return c, nil
}
