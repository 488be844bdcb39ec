package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// Races, deadlines and an unavailable database (issue #9 items 2-4).

// newTimedServer is newServer with a request deadline of its own.
func newTimedServer(t testing.TB, st *sqlstore.Store, timeout time.Duration) *server {
	return newServer(t, st, 0, func(s *setup) { s.RequestTimeout = timeout })
}

const mrn = "https://example.org/mrn"

func patientWithMRN(v string) string {
	return `{"resourceType":"Patient","identifier":[{"system":"` + mrn + `","value":"` + v + `"}],"name":[{"family":"Race"}]}`
}

// total counts the matches of a search.
func (s *server) total(query string) int {
	s.t.Helper()
	r := s.do("GET", query+"&_summary=count", "")
	r.mustStatus(s.t, http.StatusOK)
	n, ok := r.json(s.t)["total"].(float64)
	if !ok {
		s.t.Fatalf("no total in %s", r.body)
	}
	return int(n)
}

// mustBeUnavailable checks a 503 with Retry-After and an OperationOutcome.
func (r *reply) mustBeUnavailable(t *testing.T) {
	t.Helper()
	r.mustStatus(t, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
	r.outcome(t)
}

// TestEquivalentConditionalCreatesMakeOnePatient: the same condition spelled
// three ways, raced, creates one Patient (it made two in 10 of 10 rounds on
// PostgreSQL when the lock key was the criteria string).
func TestEquivalentConditionalCreatesMakeOnePatient(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		const rounds, racers = 10, 8
		for round := 0; round < rounds; round++ {
			v := fmt.Sprintf("eq-%d", round)
			spellings := []string{"identifier=" + mrn + "|" + v, "identifier=" + v, "identifier=" + mrn + "|" + v + "&_id:missing=false",
				"identifier=" + mrn + "|" + v + "&family=Race"}
			statuses := make(chan int, racers)
			var wg sync.WaitGroup
			for i := 0; i < racers; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses <- s.doConcurrently("POST", "/Patient", patientWithMRN(v), "If-None-Exist", spellings[i%len(spellings)]).status
				}()
			}
			wg.Wait()
			close(statuses)
			count := map[int]int{}
			for st := range statuses {
				count[st]++
			}
			if count[http.StatusCreated] != 1 || count[http.StatusOK] != racers-1 {
				t.Errorf("round %d: statuses %v, want one 201 and %d 200", round, count, racers-1)
			}
			if n := s.total("/Patient?identifier=" + mrn + "|" + v); n != 1 {
				t.Fatalf("round %d: %d Patients with %s, want 1", round, n, v)
			}
		}
	})
}

// holdTypeLock holds typ's conditional-write lock in a transaction of its
// own, as a conditional write would, until release is called.
func holdTypeLock(t *testing.T, st *sqlstore.Store, typ string) (release func()) {
	t.Helper()
	locked, done := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- st.InTx(context.Background(), func(tx store.Store) error {
			if err := tx.Lock(context.Background(), typ); err != nil {
				return err
			}
			close(locked)
			<-done
			return nil
		})
	}()
	select {
	case <-locked:
	case err := <-held:
		t.Fatalf("taking the %s lock: %v", typ, err)
	}
	return func() {
		close(done)
		if err := <-held; err != nil {
			t.Fatal(err)
		}
	}
}

// TestPlainCreateQueuesBehindConditionalWrite: while a conditional write
// holds its type's lock, a plain write of the same type waits for it (so the
// conditional search-then-write is atomic), and lands once it commits.
func TestPlainCreateQueuesBehindConditionalWrite(t *testing.T) {
	t.Parallel()
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newServer(t, st, 0)
		release := holdTypeLock(t, st, "Patient")
		done := make(chan int, 1)
		go func() { done <- s.doConcurrently("POST", "/Patient", patientWithMRN("plain")).status }()
		select {
		case status := <-done:
			t.Fatalf("plain create answered %d while a conditional write held the Patient lock", status)
		case <-time.After(300 * time.Millisecond):
		}
		release()
		if status := <-done; status != http.StatusCreated {
			t.Errorf("plain create after the lock was released: %d, want 201", status)
		}
	})
}

