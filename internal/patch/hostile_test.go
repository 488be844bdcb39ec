package patch

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// outcome is how a hostile input must end: success or an error of one kind.
type outcome int

const (
	succeeds outcome = iota
	fails400
	fails422
)

func (o outcome) check(t *testing.T, err error) {
	t.Helper()
	want := map[outcome]fhirerr.Kind{fails400: fhirerr.Invalid, fails422: fhirerr.Unprocessable}[o]
	switch {
	case o == succeeds && err != nil:
		t.Errorf("error %v, want success", err)
	case o != succeeds && err == nil:
		t.Errorf("succeeded, want a %v error", want)
	case o != succeeds && fhirerr.KindOf(err) != want:
		t.Errorf("error %v is %v, want %v", err, fhirerr.KindOf(err), want)
	}
}

func nested(open, close string, n int) string {
	return strings.Repeat(open, n) + `"x"` + strings.Repeat(close, n)
}

// TestJSONHostile: whatever the patch, JSON returns a result or a 400/422,
// never panics, and stays quick.
func TestJSONHostile(t *testing.T) {
	t.Parallel()
	deepDoc := `{"resourceType":"Basic","id":"b","a":` + nested(`{"a":`, `}`, 5000) + `}`
	tests := []struct {
		name, doc, patch string
		want             outcome
	}{
		{"deep value", patient, `[{"op":"add","path":"/x","value":` + nested("[", "]", 5000) + `}]`, succeeds},
		{"too deep for the decoder", patient, `[{"op":"add","path":"/x","value":` + nested("[", "]", 20000) + `}]`, fails400},
		{"deep pointer into a deep document", deepDoc, `[{"op":"replace","path":"` + strings.Repeat("/a", 5001) + `","value":1}]`, succeeds},
		{"pointer deeper than the document", deepDoc, `[{"op":"remove","path":"` + strings.Repeat("/a", 50000) + `"}]`, fails422},
		{"test a deep document", deepDoc, `[{"op":"test","path":"","value":` + deepDoc + `}]`, succeeds},
		{"huge index", patient, `[{"op":"remove","path":"/name/99999999999999999999999999"}]`, fails422},
		{"huge add index", patient, `[{"op":"add","path":"/name/9223372036854775807","value":{}}]`, fails422},
		{"index just past the end", patient, `[{"op":"add","path":"/name/2","value":{"text":"x"}}]`, succeeds},
		{"dash in the middle", patient, `[{"op":"add","path":"/name/-/given","value":["x"]}]`, fails422},
		{"dash on replace", patient, `[{"op":"replace","path":"/name/-","value":{}}]`, fails422},
		{"dash on test", patient, `[{"op":"test","path":"/name/-","value":{}}]`, fails422},
		{"dash as move source", patient, `[{"op":"move","from":"/name/-","path":"/x"}]`, fails422},
		{"dash on an object is a name", patient, `[{"op":"add","path":"/meta/-","value":"x"}]`, succeeds},
		{"leading zero", patient, `[{"op":"replace","path":"/name/00","value":{}}]`, fails422},
		{"signed index", patient, `[{"op":"replace","path":"/name/+1","value":{}}]`, fails422},
		{"negative index", patient, `[{"op":"replace","path":"/name/-1","value":{}}]`, fails422},
		{"empty token on an array", patient, `[{"op":"replace","path":"/name/","value":{}}]`, fails422},
		{"unicode digits", patient, `[{"op":"replace","path":"/name/١","value":{}}]`, fails422},
		{"lone tilde", patient, `[{"op":"remove","path":"/a~"}]`, fails400},
		{"through a string", patient, `[{"op":"add","path":"/birthDate/0","value":"x"}]`, fails422},
		{"through null", `{"resourceType":"Basic","id":"b","n":null}`, `[{"op":"add","path":"/n/x","value":1}]`, fails422},
		{"move the root", patient, `[{"op":"move","from":"","path":"/x"}]`, fails400},
		{"replace root with null", patient, `[{"op":"replace","path":"","value":null}]`, fails422},
		{"replace root with a string", patient, `[{"op":"add","path":"","value":"x"}]`, fails422},
		{"copy bomb", `{"resourceType":"Basic","id":"b","a":[1]}`,
			"[" + strings.Repeat(`{"op":"copy","from":"/a","path":"/a/-"},`, 30) + `{"op":"remove","path":"/a"}]`, fails422},
		{"copies within the budget", `{"resourceType":"Basic","id":"b","a":[1]}`,
			"[" + strings.Repeat(`{"op":"copy","from":"/a","path":"/a/-"},`, 10) + `{"op":"copy","from":"","path":"/a/0"}]`, succeeds},
		{"copying the root over itself grows linearly", `{"resourceType":"Basic","id":"b"}`,
			"[" + strings.TrimSuffix(strings.Repeat(`{"op":"copy","from":"","path":"/x"},`, 200), ",") + "]", succeeds},
		{"patch is an object", patient, `{}`, fails400},
		{"patch is null", patient, `null`, fails400},
		{"patch is a string", patient, `"[]"`, fails400},
		{"operation is an array", patient, `[[]]`, fails400},
		{"operation is null", patient, `[null]`, fails400},
		{"path is null", patient, `[{"op":"remove","path":null}]`, fails400},
		{"from is a number", patient, `[{"op":"copy","from":1,"path":"/x"}]`, fails400},
		{"empty body", patient, ``, fails400},
		{"bytes", patient, "\x00\xff", fails400},
		{"number value as text", patient, `[{"op":"add","path":"/x","value":1e999999999}]`, succeeds},
		{"test giant numbers", `{"resourceType":"Basic","id":"b","n":1e999999999}`, `[{"op":"test","path":"/n","value":10e999999998}]`, succeeds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSON([]byte(tt.doc), []byte(tt.patch))
			tt.want.check(t, err)
			if err == nil && !json.Valid(got) {
				t.Errorf("result is not JSON: %.200s", got)
			}
		})
	}
}

