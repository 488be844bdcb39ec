package questionnaire

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// validateCase is one response checked against one testdata Questionnaire.
type validateCase struct {
	name   string
	status string // in-progress unless given
	items  string // the response's item array, without brackets
	want   []fhirerr.Issue
}

// issue is what a test cares about in an Issue: its code and where it points.
func issue(code, expression string) fhirerr.Issue {
	return fhirerr.Issue{Code: code, Expression: expression}
}

// responseJSON builds a QuestionnaireResponse with the given status and items.
func responseJSON(status, items string) []byte {
	if status == "" {
		status = "in-progress"
	}
	body := `{"resourceType":"QuestionnaireResponse","status":"` + status + `"`
	if items != "" {
		body += `,"item":[` + items + `]`
	}
	return []byte(body + "}")
}

// runValidate checks every case against the Questionnaire in file. A case
// that expects no issue must also be a valid R4 resource, so the conforming
// fixtures are realistic and not just acceptable to this package.
func runValidate(t *testing.T, file string, tests []validateCase) {
	t.Helper()
	q := load(t, file)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := responseJSON(tt.status, tt.items)
			got := Validate(q, decode(t, body))
			for i, is := range got {
				if is.Diagnostics == "" || is.Severity != "error" {
					t.Errorf("issue %+v lacks a message or an error severity", is)
				}
				got[i] = issue(is.Code, is.Expression)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate issues (-want +got):\n%s", diff)
			}
			if tt.want == nil {
				if _, err := fhirjson.Parse(body); err != nil {
					t.Errorf("conforming fixture is not valid R4: %v", err)
				}
			}
		})
	}
}

func TestTestQuestionnairesAreR4(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"types", "nesting", "constraints", "enablewhen"} {
		if _, err := fhirjson.Parse(readFile(t, "testdata/"+f+".json")); err != nil {
			t.Errorf("testdata/%s.json: %v", f, err)
		}
	}
}

