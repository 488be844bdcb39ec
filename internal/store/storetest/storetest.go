// Package storetest is the conformance suite every store.Store backend must
// pass. A backend's test calls Run with a constructor of fresh, empty stores.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Run runs the suite; newStore returns a fresh, empty, migrated store. Each
// case has a store of its own and runs in parallel with the others, except
// those timed against a deadline, which run first, alone.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name   string
		fn     func(t *testing.T, s store.Store)
		serial bool // timed: other cases' load would stretch it
	}{
		{"CreateReadExactBytes", testCreateRead, false},
		{"VersionsAndVRead", testVersions, false},
		{"WriteConflicts", testWriteConflicts, false},
		{"DeleteThenRecreate", testDelete, false},
		{"NotFound", testNotFound, false},
		{"Missing", testMissing, false},
		{"History", testHistory, false},
		{"HistoryPagingWhileWriting", testHistoryPagingWhileWriting, false},
		{"TxRollsBack", testTxRollback, false},
		{"ConcurrentUpdatesLoseNothing", testConcurrentUpdates, false},
		{"ConcurrentCreates", testConcurrentCreates, false},
		{"LockSerialisesCheckThenCreate", testLock, false},
		{"LockKeepsOutWritesOfTheType", testLockKeepsOutWrites, false},
		{"DeadlockIsAConflict", testDeadlockIsConflict, false},
		{"TxEndsWithItsDeadline", testTxEndsWithDeadline, false},
		{"LockWaitEndsWithDeadline", testLockWaitEndsWithDeadline, false},
		{"Search", testSearch, false},
		{"SearchPageBytes", testSearchPageBytes, false},
		{"LargeIndexes", testLargeIndexes, false},
		{"Referrers", testReferrers, false},
		{"RequestRecords", testRequestRecords, false},
		{"Clients", testClients, false},
		{"SigningKeys", testSigningKeys, false},
		{"AssertionReplay", testAssertionReplay, false},
		{"Current", testCurrent, false},
		{"Reindex", testReindex, false},
		{"ReferencedAndReferencing", testIncludes, false},
		{"CareRelationships", testCare, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.serial {
				t.Parallel()
			}
			tt.fn(t, newStore(t))
		})
	}
}

var t0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

func version(typ, id string, v int64, at time.Time, body string) *fhir.Resource {
	method := "PUT"
	if v == 1 {
		method = "POST"
	}
	return &fhir.Resource{Type: typ, ID: id, Version: v, LastUpdated: at, Body: []byte(body), Method: method}
}

func deletion(typ, id string, v int64, at time.Time) *fhir.Resource {
	return &fhir.Resource{Type: typ, ID: id, Version: v, LastUpdated: at, Deleted: true, Method: "DELETE"}
}

func mustWrite(t *testing.T, s store.Store, r *fhir.Resource) {
	t.Helper()
	if err := s.Write(context.Background(), r, nil); err != nil {
		t.Fatalf("Write %s/%s v%d: %v", r.Type, r.ID, r.Version, err)
	}
}

func wantKind(t *testing.T, err error, k fhirerr.Kind) {
	t.Helper()
	if got := fhirerr.KindOf(err); err == nil || got != k {
		t.Fatalf("error = %v (kind %v), want kind %v", err, got, k)
	}
}

func testCreateRead(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Key order, whitespace and decimal precision must survive storage.
	body := `{"resourceType":"Observation","id":"o1","meta":{"versionId":"1"},"valueQuantity":{"value":1.50},"b":"é\u2028"}`
	mustWrite(t, s, version("Observation", "o1", 1, t0, body))
	got, err := s.Read(ctx, "Observation", "o1")
	if err != nil {
		t.Fatal(err)
	}
	want := &fhir.Resource{Type: "Observation", ID: "o1", Version: 1, LastUpdated: t0, Body: []byte(body)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Read mismatch (-want +got):\n%s", diff)
	}
}

func testVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	for v := int64(1); v <= 3; v++ {
		mustWrite(t, s, version("Patient", "p", v, t0.Add(time.Duration(v)*time.Second), fmt.Sprintf(`{"v":%d}`, v)))
	}
	cur, err := s.Read(ctx, "Patient", "p")
	if err != nil || cur.Version != 3 || string(cur.Body) != `{"v":3}` {
		t.Fatalf("Read = %+v, %v; want version 3", cur, err)
	}
	for v := int64(1); v <= 3; v++ {
		got, err := s.VRead(ctx, "Patient", "p", v)
		if err != nil {
			t.Fatalf("VRead %d: %v", v, err)
		}
		if string(got.Body) != fmt.Sprintf(`{"v":%d}`, v) || !got.LastUpdated.Equal(t0.Add(time.Duration(v)*time.Second)) {
			t.Errorf("VRead %d = %s at %v", v, got.Body, got.LastUpdated)
		}
	}
	_, err = s.VRead(ctx, "Patient", "p", 4)
	wantKind(t, err, fhirerr.NotFound)
}

func testWriteConflicts(t *testing.T, s store.Store) {
	mustWrite(t, s, version("Patient", "p", 1, t0, `{}`))
	for _, r := range []*fhir.Resource{
		version("Patient", "p", 1, t0, `{"again":true}`), // create of an existing id
		version("Patient", "p", 3, t0, `{}`),             // skipping a version
	} {
		if err := s.Write(context.Background(), r, nil); !errors.Is(err, store.ErrVersionConflict) {
			t.Errorf("Write v%d = %v, want ErrVersionConflict", r.Version, err)
		}
	}
	got, err := s.Read(context.Background(), "Patient", "p")
	if err != nil || string(got.Body) != `{}` || got.Version != 1 {
		t.Errorf("after conflicts Read = %+v, %v; want version 1 unchanged", got, err)
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustWrite(t, s, version("Task", "t", 1, t0, `{"v":1}`))
	mustWrite(t, s, deletion("Task", "t", 2, t0.Add(time.Second)))
	_, err := s.Read(ctx, "Task", "t")
	wantKind(t, err, fhirerr.Gone)
	_, err = s.VRead(ctx, "Task", "t", 2)
	wantKind(t, err, fhirerr.Gone)
	if _, err := s.VRead(ctx, "Task", "t", 1); err != nil {
		t.Errorf("VRead of the version before the deletion: %v", err)
	}
	head, err := s.Head(ctx, "Task", "t")
	if err != nil || !head.Deleted || head.Version != 2 {
		t.Fatalf("Head = %+v, %v; want deleted version 2", head, err)
	}
	mustWrite(t, s, version("Task", "t", 3, t0.Add(2*time.Second), `{"v":3}`))
	got, err := s.Read(ctx, "Task", "t")
	if err != nil || got.Version != 3 {
		t.Fatalf("Read after re-create = %+v, %v", got, err)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.Read(ctx, "Patient", "nope")
	wantKind(t, err, fhirerr.NotFound)
	_, err = s.Head(ctx, "Patient", "nope")
	wantKind(t, err, fhirerr.NotFound)
	_, err = s.VRead(ctx, "Patient", "nope", 1)
	wantKind(t, err, fhirerr.NotFound)
	mustWrite(t, s, version("Patient", "p", 1, t0, `{}`))
	_, err = s.Read(ctx, "Practitioner", "p") // same id, other type
	wantKind(t, err, fhirerr.NotFound)
}

func testMissing(t *testing.T, s store.Store) {
	mustWrite(t, s, version("Patient", "a", 1, t0, `{}`))
	mustWrite(t, s, version("Patient", "gone", 1, t0, `{}`))
	mustWrite(t, s, deletion("Patient", "gone", 2, t0))
	refs := []fhir.Ref{
		{Path: "X.a", Type: "Patient", ID: "a"},
		{Path: "X.b", Type: "Patient", ID: "b"},
		{Path: "X.c", Type: "Patient", ID: "gone"},
		{Path: "X.d", Type: "Practitioner", ID: "a"},
		{Path: "X.e", Type: "Patient", ID: "a"},
	}
	got, err := s.Missing(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]fhir.Ref{refs[1], refs[2], refs[3]}, got); diff != "" {
		t.Errorf("Missing mismatch (-want +got):\n%s", diff)
	}
	if got, err := s.Missing(context.Background(), nil); err != nil || len(got) != 0 {
		t.Errorf("Missing(nil) = %v, %v", got, err)
	}
}

// label names a version for comparing history listings.
func label(r *fhir.Resource) string { return fmt.Sprintf("%s/%s/%d", r.Type, r.ID, r.Version) }

func labels(rs []*fhir.Resource) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, label(r))
	}
	return out
}

func testHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustWrite(t, s, version("Patient", "a", 1, t0, `{}`))
	mustWrite(t, s, version("Task", "x", 1, t0.Add(1*time.Second), `{}`))
	mustWrite(t, s, version("Patient", "a", 2, t0.Add(2*time.Second), `{}`))
	mustWrite(t, s, deletion("Patient", "a", 3, t0.Add(3*time.Second)))
	mustWrite(t, s, version("Patient", "b", 1, t0.Add(4*time.Second), `{}`))

	tests := []struct {
		name      string
		q         store.HistoryQuery
		want      []string
		wantTotal int
	}{
		{"system", store.HistoryQuery{Count: 10}, []string{"Patient/b/1", "Patient/a/3", "Patient/a/2", "Task/x/1", "Patient/a/1"}, 5},
		{"type", store.HistoryQuery{Type: "Patient", Count: 10}, []string{"Patient/b/1", "Patient/a/3", "Patient/a/2", "Patient/a/1"}, 4},
		{"types", store.HistoryQuery{Types: []string{"Task", "Observation"}, Count: 10}, []string{"Task/x/1"}, 1},
		{"instance", store.HistoryQuery{Type: "Patient", ID: "a", Count: 10}, []string{"Patient/a/3", "Patient/a/2", "Patient/a/1"}, 3},
		{"since", store.HistoryQuery{Since: t0.Add(2 * time.Second), Count: 10}, []string{"Patient/b/1", "Patient/a/3", "Patient/a/2"}, 3},
		{"page", store.HistoryQuery{Count: 2}, []string{"Patient/b/1", "Patient/a/3"}, 5},
		{"none", store.HistoryQuery{Type: "Goal", Count: 2}, []string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := s.History(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, labels(page.Versions)); diff != "" {
				t.Errorf("History mismatch (-want +got):\n%s", diff)
			}
			if page.Total != tt.wantTotal {
				t.Errorf("Total = %d, want %d", page.Total, tt.wantTotal)
			}
		})
	}
	page, _ := s.History(ctx, store.HistoryQuery{Type: "Patient", ID: "a", Count: 3})
	if del := page.Versions[0]; !del.Deleted || del.Method != "DELETE" || len(del.Body) != 0 {
		t.Errorf("deletion in history = %+v", del)
	}
	if page.Next != 0 {
		t.Errorf("last page Next = %d, want 0", page.Next)
	}
}

// testHistoryPagingWhileWriting walks history two at a time while new
// versions arrive: the walk must see every version that existed when it
// started exactly once.
func testHistoryPagingWhileWriting(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		mustWrite(t, s, version("Goal", fmt.Sprint(i), 1, t0, `{}`))
	}
	var seen []string
	q := store.HistoryQuery{Count: 2}
	for n := 0; ; n++ {
		page, err := s.History(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, labels(page.Versions)...)
		mustWrite(t, s, version("Goal", fmt.Sprintf("new%d", n), 1, t0, `{}`))
		if page.Next == 0 {
			break
		}
		q.Before = page.Next
	}
	want := []string{"Goal/6/1", "Goal/5/1", "Goal/4/1", "Goal/3/1", "Goal/2/1", "Goal/1/1", "Goal/0/1"}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("paged history mismatch (-want +got):\n%s", diff)
	}
}

