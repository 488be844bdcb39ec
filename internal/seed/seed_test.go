package seed

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/url"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/internal/workflow"
	"github.com/sharedcare/sharedcare/internal/workflow/questionnaire"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// TestGeneratedResourcesAreValid: the loader skips validation, so every
// kind of generated resource must pass it.
func TestGeneratedResourcesAreValid(t *testing.T) {
	t.Parallel()
	g := NewGenerator(1)
	rs := g.Cast()
	for n := 0; n < 20; n++ {
		rs = append(rs, g.Patient(n)...)
	}
	for _, r := range rs {
		b, err := json.Marshal(r.JSON)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fhirjson.Parse(b); err != nil {
			t.Fatalf("%s/%s is not valid R4: %v\n%s", r.Type, r.ID, err, b)
		}
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	a, _ := json.Marshal(NewGenerator(7).Patient(3))
	b, _ := json.Marshal(NewGenerator(7).Patient(3))
	if string(a) != string(b) {
		t.Error("the same seed generated different patients")
	}
}

func TestNHSNumbersUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for n := 0; n < 100000; n++ {
		nhs := NHSNumber(n)
		if other, dup := seen[nhs]; dup {
			t.Fatalf("patients %d and %d share NHS number %s", other, n, nhs)
		}
		seen[nhs] = n
	}
}

func TestNHSNumber(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		base int
		want string
	}{{900000000, "9000000009"}, {900000001, "9000000017"}} {
		if got := nhsNumber(tt.base); got != tt.want {
			t.Errorf("nhsNumber(%d) = %s, want %s", tt.base, got, tt.want)
		}
	}
}

// TestPopulation loads a small population and finds it with the searches
// the scale benchmark uses.
func TestPopulation(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("seeds and checks a whole population")
	}
	ps, err := search.LoadParams(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := context.Background()
		n, err := Population(ctx, &Loader{Store: st, Params: ps, Batch: 200}, NewGenerator(1), 30, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n < 30*20 {
			t.Errorf("loaded %d resources for 30 patients, want about 21 each", n)
		}
		for _, q := range []struct{ typ, query string }{
			{"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009"},
			{"Task", "owner=Organization/gp-1,Organization/gp-2,Organization/gp-3,Organization/gp-4&status=requested,accepted"},
			{"CarePlan", "subject=Patient/pat-0&status=active,completed,draft"},
		} {
			values, _ := url.ParseQuery(q.query)
			query, err := ps.Parse(q.typ, values, true)
			if err != nil {
				t.Fatal(err)
			}
			page, err := st.Search(ctx, query)
			if err != nil {
				t.Fatal(err)
			}
			if q.typ != "Task" && len(page.Resources) != 1 {
				t.Errorf("%s?%s found %d, want 1", q.typ, q.query, len(page.Resources))
			}
		}
	})
}

// TestGeneratedResponsesPassTheServer: every generated HNA response
// answers the Questionnaire the server ships and passes its validator, and
// every generated patient's resources pass the server's whole write path
// (validation, reference checks, workflow hooks) without warnings.
func TestGeneratedResponsesPassTheServer(t *testing.T) {
	t.Parallel()
	var hna map[string]any
	b, err := fs.ReadFile(api.FS, "questionnaire-hna.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &hna); err != nil {
		t.Fatal(err)
	}
	g := NewGenerator(3)
	g.Cast()
	concerns := 0
	for n := 0; n < 200; n++ {
		for _, r := range g.Patient(n) {
			if r.Type != "QuestionnaireResponse" {
				continue
			}
			tree := roundTrip(t, r.JSON)
			if url, version := questionnaire.Canonical(tree); url+"|"+version != hna["url"].(string)+"|"+hna["version"].(string) {
				t.Fatalf("%s answers %s|%s, not the shipped HNA", r.ID, url, version)
			}
			if issues := questionnaire.Validate(hna, tree); len(issues) > 0 {
				t.Fatalf("%s does not validate against the shipped HNA: %v\n%s", r.ID, issues, mustMarshal(t, r.JSON))
			}
			concerns += len(questionnaire.Concerns(hna, tree))
		}
	}
	if concerns < 200 {
		t.Errorf("200 responses raise %d concerns in all; want several each", concerns)
	}

	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := auth.AsSystem(context.Background())
		svc := rest.New(st, reg)
		wf := workflow.New(svc, workflow.Config{ExtractThreshold: 5, UnacknowledgedAfter: time.Hour, RequireQuestionnaire: true})
		if err := wf.LoadContent(ctx, api.FS); err != nil {
			t.Fatal(err)
		}
		g := NewGenerator(4)
		cast := g.Cast()
		var patients []Resource
		for n := 0; n < 3; n++ {
			patients = append(patients, g.Patient(n)...)
		}
		// Of the cast, only what the patients refer to, loaded directly.
		referred := map[string]bool{}
		for _, r := range patients {
			collectRefs(r.JSON, referred)
		}
		var needed []Resource
		for _, r := range cast {
			if referred[r.Type+"/"+r.ID] {
				needed = append(needed, r)
			}
		}
		if err := (&Loader{Store: st, Params: reg.Params(), Batch: 1000}).Load(ctx, needed); err != nil {
			t.Fatal(err)
		}
		for _, r := range patients {
			wctx, warnings := rest.WithWarnings(ctx)
			if _, _, err := svc.Update(wctx, r.Type, r.ID, mustMarshal(t, r.JSON), 0); err != nil {
				t.Fatalf("%s/%s: the server refuses it: %v", r.Type, r.ID, err)
			}
			if w := warnings.Issues(); len(w) > 0 {
				t.Errorf("%s/%s: stored with warnings %v", r.Type, r.ID, w)
			}
		}
	})
}

func roundTrip(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(mustMarshal(t, m), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// collectRefs adds every Reference.reference under v to into.
func collectRefs(v any, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "reference" {
				into[s] = true
			}
			collectRefs(x, into)
		}
	case []any:
		for _, x := range v {
			collectRefs(x, into)
		}
	}
}