func TestValidateAnswerTypes(t *testing.T) {
	t.Parallel()
	const at0 = "QuestionnaireResponse.item[0].answer[0]"
	runValidate(t, "testdata/types.json", []validateCase{
		{name: "every type answered with its own value type", items: `
			{"linkId":"bool","answer":[{"valueBoolean":false}]},
			{"linkId":"dec","answer":[{"valueDecimal":1.50}]},
			{"linkId":"int","answer":[{"valueInteger":-3}]},
			{"linkId":"date","answer":[{"valueDate":"2026-03"}]},
			{"linkId":"dt","answer":[{"valueDateTime":"2026-03-02T10:00:00+01:00"}]},
			{"linkId":"time","answer":[{"valueTime":"10:30:00.5"}]},
			{"linkId":"str","answer":[{"valueString":"hello"}]},
			{"linkId":"txt","answer":[{"valueString":"a longer\ntext"}]},
			{"linkId":"url","answer":[{"valueUri":"https://example.org/x"}]},
			{"linkId":"choice","answer":[{"valueCoding":{"system":"http://example.org/colour","code":"green"}}]},
			{"linkId":"open","answer":[{"valueCoding":{"system":"http://example.org/colour","code":"red"}}]},
			{"linkId":"intchoice","answer":[{"valueInteger":2}]},
			{"linkId":"strchoice","answer":[{"valueString":"no"}]},
			{"linkId":"vschoice","answer":[{"valueCoding":{"system":"http://example.org/any","code":"x"}}]},
			{"linkId":"att","answer":[{"valueAttachment":{"contentType":"text/plain","data":"aGk="}}]},
			{"linkId":"ref","answer":[{"valueReference":{"reference":"Patient/p1"}}]},
			{"linkId":"qty","answer":[{"valueQuantity":{"value":5,"unit":"mg"}}]},
			{"linkId":"grp","text":"any text","item":[{"linkId":"grp.str","answer":[{"valueString":"x"}]}]},
			{"linkId":"disp","text":"shown"}`},
		{name: "open-choice takes free text", items: `{"linkId":"open","answer":[{"valueString":"purple"}]}`},
		{name: "boolean as string", items: `{"linkId":"bool","answer":[{"valueString":"true"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "valueBoolean not a boolean", items: `{"linkId":"bool","answer":[{"valueBoolean":"yes"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "integer as decimal", items: `{"linkId":"int","answer":[{"valueDecimal":1.5}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "valueInteger with a fraction", items: `{"linkId":"int","answer":[{"valueInteger":1.0}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "valueInteger beyond 32 bits", items: `{"linkId":"int","answer":[{"valueInteger":2147483648}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "decimal as integer", items: `{"linkId":"dec","answer":[{"valueInteger":2}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "date as dateTime", items: `{"linkId":"date","answer":[{"valueDateTime":"2026-03-02T10:00:00Z"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "impossible date", items: `{"linkId":"date","answer":[{"valueDate":"2026-02-30"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "valueDate with a time", items: `{"linkId":"date","answer":[{"valueDate":"2026-03-02T10:00:00Z"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "dateTime as date", items: `{"linkId":"dt","answer":[{"valueDate":"2026-03-02"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "impossible time", items: `{"linkId":"time","answer":[{"valueTime":"25:00:00"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "string as integer", items: `{"linkId":"str","answer":[{"valueInteger":1}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "text as Coding", items: `{"linkId":"txt","answer":[{"valueCoding":{"code":"x"}}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "url as string", items: `{"linkId":"url","answer":[{"valueString":"https://example.org"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "choice as string", items: `{"linkId":"choice","answer":[{"valueString":"red"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "open-choice as integer", items: `{"linkId":"open","answer":[{"valueInteger":1}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "choice of integers answered with a string", items: `{"linkId":"intchoice","answer":[{"valueString":"2"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "attachment as string", items: `{"linkId":"att","answer":[{"valueString":"x"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "reference as string", items: `{"linkId":"ref","answer":[{"valueString":"Patient/p1"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "valueReference not an object", items: `{"linkId":"ref","answer":[{"valueReference":"Patient/p1"}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "quantity as decimal", items: `{"linkId":"qty","answer":[{"valueDecimal":5}]}`, want: []fhirerr.Issue{issue("value", at0)}},
		{name: "two values in one answer", items: `{"linkId":"str","answer":[{"valueString":"a","valueInteger":1}]}`, want: []fhirerr.Issue{issue("structure", at0)}},
		{name: "unknown value type", items: `{"linkId":"str","answer":[{"valueMarkdown":"a"}]}`, want: []fhirerr.Issue{issue("structure", at0)}},
		{name: "answers on a group", items: `{"linkId":"grp","answer":[{"valueString":"x"}]}`, want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].answer")}},
		{name: "answers on display text", items: `{"linkId":"disp","answer":[{"valueString":"x"}]}`, want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].answer")}},
		{name: "items under display text", items: `{"linkId":"disp","item":[{"linkId":"str"}]}`, want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].item")}},
	})
}

func TestValidateStructure(t *testing.T) {
	t.Parallel()
	runValidate(t, "testdata/nesting.json", []validateCase{
		{name: "everything in its place, in any order, texts differing", items: `
			{"linkId":"one","text":"not the Questionnaire's text","answer":[{"valueString":"a"}]},
			{"linkId":"g","item":[
				{"linkId":"g.sub","item":[{"linkId":"g.sub.int","answer":[{"valueInteger":1}]}]},
				{"linkId":"g.str","answer":[{"valueString":"b"}]}]},
			{"linkId":"rg","item":[{"linkId":"rg.str","answer":[{"valueString":"first"}]}]},
			{"linkId":"q","answer":[{"valueBoolean":true,"item":[{"linkId":"q.why","answer":[{"valueString":"because"}]}]}]},
			{"linkId":"rg","item":[{"linkId":"rg.str","answer":[{"valueString":"second"}]}]},
			{"linkId":"many","answer":[{"valueString":"x"},{"valueString":"y"},{"valueString":"z"}]}`},
		{name: "unknown linkId", items: `{"linkId":"nope","answer":[{"valueString":"a"}]}`,
			want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0]")}},
		{name: "group child at the top level", items: `{"linkId":"g.str","answer":[{"valueString":"a"}]}`,
			want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0]")}},
		{name: "grandchild one level too high", items: `{"linkId":"g","item":[{"linkId":"g.sub.int","answer":[{"valueInteger":1}]}]}`,
			want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].item[0]")}},
		{name: "unknown linkId under an answer", items: `{"linkId":"q","answer":[{"valueBoolean":true,"item":[{"linkId":"g.str"}]}]}`,
			want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].answer[0].item[0]")}},
		{name: "question's child under item, not answer", items: `{"linkId":"q","answer":[{"valueBoolean":true}],"item":[{"linkId":"q.why","answer":[{"valueString":"x"}]}]}`,
			want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].item")}},
		{name: "item not an array", items: `{"linkId":"g","item":{"linkId":"g.str"}}`,
			want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].item")}},
		{name: "item not an object", items: `"g"`, want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0]")}},
		{name: "item without linkId", items: `{"text":"g"}`, want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].linkId")}},
		{name: "linkId not a string", items: `{"linkId":7}`, want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].linkId")}},
		{name: "answer not an array", items: `{"linkId":"one","answer":{"valueString":"a"}}`,
			want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].answer")}},
		{name: "answer not an object", items: `{"linkId":"one","answer":["a"]}`,
			want: []fhirerr.Issue{issue("structure", "QuestionnaireResponse.item[0].answer[0]")}},
		{name: "non-repeating question with two answers", items: `{"linkId":"one","answer":[{"valueString":"a"},{"valueString":"b"}]}`,
			want: []fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.item[0].answer[1]")}},
		{name: "non-repeating question twice", items: `{"linkId":"one","answer":[{"valueString":"a"}]},{"linkId":"one","answer":[{"valueString":"b"}]}`,
			want: []fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.item[1]")}},
		{name: "repeating question twice: its answers belong in one item", items: `{"linkId":"many","answer":[{"valueString":"a"}]},{"linkId":"many","answer":[{"valueString":"b"}]}`,
			want: []fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.item[1]")}},
		{name: "non-repeating group twice", items: `{"linkId":"g","item":[{"linkId":"g.str","answer":[{"valueString":"a"}]}]},{"linkId":"g","item":[{"linkId":"g.str","answer":[{"valueString":"b"}]}]}`,
			want: []fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.item[1]")}},
		{name: "the same child twice in a group", items: `{"linkId":"g","item":[{"linkId":"g.str","answer":[{"valueString":"a"}]},{"linkId":"g.str","answer":[{"valueString":"b"}]}]}`,
			want: []fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.item[0].item[1]")}},
	})
}

func TestValidateRequired(t *testing.T) {
	t.Parallel()
	const complete = `{"linkId":"req","answer":[{"valueString":"x"}]},{"linkId":"rgrp","item":[{"linkId":"rgrp.req","answer":[{"valueString":"y"}]}]}`
	runValidate(t, "testdata/constraints.json", []validateCase{
		{name: "completed with every required item", status: "completed", items: complete},
		{name: "in progress with nothing", status: "in-progress"},
		{name: "completed with nothing", status: "completed", want: []fhirerr.Issue{
			issue("required", "QuestionnaireResponse"), issue("required", "QuestionnaireResponse")}},
		{name: "amended counts as completed", status: "amended", items: `{"linkId":"req","answer":[{"valueString":"x"}]}`,
			want: []fhirerr.Issue{issue("required", "QuestionnaireResponse")}},
		{name: "required question present without an answer", status: "completed",
			items: `{"linkId":"req"},{"linkId":"rgrp","item":[{"linkId":"rgrp.req","answer":[{"valueString":"y"}]}]}`,
			want:  []fhirerr.Issue{issue("required", "QuestionnaireResponse.item[0]")}},
		{name: "required question whose answer has no value", status: "completed",
			items: `{"linkId":"req","answer":[{"extension":[{"url":"http://example.org/why-not","valueString":"declined"}]}]},{"linkId":"rgrp","item":[{"linkId":"rgrp.req","answer":[{"valueString":"y"}]}]}`,
			want:  []fhirerr.Issue{issue("required", "QuestionnaireResponse.item[0]")}},
		{name: "required group without its required child", status: "completed",
			items: `{"linkId":"req","answer":[{"valueString":"x"}]},{"linkId":"rgrp","item":[{"linkId":"rgrp.opt","answer":[{"valueString":"y"}]}]}`,
			want:  []fhirerr.Issue{issue("required", "QuestionnaireResponse.item[1]")}},
		{name: "required group present but empty: the group and its required child", status: "completed",
			items: `{"linkId":"req","answer":[{"valueString":"x"}]},{"linkId":"rgrp"}`,
			want:  []fhirerr.Issue{issue("required", "QuestionnaireResponse.item[1]"), issue("required", "QuestionnaireResponse.item[1]")}},
		{name: "optional group absent: its required child is not asked", status: "completed", items: complete},
		{name: "optional group present without its required child", status: "completed",
			items: complete + `,{"linkId":"ogrp","item":[{"linkId":"ogrp.opt","answer":[{"valueString":"z"}]}]}`,
			want:  []fhirerr.Issue{issue("required", "QuestionnaireResponse.item[2]")}},
		{name: "answered question with its required follow-up", status: "completed",
			items: complete + `,{"linkId":"follow","answer":[{"valueBoolean":true,"item":[{"linkId":"follow.req","answer":[{"valueString":"z"}]}]}]}`},
		{name: "answered question without its required follow-up", status: "completed",
			items: complete + `,{"linkId":"follow","answer":[{"valueBoolean":true}]}`,
			want:  []fhirerr.Issue{issue("required", "QuestionnaireResponse.item[2].answer[0]")}},
	})
}

func TestValidateValues(t *testing.T) {
	t.Parallel()
	const at0 = "QuestionnaireResponse.item[0].answer[0]"
	one := func(link, answer string) string { return `{"linkId":"` + link + `","answer":[` + answer + `]}` }
	runValidate(t, "testdata/constraints.json", []validateCase{
		{name: "integer at its bounds", items: one("n", `{"valueInteger":1}`) + "," + one("dec", `{"valueDecimal":2.50}`)},
		{name: "integer below minValue", items: one("n", `{"valueInteger":0}`), want: []fhirerr.Issue{issue("value", at0)}},
		{name: "integer above maxValue", items: one("n", `{"valueInteger":6}`), want: []fhirerr.Issue{issue("value", at0)}},
		{name: "decimal at its lower bound", items: one("dec", `{"valueDecimal":0.5}`)},
		{name: "decimal below minValue", items: one("dec", `{"valueDecimal":0.49}`), want: []fhirerr.Issue{issue("value", at0)}},
		{name: "decimal above maxValue", items: one("dec", `{"valueDecimal":2.51}`), want: []fhirerr.Issue{issue("value", at0)}},
		{name: "date within bounds", items: one("date", `{"valueDate":"2029-12-31"}`)},
		{name: "date below minValue", items: one("date", `{"valueDate":"2019-12-31"}`), want: []fhirerr.Issue{issue("value", at0)}},
		{name: "date above maxValue", items: one("date", `{"valueDate":"2030-01-01"}`), want: []fhirerr.Issue{issue("value", at0)}},
		{name: "partial date that may be in range", items: one("date", `{"valueDate":"2020"}`)},
		{name: "partial date out of range", items: one("date", `{"valueDate":"2019-12"}`), want: []fhirerr.Issue{issue("value", at0)}},
		{name: "dateTime at minValue in another zone", items: one("dt", `{"valueDateTime":"2026-01-01T01:00:00+01:00"}`)},
		{name: "dateTime below minValue once zones are counted", items: one("dt", `{"valueDateTime":"2026-01-01T01:00:00+02:00"}`),
			want: []fhirerr.Issue{issue("value", at0)}},
		{name: "string at maxLength, counted in characters", items: one("short", `{"valueString":"héllo"}`)},
		{name: "string over maxLength", items: one("short", `{"valueString":"123456"}`), want: []fhirerr.Issue{issue("too-long", at0)}},
		{name: "url over maxLength", items: one("shorturl", `{"valueUri":"https://example.org/abc"}`), want: []fhirerr.Issue{issue("too-long", at0)}},
		{name: "option matched by system and code, display aside", items: one("colour", `{"valueCoding":{"system":"http://example.org/colour","code":"red","display":"Rouge"}}`)},
		{name: "option code from another system", items: one("colour", `{"valueCoding":{"system":"http://example.org/other","code":"red"}}`),
			want: []fhirerr.Issue{issue("value", at0)}},
		{name: "code that is not an option", items: one("colour", `{"valueCoding":{"system":"http://example.org/colour","code":"blue"}}`),
			want: []fhirerr.Issue{issue("value", at0)}},
		{name: "repeating choice, every answer an option", items: one("colours", `{"valueCoding":{"system":"http://example.org/colour","code":"green"}},{"valueCoding":{"system":"http://example.org/colour","code":"red"}}`)},
		{name: "repeating choice, second answer not an option", items: one("colours", `{"valueCoding":{"system":"http://example.org/colour","code":"red"}},{"valueCoding":{"system":"http://example.org/colour","code":"blue"}}`),
			want: []fhirerr.Issue{issue("value", "QuestionnaireResponse.item[0].answer[1]")}},
		{name: "date option", items: one("day", `{"valueDate":"2026-03-08"}`)},
		{name: "date that is not an option", items: one("day", `{"valueDate":"2026-03-09"}`), want: []fhirerr.Issue{issue("value", at0)}},
		{name: "open-choice free text", items: one("open", `{"valueString":"purple"}`)},
		{name: "open-choice code that is not an option", items: one("open", `{"valueCoding":{"system":"http://example.org/colour","code":"blue"}}`),
			want: []fhirerr.Issue{issue("value", at0)}},
	})
}

func TestValidateCanonical(t *testing.T) {
	t.Parallel()
	q := load(t, "testdata/constraints.json")
	for _, tt := range []struct {
		name, canonical string
		want            []fhirerr.Issue
	}{
		{"same url and version", "https://sharedcare.dev/fhir/Questionnaire/test-constraints|2", nil},
		{"same url, no version", "https://sharedcare.dev/fhir/Questionnaire/test-constraints", nil},
		{"another version", "https://sharedcare.dev/fhir/Questionnaire/test-constraints|1",
			[]fhirerr.Issue{issue("value", "QuestionnaireResponse.questionnaire")}},
		{"another questionnaire", "https://sharedcare.dev/fhir/Questionnaire/other|2",
			[]fhirerr.Issue{issue("value", "QuestionnaireResponse.questionnaire")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			qr := map[string]any{"resourceType": "QuestionnaireResponse", "status": "in-progress", "questionnaire": tt.canonical}
			got := Validate(q, qr)
			for i, is := range got {
				got[i] = issue(is.Code, is.Expression)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate issues (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name                 string
		qr                   map[string]any
		wantURL, wantVersion string
	}{
		{"url and version", map[string]any{"questionnaire": HNAURL + "|1.0.0"}, HNAURL, "1.0.0"},
		{"url only", map[string]any{"questionnaire": HNAURL}, HNAURL, ""},
		{"absent", map[string]any{}, "", ""},
		{"not a string", map[string]any{"questionnaire": 3}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url, version := Canonical(tt.qr)
			if url != tt.wantURL || version != tt.wantVersion {
				t.Errorf("Canonical = %q, %q; want %q, %q", url, version, tt.wantURL, tt.wantVersion)
			}
		})
	}
}
