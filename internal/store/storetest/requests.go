package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// testRequestRecords proves the optional store.RequestRecords: a record
// commits or rolls back with its transaction, one key holds one record,
// and racers that lock the key record once.
func testRequestRecords(t *testing.T, s store.Store) {
	rr, ok := s.(store.RequestRecords)
	if !ok {
		t.Skip("the store does not keep request records")
	}
	ctx := context.Background()
	if _, err := rr.RequestRecord(ctx, "$handover", "sys|1"); fhirerr.KindOf(err) != fhirerr.NotFound {
		t.Fatalf("unknown key: error %v, want NotFound", err)
	}
	rec := &store.RequestRecord{Operation: "$handover", Key: "sys|1", Hash: "abc", Status: 200,
		Response: []byte(`{"resourceType":"Parameters"}`), RecordedAt: t0}
	if err := rr.RecordRequest(ctx, rec); err == nil {
		t.Error("RecordRequest outside a transaction succeeded")
	}
	// Rolled back with its transaction.
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Store) error {
		if err := tx.(store.RequestRecords).RecordRequest(ctx, rec); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := rr.RequestRecord(ctx, "$handover", "sys|1"); fhirerr.KindOf(err) != fhirerr.NotFound {
		t.Fatalf("after rollback: error %v, want NotFound", err)
	}
	err = s.InTx(ctx, func(tx store.Store) error { return tx.(store.RequestRecords).RecordRequest(ctx, rec) })
	if err != nil {
		t.Fatal(err)
	}
	got, err := rr.RequestRecord(ctx, "$handover", "sys|1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, got); diff != "" {
		t.Errorf("RequestRecord (-want +got):\n%s", diff)
	}
	// The same key again conflicts; another operation's key does not.
	err = s.InTx(ctx, func(tx store.Store) error { return tx.(store.RequestRecords).RecordRequest(ctx, rec) })
	if !errors.Is(err, store.ErrVersionConflict) {
		t.Errorf("a second record under the key: error %v, want ErrVersionConflict", err)
	}
	other := *rec
	other.Operation = "$other"
	if err := s.InTx(ctx, func(tx store.Store) error { return tx.(store.RequestRecords).RecordRequest(ctx, &other) }); err != nil {
		t.Errorf("the same key of another operation: %v", err)
	}

	// Racers that lock the key, look and record: exactly one records.
	const racers = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	recorded, errs := 0, []error{}
	for w := 0; w < racers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.InTx(ctx, func(tx store.Store) error {
				if err := tx.Lock(ctx, "$handover sys|race"); err != nil {
					return err
				}
				r := tx.(store.RequestRecords)
				if _, err := r.RequestRecord(ctx, "$handover", "sys|race"); err == nil || fhirerr.KindOf(err) != fhirerr.NotFound {
					return err
				}
				race := *rec
				race.Key = "sys|race"
				if err := r.RecordRequest(ctx, &race); err != nil {
					return err
				}
				mu.Lock()
				recorded++
				mu.Unlock()
				return nil
			})
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if recorded != 1 {
		t.Errorf("%d racers recorded under one locked key; want 1", recorded)
	}
}
