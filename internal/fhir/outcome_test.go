package fhir_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// TestOutcomeIsValidR4 feeds hostile text to the one OperationOutcome
// builder: what comes out must be valid R4 and a valid FHIR string.
func TestOutcomeIsValidR4(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, diagnostics, expression string }{
		{"control characters", "bad \x00id\x1b[31m \x7f", "Patient.\x01name"},
		{"invalid UTF-8", "bad \xff\xfe value", ""},
		{"surrounding space", "  \n padded \t ", " Patient.id "},
		{"long multibyte", strings.Repeat("é", 5000), strings.Repeat("名", 1000)},
		{"only control", "\x00\x01", ""},
	}
	for _, tc := range tests {
		body := fhir.Outcome(fhirerr.Issue{Code: "invalid", Diagnostics: tc.diagnostics, Expression: tc.expression})
		if _, err := fhirjson.Parse(body); err != nil {
			t.Errorf("%s: not valid R4: %v\n%s", tc.name, err, body)
		}
		var oo struct {
			Issue []struct {
				Diagnostics string
				Expression  []string
			}
		}
		if err := json.Unmarshal(body, &oo); err != nil {
			t.Fatal(err)
		}
		texts := append([]string{oo.Issue[0].Diagnostics}, oo.Issue[0].Expression...)
		for _, s := range texts {
			if msg := invalidString(s); msg != "" {
				t.Errorf("%s: %q: %s", tc.name, s, msg)
			}
			if len(s) > 1000 {
				t.Errorf("%s: %d bytes, not clipped", tc.name, len(s))
			}
		}
	}
}

// invalidString says why s is not a FHIR string the server should emit.
func invalidString(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "invalid UTF-8"
	case strings.TrimSpace(s) != s:
		return "surrounding white space"
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\r' && r != '\n' || r == 0x7f {
			return "control character"
		}
	}
	return ""
}
