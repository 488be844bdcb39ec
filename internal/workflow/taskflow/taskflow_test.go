package taskflow

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// wantStatuses is the R4 TaskStatus value set, written out so that a status
// dropped from or added to Statuses fails the test.
var wantStatuses = []string{
	"draft", "requested", "received", "accepted", "rejected", "ready",
	"cancelled", "in-progress", "on-hold", "failed", "completed", "entered-in-error",
}

// wantAllowed is the expected transition table, one row per from-status:
// column i is wantStatuses[i], Y allowed, . refused.
var wantAllowed = map[string]string{
	// to:               dr rq rc ac rj rd ca ip oh fa co ee
	"draft":            "Y  Y  .  .  .  .  Y  .  .  .  .  Y",
	"requested":        ".  Y  Y  Y  Y  .  Y  .  .  .  .  Y",
	"received":         ".  .  Y  Y  Y  .  Y  .  .  .  .  Y",
	"accepted":         ".  .  .  Y  .  Y  Y  Y  .  Y  Y  Y",
	"rejected":         ".  .  .  .  Y  .  .  .  .  .  .  Y",
	"ready":            ".  .  .  .  .  Y  Y  Y  .  Y  Y  Y",
	"cancelled":        ".  .  .  .  .  .  Y  .  .  .  .  Y",
	"in-progress":      ".  .  .  .  .  .  Y  Y  Y  Y  Y  Y",
	"on-hold":          ".  .  .  .  .  .  Y  Y  Y  Y  Y  Y",
	"failed":           ".  .  .  .  .  .  .  .  .  Y  .  Y",
	"completed":        ".  .  .  .  .  .  .  .  .  .  Y  Y",
	"entered-in-error": ".  .  .  .  .  .  .  .  .  .  .  Y",
}

func TestStatuses(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff(wantStatuses, Statuses); diff != "" {
		t.Errorf("Statuses (-want +got):\n%s", diff)
	}
}

