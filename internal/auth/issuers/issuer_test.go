package issuers

import "github.com/sharedcare/sharedcare/internal/auth/issuers/issuertest"

// config is ti's entry in SHAREDCARE_AUTH_ISSUERS.
func config(ti *issuertest.Issuer) Issuer {
	return Issuer{URL: ti.URL(), Audience: issuertest.Audience, OrganizationClaim: issuertest.OrganizationClaim, UserClaim: DefaultUserClaim}
}
