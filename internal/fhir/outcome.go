package fhir

import (
	"encoding/json"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

type outcomeJSON struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id,omitempty"`
	Issue        []issueJSON `json:"issue"`
}

type issueJSON struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

// Most bytes of an issue's diagnostics and expression. Messages quote
// client input, clipped already by fhirerr; these caps hold for text built
// any other way.
const (
	maxDiagnostics = 1000
	maxExpression  = 500
)

// Outcome renders issues as an OperationOutcome. Diagnostics and
// expressions are made valid R4 strings here, the one place every outcome
// passes: no control characters but tab, CR and LF, valid UTF-8, no
// surrounding white space, quoted input clipped to fhirerr.MaxQuoted bytes
// and the whole clipped, each on a character boundary.
func Outcome(issues ...fhirerr.Issue) []byte {
	oo := outcomeJSON{ResourceType: "OperationOutcome", Issue: make([]issueJSON, 0, len(issues))}
	for _, is := range issues {
		is.Diagnostics = fhirString(fhirerr.ClipQuoted(is.Diagnostics), maxDiagnostics)
		is.Expression = fhirString(is.Expression, maxExpression)
		j := issueJSON{Severity: is.Severity, Code: is.Code, Diagnostics: is.Diagnostics}
		if j.Severity == "" {
			j.Severity = "error"
		}
		if j.Code == "" {
			j.Code = "processing"
		}
		if is.Expression != "" {
			j.Expression = []string{is.Expression}
		}
		oo.Issue = append(oo.Issue, j)
	}
	b, err := json.Marshal(oo)
	if err != nil {
		panic("fhir.Outcome: " + err.Error()) // strings only: cannot fail
	}
	return b
}

// Information is an OperationOutcome with one informational issue, for
// Prefer: return=OperationOutcome and successful deletes.
func Information(msg string) []byte {
	return Outcome(fhirerr.Issue{Severity: "information", Code: "informational", Diagnostics: msg})
}

// fhirString makes s a valid R4 string of at most max bytes: invalid UTF-8
// and control characters (R4 allows only tab, CR and LF below U+0020)
// become U+FFFD, surrounding white space goes, and a long text is clipped
// on a character boundary with "…". An empty result means "leave it out".
func fhirString(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\r' && r != '\n' || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s)
	return strings.TrimSpace(fhirerr.Clip(strings.TrimSpace(s), max))
}
