package fhir

import (
	"encoding/json"

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

// Outcome renders issues as an OperationOutcome.
func Outcome(issues ...fhirerr.Issue) []byte {
	oo := outcomeJSON{ResourceType: "OperationOutcome", Issue: make([]issueJSON, 0, len(issues))}
	for _, is := range issues {
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
