package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/smart"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// unrestricted is every caller when authentication is off (SHAREDCARE_AUTH=off).
var unrestricted = auth.Principal{Kind: auth.Anonymous, Unrestricted: true}

// authenticate returns ctx carrying the caller the request's bearer token
// names. Everything under the FHIR base but the public SMART paths and
// /metadata goes through here before anything else reads the request: an
// unauthenticated caller learns nothing, not even whether a path exists.
// With no Authenticator and authentication not switched off, nobody gets in.
func (a *API) authenticate(c *gin.Context, base string) (context.Context, error) {
	ctx := c.Request.Context()
	if a.opts.AuthOff {
		return auth.WithPrincipal(ctx, unrestricted), nil
	}
	raw, err := bearerToken(c.Request.Header)
	if err != nil {
		return nil, err
	}
	if a.opts.Authenticator == nil {
		return nil, invalidToken("no access token can be verified: the server has no authenticator")
	}
	p, err := a.opts.Authenticator.Authenticate(ctx, raw, base)
	switch {
	case errors.Is(err, auth.ErrInvalidToken):
		// Which check failed stays in the log, not in the answer.
		loggerFrom(ctx).Info("access token refused", "err", err)
		return nil, invalidToken("the access token is not valid here (expired, not signed by a trusted issuer, or for another server)")
	case err != nil:
		return nil, err
	}
	return auth.WithPrincipal(ctx, p), nil
}

// bearerToken is the token of the request's one Authorization: Bearer header.
func bearerToken(h http.Header) (string, error) {
	values := h.Values("Authorization")
	switch {
	case len(values) == 0:
		return "", invalidToken("this server needs an access token: send Authorization: Bearer <token> (SMART Backend Services, see .well-known/smart-configuration)")
	case len(values) > 1:
		return "", invalidToken("send one Authorization header, not %d", len(values))
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	token = strings.TrimSpace(token)
	switch {
	case !ok || !strings.EqualFold(scheme, "Bearer") || token == "":
		return "", invalidToken("the Authorization header must be Bearer <token>")
	case len(token) > auth.MaxTokenBytes:
		return "", invalidToken("the access token is longer than %d bytes", auth.MaxTokenBytes)
	}
	return token, nil
}

func invalidToken(format string, args ...any) error {
	return fhirerr.New(fhirerr.Unauthorized, "login", "", format, args...)
}

// isPublic reports whether path (below the FHIR base) is served without a
// token: the CapabilityStatement and SMART's discovery and token endpoints.
func isPublic(path string) bool {
	switch path {
	case "/metadata", smartConfigurationPath, tokenPath, jwksPath:
		return true
	}
	return false
}

// The SMART paths below the FHIR base.
const (
	smartConfigurationPath = "/.well-known/smart-configuration"
	tokenPath              = smart.TokenPath
	jwksPath               = smart.JWKSPath
)

// challenge is the WWW-Authenticate of a 401 (RFC 6750 §3).
const challenge = `Bearer realm="sharedcare", error="invalid_token"`
