package httpapi

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/go-jose/go-jose/v4"

	"github.com/sharedcare/sharedcare/internal/auth/smart"
	"github.com/sharedcare/sharedcare/internal/auth/token"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// TokenServer is the authorization server behind {base}/auth/token and
// {base}/auth/jwks (internal/auth/token).
type TokenServer interface {
	Exchange(ctx context.Context, form url.Values, tokenURL, audience string) (*token.Response, error)
	JWKS(ctx context.Context) (jose.JSONWebKeySet, error)
}

// maxTokenRequestBytes bounds a token request: a form holding one client
// assertion and a scope list.
const maxTokenRequestBytes = 64 << 10

// servePublic serves the SMART paths below the FHIR base, which need no
// token; it reports whether path was one of them.
func (a *API) servePublic(c *gin.Context, path, base string) bool {
	var serve func(*gin.Context, string) error
	switch path {
	case tokenPath:
		serve = a.serveToken
	case jwksPath:
		serve = a.serveJWKS
	case smartConfigurationPath:
		serve = a.serveSMARTConfiguration
	default:
		return false
	}
	if err := serve(c, base); err != nil {
		a.writeError(c, err)
	}
	return true
}

// serveToken is the token endpoint of SMART Backend Services (RFC 6749
// §4.4 with an RFC 7523 client assertion). Its answers are OAuth's, not
// FHIR's: JSON objects with an error code (RFC 6749 §5.2).
func (a *API) serveToken(c *gin.Context, base string) error {
	if a.opts.TokenServer == nil {
		return notFoundPath(c.Request.URL.Path)
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	if c.Request.Method != http.MethodPost {
		c.Header("Allow", http.MethodPost)
		c.JSON(http.StatusMethodNotAllowed, oauthError("invalid_request", "the token endpoint takes POST"))
		return nil
	}
	form, problem := readTokenForm(c)
	if problem != "" {
		c.JSON(http.StatusBadRequest, oauthError("invalid_request", problem))
		return nil
	}
	resp, err := a.opts.TokenServer.Exchange(c.Request.Context(), form, base+tokenPath, base)
	var refused *token.Error
	switch {
	case errors.As(err, &refused):
		loggerFrom(c.Request.Context()).Info("token request refused", "client", form.Get("client_id"), "err", err)
		c.JSON(refused.Status, oauthError(refused.Code, ""))
		return nil
	case err != nil:
		return err
	}
	c.JSON(http.StatusOK, resp)
	return nil
}

// readTokenForm reads the form-encoded body; problem says what is wrong with it.
func readTokenForm(c *gin.Context) (form url.Values, problem string) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, "the body must be application/x-www-form-urlencoded"
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxTokenRequestBytes))
	if err != nil {
		return nil, "the body is unreadable or larger than 64 KiB"
	}
	form, err = url.ParseQuery(string(body))
	if err != nil {
		return nil, "the body is not a valid form"
	}
	for name, values := range form {
		if len(values) > 1 { // RFC 6749 §3.2
			return nil, "the parameter " + name + " is sent more than once"
		}
	}
	return form, ""
}

func oauthError(code, description string) gin.H {
	h := gin.H{"error": code}
	if description != "" {
		h["error_description"] = description
	}
	return h
}

// serveJWKS publishes the public keys the server's access tokens verify with.
func (a *API) serveJWKS(c *gin.Context, _ string) error {
	if a.opts.TokenServer == nil {
		return notFoundPath(c.Request.URL.Path)
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		return methodNotAllowed(c, http.MethodGet)
	}
	keys, err := a.opts.TokenServer.JWKS(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, keys)
	return nil
}

func methodNotAllowed(c *gin.Context, allow string) error {
	c.Header("Allow", allow)
	return fhirerr.New(fhirerr.MethodNotAllowed, "not-supported", "", "%s takes %s only", c.Request.URL.Path, allow)
}

// serveSMARTConfiguration publishes SMART's discovery document: where the
// token endpoint and the server's keys are, and what it accepts.
func (a *API) serveSMARTConfiguration(c *gin.Context, base string) error {
	if a.opts.TokenServer == nil {
		return notFoundPath(c.Request.URL.Path)
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		return methodNotAllowed(c, http.MethodGet)
	}
	var types []string
	if a.opts.Registry != nil {
		types = a.opts.Registry.Names()
	}
	c.JSON(http.StatusOK, smart.NewConfiguration(base, types))
	return nil
}
