package search

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func tree(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

const observation = `{"resourceType":"Observation","status":"final",
	"code":{"coding":[{"system":"http://loinc.org","code":"718-7","display":"Hemoglobin"}],"text":"Hb"},
	"subject":{"reference":"Patient/p1"},"performer":[{"reference":"Practitioner/d1"},{"reference":"Organization/o1"}],
	"effectivePeriod":{"start":"2026-03-05","end":"2026-03-06T10:00:00Z"},
	"valueQuantity":{"value":12.5,"system":"http://unitsofmeasure.org","code":"g/dL"},
	"component":[{"code":{"text":"a"},"valueString":"x"}]}`

func TestEval(t *testing.T) {
	t.Parallel()
	obs := tree(t, observation)
	pat := tree(t, `{"resourceType":"Patient","telecom":[{"system":"phone","value":"01234"},{"system":"email","value":"a@b.org"}],
		"deceasedBoolean":false,"generalPractitioner":[{"reference":"Organization/gp"}]}`)
	tests := []struct {
		expr string
		res  map[string]any
		want []Node
	}{
		{"Observation.status", obs, []Node{{Value: "final"}}},
		{"Observation.subject.where(resolve() is Patient)", obs, []Node{{Value: map[string]any{"reference": "Patient/p1"}}}},
		{"Observation.performer.where(resolve() is Organization)", obs, []Node{{Value: map[string]any{"reference": "Organization/o1"}}}},
		{"Observation.value.as(Quantity)", obs, []Node{{Value: obs["valueQuantity"], Type: "Quantity"}}},
		{"(Observation.value as Quantity)", obs, []Node{{Value: obs["valueQuantity"], Type: "Quantity"}}},
		{"Observation.value.as(string)", obs, nil},
		{"(Observation.value.ofType(Quantity))", obs, []Node{{Value: obs["valueQuantity"], Type: "Quantity"}}},
		{"(Observation.code.ofType(CodeableConcept)).text", obs, []Node{{Value: "Hb"}}},
		{"Observation.effective", obs, []Node{{Value: obs["effectivePeriod"], Type: "Period"}}},
		{"Observation.component.value.as(string)", obs, []Node{{Value: "x", Type: "string"}}},
		{"Patient.status | Observation.status", obs, []Node{{Value: "final"}}},
		{"Patient.telecom.where(system='email')", pat, []Node{{Value: map[string]any{"system": "email", "value": "a@b.org"}}}},
		{"Patient.deceased.exists() and Patient.deceased != false", pat, []Node{{Value: false, Type: "boolean"}}},
		{"Resource.id", tree(t, `{"resourceType":"Goal","id":"g"}`), []Node{{Value: "g"}}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			p, err := Compile(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Eval(tt.res)); diff != "" {
				t.Errorf("Eval (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"Observation.value.foo(1)", "Observation.code.where(x > 1)", "1 + 2"} {
		if _, err := Compile(bad); err == nil {
			t.Errorf("Compile(%q) succeeded, want an error", bad)
		}
	}
}

func micros(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMicro()
}

func TestParseDateRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want DateRange
	}{
		{"2026", DateRange{micros("2026-01-01T00:00:00Z"), micros("2027-01-01T00:00:00Z")}},
		{"2026-02", DateRange{micros("2026-02-01T00:00:00Z"), micros("2026-03-01T00:00:00Z")}},
		{"2026-12-31", DateRange{micros("2026-12-31T00:00:00Z"), micros("2027-01-01T00:00:00Z")}},
		{"2026-03-05T10:00:00+01:00", DateRange{micros("2026-03-05T09:00:00Z"), micros("2026-03-05T09:00:01Z")}},
		{"2026-03-05T10:00:00.25Z", DateRange{micros("2026-03-05T10:00:00.25Z"), micros("2026-03-05T10:00:00.26Z")}},
	}
	for _, tt := range tests {
		got, ok := ParseDateRange(tt.in)
		if !ok || got != tt.want {
			t.Errorf("ParseDateRange(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
	if _, ok := ParseDateRange("05/03/2026"); ok {
		t.Error("ParseDateRange accepted 05/03/2026")
	}
}

func TestExtract(t *testing.T) {
	t.Parallel()
	obs := tree(t, observation)
	eval := func(expr string) []Node {
		p, err := Compile(expr)
		if err != nil {
			t.Fatal(err)
		}
		return p.Eval(obs)
	}
	tests := []struct {
		name, typ, expr string
		want            Values
	}{
		{"token from CodeableConcept", "token", "Observation.code", Values{Tokens: []Token{
			{System: "http://loinc.org", Code: "718-7", Text: "hemoglobin"}, {Text: "hb"}}}},
		{"token from code", "token", "Observation.status", Values{Tokens: []Token{{Code: "final"}}}},
		{"reference", "reference", "Observation.subject", Values{References: []Reference{{Type: "Patient", ID: "p1"}}}},
		{"period", "date", "Observation.effective", Values{Dates: []DateRange{{micros("2026-03-05T00:00:00Z"), micros("2026-03-06T10:00:01Z")}}}},
		{"quantity", "quantity", "Observation.value.as(Quantity)", Values{Numbers: []Number{
			{Value: 12.5, Low: 12.45, High: 12.55, System: "http://unitsofmeasure.org", Code: "g/dL"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(tt.typ, eval(tt.expr))
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })); diff != "" {
				t.Errorf("Extract (-want +got):\n%s", diff)
			}
		})
	}
	pat := tree(t, `{"resourceType":"Patient","name":[{"family":"Müller","given":["Zoë","Ann"]}],
		"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}]}`)
	name, _ := Compile("Patient.name")
	if diff := cmp.Diff([]Text{{"Müller", "muller"}, {"Zoë", "zoe"}, {"Ann", "ann"}}, Extract("string", name.Eval(pat)).Strings); diff != "" {
		t.Errorf("HumanName strings (-want +got):\n%s", diff)
	}
	id, _ := Compile("Patient.identifier")
	if diff := cmp.Diff([]Token{{System: "https://fhir.nhs.uk/Id/nhs-number", Code: "9000000009"}}, Extract("token", id.Eval(pat)).Tokens); diff != "" {
		t.Errorf("Identifier tokens (-want +got):\n%s", diff)
	}
}

func TestNumberPrecision(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]float64{"100": {99.5, 100.5}, "1.50": {1.495, 1.505}, "1e2": {50, 150}, "0.001": {0.0005, 0.0015}} {
		n, ok := numberRange(json.Number(in))
		if !ok || n.Low-want[0] > 1e-12 || want[0]-n.Low > 1e-12 || n.High-want[1] > 1e-12 || want[1]-n.High > 1e-12 {
			t.Errorf("numberRange(%s) = [%v, %v), want [%v, %v)", in, n.Low, n.High, want[0], want[1])
		}
	}
}
