package patch

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// TestJSONRFC6902 runs the examples of RFC 6902 Appendix A.
func TestJSONRFC6902(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, patch string
		want             string // "" when the patch must fail
	}{
		{"A.1 adding an object member", `{"foo":"bar"}`,
			`[{"op":"add","path":"/baz","value":"qux"}]`, `{"baz":"qux","foo":"bar"}`},
		{"A.2 adding an array element", `{"foo":["bar","baz"]}`,
			`[{"op":"add","path":"/foo/1","value":"qux"}]`, `{"foo":["bar","qux","baz"]}`},
		{"A.3 removing an object member", `{"baz":"qux","foo":"bar"}`,
			`[{"op":"remove","path":"/baz"}]`, `{"foo":"bar"}`},
		{"A.4 removing an array element", `{"foo":["bar","qux","baz"]}`,
			`[{"op":"remove","path":"/foo/1"}]`, `{"foo":["bar","baz"]}`},
		{"A.5 replacing a value", `{"baz":"qux","foo":"bar"}`,
			`[{"op":"replace","path":"/baz","value":"boo"}]`, `{"baz":"boo","foo":"bar"}`},
		{"A.6 moving a value", `{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}`,
			`[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]`,
			`{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}`},
		{"A.7 moving an array element", `{"foo":["all","grass","cows","eat"]}`,
			`[{"op":"move","from":"/foo/1","path":"/foo/3"}]`, `{"foo":["all","cows","eat","grass"]}`},
		{"A.8 testing a value: success", `{"baz":"qux","foo":["a",2,"c"]}`,
			`[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]`,
			`{"baz":"qux","foo":["a",2,"c"]}`},
		{"A.9 testing a value: error", `{"baz":"qux"}`, `[{"op":"test","path":"/baz","value":"bar"}]`, ""},
		// The RFC's result is {"foo":"bar","child":{"grandchild":{}}}; FHIR
		// forbids empty objects, so the clean-up removes what it added.
		{"A.10 adding a nested member object", `{"foo":"bar"}`,
			`[{"op":"add","path":"/child","value":{"grandchild":{}}}]`, `{"foo":"bar"}`},
		{"A.11 ignoring unrecognized elements", `{"foo":"bar"}`,
			`[{"op":"add","path":"/baz","value":"qux","xyz":123}]`, `{"foo":"bar","baz":"qux"}`},
		{"A.12 adding to a nonexistent target", `{"foo":"bar"}`, `[{"op":"add","path":"/baz/bat","value":"qux"}]`, ""},
		// encoding/json keeps the last duplicate member, so this is a remove
		// of a missing member: still an error, as the RFC requires.
		{"A.13 invalid JSON Patch document", `{"foo":"bar"}`,
			`[{"op":"add","path":"/baz","value":"qux","op":"remove"}]`, ""},
		{"A.14 ~ escape ordering", `{"/":9,"~1":10}`, `[{"op":"test","path":"/~01","value":10}]`, `{"/":9,"~1":10}`},
		{"A.15 comparing strings and numbers", `{"/":9,"~1":10}`, `[{"op":"test","path":"/~01","value":"10"}]`, ""},
		{"A.16 adding an array value", `{"foo":["bar"]}`,
			`[{"op":"add","path":"/foo/-","value":["abc","def"]}]`, `{"foo":["bar",["abc","def"]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSON([]byte(tt.doc), []byte(tt.patch))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("JSON succeeded with %s, want an error", got)
				}
				if k := fhirerr.KindOf(err); k != fhirerr.Unprocessable {
					t.Errorf("error %v is %v, want unprocessable", err, k)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, tt.want, got)
		})
	}
}

// TestPointer evaluates the RFC 6901 section 5 examples.
func TestPointer(t *testing.T) {
	t.Parallel()
	doc := tree(t, `{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8}`)
	tests := []struct {
		ptr  string
		want any
	}{
		{"", doc},
		{"/foo", doc["foo"]},
		{"/foo/0", "bar"},
		{"/", doc[""]},
		{"/a~1b", doc["a/b"]},
		{"/c%d", doc["c%d"]},
		{"/e^f", doc["e^f"]},
		{"/g|h", doc["g|h"]},
		{"/i\\j", doc["i\\j"]},
		{"/k\"l", doc["k\"l"]},
		{"/ ", doc[" "]},
		{"/m~0n", doc["m~n"]},
	}
	for _, tt := range tests {
		t.Run(tt.ptr, func(t *testing.T) {
			p, err := parsePointer(tt.ptr)
			if err != nil {
				t.Fatal(err)
			}
			if p.String() != tt.ptr {
				t.Errorf("String() = %q, want %q", p.String(), tt.ptr)
			}
			got, err := getAt(doc, p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("getAt (-want +got):\n%s", diff)
			}
		})
	}
}

const patient = `{"resourceType":"Patient","id":"p1","meta":{"versionId":"3"},
	"identifier":[{"system":"urn:mrn","value":"12345"}],
	"name":[{"family":"Chalmers","given":["Peter","James"]},{"use":"usual","given":["Jim"]}],
	"birthDate":"1974-12-25","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1974-12-25T14:35:45-05:00"}]},
	"multipleBirthInteger":2}`

// TestJSONFHIR covers what FHIR adds to plain JSON Patch: clean-up of emptied
// lists and objects, and the server-owned id and resourceType.
func TestJSONFHIR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, patch, want string
	}{
		{"removing the only identifier removes the list",
			`[{"op":"remove","path":"/identifier/0"}]`,
			`{"resourceType":"Patient","id":"p1","meta":{"versionId":"3"},
			"name":[{"family":"Chalmers","given":["Peter","James"]},{"use":"usual","given":["Jim"]}],
			"birthDate":"1974-12-25","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1974-12-25T14:35:45-05:00"}]},
			"multipleBirthInteger":2}`},
		{"emptied objects go too, recursively",
			`[{"op":"remove","path":"/_birthDate/extension/0"},{"op":"remove","path":"/name/1/given/0"},{"op":"remove","path":"/name/1/use"}]`,
			`{"resourceType":"Patient","id":"p1","meta":{"versionId":"3"},
			"identifier":[{"system":"urn:mrn","value":"12345"}],
			"name":[{"family":"Chalmers","given":["Peter","James"]}],
			"birthDate":"1974-12-25","multipleBirthInteger":2}`},
		{"null members are dropped",
			`[{"op":"replace","path":"/birthDate","value":null},{"op":"remove","path":"/_birthDate"}]`,
			`{"resourceType":"Patient","id":"p1","meta":{"versionId":"3"},
			"identifier":[{"system":"urn:mrn","value":"12345"}],
			"name":[{"family":"Chalmers","given":["Peter","James"]},{"use":"usual","given":["Jim"]}],
			"multipleBirthInteger":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSON([]byte(patient), []byte(tt.patch))
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, tt.want, got)
		})
	}

	// meta may change, decimals keep their text, test compares numbers by value.
	got, err := JSON([]byte(patient), []byte(`[{"op":"test","path":"/multipleBirthInteger","value":2.0},
		{"op":"replace","path":"/meta","value":{"tag":[{"code":"x"}]}},
		{"op":"add","path":"/extension","value":[{"url":"http://x","valueDecimal":1.50}]},
		{"op":"copy","from":"/name/0/given","path":"/name/1/given"},{"op":"move","from":"/name/0","path":"/name/-"},
		{"op":"remove","path":"/name/1/given/0"},{"op":"remove","path":"/_birthDate"}]`))
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, `{"resourceType":"Patient","id":"p1","meta":{"tag":[{"code":"x"}]},
		"identifier":[{"system":"urn:mrn","value":"12345"}],
		"name":[{"use":"usual","given":["Peter","James"]},{"family":"Chalmers","given":["James"]}],
		"birthDate":"1974-12-25","multipleBirthInteger":2,"extension":[{"url":"http://x","valueDecimal":1.50}]}`, got)
	if want := `"valueDecimal":1.50`; !strings.Contains(string(got), want) {
		t.Errorf("result %s lost the decimal's text %s", got, want)
	}
}

func TestJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, patch string
		want        issue
	}{
		{"not JSON", `[{"op":`, issue{fhirerr.Invalid, "invalid", "", "not valid JSON"}},
		{"trailing data", `[] []`, issue{fhirerr.Invalid, "invalid", "", "after the JSON value"}},
		{"not an array", `{"op":"remove","path":"/id"}`, issue{fhirerr.Invalid, "structure", "", "JSON array"}},
		{"operation not an object", `[{"op":"test","path":"/id","value":"p1"}, 7]`, issue{fhirerr.Invalid, "structure", "", "operation 1: an operation must be a JSON object"}},
		{"missing op", `[{"path":"/id"}]`, issue{fhirerr.Invalid, "required", "", `operation 0: missing "op"`}},
		{"op not a string", `[{"op":true,"path":"/id"}]`, issue{fhirerr.Invalid, "invalid", "", `"op" must be a string`}},
		{"unknown op", `[{"op":"append","path":"/id"}]`, issue{fhirerr.Invalid, "invalid", "", `operation 0: unknown op "append"`}},
		{"missing path", `[{"op":"remove"}]`, issue{fhirerr.Invalid, "required", "", `operation 0 (remove): missing "path"`}},
		{"path not a string", `[{"op":"remove","path":3}]`, issue{fhirerr.Invalid, "invalid", "", `"path" must be a string`}},
		{"missing value", `[{"op":"remove","path":"/name"},{"op":"replace","path":"/birthDate"}]`, issue{fhirerr.Invalid, "required", "", `operation 1 (replace): missing "value"`}},
		{"null is a value", `[{"op":"test","path":"/x"}]`, issue{fhirerr.Invalid, "required", "", `missing "value"`}},
		{"missing from", `[{"op":"copy","path":"/x"}]`, issue{fhirerr.Invalid, "required", "", `operation 0 (copy): missing "from"`}},
		{"pointer without slash", `[{"op":"remove","path":"name"}]`, issue{fhirerr.Invalid, "invalid", "", "must be empty or start with /"}},
		{"bad escape", `[{"op":"remove","path":"/a~2b"}]`, issue{fhirerr.Invalid, "invalid", "", "~ must be followed by 0 or 1"}},
		{"move into own child", `[{"op":"move","from":"/name","path":"/name/0/x"}]`, issue{fhirerr.Invalid, "invalid", "", "into its own child"}},
		{"malformed late operation beats failing early one", `[{"op":"remove","path":"/nope"},{"op":"nope"}]`, issue{fhirerr.Invalid, "invalid", "", "operation 1"}},

		{"remove missing member", `[{"op":"remove","path":"/gender"}]`, issue{fhirerr.Unprocessable, "processing", "", `operation 0 (remove): path "/gender" does not exist`}},
		{"replace missing member", `[{"op":"replace","path":"/name/0/prefix","value":["Mr"]}]`, issue{fhirerr.Unprocessable, "processing", "", `operation 0 (replace): path "/name/0/prefix" does not exist`}},
		{"index out of range", `[{"op":"replace","path":"/name/2","value":{}}]`, issue{fhirerr.Unprocessable, "processing", "", "index 2 is out of range: the array has 2 elements"}},
		{"add beyond the end", `[{"op":"add","path":"/name/3","value":{}}]`, issue{fhirerr.Unprocessable, "processing", "", "out of range"}},
		{"leading zero", `[{"op":"remove","path":"/name/01"}]`, issue{fhirerr.Unprocessable, "processing", "", "leading zero"}},
		{"dash on remove", `[{"op":"remove","path":"/name/-"}]`, issue{fhirerr.Unprocessable, "processing", "", "after the last one"}},
		{"name on array", `[{"op":"remove","path":"/name/family"}]`, issue{fhirerr.Unprocessable, "processing", "", "not an array index"}},
		{"into a primitive", `[{"op":"add","path":"/birthDate/x","value":1}]`, issue{fhirerr.Unprocessable, "processing", "", "not an object or array"}},
		{"failed test", `[{"op":"test","path":"/name/0/family","value":"Smith"}]`, issue{fhirerr.Unprocessable, "processing", "", "operation 0 (test): test failed"}},
		{"move from missing", `[{"op":"move","from":"/x","path":"/y"}]`, issue{fhirerr.Unprocessable, "processing", "", "from: path \"/x\" does not exist"}},
		{"copy from missing", `[{"op":"copy","from":"/x","path":"/y"}]`, issue{fhirerr.Unprocessable, "processing", "", "from: path"}},
		{"remove the resource", `[{"op":"remove","path":""}]`, issue{fhirerr.Unprocessable, "processing", "", "cannot remove the whole resource"}},
		{"replace id", `[{"op":"replace","path":"/id","value":"p2"}]`, issue{fhirerr.Unprocessable, "processing", "", "operation 0 (replace): a patch cannot change the resource's id"}},
		{"remove id", `[{"op":"test","path":"/id","value":"p1"},{"op":"remove","path":"/id"}]`, issue{fhirerr.Unprocessable, "processing", "", "operation 1 (remove): a patch cannot change the resource's id"}},
		{"change type", `[{"op":"replace","path":"/resourceType","value":"Group"}]`, issue{fhirerr.Unprocessable, "processing", "", "resourceType"}},
		{"replace the root with an array", `[{"op":"replace","path":"","value":[]}]`, issue{fhirerr.Unprocessable, "processing", "", "must remain a JSON object"}},
		{"replace the root with another resource", `[{"op":"add","path":"","value":{"resourceType":"Patient","id":"p9"}}]`, issue{fhirerr.Unprocessable, "processing", "", "id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSON([]byte(patient), []byte(tt.patch))
			if err == nil {
				t.Fatalf("JSON succeeded with %s, want an error", got)
			}
			if got != nil {
				t.Errorf("JSON returned %s with its error", got)
			}
			wantError(t, err, tt.want)
		})
	}
}

