package registry

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
)

func TestLoadContract(t *testing.T) {
	t.Parallel()
	r, err := Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Names()); n != 30 {
		t.Errorf("%d types served, want 30", n)
	}
	obs, ok := r.Lookup("Observation")
	if !ok {
		t.Fatal("Observation not served")
	}
	tests := []struct {
		name                         string
		element                      string
		summary, mandatory, element_ bool
	}{
		{"choice member", "valueQuantity", true, false, true},
		{"plain member", "status", true, true, true},
		{"non-summary", "note", false, false, true},
		{"text is never summary", "text", false, false, true},
		{"unknown", "favouriteColour", false, false, false},
		{"choice by name", "value", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := obs.IsSummary(tt.element); got != tt.summary {
				t.Errorf("IsSummary(%s) = %v", tt.element, got)
			}
			if got := obs.IsMandatory(tt.element); got != tt.mandatory {
				t.Errorf("IsMandatory(%s) = %v", tt.element, got)
			}
			if got := obs.IsElement(tt.element); got != tt.element_ {
				t.Errorf("IsElement(%s) = %v", tt.element, got)
			}
		})
	}
	if _, ok := r.Lookup("Medication"); ok {
		t.Error("Medication is served, but is not in the contract")
	}
	p, _ := r.Lookup("Patient")
	if e, ok := p.Element("birthDate"); !ok || e != "birthDate" {
		t.Errorf("birthDate resolved to %q (a name ending in a type, Date, must not become a choice)", e)
	}
}

func TestLoadRejectsBadContracts(t *testing.T) {
	t.Parallel()
	elements := `{"types":{"Patient":{"elements":["id"]}}}`
	tests := []struct{ name, resources, elements, want, params string }{
		{"duplicate type", `{"defaultInteractions":["read"],"resources":[{"type":"Patient"},{"type":"Patient"}]}`, elements, "twice", ""},
		{"unknown interaction", `{"resources":[{"type":"Patient","interactions":["teleport"]}]}`, elements, "teleport", ""},
		{"no element data", `{"defaultInteractions":["read"],"resources":[{"type":"Goal"}]}`, elements, "Goal", ""},
		{"broken JSON", `{`, elements, "resources.json", ""},
		{"parameters of an unserved type", `{"defaultInteractions":["read"],"resources":[{"type":"Patient"}]}`, elements, "not served",
			`{"types":{"Goal":[{"code":"status","type":"token","expression":"Goal.lifecycleStatus"}]}}`},
		{"expression outside the FHIRPath subset", `{"defaultInteractions":["read"],"resources":[{"type":"Patient"}]}`, elements, "unsupported",
			`{"types":{"Patient":[{"code":"x","type":"token","expression":"Patient.name.select(given)"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.params == "" {
				tt.params = `{"types":{}}`
			}
			fsys := fstest.MapFS{"resources.json": {Data: []byte(tt.resources)}, "elements.json": {Data: []byte(tt.elements)},
				"searchparams.json": {Data: []byte(tt.params)}, "compartment-patient.json": {Data: []byte(`{"resources":{}}`)}}
			if _, err := Load(fsys); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestOperations(t *testing.T) {
	t.Parallel()
	r, err := Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range r.Operations() {
		got = append(got, op.Code)
		if len(op.Definition) == 0 || !strings.HasPrefix(op.URL, "https://sharedcare.dev/fhir/OperationDefinition/") {
			t.Errorf("%s: url %q, %d bytes of definition", op.Code, op.URL, len(op.Definition))
		}
	}
	if want := "extract handover overdue shared-care-summary validate"; strings.Join(got, " ") != want {
		t.Errorf("operations %q, want %q", got, want)
	}
}

// TestOperationOnResource: a definition on "Resource" (the base type, as
// the official $validate's) runs on every served type, so a type added to
// resources.json gets it with no other edit.
func TestOperationOnResource(t *testing.T) {
	r, err := Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range r.Operations() {
		if op.Code == "validate" {
			if diff := cmp.Diff(r.Names(), op.Resource); diff != "" {
				t.Errorf("$validate runs on (-served +got):\n%s", diff)
			}
			return
		}
	}
	t.Error("no $validate")
}

// TestOperationScopes: the scopes a definition declares are read, and one
// that is not a plain system scope fails the load.
func TestOperationScopes(t *testing.T) {
	r, err := Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range r.Operations() {
		if op.Code == "overdue" {
			if len(op.Scopes) != 1 || op.Scopes[0].String() != "system/Task.rs" {
				t.Errorf("$overdue declares %v, want system/Task.rs", op.Scopes)
			}
		}
	}
	for _, bad := range []string{"system/Task.rs?status=ready", "patient/Task.rs", "system/Task.x", "system/Task.r system/Patient.r", "openid"} {
		op := Operation{Code: "x"}
		def := `{"extension":[{"url":"` + ScopeExtension + `","valueString":"` + bad + `"}]}`
		if err := op.scopes("operation-x.json", []byte(def)); err == nil {
			t.Errorf("the declaration %q was accepted", bad)
		}
	}
}
