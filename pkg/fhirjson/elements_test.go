package fhirjson

import "testing"

func TestElementInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path                    string
		repeated, choice, known bool
	}{
		{"Patient", false, false, true},
		{"Patient.identifier", true, false, true},
		{"Patient.birthDate", false, false, true},
		{"Patient.deceased", false, true, true},
		{"Patient.name.given", true, false, true},
		{"Patient.name.family", false, false, true},
		{"Patient.contact.telecom", true, false, true},
		{"Task.restriction.period", false, false, true},
		{"Task.input", true, false, true},
		{"Task.input.value", false, true, true},
		{"Observation.value", false, true, true},
		{"Encounter.class", false, false, true},
		{"CarePlan.activity.detail.performer", true, false, true},
		{"Patient.nosuch", false, false, false},
		{"NoSuchType.id", false, false, false},
		{"Patient.deceased.boolean", false, false, false},
	}
	for _, tt := range tests {
		repeated, choice, known := ElementInfo(tt.path)
		if repeated != tt.repeated || choice != tt.choice || known != tt.known {
			t.Errorf("ElementInfo(%q) = %v, %v, %v; want %v, %v, %v", tt.path, repeated, choice, known, tt.repeated, tt.choice, tt.known)
		}
	}
}
