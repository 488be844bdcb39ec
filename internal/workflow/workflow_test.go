package workflow

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

func newWorkflow(t *testing.T, st *sqlstore.Store) (*Workflow, *rest.Service) {
	t.Helper()
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	svc := rest.New(st, reg)
	return New(svc, DefaultConfig), svc
}

func put(t *testing.T, svc *rest.Service, body string) {
	t.Helper()
	var head struct{ ResourceType, ID string }
	if err := json.Unmarshal([]byte(body), &head); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Update(auth.AsSystem(context.Background()), head.ResourceType, head.ID, []byte(body), 0); err != nil {
		t.Fatalf("PUT %s/%s: %v", head.ResourceType, head.ID, err)
	}
}

func task(id, status, owner, due string) string {
	extra := ""
	if owner != "" {
		extra += `,"owner":{"reference":"` + owner + `"}`
	}
	if due != "" {
		extra += `,"restriction":{"period":{"end":"` + due + `"}}`
	}
	if status == "failed" || status == "rejected" {
		extra += `,"statusReason":{"text":"x"}`
	}
	return `{"resourceType":"Task","id":"` + id + `","status":"` + status + `","intent":"order"` + extra + `}`
}

// TestOverdue checks both kinds of risk, the owner filter, what is left out
// and the order (newest risk first), with the clock moved on.
func TestOverdue(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		w, svc := newWorkflow(t, st)
		put(t, svc, `{"resourceType":"Organization","id":"gp"}`)
		put(t, svc, `{"resourceType":"Organization","id":"other"}`)
		now := time.Now().UTC()
		day := func(d int) string { return now.AddDate(0, 0, d).Format("2006-01-02") }
		put(t, svc, task("past-due", "accepted", "Organization/gp", day(-3)))
		put(t, svc, task("long-past-due", "in-progress", "Organization/gp", day(-30)))
		put(t, svc, task("due-today", "accepted", "Organization/gp", day(0)))
		put(t, svc, task("done", "completed", "Organization/gp", day(-3)))
		put(t, svc, task("failed", "failed", "Organization/gp", day(-3)))
		put(t, svc, task("not-yet", "accepted", "Organization/gp", day(40)))
		put(t, svc, task("waiting", "requested", "Organization/gp", day(40)))
		put(t, svc, task("elsewhere", "accepted", "Organization/other", day(-3)))
		ctx := rest.WithBase(auth.AsSystem(context.Background()), "http://test/fhir")

		listed := func(owner string) []string {
			t.Helper()
			body, err := w.Overdue(ctx, owner)
			if err != nil {
				t.Fatal(err)
			}
			var b struct {
				Total int
				Entry []struct {
					Resource struct{ ResourceType, ID string }
					Search   struct{ Mode string }
				}
			}
			if err := json.Unmarshal(body, &b); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range b.Entry {
				if e.Search.Mode == "match" {
					ids = append(ids, e.Resource.ID)
				}
			}
			if b.Total != len(ids) {
				t.Errorf("total %d, %d matches", b.Total, len(ids))
			}
			return ids
		}
		if diff := cmp.Diff([]string{"past-due", "long-past-due"}, listed("Organization/gp")); diff != "" {
			t.Errorf("overdue today (-want +got):\n%s", diff)
		}
		// Tasks that became a risk at the same time are listed by id.
		if diff := cmp.Diff([]string{"elsewhere", "past-due", "long-past-due"}, listed("")); diff != "" {
			t.Errorf("overdue for anyone (-want +got):\n%s", diff)
		}
		// Fifteen days on, the requested Task was never acknowledged: it
		// became a risk a day ago, after the Task due today.
		w.now = func() time.Time { return now.AddDate(0, 0, 15) }
		if diff := cmp.Diff([]string{"waiting", "due-today", "past-due", "long-past-due"}, listed("Organization/gp")); diff != "" {
			t.Errorf("overdue in 15 days (-want +got):\n%s", diff)
		}
	})
}

func TestThreadOrder(t *testing.T) {
	t.Parallel()
	msg := func(id, sent, replyTo string) *fhir.Resource {
		body := `{"resourceType":"Communication","id":"` + id + `","status":"completed","sent":"` + sent + `"`
		if replyTo != "" {
			body += `,"inResponseTo":[{"reference":"Communication/` + replyTo + `"}]`
		}
		return &fhir.Resource{Type: "Communication", ID: id, Body: []byte(body + "}")}
	}
	// Newest first, as the search returns them.
	in := []*fhir.Resource{
		msg("b2", "2026-03-05", "b1"),
		msg("a2", "2026-03-04", "a1"),
		msg("b1", "2026-03-03", ""),
		msg("a3", "2026-03-02", "a2"),
		msg("a1", "2026-03-01", ""),
		msg("orphan", "2026-02-01", "gone"), // replies to a message not shown
	}
	var got []string
	for _, r := range threadOrder(in) {
		got = append(got, r.ID)
	}
	if diff := cmp.Diff([]string{"orphan", "a1", "a3", "a2", "b1", "b2"}, got); diff != "" {
		t.Errorf("thread order (-want +got):\n%s", diff)
	}
}

func TestSummaryGroupsTasksByOwner(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		w, svc := newWorkflow(t, st)
		put(t, svc, `{"resourceType":"Patient","id":"p"}`)
		put(t, svc, `{"resourceType":"Organization","id":"gp","name":"Riverside"}`)
		put(t, svc, `{"resourceType":"Organization","id":"onc","name":"Oncology"}`)
		for _, tk := range []struct{ id, owner, due, status string }{
			{"t1", "gp", "2027-03-01", "accepted"}, {"t2", "onc", "2027-01-01", "in-progress"},
			{"t3", "gp", "2027-02-01", "requested"}, {"t4", "gp", "2027-01-01", "completed"},
		} {
			put(t, svc, `{"resourceType":"Task","id":"`+tk.id+`","status":"`+tk.status+`","intent":"order","for":{"reference":"Patient/p"},`+
				`"owner":{"reference":"Organization/`+tk.owner+`","display":"`+tk.owner+` team"},"description":"`+tk.id+`",`+
				`"restriction":{"period":{"end":"`+tk.due+`"}}}`)
		}
		body, err := w.Summary(auth.AsSystem(context.Background()), "p")
		if err != nil {
			t.Fatal(err)
		}
		var b struct {
			Entry []struct {
				Resource struct {
					ResourceType string
					Section      []struct {
						Title string
						Entry []struct{ Reference string }
					}
				}
			}
		}
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, s := range b.Entry[0].Resource.Section {
			var refs []string
			for _, e := range s.Entry {
				refs = append(refs, e.Reference)
			}
			got[s.Title] = strings.Join(refs, " ")
		}
		want := map[string]string{
			"Active care plans":                      "",
			"Open tasks for gp team":                 "Task/t3 Task/t1", // soonest due first; the completed t4 left out
			"Open tasks for onc team":                "Task/t2",
			"Care team: who does what":               "",
			"Holistic needs assessment":              "",
			"Messages between hospital and practice": "",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("sections (-want +got):\n%s", diff)
		}
	})
}
