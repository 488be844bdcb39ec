package questionnaire

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// TestEnableWhenOperators answers a dependent item after some controlling
// answers: an enabled item may be answered, a disabled one may not.
func TestEnableWhenOperators(t *testing.T) {
	t.Parallel()
	one := func(link, answer string) string { return `{"linkId":"` + link + `","answer":[` + answer + `]}` }
	tests := []struct {
		name      string
		controls  []string // items before the dependent one
		dependent string
		enabled   bool
	}{
		{"= true, answered true", []string{one("flag", `{"valueBoolean":true}`)}, "ifflag", true},
		{"= true, answered false", []string{one("flag", `{"valueBoolean":false}`)}, "ifflag", false},
		{"= true, unanswered", nil, "ifflag", false},
		{"exists true, answered", []string{one("flag", `{"valueBoolean":false}`)}, "exists", true},
		{"exists true, unanswered", nil, "exists", false},
		{"exists false, unanswered", nil, "absent", true},
		{"exists false, answered", []string{one("flag", `{"valueBoolean":false}`)}, "absent", false},
		{"> met", []string{one("score", `{"valueInteger":6}`)}, "gt", true},
		{"> not met", []string{one("score", `{"valueInteger":5}`)}, "gt", false},
		{"< met", []string{one("score", `{"valueInteger":4}`)}, "lt", true},
		{"< not met", []string{one("score", `{"valueInteger":5}`)}, "lt", false},
		{">= met", []string{one("score", `{"valueInteger":5}`)}, "ge", true},
		{">= not met", []string{one("score", `{"valueInteger":4}`)}, "ge", false},
		{"<= met", []string{one("score", `{"valueInteger":5}`)}, "le", true},
		{"<= not met", []string{one("score", `{"valueInteger":6}`)}, "le", false},
		{"= integer met", []string{one("score", `{"valueInteger":5}`)}, "eq", true},
		{"= integer not met", []string{one("score", `{"valueInteger":6}`)}, "eq", false},
		{"!= met", []string{one("score", `{"valueInteger":6}`)}, "ne", true},
		{"!= not met", []string{one("score", `{"valueInteger":5}`)}, "ne", false},
		{"!= with no answer holds", nil, "ne", true},
		{"decimal > met", []string{one("weight", `{"valueDecimal":80.51}`)}, "heavy", true},
		{"decimal > not met", []string{one("weight", `{"valueDecimal":80.50}`)}, "heavy", false},
		{"date >= met", []string{one("onset", `{"valueDate":"2026-01-01"}`)}, "recent", true},
		{"date >= not met", []string{one("onset", `{"valueDate":"2025-12-31"}`)}, "recent", false},
		{"dateTime > met", []string{one("seen", `{"valueDateTime":"2026-03-01T13:00:00Z"}`)}, "late", true},
		{"dateTime > not met, once zones are counted", []string{one("seen", `{"valueDateTime":"2026-03-01T13:00:00+02:00"}`)}, "late", false},
		{"time >= met", []string{one("at", `{"valueTime":"12:00:00"}`)}, "afternoon", true},
		{"time >= not met", []string{one("at", `{"valueTime":"11:59:59"}`)}, "afternoon", false},
		{"string = met", []string{one("name", `{"valueString":"Ann"}`)}, "ann", true},
		{"string = not met", []string{one("name", `{"valueString":"Anne"}`)}, "ann", false},
		{"Coding = met, display aside", []string{one("colour", `{"valueCoding":{"system":"http://example.org/colour","code":"red","display":"Red"}}`)}, "red", true},
		{"Coding = not met", []string{one("colour", `{"valueCoding":{"system":"http://example.org/colour","code":"green"}}`)}, "red", false},
		{"Quantity > met", []string{one("dose", `{"valueQuantity":{"value":11,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}}`)}, "bigdose", true},
		{"Quantity > not met", []string{one("dose", `{"valueQuantity":{"value":9,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}}`)}, "bigdose", false},
		{"Quantity in another unit is not compared", []string{one("dose", `{"valueQuantity":{"value":11,"unit":"g","system":"http://unitsofmeasure.org","code":"g"}}`)}, "bigdose", false},
		{"Reference = met", []string{one("who", `{"valueReference":{"reference":"Practitioner/gp1"}}`)}, "gp", true},
		{"Reference = not met", []string{one("who", `{"valueReference":{"reference":"Practitioner/gp2"}}`)}, "gp", false},
		{"all: both hold", []string{one("flag", `{"valueBoolean":true}`), one("score", `{"valueInteger":6}`)}, "both", true},
		{"all: one fails", []string{one("flag", `{"valueBoolean":true}`), one("score", `{"valueInteger":5}`)}, "both", false},
		{"any: one holds", []string{one("flag", `{"valueBoolean":false}`), one("score", `{"valueInteger":6}`)}, "either", true},
		{"any: none holds", []string{one("flag", `{"valueBoolean":false}`), one("score", `{"valueInteger":5}`)}, "either", false},
		{"depends on an enabled, answered item", []string{one("flag", `{"valueBoolean":true}`), one("ifflag", `{"valueString":"x"}`)}, "chain", true},
	}
	q := load(t, "testdata/enablewhen.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := append(append([]string{}, tt.controls...), one(tt.dependent, `{"valueString":"answer"}`))
			got := Validate(q, decode(t, responseJSON("", strings.Join(items, ","))))
			var want []fhirerr.Issue
			if !tt.enabled {
				want = []fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.item["+strconv.Itoa(len(tt.controls))+"].answer")}
			}
			for i, is := range got {
				got[i] = issue(is.Code, is.Expression)
			}
			if len(got) != len(want) || (len(want) == 1 && got[0] != want[0]) {
				t.Errorf("Validate = %v, want %v", got, want)
			}
		})
	}
}

