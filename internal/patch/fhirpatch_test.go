package patch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// params builds a Parameters body from operation parameters.
func params(ops ...string) []byte {
	return []byte(`{"resourceType":"Parameters","parameter":[` + strings.Join(ops, ",") + `]}`)
}

// op builds one operation parameter: its type and path parts, then any
// further parts given as JSON.
func op(typ, path string, parts ...string) string {
	all := append([]string{
		fmt.Sprintf(`{"name":"type","valueCode":%q}`, typ),
		fmt.Sprintf(`{"name":"path","valueString":%q}`, path),
	}, parts...)
	return `{"name":"operation","part":[` + strings.Join(all, ",") + `]}`
}

func name(n string) string     { return fmt.Sprintf(`{"name":"name","valueString":%q}`, n) }
func index(n int) string       { return fmt.Sprintf(`{"name":"index","valueInteger":%d}`, n) }
func source(n int) string      { return fmt.Sprintf(`{"name":"source","valueInteger":%d}`, n) }
func destination(n int) string { return fmt.Sprintf(`{"name":"destination","valueInteger":%d}`, n) }

// value is a value part; x is the rest of the part's JSON, e.g. `"valueCode":"male"`.
func value(x string) string { return `{"name":"value",` + x + `}` }

// listPaths is the cardinality the tests know: these elements are lists.
var listPaths = map[string]bool{
	"Patient.identifier": true, "Patient.name": true, "Patient.contact": true, "Patient.telecom": true,
	"Patient.extension": true, "Patient.name.given": true, "Patient.birthDate.extension": true,
	"Patient.contact.telecom": true, "Task.input": true, "Patient.contained": true,
}

func cardinality(path string) (bool, bool) {
	if listPaths[path] {
		return true, true
	}
	return false, strings.HasPrefix(path, "Patient.")
}

func choice(path string) bool {
	switch path {
	case "Patient.deceased", "Patient.multipleBirth", "Observation.value", "Task.input.value", "Patient.extension.value":
		return true
	}
	return false
}

const ids1234 = `{"resourceType":"Patient","identifier":[{"system":"http://example.org","value":"value 1"},
	{"system":"http://example.org","value":"value 2"},{"system":"http://example.org","value":"value 3"},
	{"system":"http://example.org","value":"value 4"}]}`

// idents is a Patient with identifiers "value n" in the order given.
func idents(ns ...int) string {
	var ids []string
	for _, n := range ns {
		ids = append(ids, fmt.Sprintf(`{"system":"http://example.org","value":"value %d"}`, n))
	}
	return `{"resourceType":"Patient","identifier":[` + strings.Join(ids, ",") + `]}`
}

