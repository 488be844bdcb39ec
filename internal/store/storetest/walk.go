package storetest

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// The cases of what reindexing and _include/_revinclude read: the walk over
// current resources, replacing an index, and following reference rows either
// way.

// keys names resources as Type/id@version, sorted, for comparing results
// whose order the interface leaves open.
func keys(rs []*fhir.Resource) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s/%s@%d", r.Type, r.ID, r.Version))
	}
	sort.Strings(out)
	return out
}

// testCurrent: the walk lists current, undeleted resources at their latest
// version in (type, id) order, page by page after the last one seen.
func testCurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustWrite(t, s, version("Patient", "p1", 1, t0, `{"v":1}`))
	mustWrite(t, s, version("Patient", "p1", 2, t0, `{"v":2}`))
	mustWrite(t, s, version("Patient", "p2", 1, t0, `{}`))
	mustWrite(t, s, deletion("Patient", "p2", 2, t0))
	mustWrite(t, s, version("Patient", "p3", 1, t0, `{}`))
	mustWrite(t, s, version("Observation", "o1", 1, t0, `{}`))
	mustWrite(t, s, version("Organization", "gp1", 1, t0, `{}`))
	want := []string{"Observation/o1@1", "Organization/gp1@1", "Patient/p1@2", "Patient/p3@1"}

	all, err := s.Current(ctx, "", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var inOrder []string
	for _, r := range all {
		inOrder = append(inOrder, fmt.Sprintf("%s/%s@%d", r.Type, r.ID, r.Version))
	}
	if diff := cmp.Diff(want, inOrder); diff != "" {
		t.Errorf("Current (-want +got):\n%s", diff)
	}
	if len(all) > 2 && string(all[2].Body) != `{"v":2}` {
		t.Errorf("Current body of Patient/p1 = %s, want the latest version's", all[2].Body)
	}

	var walked []string
	afterType, afterID := "", ""
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatalf("the walk does not end: %v", walked)
		}
		page, err := s.Current(ctx, afterType, afterID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("Current with limit 2 returned %d", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			walked = append(walked, fmt.Sprintf("%s/%s@%d", r.Type, r.ID, r.Version))
		}
		last := page[len(page)-1]
		afterType, afterID = last.Type, last.ID
	}
	if diff := cmp.Diff(want, walked); diff != "" {
		t.Errorf("walk in pages of 2 (-want +got):\n%s", diff)
	}
	got, err := s.Current(ctx, "Patient", "p1", 10)
	if err != nil || len(got) != 1 || got[0].ID != "p3" {
		t.Errorf("Current after Patient/p1 = %v, %v; want Patient/p3 alone", keys(got), err)
	}
}

// testReindex: Reindex replaces a resource's index rows, so searches find it
// by the new values only, and leaves the resource itself alone.
func testReindex(t *testing.T, s store.Store) {
	ctx := context.Background()
	ps, err := search.LoadParams(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"resourceType":"Patient","id":"p1","gender":"female","name":[{"family":"Old"}]}`
	writeIndexed(t, s, ps, body, 1, t0)
	writeIndexed(t, s, ps, `{"resourceType":"Patient","id":"p2","gender":"female"}`, 1, t0)
	doc, err := fhir.ParseDocument([]byte(`{"resourceType":"Patient","id":"p1","gender":"male","name":[{"family":"New"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Reindex(ctx, "Patient", "p1", ps.Index("Patient", doc.Tree())); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"gender=male", []string{"p1"}},
		{"gender=female", []string{"p2"}},
		{"family=new", []string{"p1"}},
		{"family=old", nil},
	} {
		if got := searchIDs(t, s, ps, "Patient", tt.query); !sameIDs(got, tt.want) {
			t.Errorf("after Reindex, Patient?%s = %v, want %v", tt.query, got, tt.want)
		}
	}
	r, err := s.Read(ctx, "Patient", "p1")
	if err != nil || r.Version != 1 || string(r.Body) != body {
		t.Errorf("Read after Reindex = %v, %v; want version 1 unchanged", r, err)
	}
	if err := s.Reindex(ctx, "Patient", "p1", nil); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, s, ps, "Patient", "gender=male"); len(got) != 0 {
		t.Errorf("after Reindex with no entries, Patient?gender=male = %v, want none", got)
	}
}

