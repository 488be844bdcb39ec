package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/workflow/taskflow"
)

// handoverBundle is the workflow's example handover with due dates days
// after today, so nothing is overdue until the test says so.
func handoverBundle(t *testing.T, days ...int) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../workflow/handover/testdata/handover-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	var b map[string]any
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range b["entry"].([]any) {
		res := e.(map[string]any)["resource"].(map[string]any)
		if res["resourceType"] == "Task" {
			due := time.Now().UTC().AddDate(0, 0, 30+10*n).Format("2006-01-02")
			res["restriction"].(map[string]any)["period"].(map[string]any)["end"] = due
			n++
		}
	}
	return b
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const hnaResponse = `{"resourceType":"QuestionnaireResponse",
 "questionnaire":"https://sharedcare.dev/fhir/Questionnaire/holistic-needs-assessment|1.0.0",
 "status":"completed","subject":{"reference":"%s"},"authored":"2026-11-20T10:15:00Z",
 "item":[
  {"linkId":"distress","answer":[{"valueInteger":7}]},
  {"linkId":"physical","item":[{"linkId":"physical.pain","item":[
    {"linkId":"physical.pain.selected","answer":[{"valueBoolean":true}]},
    {"linkId":"physical.pain.rating","answer":[{"valueInteger":8}]}]}]},
  {"linkId":"emotional","item":[{"linkId":"emotional.worry","item":[
    {"linkId":"emotional.worry.selected","answer":[{"valueBoolean":true}]},
    {"linkId":"emotional.worry.rating","answer":[{"valueInteger":%d}]}]}]},
  {"linkId":"practical","item":[{"linkId":"practical.money","item":[
    {"linkId":"practical.money.selected","answer":[{"valueBoolean":true}]},
    {"linkId":"practical.money.rating","answer":[{"valueInteger":3}]}]}]}]}`

