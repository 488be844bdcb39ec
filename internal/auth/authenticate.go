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

// MaxTokenBytes bounds a bearer token or client assertion before anything
// parses it: a JWT of a few scopes is well under 2 KiB; 16 KiB leaves room
// for long scope lists and still refuses a hostile megabyte unread.
const MaxTokenBytes = 16 << 10

// ErrInvalidToken is the error every refused token wraps (401).
var ErrInvalidToken = errors.New("invalid access token")