// TestFHIRPathHostile: likewise for FHIRPath Patch.
func TestFHIRPathHostile(t *testing.T) {
	t.Parallel()
	deepParts := strings.Repeat(`{"name":"value","part":[`, 3000) + `{"name":"value","valueString":"x"}` + strings.Repeat(`]}`, 3000)
	tests := []struct {
		name  string
		patch string
		want  outcome
	}{
		{"deep nested parts", string(params(op("add", "Patient", name("extension"), deepParts))), succeeds},
		{"deep nested parens", string(params(op("delete", "Patient.where("+nested("(", ")", 1000)+")"))), fails400},
		{"long path", string(params(op("delete", "Patient"+strings.Repeat(".name", 5000)))), fails400},
		{"long path under the limit", string(params(op("delete", "Patient"+strings.Repeat(".name", 800)))), succeeds},
		{"huge indexer", string(params(op("delete", "Patient.name[99999999999999999999999]"))), succeeds},
		{"huge index part", string(params(op("insert", "Patient.name", `{"name":"index","valueInteger":1e400}`, value(`"valueString":"x"`)))), fails400},
		{"max int index", string(params(op("insert", "Patient.name", `{"name":"index","valueInteger":9223372036854775807}`, value(`"valueString":"x"`)))), fails422},
		{"move max int", string(params(op("move", "Patient.name", `{"name":"source","valueInteger":9223372036854775807}`, destination(0)))), fails422},
		{"NUL in a path", string(params(op("delete", "Patient.na\x00me"))), fails400},
		{"quote soup", string(params(op("delete", `Patient.name.where(family = '\\'')`))), fails400},
		{"type part is an object", `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":{}}]}]}`, fails400},
		{"part list is an object", `{"resourceType":"Parameters","parameter":[{"name":"operation","part":{}}]}`, fails400},
		{"name is a number", `{"resourceType":"Parameters","parameter":[{"name":1}]}`, fails400},
		{"resourceType is a number", `{"resourceType":1,"parameter":[]}`, fails400},
		{"trailing garbage", string(params(op("delete", "Patient.name[0]"))) + "}", fails400},
		{"value is a number where a part list belongs", string(params(op("add", "Patient", name("contact"), value(`"part":7`)))), fails400},
		{"resource is a string", string(params(op("add", "Patient", name("contained"), `{"name":"value","resource":"x"}`))), fails400},
		{"many operations", string(params(strings.Split(strings.Repeat(op("add", "Patient", name("name"), value(`"valueHumanName":{"text":"x"}`))+"\n", 2000), "\n")[:2000]...)), succeeds},
		{"add id to the root", string(params(op("add", "Patient", name("id"), value(`"valueId":"x"`)))), fails422},
		{"where over where", string(params(op("delete", "Patient"+strings.Repeat(".where(name.where(given.where($this = 'x').exists()).exists())", 20)+".gender"))), succeeds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FHIRPath(tree(t, fullPatient), []byte(tt.patch), WithCardinality(cardinality), WithChoice(choice))
			tt.want.check(t, err)
			if err == nil {
				if _, err := encode(got); err != nil {
					t.Errorf("result does not encode: %v", err)
				}
			}
		})
	}
}

