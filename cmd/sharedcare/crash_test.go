package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/testdb"
)

// serveEnv, when set, makes the test binary the server: `run` with these
// arguments (space-separated). The crash test starts it as a subprocess so
// that it can SIGKILL a real server mid-transaction.
const serveEnv = "SHAREDCARE_TEST_SERVE_ARGS"

// commandEnv, when set, makes the test binary the sharedcare command itself,
// its arguments taken as given (the README test runs `go run
// ./cmd/sharedcare ...` lines through it).
const commandEnv = "SHAREDCARE_TEST_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(commandEnv) != "" {
		main()
		os.Exit(0)
	}
	if args := os.Getenv(serveEnv); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, strings.Fields(args))
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "sharedcare:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is the server running as a subprocess.
type process struct {
	cmd  *exec.Cmd
	base string // http://addr
	// client sends requests with a full-access token.
	client *http.Client
	done   chan error
	logs   *bytes.Buffer
	// killed makes kill run once.
	killed sync.Once
}

func startProcess(t *testing.T, dbURL string) *process {
	t.Helper()
	return startProcessWith(t, dbURL, "error")
}

// startProcessWith is startProcess logging at logLevel, with env
// (NAME=value) added to the server's environment.
func startProcessWith(t *testing.T, dbURL, logLevel string, env ...string) *process {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"=-addr "+addr+" -database-url "+dbURL+" -log-level "+logLevel)
	cmd.Env = append(cmd.Env, env...)
	p := &process{cmd: cmd, base: "http://" + addr, done: make(chan error, 1), logs: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { p.kill() })
	for i := 0; i < 200; i++ {
		select {
		case err := <-p.done:
			p.done <- err // for kill
			t.Fatalf("server exited early (%v):\n%s", err, p.logs)
		default:
		}
		if resp, err := http.Get(p.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.client = authorized(t, dbURL, p.base, 60*time.Second)
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.kill() // its output is complete once it is gone
	t.Fatalf("server never became healthy:\n%s", p.logs)
	return nil
}

// kill SIGKILLs the server and waits until it is gone. Only the first call
// does anything; the process state is not read here, because the goroutine
// waiting for the process writes it.
func (p *process) kill() {
	p.killed.Do(func() {
		_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
}

const crashSystem = "urn:sharedcare:crash-test"

// crashBundle is a transaction of n Patients carrying marker.
func crashBundle(marker string, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient",`+
			`"identifier":[{"system":%q,"value":%q}],"name":[{"family":"Crash%d"}]}}`, crashSystem, marker, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// sent is one transaction a client sent, and whether the server acknowledged it.
type sent struct {
	marker string
	size   int
	acked  bool
}

// TestKilledMidTransactionLosesNothing starts the real server, fires
// concurrent transactions at it, SIGKILLs it mid-way, restarts it on the same
// database and checks that every acknowledged transaction is wholly there and
// no transaction is half-stored, on SQLite and PostgreSQL.
func TestKilledMidTransactionLosesNothing(t *testing.T) {
	t.Parallel()
	rounds := 2
	if testing.Short() {
		rounds = 1
	}
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "crash.db")
			if dialect == "postgres" {
				db = testdb.PostgresSchemaURL(t)
			}
			for round := 0; round < rounds; round++ {
				p := startProcess(t, db)
				transactions := crashRound(t, p, round)
				p = startProcess(t, db)
				checkAllOrNothing(t, p, transactions)
				p.kill()
			}
		})
	}
}

// crashRound has 8 clients send transactions until the server is killed,
// which happens once some have been acknowledged and others are in flight.
func crashRound(t *testing.T, p *process, round int) []sent {
	t.Helper()
	const clients = 8
	var (
		mu    sync.Mutex
		all   []sent
		acked int
		wg    sync.WaitGroup
	)
	client := p.client
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ; seq++ {
				s := sent{marker: fmt.Sprintf("r%d-c%d-%d", round, c, seq), size: 50 + rand.IntN(151)}
				resp, err := client.Post(p.base+"/fhir", "application/fhir+json", bytes.NewReader(crashBundle(s.marker, s.size)))
				if err == nil {
					resp.Body.Close()
					s.acked = resp.StatusCode == http.StatusOK
					if !s.acked && resp.StatusCode < 500 {
						t.Errorf("transaction %s: status %d", s.marker, resp.StatusCode)
					}
				}
				mu.Lock()
				all = append(all, s)
				if s.acked {
					acked++
				}
				mu.Unlock()
				if err != nil {
					return // the server is gone
				}
			}
		}()
	}
	// Kill once a few transactions have landed, at a random moment after.
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := acked
		mu.Unlock()
		if n >= 4 {
			break
		}
	}
	time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
	p.kill()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("round %d: %d transactions sent, %d acknowledged before SIGKILL", round, len(all), acked)
	if acked == 0 {
		t.Errorf("no transaction was acknowledged before the kill:\n%s", p.logs)
	}
	return all
}

// checkAllOrNothing counts each transaction's Patients on the restarted server.
func checkAllOrNothing(t *testing.T, p *process, transactions []sent) {
	t.Helper()
	var lost, partial, unacked int
	for _, s := range transactions {
		resp, err := p.client.Get(p.base + "/fhir/Patient?_summary=count&identifier=" + crashSystem + "|" + s.marker)
		if err != nil {
			t.Fatal(err)
		}
		var b struct{ Total *int }
		err = json.NewDecoder(resp.Body).Decode(&b)
		resp.Body.Close()
		if err != nil || b.Total == nil {
			t.Fatalf("counting %s: %v", s.marker, err)
		}
		switch n := *b.Total; {
		case n != 0 && n != s.size:
			partial++
			t.Errorf("transaction %s is half-stored: %d of %d Patients", s.marker, n, s.size)
		case s.acked && n == 0:
			lost++
			t.Errorf("acknowledged transaction %s is missing", s.marker)
		case !s.acked && n == s.size:
			unacked++ // committed, but the answer never reached the client: allowed
		}
	}
	t.Logf("after restart: %d transactions checked, %d lost, %d half-stored, %d stored without an acknowledgement", len(transactions), lost, partial, unacked)
}
