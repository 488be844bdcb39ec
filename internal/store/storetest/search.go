package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// searchFixtures are stored, indexed by the real extractor, before each
// search case runs.
var searchFixtures = []string{
	`{"resourceType":"Organization","id":"gp1","name":"Valley Surgery"}`,
	`{"resourceType":"Patient","id":"p1","name":[{"family":"Müller","given":["Ann"]}],"gender":"female","birthDate":"1961-04-12",
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"},
	    {"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":"urn:trust:mrn","value":"MRN42"}],"telecom":[{"system":"email","value":"ann@example.org"}],
	  "generalPractitioner":[{"reference":"Organization/gp1"}],"meta":{"tag":[{"system":"urn:sc","code":"shared"}]}}`,
	`{"resourceType":"Patient","id":"p2","name":[{"family":"Jones","given":["Bob"]}],"gender":"male","birthDate":"1970",
	  "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000010"}],"deceasedBoolean":false}`,
	`{"resourceType":"Patient","id":"p3","name":[{"family":"Smith"}],"gender":"female","deceasedBoolean":true}`,
	`{"resourceType":"Observation","id":"o1","status":"final","subject":{"reference":"Patient/p1"},
	  "code":{"coding":[{"system":"http://loinc.org","code":"718-7","display":"Hemoglobin"}]},
	  "effectiveDateTime":"2026-03-05T10:00:00Z","valueQuantity":{"value":12.5,"system":"http://unitsofmeasure.org","code":"g/dL"}}`,
	`{"resourceType":"Observation","id":"o2","status":"final","subject":{"reference":"Patient/p2","identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000010"}},
	  "code":{"coding":[{"system":"http://loinc.org","code":"2345-7","display":"Glucose"}]},
	  "effectiveDateTime":"2026-03-06","valueQuantity":{"value":5.4,"system":"http://unitsofmeasure.org","code":"mmol/L"},
	  "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":140,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
	               {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":90,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`,
}

