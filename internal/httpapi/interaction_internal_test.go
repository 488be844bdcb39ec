package httpapi

import "testing"

func TestInteractionOf(t *testing.T) {
	t.Parallel()
	known := func(typ string) bool { return typ == "Patient" || typ == "Task" || typ == "Observation" }
	for _, tt := range []struct{ method, path, interaction, typ string }{
		{"GET", "/fhir", "search-system", ""},
		{"POST", "/fhir/", "batch-transaction", ""},
		{"GET", "/fhir/metadata", "capabilities", ""},
		{"GET", "/fhir/_history", "history-system", ""},
		{"GET", "/fhir/Patient", "search-type", "Patient"},
		{"HEAD", "/fhir/Patient", "search-type", "Patient"},
		{"POST", "/fhir/Patient", "create", "Patient"},
		{"PUT", "/fhir/Patient", "conditional-update", "Patient"},
		{"DELETE", "/fhir/Patient", "conditional-delete", "Patient"},
		{"PATCH", "/fhir/Patient", "conditional-patch", "Patient"},
		{"POST", "/fhir/Patient/_search", "search-type", "Patient"},
		{"GET", "/fhir/Patient/_history", "history-type", "Patient"},
		{"GET", "/fhir/Patient/p1", "read", "Patient"},
		{"PUT", "/fhir/Patient/p1", "update", "Patient"},
		{"PATCH", "/fhir/Patient/p1", "patch", "Patient"},
		{"DELETE", "/fhir/Patient/p1", "delete", "Patient"},
		{"GET", "/fhir/Patient/p1/_history", "history-instance", "Patient"},
		{"GET", "/fhir/Patient/p1/_history/2", "vread", "Patient"},
		{"GET", "/fhir/Patient/p1/Observation", "search-compartment", "Observation"},
		{"POST", "/fhir/$handover", "operation", ""},
		{"GET", "/fhir/Task/$overdue", "operation", "Task"},
		{"GET", "/fhir/Patient/p1/$shared-care-summary", "operation", "Patient"},
		{"GET", "/fhir/Made-Up-123/x", "read", "other"},
		{"POST", "/fhir/Patient/p1", "unknown", "Patient"},
		{"GET", "/fhir/a/b/c/d/e", "unknown", ""},
		{"GET", "/healthz", "none", ""},
		{"GET", "/fhirish", "none", ""},
	} {
		i, typ := interactionOf(tt.method, tt.path, known)
		if i != tt.interaction || typ != tt.typ {
			t.Errorf("interactionOf(%s %s) = %s, %s; want %s, %s", tt.method, tt.path, i, typ, tt.interaction, tt.typ)
		}
	}
}