// TestOppositeOrderTransactionsAllLand: transaction pairs updating the same
// two resources in opposite orders deadlock on PostgreSQL; the loser is
// retried whole, so every transaction lands (24 of 30 pairs were 500s).
func TestOppositeOrderTransactionsAllLand(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		put := func(id, v string) string {
			return `{"request":{"method":"PUT","url":"Patient/` + id + `"},"resource":{"resourceType":"Patient","id":"` + id +
				`","identifier":[{"system":"` + mrn + `","value":"` + v + `"}]}}`
		}
		s.do("PUT", "/Patient/a", `{"resourceType":"Patient","id":"a"}`).mustStatus(t, http.StatusCreated)
		s.do("PUT", "/Patient/b", `{"resourceType":"Patient","id":"b"}`).mustStatus(t, http.StatusCreated)
		const pairs = 30
		statuses := make(chan *reply, 2*pairs)
		var wg sync.WaitGroup
		for p := 0; p < pairs; p++ {
			for _, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					v := fmt.Sprintf("%d-%s", p, order[0])
					statuses <- s.doConcurrently("POST", "", txBundle(put(order[0], v), put(order[1], v)))
				}()
			}
		}
		wg.Wait()
		close(statuses)
		for r := range statuses {
			if r.status != http.StatusOK {
				t.Errorf("transaction: %d %s", r.status, r.body)
			}
		}
		for _, id := range []string{"a", "b"} {
			got := s.do("GET", "/Patient/"+id, "").mustStatus(t, http.StatusOK).json(t)
			if v := got["meta"].(map[string]any)["versionId"]; v != fmt.Sprint(1+2*pairs) {
				t.Errorf("Patient/%s is at version %v, want %d: a transaction was lost", id, v, 1+2*pairs)
			}
		}
	})
}

// patientsTransaction is a transaction creating n Patients carrying marker.
func patientsTransaction(marker string, n int) string {
	entries := make([]string, n)
	for i := range entries {
		entries[i] = fmt.Sprintf(`{"fullUrl":"urn:uuid:%08d-0000-4000-8000-000000000000","request":{"method":"POST","url":"Patient"},`+
			`"resource":{"resourceType":"Patient","identifier":[{"system":"%s","value":"%s"}],"name":[{"family":"Bulk%d"}]}}`, i, mrn, marker, i)
	}
	return txBundle(entries...)
}

// TestConcurrentLargeTransactionsQueue: concurrent large transactions all
// land. On SQLite they queue in-process for the one writer rather than
// failing with SQLITE_BUSY after busy_timeout.
func TestConcurrentLargeTransactionsQueue(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		const clients, entries = 4, 300
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := s.doConcurrently("POST", "", patientsTransaction(fmt.Sprintf("big-%d", c), entries)); r.status != http.StatusOK {
					t.Errorf("client %d: %d %.300s", c, r.status, r.body)
				}
			}()
		}
		wg.Wait()
		if n := s.total("/Patient?name=Bulk"); n != clients*entries {
			t.Errorf("%d Patients stored, want %d", n, clients*entries)
		}
	})
}

// TestWriteThatCannotStartGets503: a write queued behind another past its
// deadline answers 503 with Retry-After, within about the deadline.
//
// Not parallel: it times answers against a one-second deadline, which other tests' load would stretch.
func TestWriteThatCannotStartGets503(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		const deadline = 500 * time.Millisecond
		s := newTimedServer(t, st, deadline)
		release := holdTypeLock(t, st, "Patient")
		start := time.Now()
		r := s.do("POST", "/Patient", patientWithMRN("late"), "If-None-Exist", "identifier="+mrn+"|late")
		elapsed := time.Since(start)
		release()
		r.mustBeUnavailable(t)
		if elapsed > deadline+2*time.Second {
			t.Errorf("503 came after %v, want about the %v deadline", elapsed, deadline)
		}
		if n := s.total("/Patient?identifier=" + mrn + "|late"); n != 0 {
			t.Errorf("%d Patients stored by the request that got 503", n)
		}
	})
}

// TestTransactionPastDeadlineRollsBack: a transaction still running at its
// deadline is rolled back, never committed behind the client's back (a 78 s
// transaction used to commit after the connection had closed).
//
// Not parallel: it times a transaction against its deadline, which other tests' load would stretch.
func TestTransactionPastDeadlineRollsBack(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		s := newTimedServer(t, st, 150*time.Millisecond)
		before := s.rowCounts()
		s.do("POST", "", patientsTransaction("slow", 2000)).mustBeUnavailable(t)
		time.Sleep(200 * time.Millisecond) // anything still running would land now
		if after := s.rowCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("row counts changed by a transaction past its deadline:\nbefore %v\nafter  %v", before, after)
		}
	})
}