func testSearch(t *testing.T, s store.Store) {
	ctx := context.Background()
	ps, err := search.LoadParams(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range searchFixtures {
		writeIndexed(t, s, ps, f, 1, t0.Add(time.Duration(i)*time.Second))
	}
	tests := []struct {
		typ, query string
		want       []string
	}{
		{"Patient", "name=mul", []string{"p1"}},
		{"Patient", "name=MÜLLER", []string{"p1"}},
		{"Patient", "name:exact=Müller", []string{"p1"}},
		{"Patient", "name:exact=muller", nil},
		{"Patient", "name:contains=ll", []string{"p1"}},
		{"Patient", "family=jo", []string{"p2"}},
		{"Patient", "given=ann,bob", []string{"p1", "p2"}},
		{"Patient", "birthdate=1961", []string{"p1"}},
		{"Patient", "birthdate=1961-04", []string{"p1"}},
		{"Patient", "birthdate=1961-04-13", nil},
		{"Patient", "birthdate=ge1965", []string{"p2"}},
		{"Patient", "birthdate=lt1965", []string{"p1"}},
		{"Patient", "birthdate=ne1961-04-12", []string{"p2"}},
		{"Patient", "birthdate:missing=true", []string{"p3"}},
		{"Patient", "birthdate:missing=false", []string{"p1", "p2"}},
		{"Patient", "gender=female", []string{"p1", "p3"}},
		{"Patient", "gender:not=female", []string{"p2"}},
		{"Patient", "gender=male,female", []string{"p1", "p2", "p3"}},
		{"Patient", "gender=female&name=smith", []string{"p3"}},
		{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", []string{"p1"}},
		{"Patient", "identifier=|9000000009", nil},
		{"Patient", "identifier=9000000010", []string{"p2"}},
		{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|", []string{"p1", "p2"}},
		{"Patient", "email=ann@example.org", []string{"p1"}},
		{"Patient", "general-practitioner=Organization/gp1", []string{"p1"}},
		{"Patient", "general-practitioner=gp1", []string{"p1"}},
		{"Patient", "general-practitioner:Organization=gp1", []string{"p1"}},
		{"Patient", "general-practitioner=Practitioner/gp1", nil},
		{"Patient", "deceased=true", []string{"p3"}},
		{"Patient", "deceased=false", []string{"p1", "p2"}},
		{"Patient", "_id=p1,p3", []string{"p1", "p3"}},
		{"Patient", "_tag=urn:sc|shared", []string{"p1"}},
		{"Patient", "_lastUpdated=ge" + t0.Add(2*time.Second).Format(time.RFC3339), []string{"p2", "p3"}},
		{"Patient", "_lastUpdated=lt" + t0.Add(2*time.Second).Format(time.RFC3339), []string{"p1"}},
		{"Observation", "value-quantity=12.5", []string{"o1"}},
		{"Observation", "value-quantity=gt10", []string{"o1"}},
		{"Observation", "value-quantity=lt10|http://unitsofmeasure.org|mmol/L", []string{"o2"}},
		{"Observation", "value-quantity=5.4||mmol/L", []string{"o2"}},
		{"Observation", "value-quantity=12.5||mmol/L", nil},
		{"Observation", "value-quantity=ap12", []string{"o1"}},
		{"Observation", "code=http://loinc.org|718-7", []string{"o1"}},
		{"Observation", "code:text=hemo", []string{"o1"}},
		{"Observation", "subject=Patient/p1", []string{"o1"}},
		{"Observation", "patient=p2", []string{"o2"}},
		{"Observation", "date=2026-03-05", []string{"o1"}},
		{"Observation", "date=ge2026-03-06", []string{"o2"}},
		{"Observation", "date=sa2026-03-05", []string{"o2"}},
		{"Observation", "date=eb2026-03-06", []string{"o1"}},
		{"Observation", "date=2026-03-05T10:00:00Z", []string{"o1"}},
		{"Observation", "date=2026-03-05T11:00:00%2B01:00", []string{"o1"}},
		{"Observation", "subject:Patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", []string{"o1"}},
		{"Observation", "subject.name=jones", []string{"o2"}},
		{"Observation", "subject:Patient.birthdate=1961", []string{"o1"}},
		{"Observation", "patient.general-practitioner.name=valley", []string{"o1"}},
		{"Observation", "patient.general-practitioner:Organization.name=nowhere", nil},
		{"Patient", "_has:Observation:patient:code=http://loinc.org|718-7", []string{"p1"}},
		{"Observation", "subject:identifier=https://fhir.nhs.uk/Id/nhs-number|9000000010", []string{"o2"}},
		{"Observation", "code-value-quantity=http://loinc.org|718-7$gt10", []string{"o1"}},
		{"Observation", "code-value-quantity=http://loinc.org|718-7$lt10", nil},
		{"Observation", "code-value-quantity=http://loinc.org|2345-7$lt10,http://loinc.org|718-7$gt10", []string{"o1", "o2"}},
		{"Observation", "component-code-value-quantity=http://loinc.org|8480-6$gt130", []string{"o2"}},
		{"Observation", "component-code-value-quantity=http://loinc.org|8480-6$lt100", nil}, // 90 belongs to the other component
		{"Observation", "combo-code-value-quantity=http://loinc.org|8462-4$90", []string{"o2"}},
		{"Observation", "combo-code-value-quantity=http://loinc.org|718-7$12.5||g/dL", []string{"o1"}},
		{"Observation", "code-value-quantity:missing=false", []string{"o1", "o2"}},
		{"Observation", "subject:identifier=9000000009", nil},
		{"Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|MRN42", []string{"p1"}},
		{"Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|NH|MRN42", nil},
		{"Patient", "_has:Observation:subject:value-quantity=lt10", []string{"p2"}},
		{"Patient", "_has:Observation:subject:value-quantity=lt10&gender=female", nil},
		{"Organization", "_has:Patient:general-practitioner:_has:Observation:patient:status=final", []string{"gp1"}},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"?"+tt.query, func(t *testing.T) {
			if got := searchIDs(t, s, ps, tt.typ, tt.query); !cmp.Equal(tt.want, got, cmp.Comparer(sameIDs)) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// Pages: every match exactly once, in _sort order, however the page size.
	for _, tt := range []struct{ sort, want string }{{"_id", "p1 p2 p3"}, {"-_id", "p3 p2 p1"}, {"", "p1 p2 p3"}, {"_lastUpdated", "p1 p2 p3"},
		{"birthdate", "p1 p2 p3"}, {"-birthdate", "p2 p1 p3"}, {"family", "p2 p1 p3"}, {"-family", "p3 p1 p2"},
		{"gender,-birthdate", "p1 p3 p2"}, {"-gender,_id", "p2 p1 p3"}} {
		var seen []string
		q := "_count=1&_total=accurate"
		if tt.sort != "" {
			q += "&_sort=" + tt.sort
		}
		query := parse(t, ps, "Patient", q)
		for pages := 0; ; pages++ {
			page, err := s.Search(ctx, query)
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 3 {
				t.Errorf("_sort=%s: Total = %d, want 3", tt.sort, page.Total)
			}
			for _, r := range page.Resources {
				seen = append(seen, r.ID)
			}
			if page.Next == "" || pages > 5 {
				break
			}
			query.Cursor = page.Next
		}
		if got := strings.Join(seen, " "); got != tt.want {
			t.Errorf("_sort=%s paged: %s, want %s", tt.sort, got, tt.want)
		}
	}

	// Previous cursors walk back the way the next cursors came.
	for _, tt := range []struct{ sort, want string }{{"", "p1 p2 p3"}, {"-_lastUpdated", "p3 p2 p1"}, {"-_id", "p3 p2 p1"},
		{"birthdate", "p1 p2 p3"}, {"-birthdate", "p2 p1 p3"}, {"gender,-birthdate", "p1 p3 p2"}} {
		query := parse(t, ps, "Patient", "_count=1&_sort="+tt.sort) // an empty _sort is ignored
		var forward, back []string
		var page *store.SearchPage
		for {
			var err error
			if page, err = s.Search(ctx, query); err != nil {
				t.Fatal(err)
			}
			forward = append(forward, page.Resources[0].ID)
			if page.Next == "" {
				break
			}
			query.Cursor = page.Next
		}
		back = append(back, page.Resources[0].ID)
		for page.Prev != "" {
			query.Cursor = page.Prev
			var err error
			if page, err = s.Search(ctx, query); err != nil {
				t.Fatal(err)
			}
			if len(page.Resources) != 1 || page.Next == "" {
				t.Fatalf("_sort=%s: a previous page = %+v", tt.sort, page)
			}
			back = append([]string{page.Resources[0].ID}, back...)
		}
		if got := strings.Join(forward, " "); got != tt.want {
			t.Errorf("_sort=%s forward: %s, want %s", tt.sort, got, tt.want)
		}
		if got := strings.Join(back, " "); got != tt.want {
			t.Errorf("_sort=%s walked back: %s, want %s", tt.sort, got, tt.want)
		}
	}
	// Without _total, a page that is not everything carries no count.
	page, err := s.Search(ctx, parse(t, ps, "Patient", "_count=2"))
	if err != nil || page.Total != -1 || len(page.Resources) != 2 || page.Next == "" {
		t.Errorf("_count=2 without _total: %+v, %v; want 2 results, Total -1 and a next cursor", page, err)
	}

	// Updates and deletes leave no stale index rows.
	writeIndexed(t, s, ps, strings.Replace(searchFixtures[1], `"gender":"female"`, `"gender":"male"`, 1), 2, t0.Add(time.Minute))
	if got := searchIDs(t, s, ps, "Patient", "gender=female"); !sameIDs(got, []string{"p3"}) {
		t.Errorf("after update, gender=female = %v, want [p3]", got)
	}
	if err := s.Write(ctx, deletion("Patient", "p3", 2, t0.Add(time.Minute)), nil); err != nil {
		t.Fatal(err)
	}
	if got := searchIDs(t, s, ps, "Patient", "gender=female"); len(got) != 0 {
		t.Errorf("after delete, gender=female = %v, want none", got)
	}
	if got := searchIDs(t, s, ps, "Patient", "name=smith"); len(got) != 0 {
		t.Errorf("after delete, name=smith = %v, want none", got)
	}
}

func writeIndexed(t *testing.T, s store.Store, ps *search.Params, body string, v int64, at time.Time) {
	t.Helper()
	doc, err := fhir.ParseDocument([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r := version(doc.Type(), doc.ID(), v, at, body)
	if err := s.Write(context.Background(), r, ps.Index(doc.Type(), doc.Tree())); err != nil {
		t.Fatalf("Write %s/%s: %v", doc.Type(), doc.ID(), err)
	}
}

func parse(t *testing.T, ps *search.Params, typ, query string) *search.Query {
	t.Helper()
	values, err := search.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ps.Parse(typ, values, true)
	if err != nil {
		t.Fatalf("Parse(%s?%s): %v", typ, query, err)
	}
	return q
}

func searchIDs(t *testing.T, s store.Store, ps *search.Params, typ, query string) []string {
	t.Helper()
	q := parse(t, ps, typ, query)
	q.Count = 100
	page, err := s.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%s?%s): %v", typ, query, err)
	}
	var ids []string
	for _, r := range page.Resources {
		ids = append(ids, r.ID)
	}
	if page.Total != len(ids) {
		t.Errorf("Search(%s?%s): Total = %d for %d results", typ, query, page.Total, len(ids))
	}
	return ids
}

// sameIDs compares id lists as sets.
func sameIDs(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// testSearchPageBytes: a page whose bodies would pass q.MaxBytes ends early
// with a next cursor, keeps at least one match, and the pages together
// still hold every match once.
func testSearchPageBytes(t *testing.T, s store.Store) {
	ctx := context.Background()
	ps, err := search.LoadParams(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < 7; i++ {
		id := fmt.Sprintf("p%d", i)
		want = append(want, id)
		// Bodies of growing size: 100, 200, ... bytes of name.
		writeIndexed(t, s, ps, `{"resourceType":"Patient","id":"`+id+`","name":[{"family":"`+strings.Repeat("x", 100*(i+1))+`"}]}`, 1, t0)
	}
	var got []string
	q := parse(t, ps, "Patient", "_count=5")
	q.MaxBytes = 500
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page, err := s.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for _, r := range page.Resources {
			got = append(got, r.ID)
			size += len(r.Body)
		}
		if len(page.Resources) == 0 {
			t.Fatalf("page %d is empty", pages)
		}
		if len(page.Resources) > 1 && size > q.MaxBytes {
			t.Errorf("page %d holds %d bytes in %d resources; MaxBytes is %d", pages, size, len(page.Resources), q.MaxBytes)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ids over all pages (-want +got):\n%s", diff)
	}
	if len(got) == 7 && q.Cursor == "" {
		t.Error("everything came on one page: MaxBytes was not applied")
	}
}
