package router

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth/smart"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// TestCapabilitySecurity: /metadata offers SMART-on-FHIR security when
// authentication is on (the default) and says it is off when it is, and is
// valid R4 either way.
func TestCapabilitySecurity(t *testing.T) {
	t.Parallel()
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []bool{false, true} {
		rt := New(Options{Registry: reg, Path: "/fhir", Version: "test", AuthOff: off})
		resp, err := rt.capabilities(context.Background(), &Request{Base: "https://fhir.example.org/fhir"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fhirjson.Parse(resp.Body); err != nil {
			t.Fatalf("AuthOff %v: CapabilityStatement is not valid R4: %v", off, err)
		}
		var cs struct {
			Rest []struct {
				Security struct {
					Service []struct {
						Coding []struct{ System, Code string }
					}
					Extension []struct {
						URL       string
						Extension []struct{ URL, ValueURI string }
					}
					Description string
				}
			}
		}
		if err := json.Unmarshal(resp.Body, &cs); err != nil {
			t.Fatal(err)
		}
		sec := cs.Rest[0].Security
		switch {
		case !off && (len(sec.Service) != 1 || sec.Service[0].Coding[0].Code != "SMART-on-FHIR" || sec.Service[0].Coding[0].System != smart.ServiceSystem):
			t.Errorf("authentication on: security.service = %+v, want SMART-on-FHIR", sec.Service)
		case !off && (len(sec.Extension) != 1 || sec.Extension[0].URL != smart.OAuthURIs || sec.Extension[0].Extension[0].ValueURI != "https://fhir.example.org/fhir/auth/token"):
			t.Errorf("authentication on: security.extension = %+v, want oauth-uris naming the token endpoint", sec.Extension)
		case off && (len(sec.Service) != 0 || len(sec.Extension) != 0 || sec.Description == ""):
			t.Errorf("authentication off: security = %+v, want only a description saying so", sec)
		}
	}
}
