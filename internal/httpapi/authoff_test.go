package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/internal/auth/smart"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// restSecurity is CapabilityStatement.rest[0].security as /metadata serves it.
type restSecurity struct {
	Description string
	Service     []struct {
		Coding []struct{ System, Code string }
	}
	Extension []struct {
		URL       string
		Extension []struct{ URL, ValueURI string }
	}
}

func (s *server) security(t *testing.T) restSecurity {
	t.Helper()
	r := s.do("GET", "/metadata", "", "Authorization", "").mustStatus(t, http.StatusOK)
	var cs struct {
		Rest []struct{ Security *restSecurity }
	}
	if err := json.Unmarshal(r.body, &cs); err != nil || len(cs.Rest) != 1 || cs.Rest[0].Security == nil {
		t.Fatalf("/metadata has no rest.security (%v):\n%.500s", err, r.body)
	}
	return *cs.Rest[0].Security
}

// TestAuthOff: with authentication switched off (SHAREDCARE_AUTH=off) every
// request is served without a token, and /metadata says so instead of
// offering SMART; the default server offers SMART-on-FHIR with its token URL
// and serves nothing without a token.
func TestAuthOff(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		off := newServer(t, st, 0, func(set *setup) { set.AuthOff = true })
		for _, header := range []string{"", "Bearer not-a-token"} {
			r := off.do("POST", "/Patient", `{"resourceType":"Patient"}`, "Authorization", header).mustStatus(t, http.StatusCreated)
			id := r.json(t)["id"].(string)
			off.do("GET", "/Patient/"+id, "", "Authorization", header).mustStatus(t, http.StatusOK)
			off.do("GET", "/Patient?_id="+id, "", "Authorization", header).mustStatus(t, http.StatusOK)
			off.do("DELETE", "/Patient/"+id, "", "Authorization", header).mustStatus(t, http.StatusOK)
		}
		sec := off.security(t)
		if !strings.Contains(sec.Description, "SHAREDCARE_AUTH=off") || len(sec.Service) != 0 || len(sec.Extension) != 0 {
			t.Errorf("authentication off: security %+v, want a description saying so and no SMART service", sec)
		}

		on := newServer(t, st, 0)
		on.do("GET", "/Patient", "", "Authorization", "").mustStatus(t, http.StatusUnauthorized)
		sec = on.security(t)
		if len(sec.Service) != 1 || len(sec.Service[0].Coding) != 1 || sec.Service[0].Coding[0].Code != "SMART-on-FHIR" || sec.Service[0].Coding[0].System != smart.ServiceSystem {
			t.Errorf("authentication on: security.service %+v, want SMART-on-FHIR", sec.Service)
		}
		if len(sec.Extension) != 1 || sec.Extension[0].URL != smart.OAuthURIs || len(sec.Extension[0].Extension) != 1 ||
			sec.Extension[0].Extension[0].URL != "token" || sec.Extension[0].Extension[0].ValueURI != on.url+"/auth/token" {
			t.Errorf("authentication on: security.extension %+v, want oauth-uris with token %s/auth/token", sec.Extension, on.url)
		}
	})
}
