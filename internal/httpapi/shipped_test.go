package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/internal/workflow"
)

const hnaPath = "/Questionnaire/holistic-needs-assessment"

// newServerWithWorkflow is newServer with the workflow configured.
func newServerWithWorkflow(t *testing.T, st *sqlstore.Store, cfg workflow.Config) *server {
	return newServer(t, st, 0, func(s *setup) { s.workflow = cfg })
}

// forbidden checks a 403 whose OperationOutcome says the resource is
// shipped content.
func (r *reply) forbidden(t *testing.T, what string) {
	t.Helper()
	if r.status != http.StatusForbidden {
		t.Errorf("%s: status %d, want 403:\n%s", what, r.status, r.body)
		return
	}
	issues := r.issues(t)
	if issues[0].Code != "forbidden" || !strings.Contains(issues[0].Diagnostics, "content this server ships (api/questionnaire-hna.json)") {
		t.Errorf("%s: want a forbidden issue saying it is shipped content:\n%s", what, r.body)
	}
}

// TestShippedContentProtected: no interaction of the API changes or
// deletes the HNA Questionnaire; the server's own loading still may.
func TestShippedContentProtected(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		if err := s.wf.LoadContent(ctx, api.FS); err != nil {
			t.Fatal(err)
		}
		hna := s.do("GET", hnaPath, "").mustStatus(t, http.StatusOK)
		var q map[string]any
		if err := json.Unmarshal(hna.body, &q); err != nil {
			t.Fatal(err)
		}
		q["title"] = "Replaced"
		changed := mustJSON(t, q)
		const canonical = "url=https://sharedcare.dev/fhir/Questionnaire/holistic-needs-assessment"
		jsonPatch := []string{"Content-Type", "application/json-patch+json"}
		before := s.rowCounts()
		s.do("DELETE", hnaPath, "").forbidden(t, "DELETE")
		s.do("DELETE", "/Questionnaire?"+canonical, "").forbidden(t, "conditional DELETE")
		s.do("PUT", hnaPath, changed).forbidden(t, "PUT")
		s.do("PUT", "/Questionnaire?"+canonical, changed).forbidden(t, "conditional PUT")
		s.do("PATCH", hnaPath, `[{"op":"replace","path":"/title","value":"Replaced"}]`, jsonPatch...).forbidden(t, "PATCH")
		s.do("PATCH", "/Questionnaire?"+canonical, `[{"op":"replace","path":"/title","value":"Replaced"}]`, jsonPatch...).forbidden(t, "conditional PATCH")
		s.do("POST", "", txBundle(`{"request":{"method":"DELETE","url":"Questionnaire/holistic-needs-assessment"}}`)).forbidden(t, "transaction DELETE")
		s.do("POST", "", txBundle(`{"request":{"method":"PUT","url":"Questionnaire/holistic-needs-assessment"},"resource":`+changed+`}`)).
			forbidden(t, "transaction PUT")
		batch := strings.Replace(txBundle(`{"request":{"method":"DELETE","url":"Questionnaire/holistic-needs-assessment"}}`), `"transaction"`, `"batch"`, 1)
		if body := string(s.do("POST", "", batch).mustStatus(t, http.StatusOK).body); !strings.Contains(body, `"status":"403 Forbidden"`) {
			t.Errorf("batch DELETE: want its entry answered 403:\n%s", body)
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("refused writes changed the database (-before +after):\n%s", diff)
		}
		if etag := s.do("GET", hnaPath, "").mustStatus(t, http.StatusOK).header.Get("ETag"); etag != `W/"1"` {
			t.Errorf("the HNA is at %s, want W/\"1\"", etag)
		}

		// A client's Questionnaire with the same canonical url does not take
		// the shipped one's place: responses are still checked against it.
		var imposter map[string]any
		_ = json.Unmarshal(hna.body, &imposter)
		delete(imposter, "id")
		delete(imposter, "meta")
		imposter["item"] = []any{map[string]any{"linkId": "distress", "type": "string", "text": "How are you?"}}
		s.create(mustJSON(t, imposter))
		patient := "Patient/" + s.create(`{"resourceType":"Patient"}`)
		s.do("POST", "/QuestionnaireResponse", fmt.Sprintf(hnaResponse, patient, 11)).mustStatus(t, http.StatusUnprocessableEntity)
		s.do("POST", "/QuestionnaireResponse", fmt.Sprintf(hnaResponse, patient, 6)).mustStatus(t, http.StatusCreated)

		// A new release ships a new version: start-up loading writes it.
		next := fstest.MapFS{}
		err := fs.WalkDir(api.FS, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(api.FS, path)
			next[path] = &fstest.MapFile{Data: b}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		next["questionnaire-hna.json"].Data = []byte(strings.Replace(string(next["questionnaire-hna.json"].Data),
			`"title": "`, `"title": "Revised: `, 1))
		if err := s.wf.LoadContent(ctx, next); err != nil {
			t.Fatal(err)
		}
		got := s.do("GET", hnaPath, "").mustStatus(t, http.StatusOK)
		if got.header.Get("ETag") != `W/"2"` || !strings.Contains(string(got.body), `"title":"Revised: `) {
			t.Errorf("after loading a new release: %s\n%s", got.header.Get("ETag"), got.body)
		}
	})
}

