package patch

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePath(t *testing.T) {
	t.Parallel()
	member := func(n string) step { return step{kind: stepMember, name: n} }
	tests := []struct {
		path string
		want []step
	}{
		{"Patient", []step{member("Patient")}},
		{"Patient.name[0].given", []step{member("Patient"), member("name"), {kind: stepIndex, index: 0}, member("given")}},
		{" Patient . name . first ( ) .last()", []step{member("Patient"), member("name"), {kind: stepFirst}, {kind: stepLast}}},
		{"Patient.`div`", []step{member("Patient"), member("div")}},
		{"Patient.name[99999999999999999999999]", []step{member("Patient"), member("name"), {kind: stepIndex, index: int(^uint(0) >> 1)}}},
		{"Patient.name.where(use = 'it\\'s\\n\\u00e9\\t\\\\' or family != 1.5 and true)", []step{member("Patient"), member("name"), {kind: stepWhere,
			cond: binary{op: "or",
				l: binary{op: "=", l: relPath{[]step{member("use")}}, r: literal{"it's\né\t\\"}},
				r: binary{op: "and",
					l: binary{op: "!=", l: relPath{[]step{member("family")}}, r: literal{json.Number("1.5")}},
					r: literal{true}}}}}},
		{"Patient.where(($this.id = 'x') and exists() and name.empty().not())", []step{member("Patient"), {kind: stepWhere,
			cond: binary{op: "and",
				l: binary{op: "and",
					l: binary{op: "=", l: relPath{[]step{member("id")}}, r: literal{"x"}},
					r: relPath{[]step{{kind: stepExists}}}},
				r: relPath{[]step{member("name"), {kind: stepEmpty}, {kind: stepNot}}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := parsePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(step{}, relPath{}, literal{}, binary{})); diff != "" {
				t.Errorf("parsePath (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, want string }{
		{"", "unexpected end"},
		{".name", `unexpected "."`},
		{"Patient.", "unexpected end"},
		{"Patient..name", `unexpected "."`},
		{"'Patient'", "unexpected"},
		{"1", "unexpected"},
		{"$this.name", "unexpected"},
		{"where(x = 1)", "must start with the resource type"},
		{"Patient.name[", "non-negative integer"},
		{"Patient.name[1.5]", "non-negative integer"},
		{"Patient.name[-1]", "unsupported character '-'"},
		{"Patient.name[0", `expected "]"`},
		{"Patient.name.where(use = 'x'", `expected ")"`},
		{"Patient.name.where()", "unexpected \")\""},
		{"Patient.name.where(use = )", "unexpected \")\""},
		{"Patient.name.where(use = 'x' and)", "unexpected \")\""},
		{"Patient.name.where(and)", `unexpected "and"`},
		{"Patient.name.where(use = 'x' xor true)", `expected ")"`},
		{"Patient.name.where(use > 'x')", "unsupported character '>'"},
		{"Patient.name | Patient.x", "unsupported character '|'"},
		{"Patient.name.where(use = 'x)", "unterminated string"},
		{"Patient.name.where(use = 'x\\q')", "unknown escape"},
		{"Patient.name.where(use = '\\u12", "short \\u escape"},
		{"Patient.name.where(use = '\\u12')", "bad \\u escape"},
		{"Patient.`name", "unterminated"},
		{"Patient.``", "empty"},
		{"Patient.name.where(%resource.id = 'x')", "unsupported character '%'"},
		{"Patient.name.where($index = 0)", `unsupported variable "$index"`},
		{"Patient.ofType(Patient)", "function ofType() is not supported"},
		{"Patient.link.other.resolve()", "resolve() is not allowed"},
		{"Patient.name.exists()", "only inside where()"},
		{"Patient.name.first(1)", `expected ")"`},
		{"Patient.name.$this", "unexpected \"$this\""},
		{"Patient.name extra", `unexpected "extra"`},
		{"Patient.naïve", "unsupported character 'ï'"},
		{"Patient.name.where(" + strings.Repeat("(", maxPathDepth+1) + "true" + strings.Repeat(")", maxPathDepth+2), "nested more than"},
		{"Patient" + strings.Repeat(".where(true)", 10) + strings.Repeat(".name", 2000), "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := parsePath(tt.path)
			if err == nil {
				t.Fatal("parsePath succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

// TestEvalSteps checks which locations a path selects.
func TestEvalSteps(t *testing.T) {
	t.Parallel()
	res := tree(t, `{"resourceType":"Patient","name":[{"use":"official","given":["A","B"]},{"use":"usual","given":["C"],"_given":[{"id":"c"}]}],
		"_gender":{"id":"g"},"multipleBirthBoolean":true,"birthDate":"2000"}`)
	type loc struct {
		Key    string
		Index  int
		Path   string
		Choice string
		Value  any
	}
	tests := []struct {
		path string
		want []loc
	}{
		{"Patient.name.given", []loc{{"given", 0, "Patient.name.given", "", "A"}, {"given", 1, "Patient.name.given", "", "B"}, {"given", 0, "Patient.name.given", "", "C"}}},
		{"Patient.name.given[2]", []loc{{"given", 0, "Patient.name.given", "", "C"}}},
		{"Patient.name.given[3]", nil},
		{"Patient.name[1].given.first()", []loc{{"given", 0, "Patient.name.given", "", "C"}}},
		{"Patient.name.last().use", []loc{{"use", -1, "Patient.name.use", "", "usual"}}},
		{"Patient.name.where(given = 'C').given.id", []loc{{"id", -1, "Patient.name.given.id", "", "c"}}},
		{"Patient.gender", []loc{{"gender", -1, "Patient.gender", "", nil}}},
		{"Patient.gender.id", []loc{{"id", -1, "Patient.gender.id", "", "g"}}},
		{"Patient.birthDate.id", nil},
		{"Patient.birthDate.value", nil},
		{"Patient.multipleBirth", []loc{{"multipleBirthBoolean", -1, "Patient.multipleBirth", "multipleBirth", true}}},
		{"Patient.multipleBirthBoolean", []loc{{"multipleBirthBoolean", -1, "Patient.multipleBirthBoolean", "", true}}},
		{"Patient.name.where(given.exists() and use != 'official').use", []loc{{"use", -1, "Patient.name.use", "", "usual"}}},
		{"Patient.name.where(use.empty())", nil},
		{"Patient.name.where(use = 'official').given.where($this = 'B')", []loc{{"given", 1, "Patient.name.given", "", "B"}}},
		{"Patient.name.use.where(not())", nil},
		{"Patient.where(name.use.first() = 'official').birthDate", []loc{{"birthDate", -1, "Patient.birthDate", "", "2000"}}},
		{"Patient.where(missing or birthDate = '2000').birthDate", []loc{{"birthDate", -1, "Patient.birthDate", "", "2000"}}},
		{"Patient.where(missing and birthDate = '2000').birthDate", nil},
		{"Patient.where((birthDate = '2000') = true).birthDate", []loc{{"birthDate", -1, "Patient.birthDate", "", "2000"}}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			steps, err := parsePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			nodes, err := evalSteps(steps[1:], []node{{root: true, value: res, index: -1, path: "Patient"}})
			if err != nil {
				t.Fatal(err)
			}
			var got []loc
			for _, n := range nodes {
				got = append(got, loc{n.key, n.index, n.path, n.choice, n.value})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("evalSteps (-want +got):\n%s", diff)
			}
		})
	}
}
