package smartauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// maxResponse bounds what is read of a discovery or token response.
const maxResponse = 1 << 20

// renewBefore is how long before its expiry a cached token is replaced:
// long enough that a request made with it does not arrive expired.
const renewBefore = 30 * time.Second

// Discover returns the token endpoint the FHIR server at base advertises in
// {base}/.well-known/smart-configuration. hc nil means http.DefaultClient.
func Discover(ctx context.Context, hc *http.Client, base string) (tokenURL string, err error) {
	u := strings.TrimSuffix(base, "/") + "/.well-known/smart-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("smartauth.Discover: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	var conf struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := do(client(hc), req, &conf); err != nil {
		return "", fmt.Errorf("smartauth.Discover %s: %w", u, err)
	}
	if t, err := url.Parse(conf.TokenEndpoint); err != nil || !t.IsAbs() || t.Host == "" {
		return "", fmt.Errorf("smartauth.Discover %s: token_endpoint %q is not an absolute URL", u, conf.TokenEndpoint)
	}
	return conf.TokenEndpoint, nil
}

// Config is what a client needs to obtain access tokens.
type Config struct {
	ClientID string
	Key      jose.JSONWebKey // the client's private key, as LoadKey returns it
	BaseURL  string          // the FHIR base, e.g. https://fhir.example/fhir
	Scope    string          // the scopes requested, space-separated
	// TokenURL skips discovery when set.
	TokenURL   string
	HTTPClient *http.Client // nil: http.DefaultClient
}

// TokenSource returns access tokens for c: it discovers the token endpoint
// once, then for each new token signs a fresh assertion and exchanges it.
// Tokens are cached and renewed shortly before they expire. ctx carries the
// requests made (not each Token call's deadline), as with oauth2.Config.
// A refusal by the server is a *TokenError.
func TokenSource(ctx context.Context, c Config) oauth2.TokenSource {
	return oauth2.ReuseTokenSourceWithExpiry(nil, &source{ctx: ctx, c: c}, renewBefore)
}

type source struct {
	ctx context.Context
	c   Config

	mu       sync.Mutex
	tokenURL string // discovered once
}

// Token signs an assertion and exchanges it for a new token.
func (s *source) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hc := client(s.c.HTTPClient)
	if s.tokenURL == "" {
		s.tokenURL = s.c.TokenURL
	}
	if s.tokenURL == "" {
		u, err := Discover(s.ctx, hc, s.c.BaseURL)
		if err != nil {
			return nil, err
		}
		s.tokenURL = u
	}
	now := time.Now()
	assertion, err := Assertion(s.c.Key, s.c.ClientID, s.tokenURL, now)
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"scope":                 {s.c.Scope},
		"client_assertion_type": {AssertionType},
		"client_assertion":      {assertion},
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("smartauth.Token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	var resp struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
		Scope       string `json:"scope"`
	}
	if err := do(hc, req, &resp); err != nil {
		return nil, fmt.Errorf("smartauth.Token %s: %w", s.tokenURL, err)
	}
	if resp.AccessToken == "" || !strings.EqualFold(resp.TokenType, "bearer") {
		return nil, fmt.Errorf("smartauth.Token %s: the answer holds no bearer access_token", s.tokenURL)
	}
	t := &oauth2.Token{AccessToken: resp.AccessToken, TokenType: "Bearer"}
	if resp.ExpiresIn > 0 {
		t.Expiry = now.Add(time.Duration(resp.ExpiresIn) * time.Second)
	}
	return t.WithExtra(map[string]any{"scope": resp.Scope, "expires_in": resp.ExpiresIn}), nil
}

// TokenError is a token endpoint's refusal (RFC 6749 §5.2), or another
// non-2xx answer.
type TokenError struct {
	StatusCode  int
	Code        string // e.g. invalid_client, invalid_scope; empty if the body held none
	Description string
}

func (e *TokenError) Error() string {
	msg := fmt.Sprintf("the server answered %d", e.StatusCode)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// do sends req and decodes a 2xx JSON answer into v; anything else is a
// *TokenError.
func do(hc *http.Client, req *http.Request, v any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		te := &TokenError{StatusCode: resp.StatusCode}
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &e) == nil {
			te.Code, te.Description = e.Error, e.Description
		}
		return te
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "" && !strings.HasSuffix(mt, "json") {
		return fmt.Errorf("the answer is %s, not JSON", mt)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("the answer is not the JSON expected: %w", err)
	}
	return nil
}

func client(hc *http.Client) *http.Client {
	if hc == nil {
		return http.DefaultClient
	}
	return hc
}