// otherForm is a response to a form this server does not hold.
const otherForm = `{"resourceType":"QuestionnaireResponse","questionnaire":"https://forms.other.example/Questionnaire/pain-diary|2",
 "status":"completed","subject":{"reference":"%s"},"item":[{"linkId":"q1","answer":[{"valueString":"better"}]}]}`

const otherFormWarning = "Questionnaire https://forms.other.example/Questionnaire/pain-diary|2 is not on this server: the response is stored without being checked against it"

// TestResponseToOtherSystemsForm: a QuestionnaireResponse to a
// Questionnaire that is not on this server is stored unchecked, and the
// warning reaches the client that asks for an OperationOutcome, and every
// batch or transaction entry.
func TestResponseToOtherSystemsForm(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		patient := "Patient/" + s.create(`{"resourceType":"Patient"}`)
		body := fmt.Sprintf(otherForm, patient)

		// Default: 201 with the resource, as for any create.
		r := s.do("POST", "/QuestionnaireResponse", body).mustStatus(t, http.StatusCreated)
		if rt := r.json(t)["resourceType"]; rt != "QuestionnaireResponse" {
			t.Errorf("body is a %v, want the stored QuestionnaireResponse", rt)
		}
		// Prefer: return=OperationOutcome: the outcome carries the warning.
		r = s.do("POST", "/QuestionnaireResponse", body, "Prefer", "return=OperationOutcome").mustStatus(t, http.StatusCreated)
		issues := r.issues(t)
		want := ooIssue{Severity: "warning", Code: "not-found", Diagnostics: otherFormWarning, Expression: []string{"QuestionnaireResponse.questionnaire"}}
		if len(issues) != 2 || issues[0].Severity != "information" || !cmp.Equal(want, issues[1]) {
			t.Errorf("want the information issue then the warning %+v, got:\n%s", want, r.body)
		}
		id := strings.Split(r.header.Get("Location"), "/")
		s.do("GET", "/QuestionnaireResponse/"+id[len(id)-3], "").mustStatus(t, http.StatusOK)
		// Updates warn too.
		s.do("PUT", "/QuestionnaireResponse/"+id[len(id)-3], strings.Replace(body, `{"resourceType":"QuestionnaireResponse",`,
			`{"resourceType":"QuestionnaireResponse","id":"`+id[len(id)-3]+`",`, 1), "Prefer", "return=OperationOutcome").
			mustStatus(t, http.StatusOK)

		// Batch and transaction entries carry it in response.outcome beside
		// the resource.
		entry := `{"request":{"method":"POST","url":"QuestionnaireResponse"},"resource":` + body + `}`
		for _, typ := range []string{"batch", "transaction"} {
			bundle := strings.Replace(txBundle(entry), `"transaction"`, `"`+typ+`"`, 1)
			var br struct {
				Entry []struct {
					Resource map[string]any
					Response struct {
						Status  string
						Outcome struct{ Issue []ooIssue }
					}
				}
			}
			if err := json.Unmarshal(s.do("POST", "", bundle).mustStatus(t, http.StatusOK).body, &br); err != nil {
				t.Fatal(err)
			}
			e := br.Entry[0]
			if e.Response.Status != "201 Created" || e.Resource["resourceType"] != "QuestionnaireResponse" ||
				len(e.Response.Outcome.Issue) != 1 || !cmp.Equal(want, e.Response.Outcome.Issue[0]) {
				t.Errorf("%s entry: want 201 with the resource and the warning in response.outcome, got %+v", typ, e)
			}
		}
		// A response to a shipped Questionnaire that validates has no warning.
		if err := s.wf.LoadContent(context.Background(), api.FS); err != nil {
			t.Fatal(err)
		}
		r = s.do("POST", "/QuestionnaireResponse", fmt.Sprintf(hnaResponse, patient, 6), "Prefer", "return=OperationOutcome").
			mustStatus(t, http.StatusCreated)
		if issues := r.issues(t); len(issues) != 1 {
			t.Errorf("a checked response warns:\n%s", r.body)
		}
	})
}

