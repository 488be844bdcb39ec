// Package taskflow is the FHIR Workflow Task state machine that shared-care
// Tasks follow: which status changes are allowed, what a Task must carry in
// each status, and the Provenance that records a change. It knows nothing of
// HTTP or storage; the REST layer asks Check before it writes a Task and
// writes the Provenance beside it.
package taskflow

import (
	"fmt"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Statuses lists every R4 Task status: the TaskStatus value set
// (http://hl7.org/fhir/task-status), 12 codes, in the specification's order.
var Statuses = []string{
	"draft", "requested", "received", "accepted", "rejected", "ready",
	"cancelled", "in-progress", "on-hold", "failed", "completed", "entered-in-error",
}

// transitions is the table of allowed changes, from → the statuses it may
// become. It reads the project's rule
//
//	draft → requested → (received →) accepted | rejected
//	accepted → (ready →) (in-progress ⇄ on-hold →) completed | failed
//	cancelled from any non-terminal state; terminal states only → entered-in-error
//
// as follows:
//   - a bracketed state may be skipped, so requested → accepted|rejected,
//     accepted → in-progress|completed|failed and ready → completed|failed
//     are allowed; acceptance may not be skipped, so nothing before accepted
//     reaches ready, in-progress, on-hold, completed or failed.
//   - on-hold is entered only from in-progress (the ⇄ pair is entered through
//     in-progress), and either member of the pair may finish: in-progress and
//     on-hold both → completed|failed.
//   - rejection belongs to the request: only requested and received →
//     rejected. Once accepted, the way out is failed or cancelled.
//   - cancelled is reachable from every non-terminal state.
//   - entered-in-error ("this was recorded by mistake") is reachable from
//     every state, terminal or not, and leaves to nothing.
//   - nothing goes backwards (accepted → requested, on-hold → ready, ...).
//
// Staying in the same status is not in the table: Allowed adds it for every
// status, because an update that leaves the status alone is no transition.
var transitions = map[string][]string{
	"draft":            {"requested", "cancelled", "entered-in-error"},
	"requested":        {"received", "accepted", "rejected", "cancelled", "entered-in-error"},
	"received":         {"accepted", "rejected", "cancelled", "entered-in-error"},
	"accepted":         {"ready", "in-progress", "completed", "failed", "cancelled", "entered-in-error"},
	"ready":            {"in-progress", "completed", "failed", "cancelled", "entered-in-error"},
	"in-progress":      {"on-hold", "completed", "failed", "cancelled", "entered-in-error"},
	"on-hold":          {"in-progress", "completed", "failed", "cancelled", "entered-in-error"},
	"completed":        {"entered-in-error"},
	"failed":           {"entered-in-error"},
	"rejected":         {"entered-in-error"},
	"cancelled":        {"entered-in-error"},
	"entered-in-error": {},
}

// terminal are the statuses in which the work is over: a Task leaves them
// only by being entered in error. entered-in-error is not among them, as the
// project's rule has it; it is further still: the record is void and
// leaves to nothing.
var terminal = map[string]bool{"completed": true, "failed": true, "rejected": true, "cancelled": true}

// needsReason are the statuses a Task may hold only with a statusReason:
// the other side must learn why the work was refused or did not succeed.
var needsReason = map[string]bool{"rejected": true, "failed": true}

// needsOwner are the statuses a Task may hold only with an owner: from
// acceptance on, somebody has taken the work on and must be named.
var needsOwner = map[string]bool{
	"accepted": true, "ready": true, "in-progress": true, "on-hold": true, "completed": true, "failed": true,
}

// Allowed reports whether the transition itself is in the table. A status
// may always stay as it is; unknown statuses are never allowed.
func Allowed(from, to string) bool {
	next, known := transitions[from]
	if !known {
		return false
	}
	if from == to {
		return true
	}
	for _, s := range next {
		if s == to {
			return true
		}
	}
	return false
}

// Terminal reports whether a status is terminal: completed, failed,
// rejected or cancelled. entered-in-error is not terminal but void; a
// caller asking "is the work still owed?" excludes it too.
func Terminal(status string) bool { return terminal[status] }

// Check returns nil when a Task may move from status `from` to the new
// version `next` (a Task JSON tree, whose "status" is the target), or a
// fhirerr.Unprocessable error whose issues name what is wrong: the forbidden
// transition (diagnostics naming both statuses, expression "Task.status"), a
// missing statusReason ("Task.statusReason"), a missing owner ("Task.owner").
// from == "" means the Task is new (created): any status is allowed, but the
// statusReason/owner requirements still apply.
//
// The requirements hold for the status a Task is in, not only for the
// change into it, so an update that keeps a rejected Task rejected but drops
// its statusReason is refused too.
func Check(from string, next map[string]any) error {
	to, _ := next["status"].(string)
	var issues []fhirerr.Issue
	switch {
	case to == "":
		issues = append(issues, fhirerr.Issue{Code: "required", Expression: "Task.status",
			Diagnostics: "a Task must have a status"})
	case transitions[to] == nil:
		issues = append(issues, fhirerr.Issue{Code: "code-invalid", Expression: "Task.status",
			Diagnostics: fmt.Sprintf("%q is not a Task status", to)})
	case from != "" && !Allowed(from, to):
		issues = append(issues, fhirerr.Issue{Code: "business-rule", Expression: "Task.status",
			Diagnostics: fmt.Sprintf("a Task cannot change from %s to %s%s", from, to, hint(from, to))})
	}
	if needsReason[to] && !fhir.Present(next["statusReason"]) {
		issues = append(issues, fhirerr.Issue{Code: "required", Expression: "Task.statusReason",
			Diagnostics: fmt.Sprintf("a %s Task must say why in statusReason", to)})
	}
	if needsOwner[to] && !hasOwner(next["owner"]) {
		issues = append(issues, fhirerr.Issue{Code: "required", Expression: "Task.owner",
			Diagnostics: fmt.Sprintf("a %s Task must have an owner: whoever has taken the work on", to)})
	}
	if len(issues) == 0 {
		return nil
	}
	return fhirerr.WithIssues(fhirerr.Unprocessable, issues)
}

// hint explains the two refusals clients meet most, so the message says
// what to do instead.
func hint(from, to string) string {
	switch {
	case Terminal(from):
		return fmt.Sprintf(" (%s is terminal: it can only be marked entered-in-error)", from)
	case from == "entered-in-error":
		return " (a Task entered in error stays so)"
	case (from == "requested" || from == "received") && needsOwner[to] && to != "accepted":
		return " (the Task must be accepted first)"
	}
	return ""
}

// hasOwner reports whether an owner Reference identifies somebody: a
// reference or an identifier. A display alone names nobody the other side
// can route the work to.
func hasOwner(v any) bool {
	ref, _ := v.(map[string]any)
	return fhir.Present(ref["reference"]) || fhir.Present(ref["identifier"])
}

// Provenance builds the Provenance recording a transition: target
// {reference: taskRef} where taskRef is "Task/{id}/_history/{version}";
// recorded now, as a FHIR instant with milliseconds in UTC; one agent of
// type author (provenance-participant-type) who is who (see Agent), on
// behalf of onBehalfOf when it is not nil; activity the target status in
// the task-status code system, with text "Task status from→to" ("Task
// created as to" when from is "").
func Provenance(taskRef string, who, onBehalfOf map[string]any, from, to string, now time.Time) map[string]any {
	text := "Task status " + from + "→" + to
	if from == "" {
		text = "Task created as " + to
	}
	return Record([]string{taskRef}, who, onBehalfOf, map[string]any{
		"coding": []any{map[string]any{"system": "http://hl7.org/fhir/task-status", "code": to}},
		"text":   text,
	}, now)
}

// Record is a Provenance of targets (references to versions), made by who
// (the author) on behalf of onBehalfOf (nil for none) at now, for
// activity (nil for none).
func Record(targets []string, who, onBehalfOf, activity map[string]any, now time.Time) map[string]any {
	agent := map[string]any{
		"type": map[string]any{"coding": []any{map[string]any{
			"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
			"code":   "author", "display": "Author",
		}}},
		"who": who,
	}
	if onBehalfOf != nil {
		agent["onBehalfOf"] = onBehalfOf
	}
	refs := make([]any, len(targets))
	for i, t := range targets {
		refs[i] = map[string]any{"reference": t}
	}
	out := map[string]any{
		"resourceType": "Provenance",
		"target":       refs,
		// The layout of an R4 instant as sharedcare writes them everywhere
		// (fhir.Instant): milliseconds always, UTC as Z.
		"recorded": now.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		"agent":    []any{agent},
	}
	if activity != nil {
		out["activity"] = activity
	}
	return out
}
