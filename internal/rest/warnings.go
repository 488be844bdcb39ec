package rest

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Warnings collects the warning issues of one interaction (a write that
// succeeded but that the client should know about, such as a
// QuestionnaireResponse stored unchecked because its Questionnaire is not
// on this server), for the HTTP layer to return in an OperationOutcome.
type Warnings struct {
	issues []fhirerr.Issue
}

type warningsKey struct{}

// WithWarnings returns a context whose interaction's warnings w collects.
func WithWarnings(ctx context.Context) (context.Context, *Warnings) {
	w := &Warnings{}
	return context.WithValue(ctx, warningsKey{}, w), w
}

// Warn records a warning of the interaction ctx belongs to; without a
// collector (WithWarnings) it is dropped. The same issue twice (a retried
// attempt) is recorded once.
func Warn(ctx context.Context, is fhirerr.Issue) {
	w, _ := ctx.Value(warningsKey{}).(*Warnings)
	if w == nil {
		return
	}
	is.Severity = "warning"
	for _, have := range w.issues {
		if have == is {
			return
		}
	}
	w.issues = append(w.issues, is)
}

// reset forgets what an attempt that is being retried warned of.
func resetWarnings(ctx context.Context) {
	if w, _ := ctx.Value(warningsKey{}).(*Warnings); w != nil {
		w.issues = nil
	}
}

// Issues are the warnings collected; nil on a nil collector.
func (w *Warnings) Issues() []fhirerr.Issue {
	if w == nil {
		return nil
	}
	return w.issues
}
