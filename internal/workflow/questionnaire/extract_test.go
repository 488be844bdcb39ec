package questionnaire

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

const sampleResponse = "testdata/hna-response-completed.json"

func concernActivity(code, display, label string, rating string) any {
	return map[string]any{"detail": map[string]any{
		"code": map[string]any{
			"coding": []any{map[string]any{"system": ConcernSystem, "code": code, "display": display}},
			"text":   label,
		},
		"status":      "not-started",
		"description": label + ": rated " + rating + " of 10",
	}}
}

func TestExtract(t *testing.T) {
	t.Parallel()
	base := map[string]any{
		"resourceType":   "CarePlan",
		"status":         "draft",
		"intent":         "proposal",
		"title":          "Care plan from holistic needs assessment",
		"subject":        map[string]any{"reference": "Patient/pat-1", "display": "Ann Jones"},
		"supportingInfo": []any{map[string]any{"reference": "QuestionnaireResponse/hna-1"}},
	}
	with := func(description string, activities ...any) map[string]any {
		plan := map[string]any{"description": description}
		for k, v := range base {
			plan[k] = v
		}
		if len(activities) > 0 {
			plan["activity"] = activities
		}
		return plan
	}
	tests := []struct {
		name      string
		threshold int
		want      map[string]any
	}{
		{"highest first, ties in questionnaire order", 5, with(
			"Drafted from a holistic needs assessment. Overall distress score: 7 of 10. 4 concerns rated 5 or more.",
			concernActivity("pain", "Pain", "Pain", "8"),
			concernActivity("worry", "Feeling anxious or worried", "Feeling anxious or worried", "8"),
			concernActivity("fatigue", "Tiredness or lack of energy", "Tiredness or lack of energy", "6"),
			concernActivity("treatment", "Treatment and its side effects", "Treatment and its side effects", "5"),
		)},
		{"threshold is inclusive", 8, with(
			"Drafted from a holistic needs assessment. Overall distress score: 7 of 10. 2 concerns rated 8 or more.",
			concernActivity("pain", "Pain", "Pain", "8"),
			concernActivity("worry", "Feeling anxious or worried", "Feeling anxious or worried", "8"),
		)},
		{"nothing at or above the threshold", 9, with(
			"Drafted from a holistic needs assessment. Overall distress score: 7 of 10. 0 concerns rated 9 or more.")},
	}
	q, qr := load(t, hnaFile), load(t, sampleResponse)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Extract(q, qr, "QuestionnaireResponse/hna-1", tt.threshold)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Extract (-want +got):\n%s", diff)
			}
			assertR4(t, got)
		})
	}
}

// assertR4 fails unless plan, rendered as JSON, is a valid R4 resource.
func assertR4(t *testing.T, plan map[string]any) {
	t.Helper()
	body, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fhirjson.Parse(body); err != nil {
		t.Errorf("the plan is not valid R4: %v\n%s", err, body)
	}
}

