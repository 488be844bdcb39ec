package handover

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// The entries of testdata/handover-bundle.json.
const (
	eHospital      = 0
	eGPPractice    = 1
	ePatient       = 5
	eCareTeam      = 9
	eCarePlan      = 10
	eTask1         = 11 // letrozole, owner by urn:uuid
	eTask2         = 12 // bone health, owner Organization/gp-practice-a
	eTask3         = 13 // cancer care review, owner Practitioner/dr-sunil-patel
	eCommunication = 14
	eComposition   = 15
)

// resolver is a fake server: it finds the resources it holds by reference
// and records every lookup.
type resolver struct {
	held  map[string]map[string]any
	asked []string
}

func (r *resolver) Resolve(_ context.Context, ref string) (map[string]any, bool, error) {
	r.asked = append(r.asked, ref)
	res, ok := r.held[ref]
	return res, ok, nil
}

func fixture(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("testdata/handover-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var b map[string]any
	if err := dec.Decode(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

func res(b map[string]any, i int) map[string]any {
	return b["entry"].([]any)[i].(map[string]any)["resource"].(map[string]any)
}

func section(b map[string]any, j int) map[string]any {
	return res(b, eComposition)["section"].([]any)[j].(map[string]any)
}

func TestFixtureIsValidR4(t *testing.T) {
	t.Parallel()
	b := fixture(t)
	for i, e := range b["entry"].([]any) {
		body, err := json.Marshal(e.(map[string]any)["resource"])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fhirjson.Parse(body); err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
	}
	body, _ := json.Marshal(b)
	if _, err := fhirjson.Parse(body); err != nil {
		t.Errorf("Bundle: %v", err)
	}
}

func TestFixturePasses(t *testing.T) {
	t.Parallel()
	r := &resolver{}
	issues, err := Check(context.Background(), fixture(t), r)
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) > 0 {
		t.Errorf("the fixture breaks the rules: %+v", issues)
	}
	if len(r.asked) > 0 {
		t.Errorf("a self-contained handover looked up %q outside the Bundle", r.asked)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	want := Summary{
		Patient:        "urn:uuid:6a0e2f4c-1d3b-4c8e-9f21-000000000006",
		CarePlan:       eCarePlan,
		Composition:    eComposition,
		Communications: []int{eCommunication},
		Tasks: []WaitingTask{
			{Entry: eTask1, FullURL: "urn:uuid:6a0e2f4c-1d3b-4c8e-9f21-00000000000c",
				Owner: "urn:uuid:6a0e2f4c-1d3b-4c8e-9f21-000000000002", OwnerName: "Valley Surgery", Due: "2026-05-18",
				Description: "Issue repeat prescriptions of letrozole 2.5 mg daily from March 2026 and review adherence and side effects at three months."},
			{Entry: eTask2, FullURL: "urn:uuid:6a0e2f4c-1d3b-4c8e-9f21-00000000000d",
				Owner: "Organization/gp-practice-a", OwnerName: "Valley Surgery", Due: "2026-06-01",
				Description: "Review the baseline DEXA scan (report to follow) and start bone protection if indicated; calcium and vitamin D supplements in the meantime."},
			{Entry: eTask3, FullURL: "urn:uuid:6a0e2f4c-1d3b-4c8e-9f21-00000000000e",
				Owner: "Practitioner/dr-sunil-patel", OwnerName: "Dr Sunil Patel", Due: "2026-05-29",
				Description: "Offer a cancer care review with the patient, including the holistic needs assessment she completed at the end of treatment."},
		},
	}
	if diff := cmp.Diff(want, Summarize(fixture(t))); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Summary{CarePlan: -1, Composition: -1}, Summarize(map[string]any{"resourceType": "Bundle"})); diff != "" {
		t.Errorf("Summarize of an empty Bundle (-want +got):\n%s", diff)
	}
}

type failingResolver struct{}

var errDown = errors.New("database down")

func (failingResolver) Resolve(context.Context, string) (map[string]any, bool, error) {
	return nil, false, errDown
}

func TestCheckResolverFails(t *testing.T) {
	t.Parallel()
	b := fixture(t)
	res(b, eTask2)["owner"] = map[string]any{"reference": "Organization/elsewhere"}
	if _, err := Check(context.Background(), b, failingResolver{}); !errors.Is(err, errDown) {
		t.Errorf("Check error = %v, want the Resolver's", err)
	}
}

func TestCheckNotABundle(t *testing.T) {
	t.Parallel()
	issues, err := Check(context.Background(), res(fixture(t), ePatient), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []fhirerr.Issue{{Code: "business-rule", Diagnostics: "a handover is a transaction Bundle, not a Patient"}}
	if diff := cmp.Diff(want, issues); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
}
