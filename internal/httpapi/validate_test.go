package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
)

// validateParams wraps a resource in the Parameters $validate takes.
func validateParams(mode, resource string) string {
	ps := []string{}
	if resource != "" {
		ps = append(ps, `{"name":"resource","resource":`+resource+`}`)
	}
	if mode != "" {
		ps = append(ps, `{"name":"mode","valueCode":"`+mode+`"}`)
	}
	return `{"resourceType":"Parameters","parameter":[` + strings.Join(ps, ",") + `]}`
}

// TestValidate: $validate answers 200 with the issues the write would have
// produced — or one information issue — and never stores anything.
func TestValidate(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		if err := s.wf.LoadContent(context.Background(), api.FS); err != nil {
			t.Fatal(err)
		}
		org := s.create(hospital)
		patientID := s.create(patient)
		task := s.create(`{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/` + patientID + `"}}`)
		for _, tc := range []struct {
			name, path, body string
			// want is the first issue's severity, code and an expression or
			// diagnostics fragment it must carry.
			severity, code, fragment string
		}{
			{name: "valid Patient, bare resource", path: "/Patient/$validate", body: patient,
				severity: "information", code: "informational", fragment: "no issues"},
			{name: "valid Patient, Parameters mode create", path: "/Patient/$validate", body: validateParams("create", patient),
				severity: "information", code: "informational", fragment: "no issues"},
			{name: "invalid Patient: the element at fault", path: "/Patient/$validate",
				body: `{"resourceType":"Patient","gender":"sometimes"}`, severity: "error", fragment: "Patient.gender"},
			{name: "invalid NHS number", path: "/Patient/$validate",
				body:     `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000001"}]}`,
				severity: "error", fragment: "Patient.identifier"},
			{name: "unknown reference", path: "/Task/$validate",
				body:     `{"resourceType":"Task","status":"requested","intent":"order","for":{"reference":"Patient/nope"}}`,
				severity: "error", code: "not-found", fragment: "Task.for"},
			{name: "update breaking the Task state machine", path: "/Task/" + task + "/$validate",
				body:     validateParams("update", `{"resourceType":"Task","id":"`+task+`","status":"completed","intent":"order","for":{"reference":"Patient/`+patientID+`"}}`),
				severity: "error", code: "business-rule", fragment: "requested to completed"},
			{name: "allowed update", path: "/Task/" + task + "/$validate",
				body: `{"resourceType":"Task","id":"` + task + `","status":"accepted","intent":"order","for":{"reference":"Patient/` + patientID + `"},
				"owner":{"reference":"Organization/` + org + `"}}`,
				severity: "information", fragment: "no issues"},
			{name: "delete of a referenced Patient: the 409's issues", path: "/Patient/" + patientID + "/$validate",
				body: validateParams("delete", ""), severity: "error", code: "conflict", fragment: "Unable to delete Patient/" + patientID},
			{name: "delete of the shipped HNA", path: hnaPath + "/$validate", body: validateParams("delete", ""),
				severity: "error", code: "forbidden", fragment: "content this server ships"},
			{name: "delete of an unreferenced Task", path: "/Task/" + task + "/$validate", body: validateParams("delete", ""),
				severity: "information", fragment: "no issues"},
			{name: "a read-only type: the write would be refused", path: "/CodeSystem/$validate",
				body:     `{"resourceType":"CodeSystem","status":"active","content":"complete"}`,
				severity: "error", code: "not-supported", fragment: "does not support the create interaction"},
			{name: "profile other than the base", path: "/Patient/$validate",
				body:     `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + patient + `},{"name":"profile","valueUri":"https://example.org/StructureDefinition/other"}]}`,
				severity: "error", code: "not-supported", fragment: "https://example.org/StructureDefinition/other"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := s.rowCounts()
				r := s.do("POST", tc.path, tc.body).mustStatus(t, http.StatusOK)
				issues := r.issues(t)
				if len(issues) == 0 {
					t.Fatalf("no issues:\n%s", r.body)
				}
				is := issues[0]
				if is.Severity != tc.severity || (tc.code != "" && is.Code != tc.code) ||
					!strings.Contains(is.Diagnostics+" "+strings.Join(is.Expression, " "), tc.fragment) {
					t.Errorf("first issue %+v, want severity %s code %q mentioning %q; body:\n%s", is, tc.severity, tc.code, tc.fragment, r.body)
				}
				if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
					t.Errorf("$validate changed the database (-before +after):\n%s", diff)
				}
			})
		}
		// The request itself malformed: 400.
		s.do("POST", "/Patient/$validate", validateParams("delete", "")).mustStatus(t, http.StatusBadRequest)
		s.do("POST", "/Patient/$validate", validateParams("frobnicate", patient)).mustStatus(t, http.StatusBadRequest)
		s.do("POST", "/Patient/$validate", validateParams("create", "")).mustStatus(t, http.StatusBadRequest)
		// The Task was never moved on and the Patient never deleted.
		if got := s.do("GET", "/Task/"+task, "").mustStatus(t, http.StatusOK).json(t)["status"]; got != "requested" {
			t.Errorf("Task status %v after $validate, want requested", got)
		}
		s.do("GET", "/Patient/"+patientID, "").mustStatus(t, http.StatusOK)
	})
}
