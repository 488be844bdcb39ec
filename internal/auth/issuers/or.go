package issuers

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/auth"
)

// Or is the authenticator of a server that trusts v's issuers besides
// itself: a token whose (unverified) iss names one of v's issuers is
// verified by v, any other by own. The iss only picks the verifier; each
// verifies everything, iss included.
func (v *Verifier) Or(own auth.Authenticator) auth.Authenticator {
	return either{v, own}
}

type either struct {
	external *Verifier
	own      auth.Authenticator
}

func (e either) Authenticate(ctx context.Context, raw, base string) (auth.Principal, error) {
	if iss, ok := PeekIssuer(raw); ok && e.external.Trusts(iss) {
		return e.external.Authenticate(ctx, raw, base)
	}
	return e.own.Authenticate(ctx, raw, base)
}