// testIncludes: Referenced follows reference rows forwards (_include) and
// Referencing backwards (_revinclude), to current, undeleted resources only,
// by parameter and type, within the limit.
func testIncludes(t *testing.T, s store.Store) {
	ctx := context.Background()
	ref := func(typ, id string) search.Reference { return search.Reference{Type: typ, ID: id} }
	for _, id := range []string{"p1", "p2", "p3"} {
		mustWrite(t, s, version("Patient", id, 1, t0, `{}`))
	}
	mustWrite(t, s, deletion("Patient", "p3", 2, t0))
	mustWrite(t, s, version("Organization", "o1", 1, t0, `{}`))
	tasks := []struct {
		id    string
		index []search.Entry
	}{
		{"t1", append(refIndex("patient", ref("Patient", "p1")), refIndex("owner", ref("Organization", "o1"))...)},
		{"t2", refIndex("patient", ref("Patient", "p2"))},
		{"t3", refIndex("patient", ref("Patient", "p1"))}, // deleted below
		{"t4", refIndex("patient", ref("Patient", "p3"))}, // its target is deleted
	}
	for _, tk := range tasks {
		writeWithIndex(t, s, version("Task", tk.id, 1, t0, `{}`), tk.index)
	}
	writeWithIndex(t, s, version("Task", "t1", 2, t0, `{}`), tasks[0].index) // the current version is the one returned
	mustWrite(t, s, deletion("Task", "t3", 2, t0))
	writeWithIndex(t, s, version("Observation", "ob1", 1, t0, `{}`), refIndex("subject", ref("Patient", "p1")))

	referenced := []struct {
		name       string
		from       string
		ids        []string
		param, typ string
		limit      int
		want       []string
		wantLen    int // when want is nil (a limit below the matches): how many come back
	}{
		{"any parameter", "Task", []string{"t1", "t2"}, "*", "", 10, []string{"Organization/o1@1", "Patient/p1@1", "Patient/p2@1"}, 0},
		{"one parameter", "Task", []string{"t1", "t2"}, "patient", "", 10, []string{"Patient/p1@1", "Patient/p2@1"}, 0},
		{"one target type", "Task", []string{"t1"}, "*", "Organization", 10, []string{"Organization/o1@1"}, 0},
		{"deleted target", "Task", []string{"t4"}, "*", "", 10, []string{}, 0},
		{"deleted source", "Task", []string{"t3"}, "*", "", 10, []string{}, 0},
		{"other source type", "Observation", []string{"t1"}, "*", "", 10, []string{}, 0},
		{"no ids", "Task", nil, "*", "", 10, []string{}, 0},
		{"limit", "Task", []string{"t1", "t2"}, "*", "", 2, nil, 2},
	}
	for _, tt := range referenced {
		got, err := s.Referenced(ctx, tt.from, tt.ids, tt.param, tt.typ, tt.limit, nil)
		checkFound(t, "Referenced "+tt.name, got, err, tt.want, tt.wantLen)
	}

	referencing := []struct {
		name       string
		typ, param string
		ids        []string
		limit      int
		want       []string
		wantLen    int
	}{
		{"one type and parameter", "Task", "patient", []string{"p1"}, 10, []string{"Task/t1@2"}, 0},
		{"any type and parameter", "*", "*", []string{"p1"}, 10, []string{"Observation/ob1@1", "Task/t1@2"}, 0},
		{"several targets", "Task", "*", []string{"p1", "p2"}, 10, []string{"Task/t1@2", "Task/t2@1"}, 0},
		{"other parameter", "Task", "owner", []string{"p1"}, 10, []string{}, 0},
		{"other type", "Observation", "subject", []string{"p2"}, 10, []string{}, 0},
		{"no ids", "*", "*", nil, 10, []string{}, 0},
		{"limit", "*", "*", []string{"p1", "p2"}, 2, nil, 2},
	}
	for _, tt := range referencing {
		got, err := s.Referencing(ctx, tt.typ, tt.param, "Patient", tt.ids, tt.limit, nil)
		checkFound(t, "Referencing "+tt.name, got, err, tt.want, tt.wantLen)
	}
}

// checkFound compares what a lookup found with want, or only counts it
// against wantLen when want is nil.
func checkFound(t *testing.T, name string, got []*fhir.Resource, err error, want []string, wantLen int) {
	t.Helper()
	switch {
	case err != nil:
		t.Errorf("%s: %v", name, err)
	case want == nil && len(got) != wantLen:
		t.Errorf("%s: %d results, want %d", name, len(got), wantLen)
	case want != nil:
		if diff := cmp.Diff(want, keys(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}