// TestSharedCareJourney walks the whole journey: the hospital hands over,
// the GP receives and accepts, the patient completes the HNA, the clinician
// drafts and posts a plan from it, a Task goes overdue, a forbidden
// transition is refused, and the summary shows it all.
func TestSharedCareJourney(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		if err := s.wf.LoadContent(context.Background(), api.FS); err != nil {
			t.Fatal(err)
		}
		s.do("GET", "/Questionnaire/holistic-needs-assessment", "").mustStatus(t, http.StatusOK)

		// 1. Handover.
		out := s.do("POST", "/$handover", mustJSON(t, handoverBundle(t))).mustStatus(t, http.StatusOK).json(t)
		var tasks []string
		var patient string
		for _, p := range out["parameter"].([]any) {
			p := p.(map[string]any)
			switch p["name"] {
			case "waitingTask":
				tasks = append(tasks, ref(p["valueReference"]))
			case "outcome":
				for _, e := range p["resource"].(map[string]any)["entry"].([]any) {
					loc := e.(map[string]any)["response"].(map[string]any)["location"].(string)
					if strings.Contains(loc, "/Patient/") {
						patient = target(t, loc)
					}
				}
			}
		}
		if len(tasks) != 3 || patient == "" {
			t.Fatalf("handover answered %d waiting Tasks, patient %q:\n%v", len(tasks), patient, out)
		}

		// 2. The GP receives and accepts the first Task (JSON Patch), then
		// accepts the second directly (FHIRPath Patch).
		s.do("PATCH", "/"+tasks[0], `[{"op":"replace","path":"/status","value":"received"}]`,
			"Content-Type", "application/json-patch+json").mustStatus(t, http.StatusOK)
		s.do("PATCH", "/"+tasks[0], `[{"op":"test","path":"/status","value":"received"},{"op":"replace","path":"/status","value":"accepted"}]`,
			"Content-Type", "application/json-patch+json", "If-Match", `W/"2"`).mustStatus(t, http.StatusOK)
		s.do("PATCH", "/"+tasks[1], `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[
			{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Task.status"},{"name":"value","valueCode":"accepted"}]}]}`).
			mustStatus(t, http.StatusOK)
		prov := s.do("GET", "/Provenance?target="+tasks[0], "").mustStatus(t, http.StatusOK).json(t)
		var recorded []string
		wantWho, _ := taskflow.Agent(s.caller())
		for _, e := range prov["entry"].([]any) {
			p := e.(map[string]any)["resource"].(map[string]any)
			activity := p["activity"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"].(string)
			for _, tg := range p["target"].([]any) { // the handover's targets all it wrote
				if strings.HasPrefix(ref(tg), tasks[0]+"/") {
					recorded = append(recorded, ref(tg)+" "+activity)
				}
			}
			// The agent is whoever made the change, not the Task's owner.
			if diff := cmp.Diff(wantWho, p["agent"].([]any)[0].(map[string]any)["who"]); diff != "" {
				t.Errorf("Provenance agent.who (-want +got):\n%s", diff)
			}
		}
		sort.Strings(recorded)
		// The handover's one Provenance of its transaction, then one per
		// transition (which replaces the generic UPDATE's).
		wantProv := []string{tasks[0] + "/_history/1 CREATE", tasks[0] + "/_history/2 received", tasks[0] + "/_history/3 accepted"}
		if diff := cmp.Diff(wantProv, recorded); diff != "" {
			t.Errorf("Provenance of %s (-want +got):\n%s", tasks[0], diff)
		}
		if n := s.do("GET", "/Provenance?_count=50", "").json(t)["entry"]; len(n.([]any)) != 4 {
			t.Errorf("%d Provenances in all, want 4 (the handover's, two transitions of one Task, one of another)", len(n.([]any)))
		}

		// 3. A forbidden transition: the third Task cannot jump to completed.
		r := s.do("PATCH", "/"+tasks[2], `[{"op":"replace","path":"/status","value":"completed"}]`,
			"Content-Type", "application/json-patch+json").mustStatus(t, http.StatusUnprocessableEntity)
		if _, exprs := r.outcome(t); !contains(exprs, "Task.status") || !strings.Contains(string(r.body), "requested to completed") {
			t.Errorf("refusal does not name Task.status and both statuses:\n%s", r.body)
		}

		// 4. The patient completes the HNA; a response breaking the
		// Questionnaire is refused with the item's path.
		s.do("POST", "/QuestionnaireResponse", fmt.Sprintf(hnaResponse, patient, 11)).mustStatus(t, http.StatusUnprocessableEntity)
		hna := s.create(fmt.Sprintf(hnaResponse, patient, 6))

		// 5. The clinician drafts a plan from it and posts it.
		plan := s.do("POST", "/QuestionnaireResponse/"+hna+"/$extract", "").mustStatus(t, http.StatusOK).json(t)
		if plan["status"] != "draft" || plan["intent"] != "proposal" || len(plan["activity"].([]any)) != 2 {
			t.Errorf("drafted plan: %v", plan)
		}
		s.create(mustJSON(t, plan))

		// 6. A Task goes overdue.
		s.do("GET", "/Task/$overdue?owner=Organization/gp-practice-a", "").mustStatus(t, http.StatusOK)
		s.do("PATCH", "/"+tasks[1], `[{"op":"replace","path":"/restriction/period/end","value":"2026-01-01"}]`,
			"Content-Type", "application/json-patch+json").mustStatus(t, http.StatusOK)
		overdue := s.do("GET", "/Task/$overdue", "").mustStatus(t, http.StatusOK).json(t)
		var listed []string
		for _, e := range overdue["entry"].([]any) {
			if res := e.(map[string]any)["resource"].(map[string]any); res["resourceType"] == "Task" {
				listed = append(listed, "Task/"+res["id"].(string))
			}
		}
		if diff := cmp.Diff([]string{tasks[1]}, listed); diff != "" {
			t.Errorf("overdue Tasks (-want +got):\n%s", diff)
		}
		// Each reason points at its Task's entry with a FHIRPath expression.
		var reasons []any
		for _, e := range overdue["entry"].([]any) {
			if res := e.(map[string]any)["resource"].(map[string]any); res["resourceType"] == "OperationOutcome" {
				for _, is := range res["issue"].([]any) {
					reasons = append(reasons, is.(map[string]any)["expression"])
				}
			}
		}
		if diff := cmp.Diff([]any{[]any{"Bundle.entry[0].resource"}}, reasons); diff != "" {
			t.Errorf("overdue reasons' expressions (-want +got):\n%s", diff)
		}
		if got := s.do("GET", "/Task?due=lt2026-02-01", "").json(t)["entry"].([]any); len(got) != 1 {
			t.Errorf("Task?due=lt2026-02-01 found %d, want 1", len(got))
		}

		// 7. The summary shows it all.
		sum := s.do("GET", "/"+patient+"/$shared-care-summary", "").mustStatus(t, http.StatusOK).json(t)
		if sum["type"] != "collection" {
			t.Fatalf("summary is a %v", sum["type"])
		}
		entries := sum["entry"].([]any)
		comp := entries[0].(map[string]any)["resource"].(map[string]any)
		var titles []string
		text := ""
		for _, sec := range comp["section"].([]any) {
			sec := sec.(map[string]any)
			titles = append(titles, sec["title"].(string))
			text += sec["text"].(map[string]any)["div"].(string)
		}
		for _, want := range []string{"Active care plans", "Care team: who does what", "Holistic needs assessment", "Messages between hospital and practice"} {
			if !contains(titles, want) {
				t.Errorf("summary sections %q lack %q", titles, want)
			}
		}
		if !strings.Contains(text, "overall distress 7 of 10") {
			t.Errorf("summary does not give the distress score:\n%s", text)
		}
		counts := map[string]int{}
		for _, e := range entries[1:] {
			counts[e.(map[string]any)["resource"].(map[string]any)["resourceType"].(string)]++
		}
		want := map[string]int{"Patient": 1, "CarePlan": 1, "Task": 3, "CareTeam": 1, "QuestionnaireResponse": 1, "Communication": 1}
		if diff := cmp.Diff(want, counts); diff != "" {
			t.Errorf("summary resources (-want +got):\n%s", diff)
		}
	})
}
