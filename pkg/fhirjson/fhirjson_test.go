package fhirjson

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []Issue // Code and Path of each issue
	}{
		{"not an object", `[1]`, []Issue{{Code: "structure"}}},
		{"empty", ``, []Issue{{Code: "structure"}}},
		{"broken JSON", `{"resourceType":"Patient",`, []Issue{{Code: "structure"}}},
		{"bad date", `{"resourceType":"Patient","birthDate":"1990-13-45"}`, []Issue{{Code: "value", Path: "Patient.birthDate"}}},
		{"unknown element", `{"resourceType":"Patient","foo":1}`, []Issue{{Code: "structure", Path: "Patient.foo"}}},
		{"unknown nested element", `{"resourceType":"Patient","name":[{"fam":"x"}]}`, []Issue{{Code: "structure", Path: "Patient.name[0].fam"}}},
		{"code outside required binding", `{"resourceType":"CarePlan","status":"bogus","intent":"plan","subject":{"reference":"Patient/1"}}`, []Issue{{Code: "value", Path: "CarePlan.status"}}},
		{"missing required", `{"resourceType":"CarePlan","intent":"plan"}`, []Issue{{Code: "required", Path: "CarePlan.status"}, {Code: "required", Path: "CarePlan.subject"}}},
		{"bad id", `{"resourceType":"Patient","id":"a b"}`, []Issue{{Code: "value", Path: "Patient.id"}}},
		{"decimal as string", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"1.0"}}`, []Issue{{Code: "value", Path: "Observation.valueQuantity.value"}}},
		{"wrong primitive type", `{"resourceType":"Patient","name":[{"family":1}]}`, []Issue{{Code: "value", Path: "Patient.name[0].family"}}},
		{"reference to wrong type", `{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Organization/1"}}`, []Issue{{Code: "value", Path: "CarePlan.subject"}}},
		{"uri with space", `{"resourceType":"Patient","identifier":[{"system":"has space","value":"1"}]}`, []Issue{{Code: "value", Path: "Patient.identifier[0].system"}}},
		{"uri with space in a choice", `{"resourceType":"Patient","extension":[{"url":"http://x","valueUri":"a b"}]}`, []Issue{{Code: "value", Path: "Patient.extension[0].value"}}},
		{"canonical with space in contained", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"p","meta":{"profile":["http://x y"]}}]}`, []Issue{{Code: "value", Path: "Patient.contained[0].meta.profile[0]"}}},
		{"empty array", `{"resourceType":"Patient","name":[{"given":[]}]}`, []Issue{{Code: "structure", Path: "Patient.name[0].given"}}},
		{"empty string", `{"resourceType":"Patient","name":[{"text":"x"},{"text":""}]}`, []Issue{{Code: "value", Path: "Patient.name[1].text"}}},
		{"duplicate member", `{"resourceType":"Patient","gender":"male","gender":"female"}`, []Issue{{Code: "structure", Path: "Patient.gender"}}},
		{"narrative script", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></div>"}}`, []Issue{{Code: "value", Path: "Patient.text.div"}}},
		{"narrative event handler", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p onclick=\"x()\">hi</p></div>"}}`, []Issue{{Code: "value", Path: "Patient.text.div"}}},
		{"narrative script URL", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\" JavaScript:x()\">hi</a></div>"}}`, []Issue{{Code: "value", Path: "Patient.text.div"}}},
		{"narrative without namespace", `{"resourceType":"Patient","text":{"status":"generated","div":"<div>hi</div>"}}`, []Issue{{Code: "value", Path: "Patient.text.div"}}},
		{"narrative not XML", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>hi</div>"}}`, []Issue{{Code: "value", Path: "Patient.text.div"}}},
		{"narrative text outside the div", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">a</div>b"}}`, []Issue{{Code: "value", Path: "Patient.text.div"}}},
		{"unknown type", `{"resourceType":"Foo"}`, []Issue{{Code: "not-supported", Path: "Foo"}}},
		{"too deep", `{"resourceType":"Patient","extension":` + strings.Repeat(`[{"extension":`, 40) + `[]` + strings.Repeat(`}]`, 40) + `}`, []Issue{{Code: "structure"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse(%s) = %v, want *ValidationError", tt.in, err)
			}
			var got []Issue
			for _, is := range ve.Issues {
				if is.Message == "" {
					t.Errorf("issue %+v has no message", is)
				}
				got = append(got, Issue{Code: is.Code, Path: is.Path})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s\nfull: %v", diff, ve)
			}
		})
	}
}

func TestParseSetMarshal(t *testing.T) {
	t.Parallel()
	in := `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50},
		"meta":{"versionId":"9","tag":[{"code":"t"}]},"_status":{"extension":[{"url":"http://e","valueBoolean":true}]}}`
	r, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if r.Type() != "Observation" || r.ID() != "" {
		t.Fatalf("Type, ID = %q, %q", r.Type(), r.ID())
	}
	r.SetID("obs-1")
	r.SetVersion("2", time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.FixedZone("X", 3600)))
	got, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"Observation","id":"obs-1","meta":{"lastUpdated":"2026-01-02T02:04:05.678Z","tag":[{"code":"t"}],"versionId":"2"},` +
		`"_status":{"extension":[{"url":"http://e","valueBoolean":true}]},"code":{"text":"x"},"status":"final","valueQuantity":{"value":1.50}}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Marshal mismatch (-want +got):\n%s", diff)
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p style=\"color:red\">Ann&nbsp;<b>Jones</b></p><table><tr><td>1</td></tr></table><img src=\"#photo\"/></div>"}}`,
		`{"resourceType":"Patient","name":[{"given":["Ann"],"_given":[{"extension":[{"url":"http://x","valueString":"y"}]}]}]}`,
		`{"resourceType":"Patient","identifier":[{"value":"a b","system":"http://x"}],"name":[{"text":"Ann Jones"}]}`,
		`{"resourceType":"Patient","extension":[{"url":"http://x","valueString":"a b"}]}`,
	} {
		if _, err := Parse([]byte(in)); err != nil {
			t.Errorf("Parse(%s) = %v, want success", in, err)
		}
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{"a": true, "A-1.b": true, strings.Repeat("x", 64): true,
		"": false, "a b": false, "a/b": false, strings.Repeat("x", 65): false, "é": false} {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}

// TestParametersWithResources checks resources held in Parameters are
// validated in place: google/fhir/go cannot decode them itself.
func TestParametersWithResources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		wantPaths  []string
	}{
		{"a resource parameter", `{"resourceType":"Parameters","parameter":[{"name":"a","resource":{"resourceType":"Patient","id":"c","gender":"female"}}]}`, nil},
		{"a resource in a part", `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"value","resource":{"resourceType":"Patient","id":"c"}}]}]}`, nil},
		{"an invalid resource in a part", `{"resourceType":"Parameters","parameter":[{"name":"op","part":[{"name":"value","resource":{"resourceType":"Patient","gender":"sometimes"}}]}]}`,
			[]string{"Parameters.parameter[0].part[0].resource.gender"}},
		{"an unknown element beside a resource", `{"resourceType":"Parameters","parameter":[{"name":"a","resource":{"resourceType":"Patient"},"nonsense":1}]}`,
			[]string{"Parameters.parameter[0].nonsense"}},
		{"a duplicate member inside the resource", `{"resourceType":"Parameters","parameter":[{"name":"a","resource":{"resourceType":"Patient","gender":"male","gender":"female"}}]}`,
			[]string{"Parameters.parameter[0].resource.gender"}},
		{"not a resource", `{"resourceType":"Parameters","parameter":[{"name":"a","resource":{"gender":"male"}}]}`, []string{"Parameters.parameter[0].resource"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse([]byte(tt.body))
			if tt.wantPaths == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if res.Type() != "Parameters" {
					t.Errorf("type %s", res.Type())
				}
				return
			}
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("Parse error = %v, want a ValidationError", err)
			}
			var got []string
			for _, is := range ve.Issues {
				got = append(got, is.Path)
			}
			for _, want := range tt.wantPaths {
				found := false
				for _, g := range got {
					found = found || g == want
				}
				if !found {
					t.Errorf("issue paths %q lack %q", got, want)
				}
			}
		})
	}
}
