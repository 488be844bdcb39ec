package issuers

import (
	"errors"
	"strings"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// principal is the caller a verified token of cfg's issuer names. Every
// layer below relies on knowing the organization, so a token without one is
// refused.
func principal(cfg Issuer, claims map[string]any) (auth.Principal, error) {
	p := auth.Principal{Kind: auth.Client, Issuer: cfg.URL}
	for _, name := range []string{"azp", "client_id", "sub"} {
		if s, _ := claims[name].(string); s != "" {
			p.ClientID = s
			break
		}
	}
	if p.ClientID == "" {
		return auth.Principal{}, invalid("%v", errNoClient)
	}
	org, err := organization(claims[cfg.OrganizationClaim])
	if err != nil {
		return auth.Principal{}, invalid("claim %q: %v", cfg.OrganizationClaim, err)
	}
	p.Organization = org
	if v, present := claims[cfg.UserClaim]; present {
		user, _ := v.(string)
		if strings.TrimSpace(user) == "" {
			return auth.Principal{}, invalid("claim %q: want a FHIR reference to the user, such as Practitioner/123", cfg.UserClaim)
		}
		p.User = user
	}
	words, err := scopeClaim(claims)
	if err != nil {
		return auth.Principal{}, invalid("%v", err)
	}
	if p.Scopes, err = scope.Parse(words); err != nil {
		return auth.Principal{}, invalid("scope: %v", err)
	}
	return p, nil
}

// organization reads the organization claim: Organization/{id}, or a bare
// id that becomes one.
func organization(v any) (string, error) {
	s, _ := v.(string)
	id, hasType := strings.CutPrefix(s, "Organization/")
	if s == "" || !fhirjson.ValidID(id) || (!hasType && strings.Contains(s, "/")) {
		return "", errors.New("want Organization/{id} or a bare FHIR id naming the client's organization")
	}
	return "Organization/" + id, nil
}

// scopeClaim returns the granted scopes as one space-separated string: from
// scope (OAuth 2, RFC 8693), else scp (Entra ID and others: a string or an
// array of strings).
func scopeClaim(claims map[string]any) (string, error) {
	if v, ok := claims["scope"]; ok {
		s, ok := v.(string)
		if !ok {
			return "", errors.New("claim scope: want a space-separated string")
		}
		return s, nil
	}
	switch v := claims["scp"].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []any:
		words := make([]string, len(v))
		for i, w := range v {
			s, ok := w.(string)
			if !ok || strings.ContainsAny(s, " \t") {
				return "", errors.New("claim scp: want a string or an array of scope strings")
			}
			words[i] = s
		}
		return strings.Join(words, " "), nil
	}
	return "", errors.New("claim scp: want a string or an array of scope strings")
}
