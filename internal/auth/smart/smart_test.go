package smart

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/auth/scope"
)

func TestConfigurationJSON(t *testing.T) {
	t.Parallel()
	body, err := json.Marshal(NewConfiguration("https://fhir.example.org/fhir", []string{"Patient", "Task"}))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"token_endpoint":                        "https://fhir.example.org/fhir/auth/token",
		"jwks_uri":                              "https://fhir.example.org/fhir/auth/jwks",
		"grant_types_supported":                 []any{"client_credentials"},
		"token_endpoint_auth_methods_supported": []any{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []any{"RS384", "ES384", "RS256", "ES256"},
		"scopes_supported": []any{"system/*.cruds", "system/*.rs", "system/*.read", "system/*.write",
			"system/Patient.cruds", "system/Patient.rs", "system/Task.cruds", "system/Task.rs"},
		"capabilities": []any{"client-confidential-asymmetric", "permission-v1", "permission-v2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("smart-configuration (-want +got):\n%s", diff)
	}
	// Every scope offered is one the server understands.
	for _, s := range Scopes([]string{"Patient", "Task"}) {
		if set, err := scope.Parse(s); err != nil || len(set.Resources) != 1 {
			t.Errorf("scopes_supported %q: the server's own parser reads %+v, %v", s, set, err)
		}
	}
}

func TestSecurity(t *testing.T) {
	t.Parallel()
	on, _ := json.Marshal(Security("https://fhir.example.org/fhir", true))
	var got struct {
		Extension []struct {
			URL       string
			Extension []struct{ URL, ValueURI string }
		}
		Service []struct {
			Coding []struct{ System, Code string }
		}
		Description string
	}
	if err := json.Unmarshal(on, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Service) != 1 || len(got.Service[0].Coding) != 1 || got.Service[0].Coding[0] != (struct{ System, Code string }{ServiceSystem, "SMART-on-FHIR"}) {
		t.Errorf("security.service = %+v, want SMART-on-FHIR", got.Service)
	}
	if len(got.Extension) != 1 || got.Extension[0].URL != OAuthURIs || len(got.Extension[0].Extension) != 1 ||
		got.Extension[0].Extension[0] != (struct{ URL, ValueURI string }{"token", "https://fhir.example.org/fhir/auth/token"}) {
		t.Errorf("security.extension = %+v, want oauth-uris with the token endpoint", got.Extension)
	}
	off := Security("https://fhir.example.org/fhir", false)
	if _, has := off["service"]; has || off["description"] == nil {
		t.Errorf("security with authentication off = %v, want a description and no service", off)
	}
}
