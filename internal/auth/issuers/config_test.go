package issuers

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	got, err := ParseConfig(` [{"issuer":"https://login.example.org/realms/nhs","audience":"https://fhir.example.org/fhir","organization_claim":"org"},
		{"issuer":"https://sts.example.com/tenant/v2.0","audience":"api://sharedcare","organization_claim":"ods","user_claim":"practitioner"}] `)
	if err != nil {
		t.Fatal(err)
	}
	want := []Issuer{
		{URL: "https://login.example.org/realms/nhs", Audience: "https://fhir.example.org/fhir", OrganizationClaim: "org", UserClaim: "fhirUser"},
		{URL: "https://sts.example.com/tenant/v2.0", Audience: "api://sharedcare", OrganizationClaim: "ods", UserClaim: "practitioner"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseConfig (-want +got):\n%s", diff)
	}
	if got, err := ParseConfig("  "); err != nil || got != nil {
		t.Errorf("ParseConfig(blank) = %v, %v; want none", got, err)
	}
	for _, tt := range []struct{ in, wantErr string }{
		{`{"issuer":"https://a.example"}`, "want a JSON array"},
		{`[{"issuer":"https://a.example",}]`, "offset"},
		{`[{"issuer":"https://a.example","audience":"x","organization_claim":"org","org_claim":"o"}]`, `unknown field "org_claim"`},
		{`[{"issuer":"http://a.example","audience":"x","organization_claim":"org"}]`, `[0].issuer "http://a.example"`},
		{`[{"issuer":"https://a.example?x=1","audience":"x","organization_claim":"org"}]`, `[0].issuer`},
		{`[{"audience":"x","organization_claim":"org"}]`, `[0].issuer ""`},
		{`[{"issuer":"https://a.example","organization_claim":"org"}]`, "[0].audience: required"},
		{`[{"issuer":"https://a.example","audience":"x"}]`, "[0].organization_claim: required"},
		{`[{"issuer":"https://a.example","audience":"x","organization_claim":"o"},{"issuer":"https://a.example","audience":"y","organization_claim":"o"}]`, "[1].issuer \"https://a.example\": listed twice"},
		{`[{"issuer":"https://a.example","audience":7,"organization_claim":"o"}]`, "audience: want string"},
		{`[] []`, "unexpected text after the JSON array"},
	} {
		if _, err := ParseConfig(tt.in); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseConfig(%s) error = %v, want one containing %q", tt.in, err, tt.wantErr)
		}
	}
}