// TestQuestionnaireRequired: with SHAREDCARE_REQUIRE_QUESTIONNAIRE=true a
// response to a Questionnaire that is not on this server is refused, the
// official example included.
func TestQuestionnaireRequired(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		cfg := workflow.DefaultConfig
		cfg.RequireQuestionnaire = true
		s := newServerWithWorkflow(t, st, cfg)
		patient := "Patient/" + s.create(`{"resourceType":"Patient"}`)
		before := s.rowCounts()
		r := s.do("POST", "/QuestionnaireResponse", fmt.Sprintf(otherForm, patient)).mustStatus(t, http.StatusUnprocessableEntity)
		if _, exprs := r.outcome(t); !contains(exprs, "QuestionnaireResponse.questionnaire") ||
			!strings.Contains(string(r.body), "pain-diary|2 is not on this server") {
			t.Errorf("want the refusal to name QuestionnaireResponse.questionnaire:\n%s", r.body)
		}
		if dir := officialExamples(); dir != "" {
			b, err := os.ReadFile(filepath.Join(dir, "QuestionnaireResponse-ussg-fht-answers.json"))
			if err != nil {
				t.Fatal(err)
			}
			var ex map[string]any
			_ = json.Unmarshal(b, &ex)
			delete(ex, "contained") // its references would be checked first
			ex["subject"], ex["author"], ex["source"], ex["encounter"] = map[string]any{"reference": patient}, nil, nil, nil
			for k, v := range ex {
				if v == nil {
					delete(ex, k)
				}
			}
			r := s.do("PUT", "/QuestionnaireResponse/ussg-fht-answers", mustJSON(t, ex)).mustStatus(t, http.StatusUnprocessableEntity)
			if !strings.Contains(string(r.body), "Questionnaire/ussg-fht is not on this server") {
				t.Errorf("the official example: want refused naming its Questionnaire:\n%s", r.body)
			}
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("refused responses were stored (-before +after):\n%s", diff)
		}
	})
}

// officialExamples is the directory of the official R4 examples, "" when
// they are not present.
func officialExamples() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			ex := filepath.Join(dir, "..", "shared", "fhir-r4", "examples")
			if _, err := os.Stat(ex); err != nil {
				return ""
			}
			return ex
		}
	}
	return ""
}
