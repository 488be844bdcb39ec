package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharedcare/sharedcare/internal/auth/issuers"
	"github.com/sharedcare/sharedcare/internal/auth/issuers/issuertest"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// TestExternalIssuerOverHTTP: a server trusting an OpenID Connect issuer
// (served in-process: its own keys, discovery document and JWKS over TLS)
// beside its own token endpoint, as serve wires SHAREDCARE_AUTH_ISSUERS.
// The issuer's token works within its scopes (scope or scp), gets 403
// outside them, and its organization is the one the record names; the
// server's own tokens still work; an untrusted issuer's token, or one
// naming no organization, gets 401.
func TestExternalIssuerOverHTTP(t *testing.T) {
	t.Parallel()
	trusted, untrusted := issuertest.New(t), issuertest.New(t)
	kid, otherKid := trusted.AddKey(t, jose.ES256), untrusted.AddKey(t, jose.RS256)
	cfg := issuers.Issuer{URL: trusted.URL(), Audience: issuertest.Audience, OrganizationClaim: issuertest.OrganizationClaim}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newServer(t, st, 0, func(set *setup) {
			set.Authenticator = issuers.New(context.Background(), []issuers.Issuer{cfg}, trusted.Client()).Or(set.tokens)
		})
		// The server's own full-access token, beside the issuer's.
		patient := s.create(`{"resourceType":"Patient","name":[{"family":"Okafor"}]}`)
		practice := s.create(`{"resourceType":"Organization","name":"Valley Surgery"}`)
		task := s.create(`{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/` + patient + `"},` +
			`"owner":{"reference":"Organization/` + practice + `"}}`)

		// The issuer's client acts for another organization than the Task's owner.
		org := "Organization/" + s.create(`{"resourceType":"Organization","name":"Northern Cancer Alliance"}`)
		// which cares for the patient (the issuer's tokens are relationship-bound).
		s.create(`{"resourceType":"EpisodeOfCare","status":"active","patient":{"reference":"Patient/` + patient + `"},"managingOrganization":{"reference":"` + org + `"}}`)
		scp := trusted.Sign(t, kid, trusted.Claims(map[string]any{"scope": nil, "scp": []string{"system/Patient.rs", "system/Task.ru"},
			issuertest.OrganizationClaim: org}))
		scope := trusted.Sign(t, kid, trusted.Claims(map[string]any{"scope": "system/Patient.cruds"}))
		s.do("GET", "/Patient/"+patient, "", "Authorization", "Bearer "+scp).mustStatus(t, http.StatusOK)
		s.do("GET", "/Patient?_id="+patient, "", "Authorization", "Bearer "+scp).mustStatus(t, http.StatusOK)
		s.do("POST", "/Patient", `{"resourceType":"Patient"}`, "Authorization", "Bearer "+scope).mustStatus(t, http.StatusCreated)
		for _, c := range []struct{ method, path, body, token, scope string }{
			{"POST", "/Patient", `{"resourceType":"Patient"}`, scp, "system/Patient.c"},
			{"GET", "/Observation", "", scp, "system/Observation.s"},
			{"GET", "/Task/" + task, "", scope, "system/Task.r"},
		} {
			r := s.do(c.method, c.path, c.body, "Authorization", "Bearer "+c.token).mustStatus(t, http.StatusForbidden)
			if codes, _ := r.outcome(t); len(codes) != 1 || codes[0] != "forbidden" || !strings.Contains(string(r.body), c.scope) {
				t.Errorf("%s %s outside the token's scopes: want forbidden naming %s:\n%s", c.method, c.path, c.scope, r.body)
			}
		}

		// The issuer's client moves the Task on: the Provenance names it
		// (by its issuer's URL and client id) and its organization.
		s.do("PATCH", "/Task/"+task, `[{"op":"replace","path":"/status","value":"accepted"}]`,
			"Content-Type", "application/json-patch+json", "Authorization", "Bearer "+scp).mustStatus(t, http.StatusOK)
		prov := s.do("GET", "/Provenance?target=Task/"+task, "").mustStatus(t, http.StatusOK).body
		for _, want := range []string{`"onBehalfOf":{"reference":"` + org + `"`, `"system":"` + trusted.URL() + `"`, `"value":"gp-system"`} {
			if !strings.Contains(compactJSON(t, prov), want) {
				t.Errorf("the transition's Provenance lacks %s:\n%s", want, prov)
			}
		}

		for name, tok := range map[string]string{
			"untrusted issuer":                  untrusted.Sign(t, otherKid, untrusted.Claims(nil)),
			"untrusted issuer naming a trusted": untrusted.Sign(t, otherKid, trusted.Claims(nil)),
			"no organization":                   trusted.Sign(t, kid, trusted.Claims(map[string]any{issuertest.OrganizationClaim: nil})),
			"another audience":                  trusted.Sign(t, kid, trusted.Claims(map[string]any{"aud": s.url})),
		} {
			r := s.do("GET", "/Patient/"+patient, "", "Authorization", "Bearer "+tok)
			if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("%s: status %d, WWW-Authenticate %q; want 401 invalid_token", name, r.status, r.header.Get("WWW-Authenticate"))
			}
		}
	})
}

// compactJSON is body without insignificant white space.
func compactJSON(t *testing.T, body []byte) string {
	t.Helper()
	return compact(t, string(body))
}
