package patch

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const observation = `{"resourceType":"Observation","id":"o1","status":"final",
	"code":{"coding":[{"system":"http://loinc.org","code":"718-7","display":"Hemoglobin"},{"system":"urn:local","code":"hb"}]},
	"valueQuantity":{"value":12.5,"unit":"g/dL"},
	"component":[{"code":{"coding":[{"code":"a"}]},"valueString":"x"},{"code":{"coding":[{"code":"b"}]},"valueInteger":2}]}`

func TestFHIRPathOps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		patch    []byte
		opts     []Option
		want     string
	}{
		// choice elements
		{"add a choice by its bare name", `{"resourceType":"Patient"}`,
			params(op("add", "Patient", name("deceased"), value(`"valueBoolean":true`))),
			[]Option{WithChoice(choice)}, `{"resourceType":"Patient","deceasedBoolean":true}`},
		{"without WithChoice the name is used as given", `{"resourceType":"Patient"}`,
			params(op("add", "Patient", name("deceasedDateTime"), value(`"valueDateTime":"2020"`))),
			nil, `{"resourceType":"Patient","deceasedDateTime":"2020"}`},
		{"navigate a choice", observation,
			params(op("replace", "Observation.value.value", value(`"valueDecimal":1.50`))),
			nil, replaceIn(observation, `"value":12.5`, `"value":1.50`)},
		{"replace a choice with another type", observation,
			params(op("replace", "Observation.value", value(`"valueString":"high"`))),
			nil, replaceIn(observation, `"valueQuantity":{"value":12.5,"unit":"g/dL"}`, `"valueString":"high"`)},
		{"replace a choice with the same type", observation,
			params(op("replace", "Observation.component[1].value", value(`"valueInteger":3`))),
			nil, replaceIn(observation, `"valueInteger":2`, `"valueInteger":3`)},
		{"delete a choice", observation, params(op("delete", "Observation.value")),
			nil, replaceIn(observation, `"valueQuantity":{"value":12.5,"unit":"g/dL"},`, ``)},
		{"anonymous type with choice and list parts", `{"resourceType":"Task"}`,
			params(op("add", "Task", name("input"), value(`"part":[{"name":"type","valueCodeableConcept":{"text":"t"}},{"name":"value","valueString":"v"}]`))),
			[]Option{WithChoice(choice), WithCardinality(cardinality)},
			`{"resourceType":"Task","input":[{"type":{"text":"t"},"valueString":"v"}]}`},
		{"anonymous type with repeated and nested parts", `{"resourceType":"Patient","contact":[{"gender":"male"}]}`,
			params(op("add", "Patient.contact[0]", name("telecom"), value(`"part":[{"name":"system","valueCode":"phone"},
				{"name":"value","valueString":"1"},{"name":"period","part":[{"name":"start","valueDateTime":"2020"}]},
				{"name":"rank","valueInteger":1,"_valueInteger":{"id":"r"}}]`))),
			[]Option{WithCardinality(cardinality)},
			`{"resourceType":"Patient","contact":[{"gender":"male","telecom":[{"system":"phone","value":"1","period":{"start":"2020"},"rank":1,"_rank":{"id":"r"}}]}]}`},
		{"repeated parts make a list", `{"resourceType":"Patient"}`,
			params(op("add", "Patient", name("name"), value(`"part":[{"name":"given","valueString":"a"},{"name":"given","valueString":"b","_valueString":{"id":"g"}}]`))),
			nil, `{"resourceType":"Patient","name":{"given":["a","b"],"_given":[null,{"id":"g"}]}}`},
		{"a contained resource", `{"resourceType":"Patient"}`,
			params(op("add", "Patient", name("contained"), `{"name":"value","resource":{"resourceType":"Organization","id":"o"}}`)),
			[]Option{WithCardinality(cardinality)}, `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o"}]}`},
		{"add appends to an existing list", `{"resourceType":"Patient","name":[{"family":"A"}]}`,
			params(op("add", "Patient", name("name"), value(`"valueHumanName":{"family":"B"}`))),
			nil, `{"resourceType":"Patient","name":[{"family":"A"},{"family":"B"}]}`},
		{"insert into an absent list", `{"resourceType":"Patient"}`,
			params(op("insert", "Patient.name", index(0), value(`"valueHumanName":{"family":"B"}`))),
			nil, `{"resourceType":"Patient","name":[{"family":"B"}]}`},
		{"paths may omit the type", `{"resourceType":"Patient","gender":"male"}`,
			params(op("replace", "gender", value(`"valueCode":"female"`))), nil, `{"resourceType":"Patient","gender":"female"}`},
		{"meta may change", `{"resourceType":"Patient","id":"p","meta":{"versionId":"1"}}`,
			params(op("delete", "Patient.meta.versionId")), nil, `{"resourceType":"Patient","id":"p"}`},
		{"delete of nothing succeeds", `{"resourceType":"Patient","id":"p"}`,
			params(op("delete", "Patient.name.where(use = 'old')")), nil, `{"resourceType":"Patient","id":"p"}`},

		// where() and friends
		{"where on a string", fullPatient,
			params(op("replace", "Patient.telecom.where(system = 'phone').value", value(`"valueString":"1"`))),
			nil, replaceIn(fullPatient, `"(03) 5555 6473"`, `"1"`)},
		{"where with and and a dotted path", observation,
			params(op("replace", "Observation.code.coding.where(system = 'http://loinc.org' and code = '718-7').display", value(`"valueString":"Hb"`))),
			nil, replaceIn(observation, `"Hemoglobin"`, `"Hb"`)},
		{"where with or, !=, parentheses", observation,
			params(op("delete", "Observation.code.coding.where((code = 'zz' or system != 'http://loinc.org') and code != 'a')")),
			nil, replaceIn(observation, `,{"system":"urn:local","code":"hb"}`, ``)},
		{"where on a nested list equality", observation,
			params(op("delete", "Observation.component.where(code.coding.code = 'b')")),
			nil, replaceIn(observation, `,{"code":{"coding":[{"code":"b"}]},"valueInteger":2}`, ``)},
		// FHIRPath "=" compares whole collections: two codings never equal one code.
		{"where compares collections, not any item", observation,
			params(op("delete", "Observation.where(code.coding.code = '718-7').code"), op("delete", "Observation.where(code.coding.code.last() = 'hb').status")),
			nil, replaceIn(observation, `"status":"final",`, ``)},
		{"a choice needs a type suffix", `{"resourceType":"StructureDefinition","contextInvariant":["x"],"typeX":"y"}`,
			params(op("delete", "StructureDefinition.context"), op("delete", "StructureDefinition.type")),
			nil, `{"resourceType":"StructureDefinition","contextInvariant":["x"],"typeX":"y"}`},
		{"where on numbers and choices", observation,
			params(op("delete", "Observation.component.where(value = 2.0)")),
			nil, replaceIn(observation, `,{"code":{"coding":[{"code":"b"}]},"valueInteger":2}`, ``)},
		{"where on booleans, exists(), not(), $this", fullPatient,
			params(op("replace", "Patient.where(active = true and deceased = false and telecom.exists() and gender.empty().not() and $this.id = 'example').gender", value(`"valueCode":"other"`))),
			nil, replaceIn(fullPatient, `"gender":"male"`, `"gender":"other"`)},
		{"where with a bare boolean path", fullPatient,
			params(op("delete", "Patient.where(active).deceased")),
			nil, replaceIn(fullPatient, `"deceasedBoolean":false,`, ``)},
		{"first() and last()", fullPatient,
			params(op("delete", "Patient.name.first().given.last()"), op("delete", "Patient.name.last()")),
			nil, replaceIn(replaceIn(fullPatient, `"given":["Peter","James"]`, `"given":["Peter"]`), `,{"use":"usual","given":["Jim"]}`, ``)},
		{"backtick identifiers and string escapes", `{"resourceType":"Patient","name":[{"family":"O'Brien"}]}`,
			params(op("replace", "Patient.name.where(`family` = 'O\\'Brien').family", value(`"valueString":"OBrien"`))),
			nil, `{"resourceType":"Patient","name":[{"family":"OBrien"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FHIRPath(tree(t, tt.in), tt.patch, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tree(t, tt.want), got); diff != "" {
				t.Errorf("FHIRPath (-want +got):\n%s", diff)
			}
		})
	}
}

// replaceIn is strings.Replace that insists the text is there, so that a
// typo in a test cannot make want equal to the unpatched input.
func replaceIn(s, old, new string) string {
	i := strings.Index(s, old)
	if i < 0 {
		panic("test text " + old + " not found")
	}
	return s[:i] + new + s[i+len(old):]
}

// TestFHIRPathPrimitiveExtensions: in JSON a primitive's id and extensions
// live in a "_name" companion, which must follow the primitive around.
func TestFHIRPathPrimitiveExtensions(t *testing.T) {
	t.Parallel()
	const in = `{"resourceType":"Patient","birthDate":"1974-12-25","_birthDate":{"extension":[{"url":"u1","valueString":"a"}]},
		"name":[{"given":["A","B","C"],"_given":[null,{"id":"b"},null]}]}`
	tests := []struct {
		name  string
		patch []byte
		want  string
	}{
		{"delete a primitive with its extensions", params(op("delete", "Patient.birthDate")),
			`{"resourceType":"Patient","name":[{"given":["A","B","C"],"_given":[null,{"id":"b"},null]}]}`},
		{"replace a primitive drops its old extensions", params(op("replace", "Patient.birthDate", value(`"valueDate":"1975"`))),
			`{"resourceType":"Patient","birthDate":"1975","name":[{"given":["A","B","C"],"_given":[null,{"id":"b"},null]}]}`},
		{"replace a primitive with one that has extensions", params(op("replace", "Patient.name[0].given[2]", value(`"valueString":"Z","_valueString":{"id":"z"}`))),
			replaceIn(in, `"given":["A","B","C"],"_given":[null,{"id":"b"},null]`, `"given":["A","B","Z"],"_given":[null,{"id":"b"},{"id":"z"}]`)},
		{"navigate into a primitive's extensions", params(op("replace", "Patient.birthDate.extension.where(url = 'u1').value", value(`"valueString":"b"`))),
			replaceIn(in, `"valueString":"a"`, `"valueString":"b"`)},
		{"add an extension to a primitive", params(op("add", "Patient.birthDate", name("extension"), value(`"part":[{"name":"url","valueUri":"u2"},{"name":"valueCode","valueCode":"c"}]`))),
			replaceIn(in, `{"url":"u1","valueString":"a"}`, `{"url":"u1","valueString":"a"},{"url":"u2","valueCode":"c"}`)},
		{"add an id to a list primitive", params(op("add", "Patient.name[0].given[0]", name("id"), value(`"valueString":"a"`))),
			replaceIn(in, `"_given":[null,`, `"_given":[{"id":"a"},`)},
		{"delete from a list keeps the companion parallel", params(op("delete", "Patient.name[0].given[0]")),
			replaceIn(in, `"given":["A","B","C"],"_given":[null,{"id":"b"},null]`, `"given":["B","C"],"_given":[{"id":"b"},null]`)},
		{"insert keeps the companion parallel", params(op("insert", "Patient.name[0].given", index(1), value(`"valueString":"X"`))),
			replaceIn(in, `"given":["A","B","C"],"_given":[null,{"id":"b"},null]`, `"given":["A","X","B","C"],"_given":[null,null,{"id":"b"},null]`)},
		{"move keeps the companion parallel", params(op("move", "Patient.name[0].given", source(1), destination(2))),
			replaceIn(in, `"given":["A","B","C"],"_given":[null,{"id":"b"},null]`, `"given":["A","C","B"],"_given":[null,null,{"id":"b"}]`)},
		{"an emptied companion goes", params(op("delete", "Patient.name[0].given[1].id")),
			replaceIn(in, `,"_given":[null,{"id":"b"},null]`, ``)},
		{"where skips primitives without a value", params(op("delete", "Patient.name.given.where($this = 'B')")),
			replaceIn(in, `"given":["A","B","C"],"_given":[null,{"id":"b"},null]`, `"given":["A","C"]`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FHIRPath(tree(t, in), tt.patch, WithCardinality(cardinality))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tree(t, tt.want), got); diff != "" {
				t.Errorf("FHIRPath (-want +got):\n%s", diff)
			}
		})
	}

	// A primitive with only extensions still exists.
	got, err := FHIRPath(tree(t, `{"resourceType":"Patient","_gender":{"extension":[{"url":"u"}]},"name":[{"_given":[{"id":"g"}]}]}`),
		params(op("replace", "Patient.gender", value(`"valueCode":"male"`)), op("replace", "Patient.name.given", value(`"valueString":"G"`))))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tree(t, `{"resourceType":"Patient","gender":"male","name":[{"given":["G"]}]}`), got); diff != "" {
		t.Errorf("FHIRPath (-want +got):\n%s", diff)
	}
}

// TestFHIRPathLeavesInputAlone: the caller's tree is untouched whether the
// patch succeeds or fails half way.
func TestFHIRPathLeavesInputAlone(t *testing.T) {
	t.Parallel()
	for _, patch := range [][]byte{
		params(op("delete", "Patient.name[0]"), op("replace", "Patient.gender", value(`"valueCode":"other"`))),
		params(op("delete", "Patient.name[0]"), op("replace", "Patient.nothing", value(`"valueCode":"other"`))),
	} {
		in := tree(t, fullPatient)
		_, _ = FHIRPath(in, patch)
		if diff := cmp.Diff(tree(t, fullPatient), in); diff != "" {
			t.Errorf("input changed (-want +got):\n%s", diff)
		}
	}
}
