package httpapi

// The OpenAPI description of SMART's public endpoints (authserver.go): no
// token needed, and their answers are OAuth's JSON, not FHIR's. The shapes
// below describe; the endpoints answer with token.Response,
// jose.JSONWebKeySet and smart.Configuration.

// TokenResponse is the token endpoint's answer (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token" validate:"required" example:"eyJhbGciOiJFUzM4NCIsImtpZCI6IjEiLCJ0eXAiOiJKV1QifQ.…"`
	TokenType   string `json:"token_type" validate:"required" enums:"bearer"`
	ExpiresIn   int    `json:"expires_in" validate:"required" example:"300" maximum:"300"`
	Scope       string `json:"scope" validate:"required" example:"system/Patient.rs system/Task.cru"`
}

// OAuthError is the token endpoint's refusal (RFC 6749 §5.2): which kind,
// never which check failed.
type OAuthError struct {
	Error            string `json:"error" validate:"required" enums:"invalid_request,invalid_client,invalid_scope,unsupported_grant_type"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// JSONWebKeySet is the server's public keys (RFC 7517 §5).
type JSONWebKeySet struct {
	Keys []JSONWebKey `json:"keys" validate:"required"`
}

// JSONWebKey is one public key: RSA (n, e) or elliptic curve (crv, x, y).
type JSONWebKey struct {
	Kty string `json:"kty" validate:"required" enums:"RSA,EC"`
	Kid string `json:"kid" validate:"required"`
	Use string `json:"use,omitempty" enums:"sig"`
	Alg string `json:"alg,omitempty" enums:"RS384,ES384"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty" example:"P-384"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// SMARTConfiguration is the SMART discovery document (conformance.html).
type SMARTConfiguration struct {
	TokenEndpoint                     string   `json:"token_endpoint" validate:"required" example:"https://fhir.example.org/fhir/auth/token"`
	JWKSURI                           string   `json:"jwks_uri" example:"https://fhir.example.org/fhir/auth/jwks"`
	GrantTypesSupported               []string `json:"grant_types_supported" validate:"required" example:"client_credentials"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported" example:"private_key_jwt"`
	TokenEndpointAuthSigningAlgs      []string `json:"token_endpoint_auth_signing_alg_values_supported" example:"RS384,ES384"`
	ScopesSupported                   []string `json:"scopes_supported" example:"system/*.cruds,system/*.rs"`
	Capabilities                      []string `json:"capabilities" validate:"required" example:"client-confidential-asymmetric,permission-v1,permission-v2"`
}

// docPostAuthToken is POST /auth/token in the OpenAPI document.
//
//	@Summary		Get an access token (SMART Backend Services)
//	@Description	OAuth 2.0 client credentials (RFC 6749 §4.4) with a signed JWT client assertion (RFC 7523, private_key_jwt): the assertion is signed with RS384 or ES384 (RS256 and ES256 accepted) by a key in the client's registered JWKS, names the client in iss and sub, the token endpoint's URL in aud, expires at most 5 minutes ahead and carries a jti never used before. The granted scope is the requested one narrowed to the client's registered scopes. The access token is a JWT signed by the server's key (see /auth/jwks), valid for at most 300 seconds. A refusal is an RFC 6749 §5.2 error object that says which kind of failure, never which check failed.
//	@Tags			authorization
//	@Accept			x-www-form-urlencoded
//	@Produce		json
//	@Param			grant_type				formData	string	true	"client_credentials"	Enums(client_credentials)
//	@Param			scope					formData	string	true	"Space-separated SMART scopes, e.g. system/Patient.rs system/Task.cru"
//	@Param			client_assertion_type	formData	string	true	"The assertion's type"	Enums(urn:ietf:params:oauth:client-assertion-type:jwt-bearer)
//	@Param			client_assertion		formData	string	true	"The client's signed JWT assertion"
//	@Success		200	{object}	TokenResponse	"The access token (Cache-Control: no-store)"
//	@Failure		400	{object}	OAuthError		"invalid_request (not a form, a parameter missing or repeated), unsupported_grant_type, or invalid_scope (none of the requested scopes is registered for the client)"
//	@Failure		401	{object}	OAuthError		"invalid_client: the assertion does not authenticate a registered, enabled client"
//	@Router			/auth/token [post]
func docPostAuthToken() {}

// docGetAuthJWKS is GET /auth/jwks in the OpenAPI document.
//
//	@Summary		The server's public keys
//	@Description	The JSON Web Key Set the server's access tokens verify with: the current signing key and the rotated ones whose tokens may not have expired yet (sharedcare keys rotate).
//	@Tags			authorization
//	@Produce		json
//	@Success		200	{object}	JSONWebKeySet	"JWKS"
//	@Router			/auth/jwks [get]
func docGetAuthJWKS() {}

// docGetSMARTConfiguration is GET /.well-known/smart-configuration in the OpenAPI document.
//
//	@Summary		SMART discovery document
//	@Description	Where the token endpoint and the server's keys are, the client authentication it takes (private_key_jwt) and its algorithms, the grant (client_credentials), the scopes and SMART capabilities.
//	@Tags			authorization
//	@Produce		json
//	@Success		200	{object}	SMARTConfiguration	"SMART configuration"
//	@Router			/.well-known/smart-configuration [get]
func docGetSMARTConfiguration() {}
