package issuers

import (
	"context"
	"errors"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/issuers/issuertest"
)

// ownTokens stands for the server's own token verifier: it accepts exactly
// one token.
type ownTokens string

func (o ownTokens) Authenticate(_ context.Context, raw, _ string) (auth.Principal, error) {
	if raw != string(o) {
		return auth.Principal{}, auth.ErrInvalidToken
	}
	return auth.Principal{Kind: auth.Client, ClientID: "own"}, nil
}

// TestOrRoutesByIssuer: a trusted issuer's token goes to its verifier, any
// other token to the server's own; a token naming a trusted issuer but not
// signed by it is refused, never handed to the other verifier.
func TestOrRoutesByIssuer(t *testing.T) {
	t.Parallel()
	ti := issuertest.New(t)
	kid := ti.AddKey(t, jose.RS256)
	v := New(context.Background(), []Issuer{config(ti)}, ti.Client())
	either := v.Or(ownTokens("own-token"))
	ctx := context.Background()
	if p, err := either.Authenticate(ctx, ti.Sign(t, kid, ti.Claims(nil)), "base"); err != nil || p.Issuer != ti.URL() {
		t.Errorf("external token: %+v, %v", p, err)
	}
	if p, err := either.Authenticate(ctx, "own-token", "base"); err != nil || p.ClientID != "own" {
		t.Errorf("own token: %+v, %v", p, err)
	}
	other := issuertest.New(t)
	forged := other.Sign(t, other.AddKey(t, jose.RS256), ti.Claims(nil)) // iss names the trusted issuer
	if _, err := either.Authenticate(ctx, forged, "base"); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("token naming a trusted issuer, signed elsewhere: %v, want ErrInvalidToken", err)
	}
}
