// Package smartauth is the client side of SMART App Launch 2.x Backend
// Services: it loads a client's private key, signs the client assertion
// (private_key_jwt, RFC 7523) and exchanges it at the server's token
// endpoint, found through /.well-known/smart-configuration, for access
// tokens that an oauth2.TokenSource caches and renews.
//
// It depends on nothing inside sharedcare, so any Go program can use it to
// call a SMART-protected FHIR server.
package smartauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/go-jose/go-jose/v4"
)

// Algorithms are the signature algorithms SMART Backend Services clients
// use: RS384 and ES384 are required of servers, RS256 and ES256 accepted.
var Algorithms = []jose.SignatureAlgorithm{jose.RS384, jose.ES384, jose.RS256, jose.ES256}

// LoadKey reads a client's private key from path: a JWK (JSON, as
// `sharedcare clients add --demo` writes) or PEM (PKCS #8, SEC 1 "EC
// PRIVATE KEY" or PKCS #1 "RSA PRIVATE KEY"). See ParseKey.
func LoadKey(path string) (jose.JSONWebKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("smartauth.LoadKey: %w", err)
	}
	k, err := ParseKey(b)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("smartauth.LoadKey %s: %w", path, err)
	}
	return k, nil
}

// ParseKey reads a private signing key, JWK or PEM. The key is returned
// ready to sign: Algorithm is the JWK's alg, or else chosen from the key
// (ES384 for P-384, ES256 for P-256, RS384 for RSA), and KeyID is the JWK's
// kid, or else the key's RFC 7638 thumbprint (what a PEM key is registered
// under).
func ParseKey(b []byte) (jose.JSONWebKey, error) {
	var k jose.JSONWebKey
	if block, _ := pem.Decode(b); block != nil {
		priv, err := parsePEM(block)
		if err != nil {
			return k, err
		}
		k.Key = priv
	} else if err := json.Unmarshal(b, &k); err != nil {
		return k, fmt.Errorf("neither a JWK nor PEM: %w", err)
	}
	if k.IsPublic() || !k.Valid() {
		return k, errors.New("not a private key: a client signs with its private key (the server holds the public one)")
	}
	return complete(k)
}

func parsePEM(block *pem.Block) (any, error) {
	switch block.Type {
	case "PRIVATE KEY":
		return x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	}
	return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
}

// complete fills in k's algorithm and key id, and checks they fit the key.
func complete(k jose.JSONWebKey) (jose.JSONWebKey, error) {
	alg, err := algFor(k.Key)
	if err != nil {
		return k, err
	}
	if k.Algorithm == "" {
		k.Algorithm = string(alg)
	} else if !fits(jose.SignatureAlgorithm(k.Algorithm), k.Key) {
		return k, fmt.Errorf("alg %s does not fit the key (use one of %v for this key type)", k.Algorithm, Algorithms)
	}
	if k.KeyID == "" {
		t, err := k.Thumbprint(crypto.SHA256)
		if err != nil {
			return k, err
		}
		k.KeyID = base64.RawURLEncoding.EncodeToString(t)
	}
	return k, nil
}

// algFor is the default algorithm of a private or public key.
func algFor(key any) (jose.SignatureAlgorithm, error) {
	switch key := key.(type) {
	case *ecdsa.PrivateKey:
		return ecAlg(key.Curve)
	case *ecdsa.PublicKey:
		return ecAlg(key.Curve)
	case *rsa.PrivateKey, *rsa.PublicKey:
		return jose.RS384, nil
	}
	return "", fmt.Errorf("a %T cannot sign for SMART Backend Services (want an EC P-384/P-256 or RSA key)", key)
}

func ecAlg(c elliptic.Curve) (jose.SignatureAlgorithm, error) {
	switch c {
	case elliptic.P384():
		return jose.ES384, nil
	case elliptic.P256():
		return jose.ES256, nil
	}
	return "", fmt.Errorf("EC curve %s is not used by SMART Backend Services (want P-384 or P-256)", c.Params().Name)
}

// fits reports whether alg is one of Algorithms and fits key (private or public).
func fits(alg jose.SignatureAlgorithm, key any) bool {
	def, err := algFor(key)
	switch {
	case err != nil:
		return false
	case alg == jose.RS384 || alg == jose.RS256:
		return def == jose.RS384
	default:
		return alg == def // an EC key has one algorithm: its curve's
	}
}

// Usable reports whether k is a public key a server can verify a client
// assertion with: RSA, or EC P-384/P-256, with no alg or one of Algorithms
// that fits it.
func Usable(k jose.JSONWebKey) bool {
	if !k.IsPublic() || !k.Valid() {
		return false
	}
	if k.Algorithm == "" {
		_, err := algFor(k.Key)
		return err == nil
	}
	return fits(jose.SignatureAlgorithm(k.Algorithm), k.Key)
}

// NewKey generates a private key for alg (ES384, ES256, RS384 or RS256; RSA
// keys are 3072 bits), with alg, use "sig" and its thumbprint as kid. Its
// Public() is what the server registers.
func NewKey(alg jose.SignatureAlgorithm) (jose.JSONWebKey, error) {
	var (
		priv any
		err  error
	)
	switch alg {
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS384, jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 3072)
	default:
		return jose.JSONWebKey{}, fmt.Errorf("smartauth.NewKey: unsupported algorithm %s (want one of %v)", alg, Algorithms)
	}
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("smartauth.NewKey: %w", err)
	}
	return complete(jose.JSONWebKey{Key: priv, Algorithm: string(alg), Use: "sig"})
}
