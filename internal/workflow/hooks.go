package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/provenance"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/workflow/questionnaire"
	"github.com/sharedcare/sharedcare/internal/workflow/taskflow"
)

// taskHook keeps every Task write to the state machine and records each
// status transition as a Provenance in the same transaction.
type taskHook struct{ w *Workflow }

func (taskHook) BeforeWrite(_ context.Context, _ *rest.Service, prev *fhir.Resource, next *fhir.Document) error {
	return taskflow.Check(status(prev), next.Tree())
}

func (h taskHook) AfterWrite(ctx context.Context, tx *rest.Service, prev, stored *fhir.Resource, next *fhir.Document) error {
	from, to := status(prev), str(next.Tree()["status"])
	if from == "" || from == to {
		return nil // a creation or an edit, not a transition
	}
	// The agent is the caller the request was authenticated as, never
	// the Task's owner: who did it, not whom it was for.
	who, onBehalfOf, err := provenance.Agent(ctx, tx)
	if err != nil {
		return err
	}
	target := "Task/" + stored.ID + "/_history/" + stored.VersionID()
	body, err := json.Marshal(taskflow.Provenance(target, who, onBehalfOf, from, to, stored.LastUpdated))
	if err != nil {
		return fmt.Errorf("workflow: Provenance: %w", err)
	}
	_, _, err = tx.Create(ctx, "Provenance", body, rest.CreateOptions{})
	return err
}

// Retires lets a Task be cancelled or marked entered-in-error even when
// what it refers to was deleted before deletes were refused while referred
// to: the stranded Task can then be closed (rest.Retirer).
func (taskHook) Retires(_ *fhir.Resource, next *fhir.Document) bool {
	switch str(next.Tree()["status"]) {
	case "cancelled", "entered-in-error":
		return true
	}
	return false
}

var _ rest.Retirer = taskHook{}

// responseHook checks a QuestionnaireResponse against the Questionnaire its
// questionnaire canonical names. A Questionnaire that is not on this server
// is another system's form: the response is stored unchecked, with a
// warning, unless the server is configured to require it (as HAPI and
// Medplum, which validate only against what they hold).
type responseHook struct{ w *Workflow }

func (h responseHook) BeforeWrite(ctx context.Context, tx *rest.Service, _ *fhir.Resource, next *fhir.Document) error {
	canonical, version := questionnaire.Canonical(next.Tree())
	if canonical == "" {
		return nil // nothing to check against
	}
	q, found, err := lookupQuestionnaire(ctx, tx, canonical, version)
	switch {
	case err != nil:
		return err
	case !found && h.w.cfg.RequireQuestionnaire:
		return notHere(canonical, version)
	case !found:
		rest.Warn(ctx, fhirerr.Issue{Code: "not-found", Expression: "QuestionnaireResponse.questionnaire",
			Diagnostics: fmt.Sprintf("Questionnaire %s is not on this server: the response is stored without being checked against it",
				versioned(canonical, version))})
		return nil
	}
	if issues := questionnaire.Validate(q, next.Tree()); len(issues) > 0 {
		return fhirerr.WithIssues(fhirerr.Unprocessable, issues)
	}
	return nil
}

func (responseHook) AfterWrite(context.Context, *rest.Service, *fhir.Resource, *fhir.Resource, *fhir.Document) error {
	return nil
}

// findQuestionnaire returns the Questionnaire with the canonical url (and
// version, when given; else the latest stored); 422 when it is not on this
// server.
func findQuestionnaire(ctx context.Context, r Records, canonical, version string) (map[string]any, error) {
	q, found, err := lookupQuestionnaire(ctx, r, canonical, version)
	if err == nil && !found {
		err = notHere(canonical, version)
	}
	return q, err
}

func notHere(canonical, version string) error {
	return fhirerr.New(fhirerr.Unprocessable, "not-found", "QuestionnaireResponse.questionnaire",
		"Questionnaire %s is not on this server: store it before responses to it", versioned(canonical, version))
}

func versioned(canonical, version string) string {
	if version != "" {
		return canonical + "|" + version
	}
	return canonical
}

// lookupQuestionnaire finds the Questionnaire with the canonical url (and
// version, when given; else the latest stored). The server's own shipped
// Questionnaire answers for its url first, so that one stored by a client
// under the same url cannot take its place.
func lookupQuestionnaire(ctx context.Context, r Records, canonical, version string) (map[string]any, bool, error) {
	if id := shipped("Questionnaire", canonical); id != "" {
		res, err := r.Read(ctx, "Questionnaire", id)
		switch {
		case err == nil:
			if q := decode(res.Body); version == "" || str(q["version"]) == version {
				return q, true, nil
			}
		case !fhirerr.Is(err, fhirerr.NotFound) && !fhirerr.Is(err, fhirerr.Gone):
			return nil, false, err
		}
	}
	values := url.Values{"url": {canonical}, "_sort": {"-_lastUpdated"}, "_count": {"1"}}
	if version != "" {
		values.Set("version", version)
	}
	_, page, err := r.Search(ctx, "Questionnaire", values, true)
	if err != nil {
		return nil, false, err
	}
	if len(page.Resources) == 0 && version == "" {
		// A canonical may also be a plain reference to a Questionnaire here.
		if typ, id := fhir.LocalTarget(canonical, rest.Base(ctx)); typ == "Questionnaire" {
			if res, err := r.Read(ctx, typ, id); err == nil {
				return decode(res.Body), true, nil
			}
		}
	}
	if len(page.Resources) == 0 {
		return nil, false, nil
	}
	return decode(page.Resources[0].Body), true, nil
}

// status is a stored Task's status, "" for none.
func status(r *fhir.Resource) string {
	if r == nil || r.Deleted {
		return ""
	}
	return str(decode(r.Body)["status"])
}

func str(v any) string { s, _ := v.(string); return s }

// reference is Reference.reference of an element, "" when none.
func reference(v any) string {
	m, _ := v.(map[string]any)
	return str(m["reference"])
}
