package questionnaire

import "testing"

// hostileShapes put the wrong JSON type, or nothing, everywhere a
// Questionnaire or response has structure.
var hostileShapes = []string{
	`{}`,
	`{"item":null}`,
	`{"item":7}`,
	`{"item":[null,1,"x",[],{}]}`,
	`{"item":[{"linkId":"a","type":["group"],"required":"yes","repeats":1,"maxLength":"5","item":{"x":1}}]}`,
	`{"item":[{"linkId":"a","type":"integer","extension":[null,{"url":"http://hl7.org/fhir/StructureDefinition/minValue"},{"url":"http://hl7.org/fhir/StructureDefinition/maxValue","valueInteger":"x"}]}]}`,
	`{"item":[{"linkId":"a","type":"choice","answerOption":[null,{},{"valueCoding":"x"},{"valueInteger":1e400}]}]}`,
	`{"item":[{"linkId":"a","type":"string","enableWhen":[null,{},{"question":"a","operator":"=","answerBoolean":true},{"question":1,"operator":"~"}]}]}`,
	`{"item":[{"linkId":"a","type":"string","enableWhen":[{"question":"b","operator":"exists","answerBoolean":true}]},
		{"linkId":"b","type":"string","enableWhen":[{"question":"a","operator":"exists","answerBoolean":true}]}]}`,
	`{"item":[{"linkId":"a","type":"group","code":[null,{"system":"https://sharedcare.dev/fhir/CodeSystem/hna-concern","code":7}],"item":[{"linkId":"a.r","type":"integer"}]}]}`,
	`{"status":"completed","questionnaire":["x"],"subject":"Patient/1","item":[{"linkId":"a","answer":[null,{"valueInteger":null},{"valueQuantity":{"value":"x"}},{"item":"x"}]}]}`,
	`{"status":"completed","item":[{"linkId":"a","answer":{"valueString":"x"},"item":[{"linkId":"b","item":[{"linkId":"a"}]}]}]}`,
	`{"item":[{"linkId":"distress","answer":[{"valueInteger":99999999999}]},{"linkId":"a","answer":[{"valueDate":1},{"valueTime":true},{"valueDateTime":"2026-13-01T00:00:00Z"}]}]}`,
}

// TestHostileShapesDoNotPanic runs every pair of shapes, each as the
// Questionnaire and as the response, through every exported function.
func TestHostileShapesDoNotPanic(t *testing.T) {
	t.Parallel()
	var trees []map[string]any
	for _, s := range append(hostileShapes, string(readFile(t, hnaFile)), string(readFile(t, "testdata/enablewhen.json"))) {
		trees = append(trees, decode(t, []byte(s)))
	}
	for i, q := range trees {
		for j, qr := range trees {
			exercise(t, q, qr, i, j)
		}
	}
}

func exercise(t *testing.T, q, qr map[string]any, i, j int) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("questionnaire %d, response %d: panic %v", i, j, p)
		}
	}()
	Validate(q, qr)
	Canonical(qr)
	Concerns(q, qr)
	DistressScore(qr)
	_, _ = Extract(q, qr, "QuestionnaireResponse/x", 0)
}

// FuzzValidate checks that no response, however odd, panics against the
// HNA or the enableWhen fixture, nor as a Questionnaire itself.
func FuzzValidate(f *testing.F) {
	for _, s := range hostileShapes {
		f.Add([]byte(s))
	}
	f.Add(must(readFileF("testdata/hna-response-completed.json")))
	qs := []map[string]any{decodeF(must(readFileF(hnaFile))), decodeF(must(readFileF("testdata/enablewhen.json")))}
	f.Fuzz(func(t *testing.T, data []byte) {
		qr := decodeF(data)
		if qr == nil {
			return
		}
		for i, q := range qs {
			exercise(t, q, qr, i, 0)
		}
		exercise(t, qr, qr, -1, 0)
	})
}