// TestFHIRPathSpec runs the FHIRPath Patch test cases published with the
// specification (FHIR/fhir-test-cases, r5/patch/fhir-path-tests.xml), in
// JSON.
func TestFHIRPathSpec(t *testing.T) {
	t.Parallel()
	contact := `{"resourceType":"Patient","contact":[{"name":{"text":"a name"},"gender":"male"}]}`
	identValue := `{"name":"value","valueIdentifier":{"system":"http://example.org","value":"value 3"}}`
	tests := []struct {
		name, in string
		patch    []byte
		want     string
	}{
		{"No Difference", `{"resourceType":"Patient","birthDate":"1920-01-01"}`,
			[]byte(`{"resourceType":"Parameters"}`), `{"resourceType":"Patient","birthDate":"1920-01-01"}`},
		{"No Difference (empty parameter list)", `{"resourceType":"Patient","birthDate":"1920-01-01"}`,
			params(), `{"resourceType":"Patient","birthDate":"1920-01-01"}`},
		{"Replace Primitive", `{"resourceType":"Patient","birthDate":"1920-01-01"}`,
			params(op("replace", "Patient.birthDate", value(`"valueDate":"1930-01-01"`))),
			`{"resourceType":"Patient","birthDate":"1930-01-01"}`},
		{"Delete Primitive", `{"resourceType":"Patient","birthDate":"1920-01-01"}`,
			params(op("delete", "Patient.birthDate")), `{"resourceType":"Patient"}`},
		{"Add Primitive", `{"resourceType":"Patient"}`,
			params(op("add", "Patient", name("birthDate"), value(`"valueDate":"1930-01-01"`))),
			`{"resourceType":"Patient","birthDate":"1930-01-01"}`},
		{"Replace Nested Primitive #1", contact,
			params(op("replace", "Patient.contact[0].gender", value(`"valueCode":"female"`))),
			`{"resourceType":"Patient","contact":[{"name":{"text":"a name"},"gender":"female"}]}`},
		{"Replace Nested Primitive #2", contact,
			params(op("replace", "Patient.contact[0].name.text", value(`"valueString":"the name"`))),
			`{"resourceType":"Patient","contact":[{"name":{"text":"the name"},"gender":"male"}]}`},
		{"Delete Nested Primitive #1", contact,
			params(op("delete", "Patient.contact[0].gender")),
			`{"resourceType":"Patient","contact":[{"name":{"text":"a name"}}]}`},
		{"Delete Nested Primitive #2", contact,
			params(op("delete", "Patient.contact[0].name.text")),
			`{"resourceType":"Patient","contact":[{"gender":"male"}]}`},
		{"Add Nested Primitive", `{"resourceType":"Patient","contact":[{"name":{"text":"a name"}}]}`,
			params(op("add", "Patient.contact[0]", name("gender"), value(`"valueCode":"male"`))), contact},
		{"Add Complex", `{"resourceType":"Patient"}`,
			params(op("add", "Patient", name("maritalStatus"), value(`"valueCodeableConcept":{"text":"married"}`))),
			`{"resourceType":"Patient","maritalStatus":{"text":"married"}}`},
		{"Replace Complex", `{"resourceType":"Patient","maritalStatus":{"id":"1","text":"married"}}`,
			params(op("replace", "Patient.maritalStatus", value(`"valueCodeableConcept":{"id":"2","text":"not married"}`))),
			`{"resourceType":"Patient","maritalStatus":{"id":"2","text":"not married"}}`},
		{"Delete Complex", `{"resourceType":"Patient","maritalStatus":{"text":"married"}}`,
			params(op("delete", "Patient.maritalStatus")), `{"resourceType":"Patient"}`},
		{"Add Anonymous Type", `{"resourceType":"Patient"}`,
			params(op("add", "Patient", name("contact"), value(`"part":[{"name":"name","valueHumanName":{"text":"a name"}}]`))),
			`{"resourceType":"Patient","contact":[{"name":{"text":"a name"}}]}`},
		{"Delete Anonymous Type", `{"resourceType":"Patient","contact":[{"name":{"text":"a name"}}]}`,
			params(op("delete", "Patient.contact[0]")), `{"resourceType":"Patient"}`},
		{"List unchanged, contents changed",
			`{"resourceType":"Patient","identifier":[{"id":"a","system":"http://example.org","value":"value 1"},{"id":"b","system":"http://example.org","value":"value 2"}]}`,
			params(op("replace", "Patient.identifier[0].value", value(`"valueString":"value 2"`)),
				op("replace", "Patient.identifier[1].value", value(`"valueString":"value 1"`))),
			`{"resourceType":"Patient","identifier":[{"id":"a","system":"http://example.org","value":"value 2"},{"id":"b","system":"http://example.org","value":"value 1"}]}`},
		{"Add to list", idents(1, 2), params(op("insert", "Patient.identifier", index(2), identValue)), idents(1, 2, 3)},
		{"Insert in list #1", idents(1, 2), params(op("insert", "Patient.identifier", index(1), identValue)), idents(1, 3, 2)},
		{"Insert in list #2", idents(1, 2), params(op("insert", "Patient.identifier", index(0), identValue)), idents(3, 1, 2)},
		{"Delete from List #1", idents(1, 2, 3), params(op("delete", "Patient.identifier[0]")), idents(2, 3)},
		{"Delete from List #2", idents(1, 2, 3), params(op("delete", "Patient.identifier[1]")), idents(1, 3)},
		{"Delete from List #3", idents(1, 2, 3), params(op("delete", "Patient.identifier[2]")), idents(1, 2)},
		{"Reorder List #1", ids1234, params(op("move", "Patient.identifier", source(3), destination(1))), idents(1, 4, 2, 3)},
		{"Reorder List #2", ids1234, params(op("move", "Patient.identifier", source(3), destination(0))), idents(4, 1, 2, 3)},
		{"Reorder List #3", ids1234, params(op("move", "Patient.identifier", source(3), destination(2))), idents(1, 2, 4, 3)},
		{"Reorder List #4", ids1234, params(op("move", "Patient.identifier", source(0), destination(3))), idents(2, 3, 4, 1)},
		{"Reorder List #5", ids1234, params(op("move", "Patient.identifier", source(1), destination(0)),
			op("move", "Patient.identifier", source(2), destination(1))), idents(2, 3, 1, 4)},
		{"Reorder List #6", ids1234, params(op("move", "Patient.identifier", source(3), destination(0)),
			op("move", "Patient.identifier", source(3), destination(1)),
			op("move", "Patient.identifier", source(3), destination(2))), idents(4, 3, 2, 1)},
		{"Operation on missing element #2", `{"resourceType":"Patient"}`,
			params(op("add", "Patient", name("identifier"), identValue)), idents(3)},
		{"Full Resource", fullPatient,
			params(op("replace", "Patient.text.div", value(`"valueString":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><b>Chalmers1</b></div>"`)),
				op("replace", "Patient.name[0].family", value(`"valueString":"Chalmers1"`))),
			strings.NewReplacer(`"family":"Chalmers"`, `"family":"Chalmers1"`,
				`<b>Chalmers</b>`, `<b>Chalmers1</b>`).Replace(fullPatient)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FHIRPath(tree(t, tt.in), tt.patch, WithCardinality(cardinality))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tree(t, tt.want), got); diff != "" {
				t.Errorf("FHIRPath (-want +got):\n%s", diff)
			}
		})
	}

	// "Operation on missing element": adding to what the path does not find.
	_, err := FHIRPath(tree(t, `{"resourceType":"Patient","identifier":[{"use":"official","value":"123"}]}`),
		params(op("add", "Patient.identifier.where(use = 'official').period", name("end"), value(`"valueDate":"2021-12-01"`))))
	wantError(t, err, issue{fhirerr.Unprocessable, "processing", "Parameters.parameter[0].part[1]",
		"no content found at Patient.identifier.where(use = 'official').period when adding"})
}