// TestAllowedEveryPair walks every (from, to) pair of the 12 statuses
// against wantAllowed.
func TestAllowedEveryPair(t *testing.T) {
	t.Parallel()
	if len(wantAllowed) != len(wantStatuses) {
		t.Fatalf("wantAllowed has %d rows, want %d", len(wantAllowed), len(wantStatuses))
	}
	for _, from := range wantStatuses {
		row := cells(t, wantAllowed[from])
		if len(row) != len(wantStatuses) {
			t.Fatalf("row %s has %d cells, want %d", from, len(row), len(wantStatuses))
		}
		for i, to := range wantStatuses {
			want := row[i] == 'Y'
			if got := Allowed(from, to); got != want {
				t.Errorf("Allowed(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}

// cells strips the spaces that align the rows of wantAllowed.
func cells(t *testing.T, row string) []byte {
	t.Helper()
	var out []byte
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case 'Y', '.':
			out = append(out, row[i])
		case ' ':
		default:
			t.Fatalf("bad cell %q in %q", row[i], row)
		}
	}
	return out
}

func TestAllowedUnknown(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{{"", "requested"}, {"bogus", "bogus"}, {"requested", "bogus"}, {"bogus", "cancelled"}} {
		if Allowed(pair[0], pair[1]) {
			t.Errorf("Allowed(%q, %q) = true for an unknown status", pair[0], pair[1])
		}
	}
}

func TestTerminal(t *testing.T) {
	t.Parallel()
	want := map[string]bool{"completed": true, "failed": true, "rejected": true, "cancelled": true}
	for _, s := range append(wantStatuses, "bogus") {
		if got := Terminal(s); got != want[s] {
			t.Errorf("Terminal(%s) = %v, want %v", s, got, want[s])
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	const (
		owner  = `,"owner":{"reference":"Organization/gp-practice-a"}`
		reason = `,"statusReason":{"text":"Patient registered with another practice"}`
	)
	ownerIssue := func(status string) fhirerr.Issue {
		return fhirerr.Issue{Code: "required", Expression: "Task.owner",
			Diagnostics: "a " + status + " Task must have an owner: whoever has taken the work on"}
	}
	reasonIssue := func(status string) fhirerr.Issue {
		return fhirerr.Issue{Code: "required", Expression: "Task.statusReason",
			Diagnostics: "a " + status + " Task must say why in statusReason"}
	}
	transition := func(diag string) fhirerr.Issue {
		return fhirerr.Issue{Code: "business-rule", Expression: "Task.status", Diagnostics: diag}
	}
	tests := []struct {
		name string
		from string
		task string // the elements after "status"
		want []fhirerr.Issue
	}{
		{"create requested, no owner yet", "", `"status":"requested"`, nil},
		{"create as completed is allowed", "", `"status":"completed"` + owner, nil},
		{"create accepted needs an owner", "", `"status":"accepted"`, []fhirerr.Issue{ownerIssue("accepted")}},
		{"create rejected needs a reason", "", `"status":"rejected"`, []fhirerr.Issue{reasonIssue("rejected")}},
		{"accept", "requested", `"status":"accepted"` + owner, nil},
		{"accept without owner", "received", `"status":"accepted"`, []fhirerr.Issue{ownerIssue("accepted")}},
		{"owner with only a display", "requested", `"status":"accepted","owner":{"display":"Dr Patel"}`,
			[]fhirerr.Issue{ownerIssue("accepted")}},
		{"owner by identifier", "requested",
			`"status":"accepted","owner":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Y90001"}}`, nil},
		{"reject with reason", "requested", `"status":"rejected"` + reason, nil},
		{"reject with an empty reason", "requested", `"status":"rejected","statusReason":{"text":""}`,
			[]fhirerr.Issue{reasonIssue("rejected")}},
		{"fail without reason", "in-progress", `"status":"failed"` + owner, []fhirerr.Issue{reasonIssue("failed")}},
		{"fail with neither", "on-hold", `"status":"failed"`, []fhirerr.Issue{reasonIssue("failed"), ownerIssue("failed")}},
		{"skip acceptance", "requested", `"status":"completed"` + owner,
			[]fhirerr.Issue{transition("a Task cannot change from requested to completed (the Task must be accepted first)")}},
		{"skip acceptance without owner", "received", `"status":"in-progress"`, []fhirerr.Issue{
			transition("a Task cannot change from received to in-progress (the Task must be accepted first)"),
			ownerIssue("in-progress")}},
		{"reopen a terminal Task", "completed", `"status":"in-progress"` + owner,
			[]fhirerr.Issue{transition("a Task cannot change from completed to in-progress (completed is terminal: it can only be marked entered-in-error)")}},
		{"revive a Task entered in error", "entered-in-error", `"status":"requested"`,
			[]fhirerr.Issue{transition("a Task cannot change from entered-in-error to requested (a Task entered in error stays so)")}},
		{"go backwards", "accepted", `"status":"requested"`,
			[]fhirerr.Issue{transition("a Task cannot change from accepted to requested")}},
		{"draft straight to accepted", "draft", `"status":"accepted"` + owner,
			[]fhirerr.Issue{transition("a Task cannot change from draft to accepted")}},
		{"cancel a request, no owner needed", "requested", `"status":"cancelled"`, nil},
		{"entered in error from terminal", "rejected", `"status":"entered-in-error"`, nil},
		{"no change keeps requirements", "rejected", `"status":"rejected"`, []fhirerr.Issue{reasonIssue("rejected")}},
		{"no change", "in-progress", `"status":"in-progress"` + owner, nil},
		{"no status", "requested", `"intent":"order"`,
			[]fhirerr.Issue{{Code: "required", Expression: "Task.status", Diagnostics: "a Task must have a status"}}},
		{"unknown status", "", `"status":"done"`,
			[]fhirerr.Issue{{Code: "code-invalid", Expression: "Task.status", Diagnostics: `"done" is not a Task status`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.from, decode(t, `{"resourceType":"Task","intent":"order",`+tt.task+`}`))
			if diff := cmp.Diff(tt.want, issuesOf(t, err)); diff != "" {
				t.Errorf("Check(%q) issues (-want +got):\n%s", tt.from, diff)
			}
		})
	}
}

// TestProvenance: the Provenance of a transition names the caller as Agent
// maps it, and is valid R4 for every kind of caller.
func TestProvenance(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 14, 5, 6, 0, time.FixedZone("BST", 3600))
	device := func(system, value, display string) map[string]any {
		return map[string]any{"type": "Device", "identifier": map[string]any{"system": system, "value": value}, "display": display}
	}
	gp := map[string]any{"reference": "Organization/gp-practice-a"}
	tests := []struct {
		name             string
		caller           auth.Principal
		from, to         string
		wantWho, wantFor map[string]any
		wantActivityText string
	}{
		{"client acting for a user", auth.Principal{Kind: auth.Client, ClientID: "gp-system", Organization: "Organization/gp-practice-a", User: "PractitionerRole/gp-1"},
			"requested", "accepted", map[string]any{"reference": "PractitionerRole/gp-1"}, gp, "Task status requested→accepted"},
		{"client alone", auth.Principal{Kind: auth.Client, ClientID: "gp-system", Organization: "Organization/gp-practice-a"},
			"accepted", "completed", device(ClientIDSystem, "gp-system", "client gp-system"), gp, "Task status accepted→completed"},
		{"external issuer's client", auth.Principal{Kind: auth.Client, ClientID: "epr", Organization: "Organization/trust", Issuer: "https://login.example.org/realms/nhs"},
			"requested", "rejected", device("https://login.example.org/realms/nhs", "epr", "client epr"), map[string]any{"reference": "Organization/trust"}, "Task status requested→rejected"},
		{"user on another server", auth.Principal{Kind: auth.Client, ClientID: "epr", Organization: "Organization/trust", User: "https://ehr.example.org/fhir/Practitioner/9"},
			"requested", "rejected", map[string]any{"reference": "https://ehr.example.org/fhir/Practitioner/9"}, map[string]any{"reference": "Organization/trust"}, "Task status requested→rejected"},
		{"user no Provenance agent can be", auth.Principal{Kind: auth.Client, ClientID: "epr", Organization: "Organization/trust", User: "Person/9"},
			"requested", "rejected", map[string]any{"display": "Person/9 (through client epr)"}, map[string]any{"reference": "Organization/trust"}, "Task status requested→rejected"},
		{"the server", auth.SystemPrincipal, "", "requested", device(SoftwareSystem, "sharedcare", "the sharedcare server"), nil, "Task created as requested"},
		{"authentication off", auth.Principal{Unrestricted: true}, "requested", "accepted",
			device(SoftwareSystem, "anonymous", "an anonymous caller: authentication is off (SHAREDCARE_AUTH=off)"), nil, "Task status requested→accepted"},
		{"anonymous", auth.Principal{}, "requested", "accepted", device(SoftwareSystem, "anonymous", "an anonymous caller"), nil, "Task status requested→accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			who, onBehalfOf := Agent(tt.caller)
			got := Provenance("Task/42/_history/3", who, onBehalfOf, tt.from, tt.to, now)
			agent := map[string]any{
				"type": map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
					"code":   "author", "display": "Author"}}},
				"who": tt.wantWho,
			}
			if tt.wantFor != nil {
				agent["onBehalfOf"] = tt.wantFor
			}
			want := map[string]any{
				"resourceType": "Provenance",
				"target":       []any{map[string]any{"reference": "Task/42/_history/3"}},
				"recorded":     "2026-03-02T13:05:06.000Z",
				"agent":        []any{agent},
				"activity": map[string]any{
					"coding": []any{map[string]any{"system": "http://hl7.org/fhir/task-status", "code": tt.to}},
					"text":   tt.wantActivityText,
				},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Provenance (-want +got):\n%s", diff)
			}
			body, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fhirjson.Parse(body); err != nil {
				t.Errorf("Provenance is not valid R4: %v\n%s", err, body)
			}
		})
	}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var tree map[string]any
	if err := json.Unmarshal([]byte(s), &tree); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return tree
}

// issuesOf returns the issues of an Unprocessable error, nil for nil, and
// fails the test for any other error.
func issuesOf(t *testing.T, err error) []fhirerr.Issue {
	t.Helper()
	if err == nil {
		return nil
	}
	var fe *fhirerr.Error
	if !errors.As(err, &fe) || fe.Kind != fhirerr.Unprocessable {
		t.Fatalf("error %v (%T) is not a fhirerr Unprocessable", err, err)
	}
	return fe.Issues
}
