package handover

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// apiDir is the repository's api/ directory, where the contract files live.
const apiDir = "../../../api"

// The contract files this package and its neighbours define, each with its
// resource type and canonical url.
var apiFiles = []struct{ name, resourceType, url string }{
	{"codesystem-treatment-summary-section.json", "CodeSystem", SectionSystem},
	{"operation-handover.json", "OperationDefinition", "https://sharedcare.dev/fhir/OperationDefinition/handover"},
	{"operation-extract.json", "OperationDefinition", "https://sharedcare.dev/fhir/OperationDefinition/extract"},
	{"operation-shared-care-summary.json", "OperationDefinition", "https://sharedcare.dev/fhir/OperationDefinition/shared-care-summary"},
	{"operation-overdue.json", "OperationDefinition", "https://sharedcare.dev/fhir/OperationDefinition/overdue"},
	{"searchparameter-task-due.json", "SearchParameter", "https://sharedcare.dev/fhir/SearchParameter/Task-due"},
}

func TestAPIFilesAreValidR4(t *testing.T) {
	t.Parallel()
	for _, f := range apiFiles {
		t.Run(f.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(apiDir, f.name))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fhirjson.Parse(data); err != nil {
				t.Errorf("not valid R4: %v", err)
			}
			var head struct {
				ResourceType, ID, URL string
				Text                  struct{ Div string }
			}
			if err := json.Unmarshal(data, &head); err != nil {
				t.Fatal(err)
			}
			if head.ResourceType != f.resourceType || head.URL != f.url {
				t.Errorf("a %s at %s, want a %s at %s", head.ResourceType, head.URL, f.resourceType, f.url)
			}
			if want := filepath.Base(f.url); head.ID != want {
				t.Errorf("id %q, want %q (the last segment of the url)", head.ID, want)
			}
			if head.Text.Div == "" {
				t.Error("no narrative")
			}
		})
	}
}

// TestSectionCodeSystem ties Sections to the CodeSystem the contract
// publishes: a code added to one and not the other fails here.
func TestSectionCodeSystem(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(apiDir, "codesystem-treatment-summary-section.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs struct {
		Content string
		Count   int
		Concept []struct{ Code, Display, Definition string }
	}
	if err := json.Unmarshal(data, &cs); err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, c := range cs.Concept {
		codes = append(codes, c.Code)
		if c.Display == "" || c.Definition == "" {
			t.Errorf("%s lacks a display or a definition", c.Code)
		}
	}
	if diff := cmp.Diff(Sections, codes); diff != "" {
		t.Errorf("CodeSystem codes (-Sections +file):\n%s", diff)
	}
	if cs.Content != "complete" || cs.Count != len(cs.Concept) {
		t.Errorf("content %q with count %d for %d concepts", cs.Content, cs.Count, len(cs.Concept))
	}
}
