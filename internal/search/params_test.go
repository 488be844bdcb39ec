package search

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
)

// TestParamsCompile: every definition the project ships loads, and every
// expression compiles with the FHIRPath subset.
func TestParamsCompile(t *testing.T) {
	t.Parallel()
	ps, err := LoadParams(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ps.Types()); n != 29 { // Binary has only the common parameters
		t.Errorf("parameters for %d types, want 29", n)
	}
	for _, code := range []string{"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source"} {
		if _, ok := ps.Lookup("Patient", code); !ok {
			t.Errorf("common parameter %s missing", code)
		}
	}
	p, ok := ps.Lookup("CarePlan", "patient")
	if !ok || p.Type != "reference" || p.Path == nil {
		t.Fatalf("CarePlan.patient = %+v", p)
	}
}

// TestParamsMatchSpec cross-checks the shipped definitions against the R4
// specification's SearchParameter bundle in ../shared/fhir-r4: every
// parameter of every served type is present with the same type and targets.
func TestParamsMatchSpec(t *testing.T) {
	t.Parallel()
	var bundle struct {
		Entry []struct {
			Resource struct {
				Code, Type string
				Base       []string
				Target     []string
			}
		}
	}
	ps, served := specData(t, "search-parameters.json", &bundle)
	checked := 0
	for _, e := range bundle.Entry {
		sp := e.Resource
		for _, base := range sp.Base {
			if base == "Resource" || base == "DomainResource" {
				if _, ok := ps.common[sp.Code]; !ok {
					t.Errorf("common parameter %s missing", sp.Code)
				}
				continue
			}
			if !served[base] {
				continue
			}
			checked++
			got, ok := ps.byType[base][sp.Code]
			if !ok {
				t.Errorf("%s: parameter %s (%s) missing", base, sp.Code, sp.Type)
				continue
			}
			if got.Type != sp.Type {
				t.Errorf("%s.%s: type %s, spec says %s", base, sp.Code, got.Type, sp.Type)
			}
			want := append([]string(nil), sp.Target...)
			sort.Strings(want)
			if diff := cmp.Diff(want, got.Target, emptyIsNil); diff != "" {
				t.Errorf("%s.%s targets (-spec +shipped):\n%s", base, sp.Code, diff)
			}
		}
	}
	if checked < 300 {
		t.Errorf("only %d parameters cross-checked", checked)
	}
}

// TestCompartmentMatchesSpec cross-checks the Patient compartment against
// the specification's CompartmentDefinition in ../shared/fhir-r4.
func TestCompartmentMatchesSpec(t *testing.T) {
	t.Parallel()
	var def struct {
		Resource []struct {
			Code  string
			Param []string
		}
	}
	ps, served := specData(t, "compartmentdefinition-patient.json", &def)
	for _, r := range def.Resource {
		if !served[r.Code] {
			continue
		}
		want := append([]string(nil), r.Param...)
		sort.Strings(want)
		if diff := cmp.Diff(want, ps.PatientCompartment(r.Code), emptyIsNil); diff != "" {
			t.Errorf("%s compartment parameters (-spec +shipped):\n%s", r.Code, diff)
		}
	}
}

// emptyIsNil compares string lists, treating nil and empty as equal.
var emptyIsNil = cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })

// specData decodes a file of ../shared/fhir-r4 into v (skipping the test
// when the specification data is absent) and returns the shipped parameters
// and the served types, as api/resources.json lists them.
func specData(t *testing.T, name string, v any) (*Params, map[string]bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fhir-r4", name))
	if err != nil {
		t.Skipf("R4 specification data not present: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
	ps, err := LoadParams(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	var resources struct{ Resources []struct{ Type string } }
	b, err = fs.ReadFile(api.FS, "resources.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &resources); err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range resources.Resources {
		served[r.Type] = true
	}
	return ps, served
}