const fullPatient = `{"resourceType":"Patient","id":"example",
	"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><b>Chalmers</b></div>"},
	"identifier":[{"use":"usual","type":{"coding":[{"system":"http://hl7.org/fhir/v2/0203","code":"MR"}]},
		"system":"urn:oid:1.2.36.146.595.217.0.1","value":"12345","period":{"start":"2001-05-06"},"assigner":{"display":"Acme Healthcare"}}],
	"active":true,
	"name":[{"use":"official","family":"Chalmers","given":["Peter","James"]},{"use":"usual","given":["Jim"]}],
	"telecom":[{"use":"home"},{"system":"phone","value":"(03) 5555 6473","use":"work"}],
	"gender":"male","birthDate":"1974-12-25",
	"_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1974-12-25T14:35:45-05:00"}]},
	"deceasedBoolean":false,
	"contact":[{"relationship":[{"coding":[{"system":"http://hl7.org/fhir/patient-contact-relationship","code":"partner"}]}],
		"name":{"family":"du Marché","_family":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/humanname-own-prefix","valueString":"VV"}]},"given":["Bénédicte"]},
		"telecom":[{"system":"phone","value":"+33 (237) 998327"}],"gender":"female","period":{"start":"2012"}}],
	"managingOrganization":{"reference":"Organization/1"}}`

