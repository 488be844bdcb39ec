// Package token is sharedcare's own authorization server for SMART Backend
// Services: it exchanges a client's signed JWT assertion for an access token
// (Exchange), signs those tokens with the server's keys kept in the database
// (Rotate adds one), and verifies them on every request (Authenticate).
//
// Access tokens are JWTs signed RS256 by the newest server key, carrying
// iss and aud (the FHIR base), sub and client_id (the client), scope, exp,
// iat, jti, and two private claims: "organization" (the Organization/{id}
// the client acts for) and "permissions" (the client's registered extra
// grants). RS256 because verifying RSA (public exponent 65537) is the
// cheapest of the JOSE signatures — cheaper than ECDSA or Ed25519 — and
// verification runs on every request while signing runs once per token.
package token

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sharedcare/sharedcare/internal/store"
)

// MaxLifetime is the longest an access token lives (SMART: at most 5 minutes).
const MaxLifetime = 5 * time.Minute

const (
	// leeway absorbs clock skew between replicas and clients.
	leeway = 30 * time.Second
	// keyRefresh is how often a running server rereads the signing keys, so
	// that it signs with a rotated key and drops a retired one.
	keyRefresh = time.Minute
	// retireAfter is how long a rotated-out key keeps verifying: a replica
	// may sign with it for up to keyRefresh after the rotation, and its
	// tokens live MaxLifetime more.
	retireAfter = keyRefresh + MaxLifetime + leeway
	// keyReload is the least time between rereads of the keys on an unknown
	// kid, so hostile tokens cannot hammer the database.
	keyReload = time.Second
)

// Options configure a Server.
type Options struct {
	Lifetime   time.Duration // of access tokens; default and maximum 5 minutes
	HTTPClient *http.Client  // fetches clients' jwks_uri (https only); default: 10 s timeout
	Now        func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Lifetime <= 0 || o.Lifetime > MaxLifetime {
		o.Lifetime = MaxLifetime
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Server issues and verifies this server's access tokens.
type Server struct {
	opts     Options
	clients  store.Clients
	keys     store.SigningKeys
	replay   store.AssertionReplay
	ring     keyring
	verified verifiedCache
	jwks     *clientJWKS
}

// New returns a Server on st, which must also be a store.Clients,
// store.SigningKeys and store.AssertionReplay. It creates the first signing
// key when the database has none.
func New(ctx context.Context, st store.Store, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	clients, ok1 := st.(store.Clients)
	keys, ok2 := st.(store.SigningKeys)
	replay, ok3 := st.(store.AssertionReplay)
	if !ok1 || !ok2 || !ok3 {
		return nil, errors.New("token.New: the store does not keep clients, signing keys and assertions")
	}
	s := &Server{opts: opts, clients: clients, keys: keys, replay: replay,
		verified: verifiedCache{max: maxVerified}, jwks: newClientJWKS(opts.HTTPClient)}
	if err := s.ring.load(ctx, keys, opts.Now()); err != nil {
		return nil, err
	}
	if s.ring.empty() {
		// Two replicas starting together may both create one: the newer
		// retires the older, and both sign with the newest after keyRefresh.
		if _, err := Rotate(ctx, st, opts); err != nil {
			return nil, err
		}
		if err := s.ring.load(ctx, keys, opts.Now()); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Error is a refusal at the token endpoint (RFC 6749 §5.2). It never says
// which check failed beyond its code.
type Error struct {
	Code   string // invalid_request, invalid_client, invalid_grant, invalid_scope, unsupported_grant_type
	Status int    // 401 for invalid_client, 400 otherwise
}

func (e *Error) Error() string { return "token: " + e.Code }

var (
	errInvalidRequest = &Error{Code: "invalid_request", Status: http.StatusBadRequest}
	errInvalidClient  = &Error{Code: "invalid_client", Status: http.StatusUnauthorized}
	errInvalidScope   = &Error{Code: "invalid_scope", Status: http.StatusBadRequest}
	errGrantType      = &Error{Code: "unsupported_grant_type", Status: http.StatusBadRequest}
)

// Response is the token endpoint's answer.
type Response struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

func wrap(fn string, err error) error { return fmt.Errorf("token.%s: %w", fn, err) }
