package fhirjson

import (
	"errors"
	"strings"
	"testing"
)

// list is a JSON array of n copies of elem.
func list(elem string, n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + "]"
}

func TestCheckLimits(t *testing.T) {
	t.Parallel()
	l := Limits{MaxDepth: 8, MaxArray: 5, MaxEntries: 10, MaxNodes: 50, MaxString: 20}
	tests := []struct {
		name  string
		in    string
		limit string // "" when within the limits
		path  string
	}{
		{"at every limit", `{"resourceType":"Patient","name":[{"given":` + list(`"abcdefghijklmnopqrst"`, 5) + `}]}`, "", ""},
		{"array over", `{"resourceType":"Patient","name":[{"given":` + list(`"a"`, 6) + `}]}`, "array", "Patient.name[0].given"},
		{"array of arrays over", `{"resourceType":"Basic","x":[[1,2],[1,2,3,4,5,6]]}`, "array", "Basic.x[1]"},
		{"string over", `{"resourceType":"Patient","name":[{"family":"abcdefghijklmnopqrstu"}]}`, "string", "Patient.name[0].family"},
		{"string in array over", `{"resourceType":"Patient","name":[{"given":["a","abcdefghijklmnopqrstu"]}]}`, "string", "Patient.name[0].given[1]"},
		{"escaped string counts as sent", `{"resourceType":"Patient","gender":"\u0061\u0061\u0061\u0061\u0061"}`, "string", "Patient.gender"},
		{"base64 data is not bounded", `{"resourceType":"Binary","contentType":"text/plain","data":"` + strings.Repeat("QUFB", 20) + `"}`, "", ""},
		{"narrative is not bounded", `{"resourceType":"Patient","text":{"status":"generated","div":"` + strings.Repeat("x", 50) + `"}}`, "", ""},
		{"nodes over", `{"resourceType":"Patient","name":` + list(`{"given":["a","b","c"]}`, 5) + `,"identifier":` + list(`{"value":"x"}`, 5) + `,"telecom":` + list(`{"value":"x"}`, 5) + `,"x":[1,2,3,4]}`, "nodes", "Patient.x"},
		{"nodes counted in numbers and literals", `{"resourceType":"Basic","a":` + list(`[true,null,1.5e3,false]`, 5) + `,"b":` + list(`[1,2,3,4,5]`, 5) + `}`, "nodes", "Basic.b[3][2]"},
		{"depth over", `{"resourceType":"Basic","a":` + strings.Repeat(`{"a":`, 8) + `1` + strings.Repeat(`}`, 8) + `}`, "depth", ""},
		{"Bundle.entry bounded by MaxEntries", `{"resourceType":"Bundle","type":"batch","entry":` + list(`{"fullUrl":"x"}`, 10) + `}`, "", ""},
		{"Bundle.entry over MaxEntries", `{"resourceType":"Bundle","type":"batch","entry":` + list(`{}`, 11) + `}`, "array", "Bundle.entry"},
		{"entry below the root is an ordinary array", `{"resourceType":"Composition","section":[{"entry":` + list(`{}`, 6) + `}]}`, "array", "Composition.section[0].entry"},
		{"entry resource arrays are bounded", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","name":[{"given":` + list(`"a"`, 6) + `}]}}]}`, "array", "Bundle.entry[0].resource.name[0].given"},
		{"contained resource entry is its own", `{"resourceType":"Basic","contained":[{"resourceType":"Bundle","entry":` + list(`1`, 7) + `}]}`, "", ""},
		{"keys are not values", `{"resourceType":"Basic","` + strings.Repeat("k", 30) + `":1}`, "", ""},
		{"strings with quotes and brackets", `{"resourceType":"Basic","a":["[{\"","]}\\\\",","]}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLimits([]byte(tt.in), l)
			if tt.limit == "" {
				if err != nil {
					t.Fatalf("CheckLimits = %v, want nil", err)
				}
				return
			}
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("CheckLimits = %v, want a *LimitError", err)
			}
			if le.Limit != tt.limit || (tt.path != "" && le.Path != tt.path) || le.Message == "" {
				t.Errorf("CheckLimits = %+v, want limit %q at %q", le, tt.limit, tt.path)
			}
		})
	}
}

// TestParseLimits: Parse refuses a resource over DefaultLimits before
// decoding it, and takes one at them.
func TestParseLimits(t *testing.T) {
	t.Parallel()
	at := `{"resourceType":"Patient","name":[{"given":` + list(`"a"`, DefaultLimits.MaxArray) + `}]}`
	if _, err := Parse([]byte(at)); err != nil {
		t.Errorf("Parse(%d given names) = %v, want nil", DefaultLimits.MaxArray, err)
	}
	over := `{"resourceType":"Patient","name":[{"given":` + list(`"a"`, DefaultLimits.MaxArray+1) + `}]}`
	var le *LimitError
	if _, err := Parse([]byte(over)); !errors.As(err, &le) || le.Path != "Patient.name[0].given" {
		t.Errorf("Parse(%d given names) = %v, want a *LimitError at Patient.name[0].given", DefaultLimits.MaxArray+1, err)
	}
	many := `{"resourceType":"Patient","name":` + list(`{"given":`+list(`"a"`, 100)+`}`, 250) + `}`
	if _, err := Parse([]byte(many)); !errors.As(err, &le) || le.Limit != "nodes" {
		t.Errorf("Parse(25,000 names) = %v, want a nodes *LimitError", err)
	}
}

func TestLintEmptyObjectsAndContainedIDs(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, path string }{
		{"empty element", `{"resourceType":"Patient","maritalStatus":{}}`, "Patient.maritalStatus"},
		{"empty in array", `{"resourceType":"Patient","name":[{"family":"x"},{}]}`, "Patient.name[1]"},
		{"empty in extension", `{"resourceType":"Patient","extension":[{"url":"http://x","valueCodeableConcept":{}}]}`, "Patient.extension[0].valueCodeableConcept"},
		{"empty primitive extension", `{"resourceType":"Patient","gender":"male","_gender":{}}`, "Patient._gender"},
		{"empty in contained", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"p","name":[{}]}]}`, "Patient.contained[0].name[0]"},
		{"contained id with space", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"a b"}]}`, "Patient.contained[0].id"},
		{"contained id with hash", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"#p"}]}`, "Patient.contained[0].id"},
		{"contained id too long", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"` + strings.Repeat("a", 65) + `"}]}`, "Patient.contained[0].id"},
		{"second contained id", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"ok"},{"resourceType":"Organization","id":"no_"}]}`, "Patient.contained[1].id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Issues) != 1 || ve.Issues[0].Path != tt.path {
				t.Fatalf("Parse = %v, want one issue at %s", err, tt.path)
			}
		})
	}
	for _, ok := range []string{
		`{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"p-1.a"}],"generalPractitioner":[{"reference":"#p-1.a"}]}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"\u0070"}],"generalPractitioner":[{"reference":"#p"}]}`,
		`{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"{}"}]}`,
	} {
		if _, err := Parse([]byte(ok)); err != nil {
			t.Errorf("Parse(%s) = %v, want nil", ok, err)
		}
	}
}
