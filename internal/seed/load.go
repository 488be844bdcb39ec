package seed

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Loader writes generated resources as version 1, indexed as the server
// would index them, many to a transaction. It skips per-resource
// validation: the generator's output is valid by construction, which a test
// checks against fhirjson.
type Loader struct {
	Store  store.Store
	Params *search.Params
	Batch  int // resources per transaction
}

// Load writes rs, stamping id, meta and lastUpdated.
func (l *Loader) Load(ctx context.Context, rs []Resource) error {
	batch := max(l.Batch, 1)
	for start := 0; start < len(rs); start += batch {
		chunk := rs[start:min(start+batch, len(rs))]
		err := l.Store.InTx(ctx, func(tx store.Store) error {
			for _, r := range chunk {
				now := fhir.Now()
				r.JSON["meta"] = map[string]any{"versionId": "1", "lastUpdated": fhir.Instant(now)}
				body, err := json.Marshal(r.JSON)
				if err != nil {
					return fmt.Errorf("seed.Load %s/%s: %w", r.Type, r.ID, err)
				}
				doc, err := fhir.ParseDocument(body)
				if err != nil {
					return err
				}
				if body, err = doc.Marshal(); err != nil { // the server's canonical form
					return err
				}
				res := &fhir.Resource{Type: r.Type, ID: r.ID, Version: 1, LastUpdated: now, Body: body, Method: "POST"}
				if err := tx.Write(ctx, res, l.Params.Index(r.Type, doc.Tree())); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Population generates and loads the cast and patients, reporting progress
// (patients and resources written so far) after each patient batch.
func Population(ctx context.Context, l *Loader, g *Generator, patients int, progress func(patients, resources int)) (int, error) {
	cast := g.Cast()
	if err := l.Load(ctx, cast); err != nil {
		return 0, err
	}
	total := len(cast)
	var pending []Resource
	for n := 0; n < patients; n++ {
		pending = append(pending, g.Patient(n)...)
		if len(pending) >= 5000 || n == patients-1 {
			if err := l.Load(ctx, pending); err != nil {
				return total, err
			}
			total += len(pending)
			pending = pending[:0]
			if progress != nil {
				progress(n+1, total)
			}
		}
	}
	return total, nil
}