func TestJSONMoveAndRootEdits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, patch, want string
	}{
		{"move to itself", `[{"op":"move","from":"/a","path":"/a"}]`, `{"resourceType":"Basic","id":"b","a":[1,2]}`},
		{"move within an array, forwards", `[{"op":"move","from":"/a/0","path":"/a/1"}]`, `{"resourceType":"Basic","id":"b","a":[2,1]}`},
		{"move an element out", `[{"op":"move","from":"/a/1","path":"/b"}]`, `{"resourceType":"Basic","id":"b","a":[1],"b":2}`},
		{"copy is deep", `[{"op":"copy","from":"/a","path":"/c"},{"op":"add","path":"/c/-","value":3}]`, `{"resourceType":"Basic","id":"b","a":[1,2],"c":[1,2,3]}`},
		{"copy the root into itself", `[{"op":"copy","from":"","path":"/self"}]`, `{"resourceType":"Basic","id":"b","a":[1,2],"self":{"resourceType":"Basic","id":"b","a":[1,2]}}`},
		{"replace the root keeping identity", `[{"op":"replace","path":"","value":{"resourceType":"Basic","id":"b","x":true}}]`, `{"resourceType":"Basic","id":"b","x":true}`},
		{"member named like an index", `[{"op":"add","path":"/01","value":"x"},{"op":"add","path":"/-","value":"y"}]`, `{"resourceType":"Basic","id":"b","a":[1,2],"01":"x","-":"y"}`},
		{"empty patch", `[]`, `{"resourceType":"Basic","id":"b","a":[1,2]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSON([]byte(`{"resourceType":"Basic","id":"b","a":[1,2]}`), []byte(tt.patch))
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, tt.want, got)
		})
	}
}

func TestJSONBadResource(t *testing.T) {
	t.Parallel()
	for _, res := range []string{``, `[]`, `"Patient"`, `null`, `{"a":1} x`} {
		t.Run(res, func(t *testing.T) {
			_, err := JSON([]byte(res), []byte(`[]`))
			if k := fhirerr.KindOf(err); err == nil || k != fhirerr.Internal {
				t.Errorf("JSON(%q) error = %v (%v), want an internal error", res, err, k)
			}
		})
	}
}
