package httpapi_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// freezer is a TCP proxy to the database that can stop forwarding: the
// database then looks frozen (connections open, nothing answered), the way a
// stalled server or a black-holed network looks to the application.
type freezer struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	thawed   *sync.Cond
	frozen   bool
	conns    []net.Conn
}

func startFreezer(t *testing.T, upstream string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, upstream: upstream}
	f.thawed = sync.NewCond(&f.mu)
	go f.serve()
	t.Cleanup(f.close)
	return f
}

func (f *freezer) serve() {
	for {
		client, err := f.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", f.upstream)
		if err != nil {
			client.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, client, server)
		f.mu.Unlock()
		go f.pipe(server, client)
		go f.pipe(client, server)
	}
}

// pipe copies src to dst, holding every chunk while frozen.
func (f *freezer) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		f.mu.Lock()
		for f.frozen {
			f.thawed.Wait()
		}
		f.mu.Unlock()
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *freezer) freeze(frozen bool) {
	f.mu.Lock()
	f.frozen = frozen
	f.mu.Unlock()
	f.thawed.Broadcast()
}

func (f *freezer) close() {
	f.ln.Close()
	f.freeze(false)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

// TestFrozenDatabaseGives503: with PostgreSQL frozen, every request answers
// 503 with Retry-After and an OperationOutcome within about its deadline
// (not 500s and 22 s hangs), and the server recovers when the database does.
//
// Not parallel: it times answers against a one-second deadline, which other tests' load would stretch.
func TestFrozenDatabaseGives503(t *testing.T) {
	u, err := url.Parse(testdb.PostgresSchemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	f := startFreezer(t, u.Host)
	u.Host = f.ln.Addr().String()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const deadline = time.Second
	s := newTimedServer(t, st, deadline)
	id := s.create(patientWithMRN("before"))

	f.freeze(true)
	requests := []struct{ method, path, body string }{
		{"GET", "/Patient/" + id, ""},
		{"POST", "/Patient", patientWithMRN("during")},
		{"PUT", "/Patient/" + id, `{"resourceType":"Patient","id":"` + id + `"}`},
		{"GET", "/Patient?identifier=" + mrn + "|before", ""},
		{"POST", "", patientsTransaction("frozen", 3)},
	}
	var wg sync.WaitGroup
	for _, rq := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			r := s.doConcurrently(rq.method, rq.path, rq.body)
			elapsed := time.Since(start)
			if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
				t.Errorf("%s %s with the database frozen: %d (Retry-After %q) %s, want 503 with Retry-After",
					rq.method, rq.path, r.status, r.header.Get("Retry-After"), r.body)
			}
			t.Logf("%s %s: %d after %v", rq.method, rq.path, r.status, elapsed.Round(time.Millisecond))
			if elapsed > deadline+2*time.Second {
				t.Errorf("%s %s answered after %v, want about the %v deadline", rq.method, rq.path, elapsed, deadline)
			}
		}()
	}
	wg.Wait()
	for _, rq := range requests { // the OperationOutcome, once
		if rq.method == "GET" {
			r := s.do(rq.method, rq.path, "")
			r.mustBeUnavailable(t)
			break
		}
	}

	f.freeze(false)
	var last *reply
	for try := 0; try < 50; try++ {
		if last = s.do("GET", "/Patient/"+id, ""); last.status == http.StatusOK {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last.status != http.StatusOK {
		t.Fatalf("after the database came back: %d %s", last.status, last.body)
	}

	// Down: connections cut and refused.
	f.close()
	start := time.Now()
	s.do("GET", "/Patient/"+id, "").mustBeUnavailable(t)
	s.do("POST", "/Patient", patientWithMRN("down")).mustBeUnavailable(t)
	if elapsed := time.Since(start); elapsed > 2*deadline+2*time.Second {
		t.Errorf("two requests to a database that is down took %v", elapsed)
	}
}
