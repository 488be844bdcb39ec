package issuers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Discovery is tried when a token first needs it, not at start-up: an
// issuer that is down must not keep the server from starting. A failed
// attempt is retried after retryAfter; tokens meanwhile get 503. No fetch
// (discovery or JWKS) may hang longer than fetchTimeout: go-oidc shares one
// JWKS fetch among all the tokens waiting for it.
const (
	fetchTimeout      = 10 * time.Second
	defaultRetryAfter = 5 * time.Second
)

// Verifier verifies the access tokens of the trusted external issuers
// (auth.Authenticator).
type Verifier struct {
	base       context.Context // carries the HTTP client go-oidc uses
	byURL      map[string]*issuer
	retryAfter time.Duration
}

var _ auth.Authenticator = (*Verifier)(nil)

// issuer is one trusted issuer and, once discovered, its token verifier.
type issuer struct {
	cfg      Issuer
	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	tried    time.Time // the last failed discovery
	err      error     // its error
}

// New returns a Verifier of issuers' tokens, fetching their discovery
// documents and keys with client (nil: http.DefaultClient; without a
// Timeout, fetchTimeout); ctx carries values only, its cancellation is ignored. Nothing is fetched yet, so New
// never fails: each issuer is discovered when its first token arrives.
func New(ctx context.Context, issuers []Issuer, client *http.Client) *Verifier {
	c := http.Client{}
	if client != nil {
		c = *client
	}
	if c.Timeout == 0 {
		c.Timeout = fetchTimeout
	}
	v := &Verifier{base: oidc.ClientContext(context.WithoutCancel(ctx), &c), byURL: map[string]*issuer{}, retryAfter: defaultRetryAfter}
	for _, cfg := range issuers {
		if cfg.UserClaim == "" {
			cfg.UserClaim = DefaultUserClaim
		}
		v.byURL[cfg.URL] = &issuer{cfg: cfg}
	}
	return v
}

// Trusts reports whether iss is one of the configured issuers.
func (v *Verifier) Trusts(iss string) bool { return v.byURL[iss] != nil }

// Authenticate verifies raw, a token of a trusted issuer: its signature
// (by a key of the issuer's JWKS, with one of Algorithms), iss, aud (the
// issuer's configured audience: base is not used, the issuer's tokens carry
// what it was configured to give this server), exp and nbf (go-oidc allows
// nbf five minutes of clock skew, exp none). A token the
// issuer's keys cannot be fetched to check fails with a fhirerr.Unavailable
// error (503), not auth.ErrInvalidToken.
func (v *Verifier) Authenticate(ctx context.Context, raw, _ string) (auth.Principal, error) {
	iss, ok := PeekIssuer(raw)
	if !ok {
		return auth.Principal{}, invalid("not a JWT signed with %s and naming its issuer", strings.Join(algNames(), ", "))
	}
	is := v.byURL[iss]
	if is == nil {
		return auth.Principal{}, invalid("issuer %q is not trusted", fhirerr.Clip(iss, fhirerr.MaxQuoted))
	}
	verifier, err := v.discovered(ctx, is)
	if err != nil {
		return auth.Principal{}, err
	}
	tok, err := verifier.Verify(ctx, raw)
	if err != nil {
		// go-oidc flattens its key set's errors into text: a failure to
		// fetch the JWKS (for a kid not cached) reads "fetching keys".
		if strings.Contains(err.Error(), "fetching keys") {
			return auth.Principal{}, unavailable(iss, err)
		}
		return auth.Principal{}, fmt.Errorf("%w: %v", auth.ErrInvalidToken, err)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return auth.Principal{}, invalid("claims: %v", err)
	}
	return principal(is.cfg, claims)
}

// discovered returns is's verifier, discovering the issuer first if that
// has not succeeded yet (and was not just tried).
func (v *Verifier) discovered(ctx context.Context, is *issuer) (*oidc.IDTokenVerifier, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.verifier != nil {
		return is.verifier, nil
	}
	if is.err != nil && time.Since(is.tried) < v.retryAfter {
		return nil, unavailable(is.cfg.URL, is.err)
	}
	dctx, cancel := context.WithTimeout(v.base, fetchTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel) // the caller gone, stop waiting
	defer stop()
	p, err := oidc.NewProvider(dctx, is.cfg.URL)
	if err != nil {
		if ctx.Err() == nil { // a caller's own cancellation says nothing of the issuer
			is.tried, is.err = time.Now(), err
		}
		return nil, unavailable(is.cfg.URL, err)
	}
	is.verifier = p.VerifierContext(v.base, &oidc.Config{ClientID: is.cfg.Audience, SupportedSigningAlgs: algNames()})
	is.err = nil
	return is.verifier, nil
}

func algNames() []string {
	out := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		out[i] = string(a)
	}
	return out
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", auth.ErrInvalidToken, fmt.Sprintf(format, args...))
}

func unavailable(iss string, err error) error {
	return fhirerr.Wrap(fhirerr.Unavailable, "transient", fmt.Errorf("issuers: %s: %w", iss, err),
		"the token's issuer cannot be reached to check it; try again later")
}

// errNoClient is a token naming no client at all.
var errNoClient = errors.New("the token names no client (azp, client_id or sub)")