func TestExtractSubject(t *testing.T) {
	t.Parallel()
	q := load(t, hnaFile)
	for _, tt := range []struct {
		name    string
		subject any
		want    any // the plan's subject; nil when Extract must refuse
	}{
		{"relative Patient", map[string]any{"reference": "Patient/p"}, map[string]any{"reference": "Patient/p"}},
		{"absolute, versioned Patient", map[string]any{"reference": "https://gp.example.org/fhir/Patient/p/_history/2", "type": "Patient"},
			map[string]any{"reference": "https://gp.example.org/fhir/Patient/p/_history/2"}},
		{"Group", map[string]any{"reference": "Group/g"}, map[string]any{"reference": "Group/g"}},
		{"no subject", nil, nil},
		{"subject without a reference", map[string]any{"display": "Ann"}, nil},
		{"not a Patient", map[string]any{"reference": "Practitioner/d"}, nil},
		{"not an object", "Patient/p", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			qr := load(t, sampleResponse)
			delete(qr, "subject")
			if tt.subject != nil {
				qr["subject"] = tt.subject
			}
			plan, err := Extract(q, qr, "QuestionnaireResponse/hna-1", 5)
			if tt.want == nil {
				if !fhirerr.Is(err, fhirerr.Unprocessable) {
					t.Fatalf("Extract error = %v, want unprocessable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, plan["subject"]); diff != "" {
				t.Errorf("subject (-want +got):\n%s", diff)
			}
			assertR4(t, plan)
		})
	}
}

func TestExtractRefuses(t *testing.T) {
	t.Parallel()
	q := load(t, hnaFile)
	for _, tt := range []struct {
		name   string
		mutate func(qr map[string]any)
		want   []fhirerr.Issue
	}{
		{"in progress", func(qr map[string]any) { qr["status"] = "in-progress" },
			[]fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.status")}},
		{"rating out of range", func(qr map[string]any) {
			pain := children(children(qr)[1])[0]
			children(pain)[1]["answer"] = []any{map[string]any{"valueInteger": json.Number("11")}}
		}, []fhirerr.Issue{issue("value", "QuestionnaireResponse.item[1].item[0].item[1].answer[0]")}},
		{"another questionnaire", func(qr map[string]any) { qr["questionnaire"] = "https://example.org/Questionnaire/phq-9" },
			[]fhirerr.Issue{issue("value", "QuestionnaireResponse.questionnaire")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			qr := load(t, sampleResponse)
			tt.mutate(qr)
			_, err := Extract(q, qr, "QuestionnaireResponse/hna-1", 5)
			var e *fhirerr.Error
			if !errors.As(err, &e) || e.Kind != fhirerr.Unprocessable {
				t.Fatalf("Extract error = %v, want unprocessable", err)
			}
			var got []fhirerr.Issue
			for _, is := range e.Issues {
				got = append(got, issue(is.Code, is.Expression))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("issues (-want +got):\n%s", diff)
			}
		})
	}
	// A missing reference to the response is the caller's bug, not the client's.
	if _, err := Extract(q, load(t, sampleResponse), "", 5); err == nil || fhirerr.Is(err, fhirerr.Unprocessable) {
		t.Errorf("Extract without qrRef = %v, want an internal error", err)
	}
}

func TestConcerns(t *testing.T) {
	t.Parallel()
	q := load(t, hnaFile)
	sample := []Concern{
		{LinkID: "physical.pain", Domain: "physical", System: ConcernSystem, Code: "pain", Display: "Pain", Text: "Pain", Rating: 8},
		{LinkID: "physical.fatigue", Domain: "physical", System: ConcernSystem, Code: "fatigue", Display: "Tiredness or lack of energy", Text: "Tiredness or lack of energy", Rating: 6},
		{LinkID: "emotional.worry", Domain: "emotional", System: ConcernSystem, Code: "worry", Display: "Feeling anxious or worried", Text: "Feeling anxious or worried", Rating: 8},
		{LinkID: "practical.money", Domain: "practical", System: ConcernSystem, Code: "money", Display: "Money, bills or benefits", Text: "Money, bills or benefits", Rating: 3},
		{LinkID: "information.treatment", Domain: "information", System: ConcernSystem, Code: "treatment", Display: "Treatment and its side effects", Text: "Treatment and its side effects", Rating: 5},
	}
	for _, tt := range []struct {
		name string
		qr   string
		want []Concern
	}{
		{"sample, in questionnaire order, unrated concerns left out", string(readFile(t, sampleResponse)), sample},
		{"a rating left after the concern was unticked", `{"resourceType":"QuestionnaireResponse","status":"in-progress","item":[
			{"linkId":"physical","item":[{"linkId":"physical.pain","item":[
				{"linkId":"physical.pain.selected","answer":[{"valueBoolean":false}]},
				{"linkId":"physical.pain.rating","answer":[{"valueInteger":9}]}]}]}]}`, nil},
		{"nothing answered", `{"resourceType":"QuestionnaireResponse","status":"in-progress"}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Concerns(q, decode(t, []byte(tt.qr)))); diff != "" {
				t.Errorf("Concerns (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDistressScore(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		qr     string
		want   int
		wantOK bool
	}{
		{"answered", `{"item":[{"linkId":"physical"},{"linkId":"distress","answer":[{"valueInteger":7}]}]}`, 7, true},
		{"zero is a score", `{"item":[{"linkId":"distress","answer":[{"valueInteger":0}]}]}`, 0, true},
		{"unanswered", `{"item":[{"linkId":"distress"}]}`, 0, false},
		{"absent", `{"item":[{"linkId":"other","answer":[{"valueString":"7"}]}]}`, 0, false},
		{"not an integer", `{"item":[{"linkId":"distress","answer":[{"valueDecimal":7.5}]}]}`, 0, false},
		{"nested, not the top-level score", `{"item":[{"linkId":"g","item":[{"linkId":"distress","answer":[{"valueInteger":7}]}]}]}`, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DistressScore(decode(t, []byte(tt.qr)))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("DistressScore = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
