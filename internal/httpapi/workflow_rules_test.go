package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
)

// TestHandoverRules checks that a handover breaking the shared-care rules is
// refused with one issue per rule, naming entry and element, and that
// nothing of it is stored.
func TestHandoverRules(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		before := s.rowCounts()
		b := handoverBundle(t)
		entries := b["entry"].([]any)
		task := entries[11].(map[string]any)["resource"].(map[string]any)
		delete(task, "owner")
		delete(task, "restriction")
		comm := entries[14].(map[string]any)["resource"].(map[string]any)
		comm["recipient"] = []any{map[string]any{"reference": "Practitioner/dr-amara-okafor"}}
		r := s.do("POST", "/$handover", mustJSON(t, b)).mustStatus(t, http.StatusUnprocessableEntity)
		_, exprs := r.outcome(t)
		for _, want := range []string{"Bundle.entry[11].resource.owner", "Bundle.entry[11].resource.restriction.period.end",
			"Bundle.entry[14].resource.recipient"} {
			if !contains(exprs, want) {
				t.Errorf("issues %q lack %s", exprs, want)
			}
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("a refused handover stored something (-before +after):\n%s", diff)
		}
		s.do("POST", "/$handover", `{"resourceType":"Bundle","type":"batch"}`).mustStatus(t, http.StatusBadRequest).outcome(t)
		s.do("GET", "/$handover", "").mustStatus(t, http.StatusMethodNotAllowed)
		s.do("POST", "/$nonsense", "{}").mustStatus(t, http.StatusNotFound).outcome(t)
	})
}

func TestTaskLifecycleRules(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Organization/gp", `{"resourceType":"Organization","id":"gp","name":"Riverside"}`).mustStatus(t, http.StatusCreated)
		task := func(status, extra string) string {
			return `{"resourceType":"Task","id":"t1","status":"` + status + `","intent":"order"` + extra + `}`
		}
		owner := `,"owner":{"reference":"Organization/gp"}`
		reason := `,"statusReason":{"text":"patient moved away"}`
		s.do("PUT", "/Task/t1", task("requested", "")).mustStatus(t, http.StatusCreated)
		for _, tt := range []struct {
			name, body string
			status     int
			expression string
		}{
			{"cannot skip acceptance", task("completed", owner), 422, "Task.status"},
			{"accepted needs an owner", task("accepted", ""), 422, "Task.owner"},
			{"rejected needs a reason", task("rejected", ""), 422, "Task.statusReason"},
			{"accept with an owner", task("accepted", owner), 200, ""},
			{"cannot go back to requested", task("requested", owner), 422, "Task.status"},
			{"start work", task("in-progress", owner), 200, ""},
			{"pause", task("on-hold", owner), 200, ""},
			{"fail needs a reason", task("failed", owner), 422, "Task.statusReason"},
			{"fail with a reason", task("failed", owner+reason), 200, ""},
			{"terminal stays terminal", task("in-progress", owner+reason), 422, "Task.status"},
			{"terminal to entered-in-error", task("entered-in-error", owner+reason), 200, ""},
			{"not a status", task("finished", owner), 400, "Task.status"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := s.do("PUT", "/Task/t1", tt.body).mustStatus(t, tt.status)
				if tt.status != http.StatusOK {
					if _, exprs := r.outcome(t); !contains(exprs, tt.expression) {
						t.Errorf("expressions %q lack %s", exprs, tt.expression)
					}
				}
			})
		}
		// Five transitions happened: five Provenances of the transition,
		// each naming the version it records, and the creation's generic
		// one; every version exactly one.
		prov := s.do("GET", "/Provenance?target=Task/t1&_count=20", "").json(t)["entry"].([]any)
		var got []string
		for _, e := range prov {
			p := e.(map[string]any)["resource"].(map[string]any)
			got = append(got, ref(p["target"].([]any)[0])+" "+activityCode(p))
		}
		want := []string{"Task/t1/_history/1 CREATE", "Task/t1/_history/2 accepted", "Task/t1/_history/3 in-progress",
			"Task/t1/_history/4 on-hold", "Task/t1/_history/5 failed", "Task/t1/_history/6 entered-in-error"}
		if diff := cmp.Diff(want, sorted(got)); diff != "" {
			t.Errorf("Provenance targets (-want +got):\n%s", diff)
		}
		// An edit that keeps the status records no transition: only the
		// generic CREATE and UPDATE.
		s.do("PUT", "/Task/t2", `{"resourceType":"Task","id":"t2","status":"requested","intent":"order"}`).mustStatus(t, http.StatusCreated)
		s.do("PUT", "/Task/t2", `{"resourceType":"Task","id":"t2","status":"requested","intent":"order","description":"x"}`).mustStatus(t, http.StatusOK)
		got = nil
		for _, e := range s.do("GET", "/Provenance?target=Task/t2", "").json(t)["entry"].([]any) {
			p := e.(map[string]any)["resource"].(map[string]any)
			got = append(got, ref(p["target"].([]any)[0])+" "+activityCode(p))
		}
		if diff := cmp.Diff([]string{"Task/t2/_history/1 CREATE", "Task/t2/_history/2 UPDATE"}, sorted(got)); diff != "" {
			t.Errorf("an edit without a transition: Provenances (-want +got):\n%s", diff)
		}
	})
}

