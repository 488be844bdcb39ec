package seed

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// TestGeneratedResourcesAreValid: the loader skips validation, so every
// kind of generated resource must pass it.
func TestGeneratedResourcesAreValid(t *testing.T) {
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
	a, _ := json.Marshal(NewGenerator(7).Patient(3))
	b, _ := json.Marshal(NewGenerator(7).Patient(3))
	if string(a) != string(b) {
		t.Error("the same seed generated different patients")
	}
}

func TestNHSNumbersUnique(t *testing.T) {
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
