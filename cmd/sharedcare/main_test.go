package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestGracefulShutdown starts the real server, begins a request, signals
// shutdown while the request body is still arriving, and checks the request
// completes and the server then stops cleanly.
//
// Not parallel: it sequences the shutdown with 200 ms sleeps, which other tests' load would stretch.
func TestGracefulShutdown(t *testing.T) {
	addr := freeAddr(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "sc.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-database-url", db, "-log-level", "error"})
	}()
	waitHealthy(t, "http://"+addr+"/healthz", done)
	bearer := fullAccessToken(t, db, "http://"+addr)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"resourceType":"Patient","name":[{"family":"InFlight"}]}`
	fmt.Fprintf(conn, "POST /fhir/Patient HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/fhir+json\r\nContent-Length: %d\r\n\r\n%s",
		addr, bearer, len(body), body[:10])
	time.Sleep(200 * time.Millisecond) // the server is now reading the body

	cancel() // what SIGTERM does through signal.NotifyContext
	time.Sleep(200 * time.Millisecond)
	if _, err := fmt.Fprint(conn, body[10:]); err != nil {
		t.Fatalf("finishing the in-flight request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request got no response: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("in-flight request status = %d, want 201", resp.StatusCode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v after shutdown, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func waitHealthy(t *testing.T, url string, done <-chan error) {
	t.Helper()
	for i := 0; i < 100; i++ {
		select {
		case err := <-done:
			t.Fatalf("server exited early: %v", err)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server never became healthy")
}

func TestRunRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"-addr", "nonsense", "-database-url", "mysql://x"})
	if err == nil || !strings.Contains(err.Error(), "SHAREDCARE_ADDR") || !strings.Contains(err.Error(), "SHAREDCARE_DATABASE_URL") {
		t.Errorf("run error = %v, want both bad settings named", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("run(frobnicate) = %v", err)
	}
}

func TestMigrateAndHealthcheck(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sc.db")
	if err := run(context.Background(), []string{"migrate", "-database-url", db, "-log-level", "error"}); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	addr := freeAddr(t)
	if err := run(context.Background(), []string{"healthcheck", "-addr", addr}); err == nil {
		t.Error("healthcheck succeeded with no server running")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", addr, "-database-url", db, "-log-level", "error"}) }()
	waitHealthy(t, "http://"+addr+"/healthz", done)
	if err := run(context.Background(), []string{"healthcheck", "-addr", addr}); err != nil {
		t.Errorf("healthcheck against a running server: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

// TestReindex: resources whose index rows are lost are found again after
// `sharedcare reindex`.
func TestReindex(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sc.db")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", addr, "-database-url", db, "-log-level", "error"}) }()
	base := "http://" + addr
	waitHealthy(t, base+"/healthz", done)
	client := authorized(t, db, base, 30*time.Second)
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/fhir/Patient/p%d", base, i), strings.NewReader(fmt.Sprintf(`{"resourceType":"Patient","id":"p%d","gender":"female"}`, i)))
		req.Header.Set("Content-Type", "application/fhir+json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	total := func() string {
		resp, err := client.Get(base + "/fhir/Patient?gender=female&_summary=count")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b struct{ Total int }
		if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(b.Total)
	}
	if got := total(); got != "3" {
		t.Fatalf("before: %s matches", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Exec(context.Background(), "DELETE FROM idx_token"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := run(context.Background(), []string{"reindex", "-database-url", db, "-log-level", "error"}); err != nil {
		t.Fatalf("reindex: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go func() { done <- run(ctx, []string{"-addr", addr, "-database-url", db, "-log-level", "error"}) }()
	waitHealthy(t, base+"/healthz", done)
	if got := total(); got != "3" {
		t.Errorf("after reindex: %s matches, want 3", got)
	}
}

func TestSeedCommand(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("seeds a database through the command (about 10 s)")
	}
	db := "sqlite:" + filepath.Join(t.TempDir(), "sc.db")
	if err := run(context.Background(), []string{"seed", "-patients", "5", "-database-url", db, "-seed=3", "-log-level", "error"}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	st, err := sqlstore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.History(context.Background(), store.HistoryQuery{Type: "Task", Count: 1})
	if err != nil || page.Total != 5*4 {
		t.Errorf("Tasks seeded = %v, %v; want 20", page, err)
	}
	checkSeededHNA(t, st)
	if err := run(context.Background(), []string{"seed", "-patients", "0", "-database-url", db}); err == nil {
		t.Error("seed -patients 0 succeeded")
	}
}
