package issuers

import (
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sharedcare/sharedcare/internal/auth"
)

// Algorithms are the signature algorithms an external issuer's tokens may
// use: asymmetric only, so never none nor an HMAC keyed with a public key.
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.PS256}

// PeekIssuer returns the iss claim of a compact JWS signed with one of
// Algorithms, WITHOUT verifying it: only to choose which verifier checks the
// token. ok is false for anything else (too long, malformed, no iss).
func PeekIssuer(raw string) (iss string, ok bool) {
	if len(raw) > auth.MaxTokenBytes {
		return "", false
	}
	tok, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil {
		return "", false
	}
	var claims struct {
		Issuer any `json:"iss"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		return "", false
	}
	iss, _ = claims.Issuer.(string)
	return iss, iss != ""
}
