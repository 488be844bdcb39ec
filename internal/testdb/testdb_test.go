package testdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// TestStoresAreFreshAndSeparate: every Open is migrated and sees none of
// another test's rows, on each dialect.
func TestStoresAreFreshAndSeparate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, d := range testdb.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			a, b := testdb.Open(t, d), testdb.Open(t, d)
			for _, s := range []*sqlstore.Store{a, b} {
				if v, err := s.SchemaVersion(ctx); err != nil || v == 0 {
					t.Fatalf("SchemaVersion = %d, %v; want a migrated database", v, err)
				}
			}
			r := &fhir.Resource{Type: "Patient", ID: "p1", Version: 1, LastUpdated: time.Now().UTC(), Body: []byte(`{}`), Method: "POST"}
			if err := a.Write(ctx, r, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Read(ctx, "Patient", "p1"); err != nil {
				t.Fatalf("Read from the store written: %v", err)
			}
			if _, err := b.Read(ctx, "Patient", "p1"); fhirerr.KindOf(err) != fhirerr.NotFound {
				t.Fatalf("Read from another test's store = %v, want NotFound", err)
			}
		})
	}
}

// TestMigrateFromEmpty: the PostgreSQL template is built once per schema, so
// migrating an empty database (what a new deployment does) is tested here.
func TestMigrateFromEmpty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, testdb.EmptyPostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.SchemaVersion(ctx); err == nil {
		t.Fatal("SchemaVersion of an empty database succeeded")
	}
	for range 2 { // the second run finds nothing to do
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v == 0 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	if _, err := s.Read(ctx, "Patient", "nobody"); fhirerr.KindOf(err) != fhirerr.NotFound {
		t.Fatalf("Read = %v, want NotFound", err)
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(d, func(b *testing.B) {
			testdb.Open(b, d) // the template, once
			b.ResetTimer()
			for range b.N {
				testdb.Open(b, d)
			}
		})
	}
}