// activityCode is a Provenance's activity code, "" when it has none.
func activityCode(p map[string]any) string {
	a, _ := p["activity"].(map[string]any)
	codings, _ := a["coding"].([]any)
	if len(codings) == 0 {
		return ""
	}
	code, _ := codings[0].(map[string]any)["code"].(string)
	return code
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestQuestionnaireResponseRules(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		if err := s.wf.LoadContent(context.Background(), api.FS); err != nil {
			t.Fatal(err)
		}
		// Loading again writes nothing new.
		if err := s.wf.LoadContent(context.Background(), api.FS); err != nil {
			t.Fatal(err)
		}
		if etag := s.do("GET", "/Questionnaire/holistic-needs-assessment", "").header.Get("ETag"); etag != `W/"1"` {
			t.Errorf("the HNA Questionnaire is at %s after loading twice, want W/\"1\"", etag)
		}
		patient := "Patient/" + s.create(`{"resourceType":"Patient"}`)
		valid := fmt.Sprintf(hnaResponse, patient, 6)
		for _, tt := range []struct {
			name, body string
			status     int
			expression string
		}{
			{"valid", valid, 201, ""},
			{"rating above maxValue", fmt.Sprintf(hnaResponse, patient, 11), 422, "QuestionnaireResponse.item[2].item[0].item[1].answer[0]"},
			{"unknown linkId", strings.Replace(valid, `"linkId":"practical.money.rating"`, `"linkId":"practical.money.score"`, 1), 422,
				"QuestionnaireResponse.item[3].item[0].item[1]"},
			{"wrong answer type", strings.Replace(valid, `{"valueInteger":7}`, `{"valueString":"seven"}`, 1), 422,
				"QuestionnaireResponse.item[0].answer[0]"},
			{"required item missing when completed", strings.Replace(valid, `{"linkId":"distress","answer":[{"valueInteger":7}]},`, "", 1), 422,
				"QuestionnaireResponse"},
			{"required item may wait while in progress", strings.Replace(strings.Replace(valid, `{"linkId":"distress","answer":[{"valueInteger":7}]},`, "", 1),
				`"status":"completed"`, `"status":"in-progress"`, 1), 201, ""},
			{"rating while not selected", strings.Replace(valid, `"physical.pain.selected","answer":[{"valueBoolean":true}]`,
				`"physical.pain.selected","answer":[{"valueBoolean":false}]`, 1), 422, "QuestionnaireResponse.item[1].item[0].item[1]"},
			// Another system's form: stored unchecked, with a warning
			// (TestResponseToOtherSystemsForm); refused only when configured
			// to (TestQuestionnaireRequired).
			{"questionnaire not on this server", strings.Replace(valid, "holistic-needs-assessment|1.0.0", "nothing-here", 1), 201, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := s.do("POST", "/QuestionnaireResponse", tt.body).mustStatus(t, tt.status)
				if tt.status != http.StatusCreated {
					if _, exprs := r.outcome(t); !containsPrefix(exprs, tt.expression) {
						t.Errorf("expressions %q lack %s", exprs, tt.expression)
					}
				}
			})
		}
		// $extract needs a completed response.
		draft := s.create(strings.Replace(valid, `"status":"completed"`, `"status":"in-progress"`, 1))
		s.do("POST", "/QuestionnaireResponse/"+draft+"/$extract", "").mustStatus(t, http.StatusUnprocessableEntity).outcome(t)
		s.do("POST", "/QuestionnaireResponse/nobody/$extract", "").mustStatus(t, http.StatusNotFound).outcome(t)
		s.do("GET", "/Patient/nobody/$shared-care-summary", "").mustStatus(t, http.StatusNotFound).outcome(t)
	})
}

// containsPrefix reports an expression equal to want or inside it.
func containsPrefix(list []string, want string) bool {
	for _, x := range list {
		if x == want || strings.HasPrefix(x, want+".") || strings.HasPrefix(x, want+"[") {
			return true
		}
	}
	return false
}

func TestOperationsInMetadata(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		body := string(s.do("GET", "/metadata", "").mustStatus(t, http.StatusOK).body)
		for _, want := range []string{`"name":"handover","definition":"https://sharedcare.dev/fhir/OperationDefinition/handover"`,
			`"name":"overdue"`, `"name":"extract"`, `"name":"shared-care-summary"`,
			`"name":"due","definition":"https://sharedcare.dev/fhir/SearchParameter/Task-due","type":"date"`} {
			if !strings.Contains(body, want) {
				t.Errorf("/metadata lacks %s", want)
			}
		}
	})
}
