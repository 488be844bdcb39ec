package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// examplesDir finds ../shared/fhir-r4/examples beside the project root.
func examplesDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			ex := filepath.Join(dir, "..", "shared", "fhir-r4", "examples")
			if _, err := os.Stat(ex); err != nil {
				t.Skipf("official examples not present at %s", ex)
			}
			return ex
		}
	}
	t.Skip("project root not found")
	return ""
}

// stubs are minimal valid resources, for targets that examples refer to but
// that are not among the examples given.
var stubs = map[string]string{
	"Encounter":             `"status":"finished","class":{"code":"AMB"}`,
	"Condition":             `"subject":{"display":"stub"}`,
	"Observation":           `"status":"final","code":{"text":"stub"}`,
	"CarePlan":              `"status":"active","intent":"plan","subject":{"display":"stub"}`,
	"Goal":                  `"lifecycleStatus":"active","description":{"text":"stub"},"subject":{"display":"stub"}`,
	"ServiceRequest":        `"status":"active","intent":"order","subject":{"display":"stub"}`,
	"Procedure":             `"status":"completed","subject":{"display":"stub"}`,
	"EpisodeOfCare":         `"status":"active","patient":{"display":"stub"}`,
	"Task":                  `"status":"requested","intent":"order"`,
	"Communication":         `"status":"completed"`,
	"CommunicationRequest":  `"status":"active"`,
	"Composition":           `"status":"final","type":{"text":"stub"},"date":"2020-01-01","author":[{"display":"stub"}],"title":"stub"`,
	"DocumentReference":     `"status":"current","content":[{"attachment":{"url":"http://example.org/stub"}}]`,
	"Questionnaire":         `"status":"active"`,
	"QuestionnaireResponse": `"status":"completed"`,
	"MedicationStatement":   `"status":"active","medicationCodeableConcept":{"text":"stub"},"subject":{"display":"stub"}`,
	"AllergyIntolerance":    `"patient":{"display":"stub"}`,
	"Consent":               `"status":"active","scope":{"text":"stub"},"category":[{"text":"stub"}]`,
	"Binary":                `"contentType":"text/plain"`,
}

type example struct {
	file, typ, id string
	body          []byte
}

// TestOfficialExamples stores every official R4 example of a served type
// (with its own id, so the examples' references to each other resolve) and
// reads each back: it must equal what was sent, apart from meta's version and
// time.
func TestOfficialExamples(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("round-trips every official example on each database")
	}
	dir := examplesDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	forEachServer(t, func(t *testing.T, s *server) {
		served := map[string]bool{}
		var cs struct {
			Rest []struct{ Resource []struct{ Type string } }
		}
		if err := json.Unmarshal(s.do("GET", "/metadata", "").body, &cs); err != nil {
			t.Fatal(err)
		}
		for _, r := range cs.Rest[0].Resource {
			served[r.Type] = true
		}
		var pending []example
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var head struct{ ResourceType, ID string }
			if err := json.Unmarshal(b, &head); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if served[head.ResourceType] {
				pending = append(pending, example{filepath.Base(f), head.ResourceType, head.ID, b})
			}
		}
		if len(pending) < 50 {
			t.Fatalf("only %d examples of served types found", len(pending))
		}
		stored := storeAll(t, s, pending)
		for _, ex := range stored {
			t.Run(ex.file, func(t *testing.T) {
				r := s.do("GET", "/"+ex.typ+"/"+ex.id, "").mustStatus(t, http.StatusOK)
				want, got := decodeNumbers(t, ex.body), decodeNumbers(t, r.body)
				stripVersion(want)
				stripVersion(got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("read back differs from the example (-want +got):\n%s", diff)
				}
			})
		}
		t.Logf("%d official examples stored and read back", len(stored))
	})
}

// unchecked are examples stored with a warning, and what it says: this
// response answers a Questionnaire the examples do not include, another
// system's form, so it is stored without being checked against it. (With
// SHAREDCARE_REQUIRE_QUESTIONNAIRE=true it is refused:
// TestQuestionnaireRequired.)
var unchecked = map[string]string{
	"QuestionnaireResponse-ussg-fht-answers.json": "Questionnaire/ussg-fht is not on this server: the response is stored without being checked against it",
}

// storeAll PUTs the examples, retrying those whose references wait on others,
// and creating stubs for targets no example provides.
func storeAll(t *testing.T, s *server, pending []example) []example {
	t.Helper()
	var stored []example
	for round := 0; len(pending) > 0; round++ {
		var waiting []example
		missing := map[string]bool{}
		for _, ex := range pending {
			var r *reply
			if unchecked[ex.file] != "" {
				r = s.do("PUT", "/"+ex.typ+"/"+ex.id, string(ex.body), "Prefer", "return=OperationOutcome")
			} else {
				r = s.do("PUT", "/"+ex.typ+"/"+ex.id, string(ex.body))
			}
			switch {
			case unchecked[ex.file] != "" && r.status == http.StatusCreated:
				if issues := r.issues(t); len(issues) != 2 || issues[1].Severity != "warning" || !strings.HasSuffix(issues[1].Diagnostics, unchecked[ex.file]) {
					t.Errorf("%s: want stored with the warning %q, got:\n%s", ex.file, unchecked[ex.file], r.body)
				}
				stored = append(stored, ex)
			case r.status == http.StatusCreated || r.status == http.StatusOK:
				stored = append(stored, ex)
			case r.status == http.StatusBadRequest && strings.Contains(string(r.body), "does not exist on this server"):
				waiting = append(waiting, ex)
				for _, target := range missingTargets(r.body) {
					missing[target] = true
				}
			default:
				t.Errorf("%s: PUT gave %d:\n%s", ex.file, r.status, r.body)
			}
		}
		if len(waiting) == len(pending) { // no progress: provide stubs for what is missing
			if round > 20 {
				t.Fatalf("examples never resolved: %v", missing)
			}
			targets := make([]string, 0, len(missing))
			for m := range missing {
				targets = append(targets, m)
			}
			sort.Strings(targets)
			for _, target := range targets {
				typ, id, _ := strings.Cut(target, "/")
				body := fmt.Sprintf(`{"resourceType":%q,"id":%q`, typ, id)
				if extra := stubs[typ]; extra != "" {
					body += "," + extra
				}
				s.do("PUT", "/"+target, body+"}").mustStatus(t, http.StatusCreated)
			}
		}
		pending = waiting
	}
	return stored
}

func missingTargets(outcome []byte) []string {
	var oo struct {
		Issue []struct{ Diagnostics string }
	}
	_ = json.Unmarshal(outcome, &oo)
	var out []string
	for _, is := range oo.Issue {
		// "reference \"Patient/x\": Patient/x does not exist on this server"
		if _, rest, ok := strings.Cut(is.Diagnostics, ": "); ok {
			if target, _, ok := strings.Cut(rest, " does not exist"); ok {
				out = append(out, target)
			}
		}
	}
	return out
}

func decodeNumbers(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func stripVersion(m map[string]any) {
	meta, ok := m["meta"].(map[string]any)
	if !ok {
		return
	}
	delete(meta, "versionId")
	delete(meta, "lastUpdated")
	if len(meta) == 0 {
		delete(m, "meta")
	}
}
