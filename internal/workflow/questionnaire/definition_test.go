package questionnaire

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckDefinition: each invariant once broken (the issue at the item)
// and once kept (no issue), on a one-item Questionnaire.
func TestCheckDefinition(t *testing.T) {
	t.Parallel()
	q1 := `{"linkId":"q1","type":"boolean"}`
	tests := []struct {
		name  string
		items string // the Questionnaire's item array
		want  []string
	}{
		{"que-1 group without items", `[{"linkId":"g","type":"group"}]`, []string{"que-1 Questionnaire.item[0]"}},
		{"que-1 group with items", `[{"linkId":"g","type":"group","item":[` + q1 + `]}]`, nil},
		{"que-1 display with items", `[{"linkId":"d","type":"display","text":"x","item":[` + q1 + `]}]`, []string{"que-1 Questionnaire.item[0]"}},
		{"que-1 display alone", `[{"linkId":"d","type":"display","text":"x"}]`, nil},
		{"que-2 linkId twice", `[{"linkId":"g","type":"group","item":[` + q1 + `]},` + q1 + `]`, []string{"que-2 Questionnaire.item[1]"}},
		{"que-2 distinct linkIds", `[{"linkId":"g","type":"group","item":[` + q1 + `]},{"linkId":"q2","type":"boolean"}]`, nil},
		{"que-3 display with code", `[{"linkId":"d","type":"display","text":"x","code":[{"code":"c"}]}]`, []string{"que-3 Questionnaire.item[0]"}},
		{"que-3 question with code", `[{"linkId":"q","type":"boolean","code":[{"code":"c"}]}]`, nil},
		{"que-4 both answer sources", `[{"linkId":"q","type":"choice","answerValueSet":"http://vs","answerOption":[{"valueString":"a"}]}]`, []string{"que-4 Questionnaire.item[0]"}},
		{"que-4 one answer source", `[{"linkId":"q","type":"choice","answerValueSet":"http://vs"}]`, nil},
		{"que-5 options on a boolean", `[{"linkId":"q","type":"boolean","answerOption":[{"valueString":"a"}]}]`, []string{"que-5 Questionnaire.item[0]"}},
		{"que-5 value set on a group", `[{"linkId":"g","type":"group","answerValueSet":"http://vs","item":[` + q1 + `]}]`, []string{"que-5 Questionnaire.item[0]"}},
		{"que-5 options on an integer", `[{"linkId":"q","type":"integer","answerOption":[{"valueInteger":1}]}]`, nil},
		{"que-6 required display", `[{"linkId":"d","type":"display","text":"x","required":true}]`, []string{"que-6 Questionnaire.item[0]"}},
		{"que-6 repeating display", `[{"linkId":"d","type":"display","text":"x","repeats":false}]`, []string{"que-6 Questionnaire.item[0]"}},
		{"que-6 required question", `[{"linkId":"q","type":"string","required":true,"repeats":true}]`, nil},
		{"que-7 exists without boolean", `[` + q1 + `,{"linkId":"q2","type":"string","enableWhen":[{"question":"q1","operator":"exists","answerString":"yes"}]}]`, []string{"que-7 Questionnaire.item[1].enableWhen[0]"}},
		{"que-7 exists with boolean", `[` + q1 + `,{"linkId":"q2","type":"string","enableWhen":[{"question":"q1","operator":"exists","answerBoolean":true}]}]`, nil},
		{"que-8 initial on a group", `[{"linkId":"g","type":"group","initial":[{"valueString":"a"}],"item":[` + q1 + `]}]`, []string{"que-8 Questionnaire.item[0]"}},
		{"que-8 initial on a question", `[{"linkId":"q","type":"string","initial":[{"valueString":"a"}]}]`, nil},
		{"que-9 readOnly display", `[{"linkId":"d","type":"display","text":"x","readOnly":true}]`, []string{"que-9 Questionnaire.item[0]"}},
		{"que-9 readOnly question", `[{"linkId":"q","type":"string","readOnly":true}]`, nil},
		{"que-10 maxLength on a date", `[{"linkId":"q","type":"date","maxLength":10}]`, []string{"que-10 Questionnaire.item[0]"}},
		{"que-10 maxLength on text", `[{"linkId":"q","type":"text","maxLength":500}]`, nil},
		{"que-11 options and initial", `[{"linkId":"q","type":"choice","answerOption":[{"valueString":"a"}],"initial":[{"valueString":"a"}]}]`, []string{"que-11 Questionnaire.item[0]"}},
		{"que-11 options with initialSelected", `[{"linkId":"q","type":"choice","answerOption":[{"valueString":"a","initialSelected":true}]}]`, nil},
		{"que-12 two conditions, no behaviour", `[` + q1 + `,{"linkId":"q2","type":"boolean"},{"linkId":"q3","type":"string","enableWhen":[{"question":"q1","operator":"=","answerBoolean":true},{"question":"q2","operator":"=","answerBoolean":true}]}]`, []string{"que-12 Questionnaire.item[2]"}},
		{"que-12 two conditions, any", `[` + q1 + `,{"linkId":"q2","type":"boolean"},{"linkId":"q3","type":"string","enableBehavior":"any","enableWhen":[{"question":"q1","operator":"=","answerBoolean":true},{"question":"q2","operator":"=","answerBoolean":true}]}]`, nil},
		{"que-12 one condition", `[` + q1 + `,{"linkId":"q3","type":"string","enableWhen":[{"question":"q1","operator":"=","answerBoolean":true}]}]`, nil},
		{"que-13 two initial values, not repeating", `[{"linkId":"q","type":"string","initial":[{"valueString":"a"},{"valueString":"b"}]}]`, []string{"que-13 Questionnaire.item[0]"}},
		{"que-13 two initial values, repeating", `[{"linkId":"q","type":"string","repeats":true,"initial":[{"valueString":"a"},{"valueString":"b"}]}]`, nil},
		{"nested item path", `[{"linkId":"g","type":"group","item":[{"linkId":"h","type":"group","item":[{"linkId":"d","type":"display","text":"x","required":true}]}]}]`, []string{"que-6 Questionnaire.item[0].item[0].item[0]"}},
		{"several at once", `[{"linkId":"d","type":"display","text":"x","required":true,"readOnly":true,"code":[{"code":"c"}]}]`,
			[]string{"que-3 Questionnaire.item[0]", "que-6 Questionnaire.item[0]", "que-9 Questionnaire.item[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := decode(t, []byte(`{"resourceType":"Questionnaire","status":"active","item":`+tt.items+`}`))
			var got []string
			for _, is := range CheckDefinition(q) {
				if is.Code != "invariant" || is.Diagnostics == "" {
					t.Errorf("issue %+v: want code invariant with diagnostics", is)
				}
				key, _, _ := strings.Cut(is.Diagnostics, ":")
				got = append(got, key+" "+is.Expression)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHNADefinitionKeepsTheInvariants: the shipped HNA passes.
func TestHNADefinitionKeepsTheInvariants(t *testing.T) {
	t.Parallel()
	if issues := CheckDefinition(load(t, hnaFile)); len(issues) > 0 {
		t.Errorf("the HNA breaks Questionnaire invariants: %+v", issues)
	}
}
