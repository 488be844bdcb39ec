// Package issuers verifies access tokens from external OpenID Connect
// issuers (Keycloak, Entra ID, ...) that a deployment trusts beside the
// server's own token endpoint: each issuer's keys come from its discovery
// document and JWKS (github.com/coreos/go-oidc), cached and refetched when a
// token names a key not seen yet.
package issuers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// DefaultUserClaim is the claim naming the user when an issuer's
// configuration names none: SMART's fhirUser.
const DefaultUserClaim = "fhirUser"

// Issuer is one trusted external issuer, as SHAREDCARE_AUTH_ISSUERS lists it.
type Issuer struct {
	// URL is the issuer identifier: its tokens' iss, and where its
	// discovery document is ({URL}/.well-known/openid-configuration).
	URL string `json:"issuer"`
	// Audience is the aud its tokens must carry for this server.
	Audience string `json:"audience"`
	// OrganizationClaim names the claim holding the organization the client
	// acts for: a reference Organization/{id}, or a bare id that becomes one.
	OrganizationClaim string `json:"organization_claim"`
	// UserClaim names the claim holding the user (a FHIR reference such as
	// Practitioner/{id}); DefaultUserClaim when not given.
	UserClaim string `json:"user_claim,omitempty"`
}

// ParseConfig reads SHAREDCARE_AUTH_ISSUERS: a JSON array of objects with
// "issuer" (an https URL), "audience", "organization_claim" and optionally
// "user_claim", e.g.
//
//	[{"issuer":"https://login.example.org/realms/nhs","audience":"https://fhir.example.org/fhir","organization_claim":"org"}]
//
// An empty string is no issuers. Errors name the entry and field at fault.
func ParseConfig(s string) ([]Issuer, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var list []Issuer
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("want a JSON array of {\"issuer\",\"audience\",\"organization_claim\"[,\"user_claim\"]}: %w", jsonError(s, err))
	}
	if strings.TrimSpace(s[dec.InputOffset():]) != "" {
		return nil, fmt.Errorf("unexpected text after the JSON array at offset %d", dec.InputOffset())
	}
	var errs []error
	seen := map[string]bool{}
	for i := range list {
		is := &list[i]
		at := fmt.Sprintf("[%d]", i)
		if u, err := url.Parse(is.URL); is.URL == "" || err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			errs = append(errs, fmt.Errorf("%s.issuer %q: want the issuer's https URL (no query or fragment), exactly as its tokens' iss", at, is.URL))
		} else if seen[is.URL] {
			errs = append(errs, fmt.Errorf("%s.issuer %q: listed twice", at, is.URL))
		}
		seen[is.URL] = true
		if strings.TrimSpace(is.Audience) == "" {
			errs = append(errs, fmt.Errorf("%s.audience: required: the aud the issuer's tokens carry for this server", at))
		}
		if strings.TrimSpace(is.OrganizationClaim) == "" {
			errs = append(errs, fmt.Errorf("%s.organization_claim: required: the claim naming the client's organization", at))
		}
		if is.UserClaim == "" {
			is.UserClaim = DefaultUserClaim
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return list, nil
}

// jsonError says where in s a decoding error is.
func jsonError(s string, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("%v at offset %d", syntax, syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("%s: want %s, got JSON %s (offset %d)", orTop(typ.Field), typ.Type, typ.Value, typ.Offset)
	}
	return err
}

func orTop(field string) string {
	if field == "" {
		return "the value"
	}
	return field
}
