package workflow

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/workflow/questionnaire"
)

// definitionHook refuses a Questionnaire that breaks the R4 item
// invariants response validation relies on (questionnaire.CheckDefinition).
type definitionHook struct{}

func (definitionHook) BeforeWrite(_ context.Context, _ *rest.Service, _ *fhir.Resource, next *fhir.Document) error {
	if issues := questionnaire.CheckDefinition(next.Tree()); len(issues) > 0 {
		return fhirerr.WithIssues(fhirerr.Invalid, issues)
	}
	return nil
}

func (definitionHook) AfterWrite(context.Context, *rest.Service, *fhir.Resource, *fhir.Resource, *fhir.Document) error {
	return nil
}
