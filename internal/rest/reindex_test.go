package rest_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/seed"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// TestReindexRebuildsTheSameRows: a reindex of a population larger than
// one batch, after the index was damaged (rows lost, stale rows added),
// leaves exactly the index rows the writes made, on every database.
func TestReindexRebuildsTheSameRows(t *testing.T) {
	t.Parallel()
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := auth.AsSystem(context.Background())
		loader := &seed.Loader{Store: st, Params: reg.Params(), Batch: 500}
		n, err := seed.Population(ctx, loader, seed.NewGenerator(7), 40, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n <= 1000 {
			t.Fatalf("%d resources: want more than two reindex batches", n)
		}
		want := indexRows(t, st)
		for _, q := range []string{
			"DELETE FROM idx_token",
			"DELETE FROM idx_reference WHERE res_type = 'Observation'",
			"INSERT INTO idx_uri (res_type, res_id, param, grp, uri) SELECT type, id, 'stale', 0, 'x' FROM resources",
		} {
			if err := st.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		var reported []int
		done, err := rest.New(st, reg).Reindex(ctx, func(done int) { reported = append(reported, done) })
		if err != nil {
			t.Fatal(err)
		}
		if done != n {
			t.Errorf("reindexed %d resources, want %d", done, n)
		}
		if len(reported) < 3 || reported[len(reported)-1] != n {
			t.Errorf("progress reported %v, want at least three batches ending at %d", reported, n)
		}
		if diff := cmp.Diff(want, indexRows(t, st)); diff != "" {
			t.Errorf("index rows after reindex (-want +got):\n%s", diff)
		}
	})
}

// indexRows lists every index row of every table, rendered and sorted.
func indexRows(t *testing.T, st *sqlstore.Store) []string {
	t.Helper()
	return tableRows(t, st, "idx_string", "idx_token", "idx_reference", "idx_date", "idx_number", "idx_uri")
}

// tableRows lists every row of the tables, rendered and sorted.
func tableRows(t *testing.T, st *sqlstore.Store, tables ...string) []string {
	t.Helper()
	db, err := st.DB()
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := table
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				row += fmt.Sprintf(" %s=%v", cols[i], v)
			}
			all = append(all, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	sort.Strings(all)
	return all
}

// TestReindexRebuildsCare: a reindex derives the care relationships the
// writes made again, after they were lost or damaged (or never made, by a
// load that bypassed the write path).
func TestReindexRebuildsCare(t *testing.T) {
	t.Parallel()
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := auth.AsSystem(context.Background())
		svc := rest.New(st, reg)
		for _, body := range []string{
			`{"resourceType":"Organization","id":"gp1"}`,
			`{"resourceType":"Organization","id":"hosp"}`,
			`{"resourceType":"Patient","id":"pa","generalPractitioner":[{"reference":"Organization/gp1"}]}`,
			`{"resourceType":"CareTeam","id":"ct","subject":{"reference":"Patient/pa"},"participant":[{"member":{"reference":"Organization/hosp"}}]}`,
			`{"resourceType":"Task","id":"t","status":"requested","intent":"order","for":{"reference":"Patient/pa"},"requester":{"reference":"Organization/hosp"},"owner":{"reference":"Organization/gp1"}}`,
		} {
			doc, _ := fhir.ParseDocument([]byte(body))
			if _, _, err := svc.Update(ctx, doc.Type(), doc.ID(), []byte(body), 0); err != nil {
				t.Fatal(err)
			}
		}
		want := tableRows(t, st, "care_relationships")
		if len(want) != 4 {
			t.Fatalf("the writes made %v, want 4 relationships", want)
		}
		for _, q := range []string{
			"DELETE FROM care_relationships WHERE source_type = 'Task'",
			"INSERT INTO care_relationships (organization, patient_id, source_type, source_id) VALUES ('Organization/x', 'pa', 'CareTeam', 'ct')",
		} {
			if err := st.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Reindex(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, tableRows(t, st, "care_relationships")); diff != "" {
			t.Errorf("relationships after reindex (-want +got):\n%s", diff)
		}
	})
}