// TestEnableWhenContext covers where enableWhen looks for its question and
// what a disabled item implies for the items around it.
func TestEnableWhenContext(t *testing.T) {
	t.Parallel()
	const reqif = `{"linkId":"reqif","answer":[{"valueString":"x"}]}`
	runValidate(t, "testdata/enablewhen.json", []validateCase{
		{name: "question answered after the item it enables",
			items: `{"linkId":"ifflag","answer":[{"valueString":"x"}]},{"linkId":"flag","answer":[{"valueBoolean":true}]}`},
		{name: "a disabled question counts as unanswered",
			items: `{"linkId":"flag","answer":[{"valueBoolean":false}]},{"linkId":"ifflag","answer":[{"valueString":"x"}]},{"linkId":"chain","answer":[{"valueString":"y"}]}`,
			want:  []fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.item[1].answer"), issue("business-rule", "QuestionnaireResponse.item[2].answer")}},
		{name: "repeating group: each repetition reads its own question", items: `
			{"linkId":"rep","item":[{"linkId":"rep.flag","answer":[{"valueBoolean":true}]},{"linkId":"rep.detail","answer":[{"valueString":"x"}]}]},
			{"linkId":"rep","item":[{"linkId":"rep.flag","answer":[{"valueBoolean":false}]}]}`},
		{name: "repeating group: a yes in one repetition does not enable another", items: `
			{"linkId":"rep","item":[{"linkId":"rep.flag","answer":[{"valueBoolean":true}]}]},
			{"linkId":"rep","item":[{"linkId":"rep.flag","answer":[{"valueBoolean":false}]},{"linkId":"rep.detail","answer":[{"valueString":"x"}]}]}`,
			want: []fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.item[1].item[1].answer")}},
		{name: "follow-up enabled by the answer it hangs from",
			items: `{"linkId":"parent","answer":[{"valueBoolean":true,"item":[{"linkId":"parent.why","answer":[{"valueString":"x"}]}]}]}`},
		{name: "follow-up disabled by the answer it hangs from",
			items: `{"linkId":"parent","answer":[{"valueBoolean":false,"item":[{"linkId":"parent.why","answer":[{"valueString":"x"}]}]}]}`,
			want:  []fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.item[0].answer[0].item[0].answer")}},
		{name: "answers inside a disabled group",
			items: `{"linkId":"flag","answer":[{"valueBoolean":false}]},{"linkId":"g","item":[{"linkId":"g.str","answer":[{"valueString":"x"}]}]}`,
			want:  []fhirerr.Issue{issue("business-rule", "QuestionnaireResponse.item[1].item[0].answer")}},
		{name: "required item disabled: not required", status: "completed", items: `{"linkId":"flag","answer":[{"valueBoolean":false}]}`},
		{name: "required item enabled: required", status: "completed", items: `{"linkId":"flag","answer":[{"valueBoolean":true}]}`,
			want: []fhirerr.Issue{issue("required", "QuestionnaireResponse")}},
		{name: "required item enabled and answered", status: "completed", items: `{"linkId":"flag","answer":[{"valueBoolean":true}]},` + reqif},
		{name: "required child of an enabled group", status: "completed",
			items: `{"linkId":"flag","answer":[{"valueBoolean":true}]},` + reqif + `,{"linkId":"g","item":[{"linkId":"g.str"}]}`,
			want:  []fhirerr.Issue{issue("required", "QuestionnaireResponse.item[2].item[0]")}},
		{name: "required child of a disabled group", status: "completed",
			items: `{"linkId":"flag","answer":[{"valueBoolean":false}]},{"linkId":"g","item":[{"linkId":"g.str"}]}`},
	})
}