func testTxRollback(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Store) error {
		mustWrite(t, tx, version("Patient", "a", 1, t0, `{}`))
		mustWrite(t, tx, version("Patient", "a", 2, t0, `{}`))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	_, err = s.Read(ctx, "Patient", "a")
	wantKind(t, err, fhirerr.NotFound)
	page, err := s.History(ctx, store.HistoryQuery{Count: 10})
	if err != nil || len(page.Versions) != 0 || page.Total != 0 {
		t.Errorf("history after rollback = %v, %v; want empty", page, err)
	}
	// A committed transaction keeps both writes.
	err = s.InTx(ctx, func(tx store.Store) error {
		if err := tx.Write(ctx, version("Patient", "a", 1, t0, `{}`), nil); err != nil {
			return err
		}
		return tx.Write(ctx, version("Patient", "b", 1, t0, `{}`), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = s.History(ctx, store.HistoryQuery{Count: 10})
	if page.Total != 2 {
		t.Errorf("history after commit has %d versions, want 2", page.Total)
	}
}

// writeNext stores the next version of typ/id, re-reading and retrying on
// conflict, the way the interaction layer does.
func writeNext(ctx context.Context, s store.Store, typ, id, body string) (int64, error) {
	for attempt := 0; attempt < 1000; attempt++ {
		var v int64
		err := s.InTx(ctx, func(tx store.Store) error {
			v = 1
			if head, err := tx.Head(ctx, typ, id); err == nil {
				v = head.Version + 1
			} else if !fhirerr.Is(err, fhirerr.NotFound) {
				return err
			}
			return tx.Write(ctx, version(typ, id, v, fhir.Now(), body), nil)
		})
		if !errors.Is(err, store.ErrVersionConflict) {
			return v, err
		}
	}
	return 0, errors.New("writeNext: too many conflicts")
}

func testConcurrentUpdates(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := writeNext(ctx, s, "CarePlan", "shared", fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cur, err := s.Read(ctx, "CarePlan", "shared")
	if err != nil || cur.Version != writers*each {
		t.Fatalf("Read = %+v, %v; want version %d", cur, err, writers*each)
	}
	page, err := s.History(ctx, store.HistoryQuery{Type: "CarePlan", ID: "shared", Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Versions) != writers*each {
		t.Fatalf("history has %d versions, want %d", len(page.Versions), writers*each)
	}
	bodies := map[string]bool{}
	for i, r := range page.Versions {
		if want := int64(writers*each - i); r.Version != want {
			t.Errorf("history[%d] is version %d, want %d", i, r.Version, want)
		}
		bodies[string(r.Body)] = true
	}
	if len(bodies) != writers*each {
		t.Errorf("history holds %d distinct writes, want %d: some were lost", len(bodies), writers*each)
	}
}

func testConcurrentCreates(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers, each = 8, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := s.Write(ctx, version("Patient", fmt.Sprintf("%d-%d", w, i), 1, fhir.Now(), `{}`), nil); err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range failures {
		t.Error(err)
	}
	page, err := s.History(ctx, store.HistoryQuery{Type: "Patient", Count: 1})
	if err != nil || page.Total != writers*each {
		t.Errorf("history total = %v, %v; want %d", page, err, writers*each)
	}
}

// testLock races transactions that each look for a resource and create it
// when absent, under one lock key: exactly one must create it. Without the
// lock, PostgreSQL's read-committed transactions would all see "absent".
func testLock(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.Lock(ctx, "outside"); err == nil {
		t.Error("Lock outside a transaction succeeded; want an error")
	}
	const racers = 8
	var wg sync.WaitGroup
	created := make(chan string, racers)
	errs := make(chan error, racers)
	for w := 0; w < racers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.InTx(ctx, func(tx store.Store) error {
				if err := tx.Lock(ctx, "Patient"); err != nil {
					return err
				}
				page, err := tx.History(ctx, store.HistoryQuery{Type: "Patient", Count: 1})
				if err != nil || page.Total > 0 {
					return err
				}
				time.Sleep(5 * time.Millisecond) // widen the window a missing lock would leave open
				id := fmt.Sprintf("racer-%d", w)
				if err := tx.Write(ctx, version("Patient", id, 1, fhir.Now(), `{}`), nil); err != nil {
					return err
				}
				created <- id
				return nil
			})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(created)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(created); n != 1 {
		t.Errorf("%d racers created a Patient under one lock; want exactly 1", n)
	}
}