func TestFHIRPathErrors(t *testing.T) {
	t.Parallel()
	const in = `{"resourceType":"Patient","id":"p","gender":"male","birthDate":"2000","deceasedBoolean":false,
		"name":[{"family":"A","given":["a"]},{"family":"B"}],"contact":[{"gender":"male"}]}`
	const p0, p1 = "Parameters.parameter[0]", "Parameters.parameter[1]"
	rep := value(`"valueString":"x"`)
	tests := []struct {
		name  string
		patch []byte
		want  issue
	}{
		// malformed patches: 400
		{"not JSON", []byte(`{"resourceType":`), issue{fhirerr.Invalid, "invalid", "", "not valid JSON"}},
		{"not Parameters", []byte(`{"resourceType":"Patient"}`), issue{fhirerr.Invalid, "structure", "", "Parameters resource"}},
		{"an array", []byte(`[]`), issue{fhirerr.Invalid, "structure", "", "Parameters resource"}},
		{"parameter not a list", []byte(`{"resourceType":"Parameters","parameter":{}}`), issue{fhirerr.Invalid, "structure", "Parameters.parameter", "array"}},
		{"parameter not an object", params(op("delete", "Patient.gender"), `"x"`), issue{fhirerr.Invalid, "structure", p1, "JSON object"}},
		{"not an operation", params(`{"name":"resource","valueString":"x"}`), issue{fhirerr.Invalid, "invalid", p0, `"resource" is not a patch operation`}},
		{"no parts", params(`{"name":"operation"}`), issue{fhirerr.Invalid, "required", p0, "no parts"}},
		{"part not an object", params(`{"name":"operation","part":[1]}`), issue{fhirerr.Invalid, "structure", p0 + ".part[0]", "JSON object"}},
		{"part without name", params(`{"name":"operation","part":[{"valueCode":"add"}]}`), issue{fhirerr.Invalid, "required", p0 + ".part[0]", "no name"}},
		{"unknown part", params(op("delete", "Patient.gender", `{"name":"where","valueString":"x"}`)), issue{fhirerr.Invalid, "invalid", p0 + ".part[2]", `unknown part "where"`}},
		{"duplicate part", params(op("delete", "Patient.gender", `{"name":"path","valueString":"x"}`)), issue{fhirerr.Invalid, "invalid", p0 + ".part[2]", `more than one "path"`}},
		{"no type", params(`{"name":"operation","part":[{"name":"path","valueString":"Patient"}]}`), issue{fhirerr.Invalid, "required", p0, `no "type"`}},
		{"type not a string", params(`{"name":"operation","part":[{"name":"type","valueCode":1}]}`), issue{fhirerr.Invalid, "invalid", p0 + ".part[0]", "non-empty string"}},
		{"type as an integer", params(`{"name":"operation","part":[{"name":"type","valueInteger":1}]}`), issue{fhirerr.Invalid, "invalid", p0 + ".part[0]", "not allowed"}},
		{"unknown type", params(op("upsert", "Patient.gender")), issue{fhirerr.Invalid, "invalid", p0 + ".part[0]", `unknown operation type "upsert"`}},
		{"part the type does not take", params(op("replace", "Patient.gender", index(0), rep)), issue{fhirerr.Invalid, "structure", p0 + ".part[2]", `a replace operation takes no "index" part`}},
		{"missing path", params(`{"name":"operation","part":[{"name":"type","valueCode":"delete"}]}`), issue{fhirerr.Invalid, "required", p0, `needs a "path"`}},
		{"missing value", params(op("delete", "Patient.name"), op("replace", "Patient.gender")), issue{fhirerr.Invalid, "required", p1, `a replace operation needs a "value" part`}},
		{"missing name", params(op("add", "Patient", rep)), issue{fhirerr.Invalid, "required", p0, `needs a "name"`}},
		{"bad name", params(op("add", "Patient", name("_gender"), rep)), issue{fhirerr.Invalid, "invalid", p0 + ".part[2]", "not an element name"}},
		{"path syntax", params(op("delete", "Patient..gender")), issue{fhirerr.Invalid, "invalid", p0 + ".part[1]", `unexpected "."`}},
		{"resolve()", params(op("delete", "Patient.link.other.resolve().id")), issue{fhirerr.Invalid, "invalid", p0 + ".part[1]", "cannot reach into other resources"}},
		{"exists() outside where", params(op("delete", "Patient.name.exists()")), issue{fhirerr.Invalid, "invalid", p0 + ".part[1]", "only inside where()"}},
		{"insert path not ending in a name", params(op("insert", "Patient.name[0]", index(0), rep)), issue{fhirerr.Invalid, "invalid", p0 + ".part[1]", "must end with the name of a list element"}},
		{"insert at the resource", params(op("insert", "Patient", index(0), rep)), issue{fhirerr.Invalid, "invalid", p0 + ".part[1]", "not the resource"}},
		{"negative index", params(op("insert", "Patient.name", `{"name":"index","valueInteger":-1}`, rep)), issue{fhirerr.Invalid, "invalid", p0 + ".part[2]", "non-negative integer"}},
		{"fractional index", params(op("move", "Patient.name", `{"name":"source","valueInteger":1.0}`, destination(0))), issue{fhirerr.Invalid, "invalid", p0 + ".part[2]", "non-negative integer"}},
		{"index as a string", params(op("move", "Patient.name", source(0), `{"name":"destination","valueInteger":"1"}`)), issue{fhirerr.Invalid, "invalid", p0 + ".part[3]", "JSON number"}},
		{"value with two values", params(op("replace", "Patient.gender", value(`"valueCode":"a","valueString":"b"`))), issue{fhirerr.Invalid, "invalid", p0 + ".part[2]", "more than one"}},
		{"value without a value", params(op("replace", "Patient.gender", value(`"_valueCode":{"id":"x"}`))), issue{fhirerr.Invalid, "required", p0 + ".part[2]", "no value[x]"}},
		{"null value", params(op("replace", "Patient.gender", value(`"valueCode":null`))), issue{fhirerr.Invalid, "invalid", p0 + ".part[2]", "null"}},
		{"array value", params(op("replace", "Patient.gender", value(`"valueCode":["a"]`))), issue{fhirerr.Invalid, "invalid", p0 + ".part[2]", "array"}},
		{"bad companion", params(op("replace", "Patient.gender", value(`"valueCode":"a","_valueCode":"b"`))), issue{fhirerr.Invalid, "invalid", p0 + ".part[2]", "must be an object"}},
		{"resource without type", params(op("add", "Patient", name("contained"), `{"name":"value","resource":{"id":"x"}}`)), issue{fhirerr.Invalid, "invalid", p0 + ".part[3]", "resourceType"}},
		{"nested part without name", params(op("add", "Patient", name("contact"), value(`"part":[{"valueString":"x"}]`))), issue{fhirerr.Invalid, "invalid", p0 + ".part[3].part[0]", "not an element name"}},
		{"nested part without value", params(op("add", "Patient", name("contact"), value(`"part":[{"name":"gender"}]`))), issue{fhirerr.Invalid, "required", p0 + ".part[3].part[0]", "no value[x]"}},
		{"empty nested parts", params(op("add", "Patient", name("contact"), value(`"part":[]`))), issue{fhirerr.Invalid, "structure", p0 + ".part[3]", "non-empty"}},

		// well-formed patches this resource cannot take: 422
		{"replace nothing", params(op("replace", "Patient.maritalStatus", rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "no content found at Patient.maritalStatus when replacing"}},
		{"replace several", params(op("replace", "Patient.name.family", rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "matches 2 elements"}},
		{"delete several", params(op("delete", "Patient.name")), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "matches 2 elements"}},
		{"add to nothing", params(op("add", "Patient.name[5]", name("text"), rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "no content found"}},
		{"add to several", params(op("add", "Patient.name", name("text"), rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "matches 2"}},
		{"add a second value", params(op("add", "Patient", name("gender"), rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[2]", "Patient.gender already has a value"}},
		{"add a second choice value", params(op("add", "Patient", name("deceased"), value(`"valueDateTime":"2020"`))), issue{fhirerr.Unprocessable, "processing", p0 + ".part[2]", "deceasedBoolean"}},
		{"add into a primitive", params(op("add", "Patient.gender", name("text"), rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "primitive"}},
		{"insert beyond the end", params(op("insert", "Patient.name", index(3), rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[2]", "index 3 is out of range: Patient.name has 2 elements"}},
		{"insert into a single value", params(op("insert", "Patient.gender", index(0), rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "Patient.gender is not a list"}},
		{"insert into a known single value", params(op("insert", "Patient.maritalStatus", index(0), rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "not a list"}},
		{"insert under several", params(op("insert", "Patient.name.given", index(0), rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "matches 2"}},
		{"move in no list", params(op("move", "Patient.telecom", source(0), destination(0))), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "no list at Patient.telecom"}},
		{"move from beyond", params(op("move", "Patient.name", source(2), destination(0))), issue{fhirerr.Unprocessable, "processing", p0 + ".part[2]", "source 2 is out of range"}},
		{"move to beyond", params(op("move", "Patient.name", source(0), destination(2))), issue{fhirerr.Unprocessable, "processing", p0 + ".part[3]", "destination 2 is out of range"}},
		{"wrong resource type", params(op("delete", "Observation.status")), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "starts with Observation but the resource is a Patient"}},
		{"criterion with several values", params(op("delete", "Patient.where(name.family).gender")), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "yields 2 values"}},
		{"delete the resource", params(op("delete", "Patient")), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "cannot delete the whole resource"}},
		{"replace the resource", params(op("replace", "Patient", value(`"resource":{"resourceType":"Patient","id":"p"}`))), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "cannot replace the whole resource"}},
		{"replace the id", params(op("replace", "Patient.gender", value(`"valueCode":"female"`)), op("replace", "Patient.id", rep)), issue{fhirerr.Unprocessable, "processing", p1 + ".part[1]", "cannot change the resource's id"}},
		{"delete the id", params(op("delete", "Patient.id")), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "id"}},
		{"replace the type", params(op("replace", "Patient.resourceType", rep)), issue{fhirerr.Unprocessable, "processing", p0 + ".part[1]", "resourceType"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FHIRPath(tree(t, in), tt.patch, WithCardinality(cardinality), WithChoice(choice))
			if err == nil {
				t.Fatalf("FHIRPath succeeded with %v, want an error", got)
			}
			if got != nil {
				t.Errorf("FHIRPath returned %v with its error", got)
			}
			wantError(t, err, tt.want)
		})
	}

	_, err := FHIRPath(map[string]any{"id": "x"}, params(op("delete", "Patient.id")))
	if k := fhirerr.KindOf(err); k != fhirerr.Internal {
		t.Errorf("a tree without resourceType gave %v (%v), want an internal error", err, k)
	}
}