// FuzzJSON: no panic, only 400 or 422, and a result that is a JSON object
// keeping resourceType and id.
func FuzzJSON(f *testing.F) {
	for _, seed := range []string{
		`[{"op":"add","path":"/name/-","value":{"text":"x"}}]`,
		`[{"op":"move","from":"/name/0","path":"/name/1"},{"op":"test","path":"/name/1/family","value":"Chalmers"}]`,
		`[{"op":"copy","from":"/identifier","path":"/x/~01"},{"op":"remove","path":"/_birthDate/extension/0"}]`,
		`[{"op":"replace","path":"","value":{"resourceType":"Patient","id":"p1"}}]`,
		`[{"op":"remove","path":"/name/01"}]`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := JSON([]byte(patient), []byte(p))
		if err != nil {
			if k := fhirerr.KindOf(err); k != fhirerr.Invalid && k != fhirerr.Unprocessable {
				t.Fatalf("error %v is %v", err, k)
			}
			return
		}
		var res map[string]any
		if err := json.Unmarshal(got, &res); err != nil {
			t.Fatalf("result is not a JSON object: %v", err)
		}
		if res["resourceType"] != "Patient" || res["id"] != "p1" {
			t.Fatalf("identity changed: %s", got)
		}
	})
}

// FuzzFHIRPath feeds arbitrary paths and values to every operation type.
func FuzzFHIRPath(f *testing.F) {
	for _, seed := range []struct{ path, val string }{
		{"Patient.name[0].given", `"valueString":"x"`},
		{"Patient.telecom.where(system = 'phone' and use != 'home').value", `"valueString":"1"`},
		{"Patient.contact.name.family.extension.where(url = 'x').value", `"part":[{"name":"url","valueUri":"u"}]`},
		{"Patient.birthDate.extension", `"valueString":"x","_valueString":{"id":"i"}`},
		{"Patient.where(($this.active = true) or deceased.exists().not()).name.last()", `"valueHumanName":{}`},
		{"Patient.`name`[1]", `"resource":{"resourceType":"Basic"}`},
	} {
		f.Add(seed.path, seed.val)
	}
	base := tree(f, fullPatient)
	f.Fuzz(func(t *testing.T, path, val string) {
		pathJSON, _ := json.Marshal(path)
		for _, typ := range []string{"add", "insert", "delete", "replace", "move"} {
			body := fmt.Sprintf(`{"resourceType":"Parameters","parameter":[{"name":"operation","part":[
				{"name":"type","valueCode":%q},{"name":"path","valueString":%s}`, typ, pathJSON)
			switch typ {
			case "add":
				body += `,{"name":"name","valueString":"extension"},{"name":"value",` + val + `}`
			case "insert":
				body += `,{"name":"index","valueInteger":1},{"name":"value",` + val + `}`
			case "replace":
				body += `,{"name":"value",` + val + `}`
			case "move":
				body += `,{"name":"source","valueInteger":1},{"name":"destination","valueInteger":0}`
			}
			body += `]}]}`
			got, err := FHIRPath(base, []byte(body), WithCardinality(cardinality), WithChoice(choice))
			if err != nil {
				if k := fhirerr.KindOf(err); k != fhirerr.Invalid && k != fhirerr.Unprocessable {
					t.Fatalf("%s: error %v is %v", typ, err, k)
				}
				continue
			}
			if got["resourceType"] != "Patient" || got["id"] != "example" {
				t.Fatalf("%s: identity changed: %v", typ, got)
			}
			if _, err := encode(got); err != nil {
				t.Fatalf("%s: result does not encode: %v", typ, err)
			}
		}
	})
}
