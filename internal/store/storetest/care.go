package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// testCare proves the optional store.CareRelationships and the narrowing of
// search.Query.Care: two GP practices, a hospital, two patients; each
// organization finds exactly its patients' records (and records tied to no
// patient, and resources that are nobody's record) in type, system and
// compartment searches and their counts, and a source rewritten or deleted
// takes its relationships with it.
func testCare(t *testing.T, s store.Store) {
	cr, ok := s.(store.CareRelationships)
	if !ok {
		t.Skip("the store keeps no care relationships")
	}
	ctx := context.Background()
	ps, err := search.LoadParams(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{"resourceType":"Patient","id":"pa"}`,
		`{"resourceType":"Patient","id":"pb","generalPractitioner":[{"reference":"Organization/gp1"}]}`, // its rows: set below
		`{"resourceType":"Organization","id":"gp1"}`,
		`{"resourceType":"Observation","id":"oa","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pa"}}`,
		`{"resourceType":"Observation","id":"ob","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pb"}}`,
		`{"resourceType":"Observation","id":"both","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pa"},"performer":[{"reference":"Patient/pb"}]}`,
		`{"resourceType":"Observation","id":"none","status":"final","code":{"text":"x"}}`,
		`{"resourceType":"Task","id":"ta","status":"ready","intent":"order","for":{"reference":"Patient/pa"}}`,
	} {
		writeIndexed(t, s, ps, body, 1, t0)
	}
	set := func(typ, id string, rels ...store.CareRelationship) {
		t.Helper()
		if err := cr.SetCareRelationships(ctx, typ, id, rels); err != nil {
			t.Fatalf("SetCareRelationships %s/%s: %v", typ, id, err)
		}
	}
	set("Patient", "pa", store.CareRelationship{Organization: "Organization/gp1", Patient: "pa"})
	set("Patient", "pb", store.CareRelationship{Organization: "Organization/gp2", Patient: "pb"})
	// Written twice: the second replaces the first; a duplicate is one row.
	set("EpisodeOfCare", "e1", store.CareRelationship{Organization: "Organization/hosp", Patient: "pb"})
	set("EpisodeOfCare", "e1", store.CareRelationship{Organization: "Organization/hosp", Patient: "pa"},
		store.CareRelationship{Organization: "Organization/hosp", Patient: "pa"})

	links := ps.CareLinks()
	sees := func(org, typ, query string, comp *search.Compartment, types ...string) []string {
		t.Helper()
		q := parse(t, ps, typ, query)
		q.Types, q.Compartment, q.Count, q.Total = types, comp, 100, "accurate"
		q.Care = &search.Care{Organization: org, Links: links}
		page, err := s.Search(ctx, q)
		if err != nil {
			t.Fatalf("%s: Search(%s?%s): %v", org, typ, query, err)
		}
		var got []string
		for _, r := range page.Resources {
			got = append(got, r.Type+"/"+r.ID)
		}
		if page.Total != len(got) {
			t.Errorf("%s: Search(%s?%s): Total %d for %d results", org, typ, query, page.Total, len(got))
		}
		return got
	}
	all := []string{"Observation", "Organization", "Patient", "Task"}
	compA := &search.Compartment{Type: "Patient", ID: "pa", Params: ps.PatientCompartment("Observation")}
	for _, tt := range []struct {
		org                                  string
		patients, observations, system, inPa []string
	}{
		{"Organization/gp1", []string{"Patient/pa"}, []string{"Observation/both", "Observation/none", "Observation/oa"},
			[]string{"Observation/both", "Observation/none", "Observation/oa", "Organization/gp1", "Patient/pa", "Task/ta"},
			[]string{"Observation/both", "Observation/oa"}},
		{"Organization/gp2", []string{"Patient/pb"}, []string{"Observation/both", "Observation/none", "Observation/ob"},
			[]string{"Observation/both", "Observation/none", "Observation/ob", "Organization/gp1", "Patient/pb"},
			[]string{"Observation/both"}},
		{"Organization/hosp", []string{"Patient/pa"}, []string{"Observation/both", "Observation/none", "Observation/oa"},
			[]string{"Observation/both", "Observation/none", "Observation/oa", "Organization/gp1", "Patient/pa", "Task/ta"},
			[]string{"Observation/both", "Observation/oa"}},
		{"Organization/stranger", nil, []string{"Observation/none"}, []string{"Observation/none", "Organization/gp1"}, nil},
	} {
		check := func(what string, got, want []string) {
			t.Helper()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s, %s (-want +got):\n%s", tt.org, what, diff)
			}
		}
		check("Patient", sees(tt.org, "Patient", "_sort=_id", nil), tt.patients)
		check("Observation", sees(tt.org, "Observation", "_sort=_id", nil), tt.observations)
		check("system search", sees(tt.org, "", "_sort=_id", nil, all...), tt.system)
		check("Patient/pa/Observation", sees(tt.org, "Observation", "_sort=_id", compA), tt.inPa)
	}

	// Chains and _has select only by what the caller sees.
	for _, tt := range []struct {
		typ, query string
		want       []string
	}{
		{"Observation", "subject:Patient._id=pa&_sort=_id", []string{"Observation/both", "Observation/oa"}},
		{"Observation", "performer:Patient._id=pb", nil},
		{"Organization", "_has:Patient:general-practitioner:_id=pb", nil},
		{"Organization", "_has:Observation:subject:_id=oa", nil}, // no such reference: nothing either way
		{"Patient", "_has:Observation:subject:code:text=x&_sort=_id", []string{"Patient/pa"}},
	} {
		got := sees("Organization/gp1", tt.typ, tt.query, nil)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("gp1: %s?%s (-want +got):\n%s", tt.typ, tt.query, diff)
		}
	}
	if got := sees("Organization/gp2", "Organization", "_has:Patient:general-practitioner:_id=pb", nil); !cmp.Equal(got, []string{"Organization/gp1"}) {
		t.Errorf("gp2: Organization?_has:Patient:general-practitioner:_id=pb = %v, want [Organization/gp1]", got)
	}

	// Includes are narrowed too, by the included resource's own patients.
	gp1 := &search.Care{Organization: "Organization/gp1", Links: links}
	for _, tt := range []struct {
		name string
		got  func() ([]*fhir.Resource, error)
		want []string
	}{
		{"Referenced, any type", func() ([]*fhir.Resource, error) {
			return s.Referenced(ctx, "Observation", []string{"both"}, "*", "", 10, gp1)
		}, []string{"Patient/pa@1"}},
		{"Referenced, one type", func() ([]*fhir.Resource, error) {
			return s.Referenced(ctx, "Observation", []string{"ob", "oa"}, "subject", "Patient", 10, gp1)
		}, []string{"Patient/pa@1"}},
		{"Referencing, any type", func() ([]*fhir.Resource, error) {
			return s.Referencing(ctx, "*", "*", "Patient", []string{"pa", "pb"}, 10, gp1)
		}, []string{"Observation/both@1", "Observation/oa@1", "Task/ta@1"}},
		{"Referencing, one type", func() ([]*fhir.Resource, error) {
			return s.Referencing(ctx, "Observation", "subject", "Patient", []string{"pa", "pb"}, 10, gp1)
		}, []string{"Observation/both@1", "Observation/oa@1"}},
	} {
		got, err := tt.got()
		found := keys(got) // one per reference row: a resource may come more than once
		slices.Sort(found)
		if diff := cmp.Diff(tt.want, slices.Compact(found)); err != nil || diff != "" {
			t.Errorf("%s for gp1: %v (-want +got):\n%s", tt.name, err, diff)
		}
	}

	// Relationships list; a source deleted (no relationships) takes its own.
	want := []store.CareRelationship{{Organization: "Organization/hosp", Patient: "pa", SourceType: "EpisodeOfCare", SourceID: "e1"}}
	if got, err := cr.CareRelationships(ctx, "Organization/hosp"); err != nil || !cmp.Equal(got, want) {
		t.Errorf("CareRelationships(hosp) = %v, %v; want %v", got, err, want)
	}
	set("EpisodeOfCare", "e1")
	if got := sees("Organization/hosp", "Patient", "", nil); len(got) != 0 {
		t.Errorf("hosp after its episode went: sees %v, want none", got)
	}
	// A relationship written in a transaction that rolls back is not kept.
	errRollback := fmt.Errorf("roll back")
	err = s.InTx(ctx, func(tx store.Store) error {
		if err := tx.(store.CareRelationships).SetCareRelationships(ctx, "Task", "ta",
			[]store.CareRelationship{{Organization: "Organization/hosp", Patient: "pa"}}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("InTx: %v", err)
	}
	if got := sees("Organization/hosp", "Patient", "", nil); len(got) != 0 {
		t.Errorf("hosp after a rolled-back relationship: sees %v, want none", got)
	}
}
