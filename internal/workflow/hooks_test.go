package workflow

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/internal/workflow/taskflow"
)

// TestTransitionProvenanceNamesCaller: the Provenance of a Task transition
// names the authenticated caller (its user, else its client) on behalf of
// its organization, never the Task's owner; what the token names but this
// server does not hold is said, not referred to.
func TestTransitionProvenanceNamesCaller(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		_, svc := newWorkflow(t, st)
		put(t, svc, `{"resourceType":"Organization","id":"owner-org"}`)
		put(t, svc, `{"resourceType":"Organization","id":"gp-practice-a"}`)
		put(t, svc, `{"resourceType":"Practitioner","id":"dr-1"}`)
		client := func(id, user, org string) auth.Principal {
			return auth.Principal{Kind: auth.Client, ClientID: id, User: user, Organization: org}
		}
		for i, tt := range []struct {
			name             string
			caller           auth.Principal
			wantWho, wantFor map[string]any
		}{
			{"client acting for a stored user", client("gp-system", "Practitioner/dr-1", "Organization/gp-practice-a"),
				map[string]any{"reference": "Practitioner/dr-1"}, map[string]any{"reference": "Organization/gp-practice-a"}},
			{"client alone, organization not stored", client("epr", "", "Organization/not-here"),
				map[string]any{"type": "Device", "identifier": map[string]any{"system": taskflow.ClientIDSystem, "value": "epr"}, "display": "client epr"},
				map[string]any{"type": "Organization", "display": "Organization/not-here (not on this server)"}},
			{"user not stored", client("epr", "Practitioner/elsewhere", "Organization/gp-practice-a"),
				map[string]any{"type": "Practitioner", "display": "Practitioner/elsewhere (not on this server)"}, map[string]any{"reference": "Organization/gp-practice-a"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				id := "t" + strconv.Itoa(i)
				put(t, svc, task(id, "requested", "Organization/owner-org", ""))
				ctx := auth.WithPrincipal(rest.WithBase(context.Background(), "http://test/fhir"), tt.caller)
				if _, _, err := svc.Update(ctx, "Task", id, []byte(task(id, "accepted", "Organization/owner-org", "")), 0); err != nil {
					t.Fatal(err)
				}
				// Read back as the server: what the Provenance says is the test
				// here; a relationship-bound caller does not see Provenances of
				// records naming none of its patients (see the care tests).
				_, page, err := svc.Search(auth.AsSystem(ctx), "Provenance", url.Values{"target": {"Task/" + id}}, true)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Resources) != 1 {
					t.Fatalf("%d Provenances for the transition, want 1", len(page.Resources))
				}
				var prov struct{ Agent []map[string]any }
				if err := json.Unmarshal(page.Resources[0].Body, &prov); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.wantWho, prov.Agent[0]["who"]); diff != "" {
					t.Errorf("agent.who (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantFor, prov.Agent[0]["onBehalfOf"]); diff != "" {
					t.Errorf("agent.onBehalfOf (-want +got):\n%s", diff)
				}
			})
		}
	})
}
