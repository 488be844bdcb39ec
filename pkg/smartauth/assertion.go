package smartauth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// AssertionLifetime is how long a client assertion is valid: SMART allows
// at most five minutes; four leaves room for clocks that disagree.
const AssertionLifetime = 4 * time.Minute

// AssertionType is the client_assertion_type of a signed JWT (RFC 7523).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Assertion signs a client assertion for clientID to present at tokenURL,
// as SMART Backend Services defines it: iss = sub = clientID, aud =
// tokenURL, exp = now + AssertionLifetime, a random jti, and key's kid and
// alg in the header. key is a private key as LoadKey or NewKey return it.
func Assertion(key jose.JSONWebKey, clientID, tokenURL string, now time.Time) (string, error) {
	if clientID == "" || tokenURL == "" {
		return "", errors.New("smartauth.Assertion: needs a client id and a token URL")
	}
	if key.KeyID == "" || key.Algorithm == "" {
		return "", errors.New("smartauth.Assertion: the key needs a kid and an alg (load it with LoadKey or ParseKey)")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.Algorithm), Key: key},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("smartauth.Assertion: %w", err)
	}
	jti := make([]byte, 18)
	if _, err := rand.Read(jti); err != nil {
		return "", fmt.Errorf("smartauth.Assertion: %w", err)
	}
	claims := jwt.Claims{
		Issuer:   clientID,
		Subject:  clientID,
		Audience: jwt.Audience{tokenURL},
		Expiry:   jwt.NewNumericDate(now.Add(AssertionLifetime)),
		IssuedAt: jwt.NewNumericDate(now),
		ID:       base64.RawURLEncoding.EncodeToString(jti),
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("smartauth.Assertion: %w", err)
	}
	return s, nil
}
