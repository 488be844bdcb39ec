package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

func TestCapabilityStatement(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		r := s.do("GET", "/metadata", "").mustStatus(t, http.StatusOK)
		if _, err := http.ParseTime(r.header.Get("Last-Modified")); err != nil {
			t.Errorf("Last-Modified %q is not an HTTP date: %v", r.header.Get("Last-Modified"), err)
		}
		if _, err := fhirjson.Parse(r.body); err != nil {
			t.Fatalf("CapabilityStatement is not valid R4: %v\n%s", err, r.body)
		}
		var cs struct {
			ResourceType, FhirVersion, Kind string
			Format                          []string
			Rest                            []struct {
				Mode     string
				Resource []struct {
					Type        string
					Interaction []struct{ Code string }
				}
			}
		}
		if err := json.Unmarshal(r.body, &cs); err != nil {
			t.Fatal(err)
		}
		if cs.ResourceType != "CapabilityStatement" || cs.FhirVersion != "4.0.1" || len(cs.Rest) != 1 || cs.Rest[0].Mode != "server" {
			t.Fatalf("CapabilityStatement header wrong: %+v", cs)
		}
		served := map[string]bool{}
		for _, res := range cs.Rest[0].Resource {
			codes := map[string]bool{}
			for _, i := range res.Interaction {
				codes[i.Code] = true
			}
			wants := []string{"read", "vread", "update", "delete", "history-instance", "history-type", "create"}
			if readOnly[res.Type] { // the conformance resources the server publishes
				wants = []string{"read", "vread", "history-instance", "history-type", "search-type"}
				for _, write := range []string{"create", "update", "patch", "delete"} {
					if codes[write] {
						t.Errorf("read-only %s offers %s", res.Type, write)
					}
				}
			}
			for _, want := range wants {
				if !codes[want] {
					t.Errorf("%s lacks interaction %s", res.Type, want)
				}
			}
			served[res.Type] = true
		}
		for _, typ := range []string{"Patient", "Practitioner", "PractitionerRole", "Organization", "CareTeam", "EpisodeOfCare",
			"Encounter", "Condition", "Procedure", "MedicationStatement", "Observation", "AllergyIntolerance", "CarePlan", "Goal",
			"Task", "ServiceRequest", "Communication", "CommunicationRequest", "Questionnaire", "QuestionnaireResponse",
			"Composition", "DocumentReference", "Binary", "Consent", "Provenance", "AuditEvent", "Subscription"} {
			if !served[typ] {
				t.Errorf("CapabilityStatement does not list %s", typ)
			}
		}
		for typ := range readOnly {
			if !served[typ] {
				t.Errorf("CapabilityStatement does not list %s", typ)
			}
		}
		if len(served) != 27+len(readOnly) {
			t.Errorf("CapabilityStatement lists %d types, want %d", len(served), 27+len(readOnly))
		}
	})
}

// readOnly are the types the server publishes but the API cannot write.
var readOnly = map[string]bool{"CodeSystem": true, "OperationDefinition": true, "SearchParameter": true}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		s.do("GET", "//healthz", "").mustStatus(t, http.StatusOK)
		s.do("GET", "//readyz", "").mustStatus(t, http.StatusOK)
		doc := s.do("GET", "//openapi.json", "").mustStatus(t, http.StatusOK).json(t)
		if doc["swagger"] == nil && doc["openapi"] == nil {
			t.Errorf("/openapi.json is not an OpenAPI document: %.200v", doc)
		}
		s.do("GET", "//docs", "").mustStatus(t, http.StatusOK)
		r := s.do("GET", "/metadata", "", "X-Request-Id", "abc-123")
		if r.header.Get("X-Request-Id") != "abc-123" {
			t.Errorf("request id not echoed: %q", r.header.Get("X-Request-Id"))
		}
		r = s.do("GET", "/metadata", "", "X-Request-Id", "bad id\twith spaces")
		if id := r.header.Get("X-Request-Id"); id == "" || id == "bad id\twith spaces" {
			t.Errorf("unsafe request id not replaced: %q", id)
		}
	})
}
