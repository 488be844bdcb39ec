// Package smart describes sharedcare's authorization to clients, as SMART
// App Launch 2.x (Backend Services) says a server does: the
// .well-known/smart-configuration document and the security element of the
// CapabilityStatement. Both are pure functions of the FHIR base.
package smart

import "github.com/sharedcare/sharedcare/internal/auth/token"

// Paths under the FHIR base of the server's own authorization endpoints.
const (
	TokenPath = "/auth/token"
	JWKSPath  = "/auth/jwks"
)

// Configuration is the .well-known/smart-configuration document
// (conformance.html): what a backend client needs to get a token.
type Configuration struct {
	TokenEndpoint string `json:"token_endpoint"`
	// JWKSURI is where the server's public keys are: they verify the
	// access tokens it issues.
	JWKSURI                      string   `json:"jwks_uri"`
	GrantTypesSupported          []string `json:"grant_types_supported"`
	TokenEndpointAuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	ScopesSupported              []string `json:"scopes_supported"`
	Capabilities                 []string `json:"capabilities"`
}

// NewConfiguration returns the document for the FHIR base (no trailing
// slash) of a server holding types. Only Backend Services is offered: no
// authorization endpoint, so neither response types nor PKCE methods (SMART
// requires those only of servers that launch apps).
func NewConfiguration(base string, types []string) Configuration {
	return Configuration{
		TokenEndpoint:                base + TokenPath,
		JWKSURI:                      base + JWKSPath,
		GrantTypesSupported:          []string{"client_credentials"},
		TokenEndpointAuthMethods:     []string{"private_key_jwt"},
		TokenEndpointAuthSigningAlgs: token.SigningAlgorithms(),
		ScopesSupported:              Scopes(types),
		Capabilities:                 []string{"client-confidential-asymmetric", "permission-v1", "permission-v2"},
	}
}

// Scopes lists the scopes a client may ask for: every type's, v2 and v1
// forms, wildcard first. Granular scopes (system/Observation.rs?category=…)
// are accepted too; they cannot be listed.
func Scopes(types []string) []string {
	out := []string{"system/*.cruds", "system/*.rs", "system/*.read", "system/*.write"}
	for _, t := range types {
		out = append(out, "system/"+t+".cruds", "system/"+t+".rs")
	}
	return out
}

// Service codes of CapabilityStatement.rest.security.
const (
	ServiceSystem = "http://terminology.hl7.org/CodeSystem/restful-security-service"
	// OAuthURIs is the extension naming the OAuth endpoints.
	OAuthURIs = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
)

// Security returns CapabilityStatement.rest.security for the FHIR base: the
// SMART-on-FHIR service and its token endpoint when authentication is on;
// when it is off, a description saying so and no service, so that nobody
// reading /metadata mistakes the server for a protected one.
func Security(base string, on bool) map[string]any {
	if !on {
		return map[string]any{"description": "Authentication is OFF (SHAREDCARE_AUTH=off): every caller may read and change every record. " +
			"Never run so with real patient data."}
	}
	return map[string]any{
		"extension": []any{map[string]any{"url": OAuthURIs, "extension": []any{
			map[string]any{"url": "token", "valueUri": base + TokenPath},
		}}},
		"service": []any{map[string]any{
			"coding": []any{map[string]any{"system": ServiceSystem, "code": "SMART-on-FHIR", "display": "SMART-on-FHIR"}},
			"text":   "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
		}},
		"description": "SMART App Launch 2.x Backend Services: a client gets an access token from " + base + TokenPath +
			" (grant client_credentials, authenticated by a private_key_jwt client assertion signed with RS384 or ES384) and sends it as " +
			"Authorization: Bearer on every request. SMART v2 system scopes (and their v1 forms) are enforced before any query runs. " +
			"Discovery: " + base + "/.well-known/smart-configuration.",
	}
}
