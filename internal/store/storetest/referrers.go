package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// refIndex is the index of a resource holding the given references under
// one reference parameter.
func refIndex(param string, refs ...search.Reference) []search.Entry {
	return []search.Entry{{Param: param, Values: search.Values{References: refs}}}
}

func writeWithIndex(t *testing.T, s store.Store, r *fhir.Resource, index []search.Entry) {
	t.Helper()
	if err := s.Write(context.Background(), r, index); err != nil {
		t.Fatalf("Write %s/%s v%d: %v", r.Type, r.ID, r.Version, err)
	}
}

// testReferrers: what refers to a resource is counted and listed from the
// index; deleted referrers, versioned references, self-references and other
// servers' URLs are not referrers.
func testReferrers(t *testing.T, s store.Store) {
	ctx := context.Background()
	const base = "https://here.example/fhir"
	patient := search.Reference{Type: "Patient", ID: "p1"}
	mustWrite(t, s, version("Patient", "p1", 1, t0, `{}`))
	mustWrite(t, s, version("Organization", "o1", 1, t0, `{}`))
	for i := 0; i < 25; i++ { // more than the limit: the count must still be exact
		writeWithIndex(t, s, version("Task", fmt.Sprintf("t%02d", i), 1, t0, `{}`),
			append(refIndex("patient", patient), refIndex("subject", patient)...))
	}
	writeWithIndex(t, s, version("Observation", "absolute", 1, t0, `{}`),
		refIndex("subject", search.Reference{Type: "Patient", ID: "p1", URL: base + "/Patient/p1"}))
	writeWithIndex(t, s, version("Observation", "elsewhere", 1, t0, `{}`),
		refIndex("subject", search.Reference{Type: "Patient", ID: "p1", URL: "https://other.example/fhir/Patient/p1"}))
	writeWithIndex(t, s, version("Provenance", "versioned", 1, t0, `{}`),
		refIndex("target", search.Reference{Type: "Patient", ID: "p1", URL: "Patient/p1/_history/1"}))
	writeWithIndex(t, s, version("Patient", "p2", 1, t0, `{}`), refIndex("link", patient))
	writeWithIndex(t, s, version("Patient", "p2", 2, t0, `{}`), refIndex("link", patient, search.Reference{Type: "Patient", ID: "p2"}))
	writeWithIndex(t, s, version("Observation", "gone", 1, t0, `{}`), refIndex("subject", patient))
	mustWrite(t, s, deletion("Observation", "gone", 2, t0))
	writeWithIndex(t, s, version("Organization", "self", 1, t0, `{}`), refIndex("partof", search.Reference{Type: "Organization", ID: "self"}))

	got, total, err := s.Referrers(ctx, []fhir.Ref{{Type: "Patient", ID: "p1"}}, base, 3)
	if err != nil {
		t.Fatal(err)
	}
	if total != 27 { // 25 Tasks, the absolute Observation and Patient p2
		t.Errorf("total = %d, want 27", total)
	}
	want := []store.Referrer{
		{Type: "Observation", ID: "absolute", Param: "subject", Target: "Patient/p1"},
		{Type: "Patient", ID: "p2", Param: "link", Target: "Patient/p1"},
		{Type: "Task", ID: "t00", Param: "patient", Target: "Patient/p1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Referrers (-want +got):\n%s", diff)
	}

	// Without a base, absolute references are not known to be local.
	if _, total, err := s.Referrers(ctx, []fhir.Ref{{Type: "Patient", ID: "p1"}}, "", 0); err != nil || total != 26 {
		t.Errorf("Referrers without base: total = %d, %v; want 26", total, err)
	}
	// Several targets: a referrer of both counts once.
	got, total, err = s.Referrers(ctx, []fhir.Ref{{Type: "Patient", ID: "p1"}, {Type: "Patient", ID: "p2"}}, base, 2)
	if err != nil || total != 27 || len(got) != 2 {
		t.Errorf("Referrers of p1 and p2: %d listed, total %d, %v; want 2 listed of 27", len(got), total, err)
	}
	for _, tt := range []struct {
		name   string
		target fhir.Ref
	}{
		{"self reference", fhir.Ref{Type: "Organization", ID: "self"}},
		{"no referrers", fhir.Ref{Type: "Organization", ID: "o1"}},
		{"unknown", fhir.Ref{Type: "Organization", ID: "nobody"}},
	} {
		got, total, err := s.Referrers(ctx, []fhir.Ref{tt.target}, base, 20)
		if err != nil || total != 0 || len(got) != 0 {
			t.Errorf("%s: Referrers = %v, total %d, %v; want none", tt.name, got, total, err)
		}
	}

	// Inside a transaction, referrers written and deleted by it count as
	// the transaction sees them.
	err = s.InTx(ctx, func(tx store.Store) error {
		mustWrite(t, tx, deletion("Task", "t00", 2, t0))
		writeWithIndex(t, tx, version("CarePlan", "new", 1, t0, `{}`), refIndex("subject", patient))
		got, total, err := tx.Referrers(ctx, []fhir.Ref{{Type: "Patient", ID: "p1"}}, base, 50)
		if err != nil {
			return err
		}
		if total != 27 || len(got) != 27 || got[0].Type != "CarePlan" {
			t.Errorf("in a transaction: %d listed, total %d, first %v; want 27 with CarePlan/new first", len(got), total, got[0])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
