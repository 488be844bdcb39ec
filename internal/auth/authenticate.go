package auth

import (
	"context"
	"errors"
)

// Authenticator verifies a bearer access token and returns the caller it
// names: this server's own tokens, or an external issuer's.
type Authenticator interface {
	// Authenticate verifies token as presented at the FHIR base URL base
	// (the audience it must have been issued for). A token that is not
	// valid — malformed, unsigned, signed by a key not trusted, expired,
	// for another audience — fails with an error wrapping ErrInvalidToken;
	// a failure to check it at all (the database is down) with any other.
	Authenticate(ctx context.Context, token, base string) (Principal, error)
}

// ErrInvalidToken is the error every refused token wraps (401).
var ErrInvalidToken = errors.New("invalid access token")
