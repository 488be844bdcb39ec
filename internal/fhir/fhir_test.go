package fhir

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

func TestParseETag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{`W/"3"`, 3, true}, {`w/"12"`, 12, true}, {`"4"`, 4, true}, {`5`, 5, true},
		{`W/"0"`, 0, false}, {`W/"x"`, 0, false}, {``, 0, false}, {`W/"-1"`, 0, false}, {`*`, 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseETag(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseETag(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if ETag(7) != `W/"7"` {
		t.Errorf("ETag(7) = %s", ETag(7))
	}
}

func TestLocalTarget(t *testing.T) {
	t.Parallel()
	const base = "https://fhir.example.org/fhir"
	tests := []struct{ ref, typ, id string }{
		{"Patient/1", "Patient", "1"},
		{"Patient/1/_history/2", "Patient", "1"},
		{base + "/Patient/abc", "Patient", "abc"},
		{"https://other.example.org/fhir/Patient/abc", "", ""},
		{"urn:uuid:2f1c8e4a-0000-4000-8000-000000000000", "", ""},
		{"#contained", "", ""},
		{"Patient", "", ""},
		{"patient/1", "", ""},
		{"Patient/1/extra", "", ""},
		{"Patient/", "", ""},
	}
	for _, tt := range tests {
		typ, id := LocalTarget(tt.ref, base)
		if typ != tt.typ || id != tt.id {
			t.Errorf("LocalTarget(%q) = %q, %q; want %q, %q", tt.ref, typ, id, tt.typ, tt.id)
		}
	}
}

func TestDocumentReferences(t *testing.T) {
	t.Parallel()
	doc, err := ParseDocument([]byte(`{"resourceType":"CarePlan","subject":{"reference":"Patient/p1"},
		"activity":[{"detail":{"performer":[{"reference":"Practitioner/d1"},{"display":"nobody"}]}},
		            {"reference":{"reference":"#req"}}],
		"contained":[{"resourceType":"ServiceRequest","id":"req","subject":{"reference":"Patient/p2"}}],
		"extension":[{"url":"http://x","valueReference":{"reference":"Organization/o1"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := doc.References("")
	want := []Ref{
		{Path: "CarePlan.activity[0].detail.performer[0]", Value: "Practitioner/d1", Type: "Practitioner", ID: "d1"},
		{Path: "CarePlan.activity[1].reference", Value: "#req"},
		{Path: "CarePlan.contained[0].subject", Value: "Patient/p2", Type: "Patient", ID: "p2"},
		{Path: "CarePlan.extension[0].valueReference", Value: "Organization/o1", Type: "Organization", ID: "o1"},
		{Path: "CarePlan.subject", Value: "Patient/p1", Type: "Patient", ID: "p1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("References (-want +got):\n%s", diff)
	}
}

func TestDocumentStampAndMarshal(t *testing.T) {
	t.Parallel()
	doc, err := ParseDocument([]byte(`{"valueQuantity":{"value":1.50},"status":"final","resourceType":"Observation",
		"meta":{"tag":[{"code":"t"}],"versionId":"99"},"code":{"text":"<b>&</b>"},"id":"client"}`))
	if err != nil {
		t.Fatal(err)
	}
	doc.SetID("server")
	doc.SetVersion(2, time.Date(2026, 11, 21, 9, 30, 0, 123456789, time.FixedZone("BST", 3600)))
	got, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"Observation","id":"server","meta":{"lastUpdated":"2026-11-21T08:30:00.123Z","tag":[{"code":"t"}],"versionId":"2"},` +
		`"code":{"text":"<b>&</b>"},"status":"final","valueQuantity":{"value":1.50}}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("Marshal (-want +got):\n%s", diff)
	}
}

func TestSubset(t *testing.T) {
	t.Parallel()
	body := []byte(`{"resourceType":"Patient","id":"p","meta":{"versionId":"1"},"active":true,"_birthDate":{"extension":[]},"birthDate":"1961","text":{"div":"x"}}`)
	got, err := Subset(body, func(name string) bool { return name == "birthDate" })
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"Patient","id":"p","meta":{"tag":[` + subsettedTag + `],"versionId":"1"},"_birthDate":{"extension":[]},"birthDate":"1961"}`
	if diff := cmp.Diff(compact(t, want), compact(t, string(got))); diff != "" {
		t.Errorf("Subset (-want +got):\n%s", diff)
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestBundleAndOutcome(t *testing.T) {
	t.Parallel()
	total := 1
	b := &Bundle{Type: "history", Total: &total, Timestamp: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Links:   []Link{{Relation: "self", URL: "http://x/fhir/_history?a=1&b=2"}},
		Entries: []Entry{{FullURL: "http://x/fhir/Patient/1", Resource: []byte(`{"resourceType":"Patient","id":"1"}`), Request: &EntryRequest{Method: "POST", URL: "Patient"}}}}
	raw, err := b.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("bundle is not JSON: %v\n%s", err, raw)
	}
	if got["type"] != "history" || got["total"] != float64(1) || got["link"].([]any)[0].(map[string]any)["url"] != "http://x/fhir/_history?a=1&b=2" {
		t.Errorf("bundle = %s", raw)
	}
	entry := got["entry"].([]any)[0].(map[string]any)
	if entry["resource"].(map[string]any)["id"] != "1" {
		t.Errorf("entry = %v", entry)
	}
	oo := Outcome(fhirerr.Issue{Code: "value", Expression: "Patient.birthDate", Diagnostics: "bad date"}, fhirerr.Issue{Diagnostics: "x"})
	want := `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"value","diagnostics":"bad date","expression":["Patient.birthDate"]},` +
		`{"severity":"error","code":"processing","diagnostics":"x"}]}`
	if string(oo) != want {
		t.Errorf("Outcome = %s\nwant      %s", oo, want)
	}
}
