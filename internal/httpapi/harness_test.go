package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/authtest"
	"github.com/sharedcare/sharedcare/internal/auth/token"
	"github.com/sharedcare/sharedcare/internal/httpapi"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/internal/workflow"
)

// server is a running sharedcare API over a fresh database.
type server struct {
	t    testing.TB
	url  string // FHIR base
	http *httptest.Server
	st   *sqlstore.Store
	wf   *workflow.Workflow
	ts   *token.Server
	// token is the bearer token every request carries unless it names its
	// own Authorization (an empty value sends none): a client with full
	// access, registered and signed for real.
	token string
}

// rowCounts counts the rows of every data table.
func (s *server) rowCounts() map[string]int64 {
	s.t.Helper()
	n, err := s.st.RowCounts(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// setup is what a test server is made from: the API's Options plus the
// settings of the services below it.
type setup struct {
	httpapi.Options
	workflow  workflow.Config
	modifiers []string // modifierExtension urls the server accepts
	// tokens is the server's own token server, the default Authenticator
	// and TokenServer: an option may wrap it.
	tokens *token.Server
}

// newServer starts the API over st; options adjust its setup.
func newServer(t testing.TB, st *sqlstore.Store, maxBody int64, options ...func(*setup)) *server {
	t.Helper()
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	set := setup{
		Options: httpapi.Options{
			MaxBodyBytes: maxBody,
			Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
			Version:      "test",
			Ready:        st.Ping,
		},
		workflow: workflow.DefaultConfig,
	}
	ts, err := token.New(context.Background(), st, token.Options{})
	if err != nil {
		t.Fatal(err)
	}
	set.tokens = ts
	for _, o := range options {
		o(&set)
	}
	if set.Authenticator == nil {
		set.Authenticator = ts
	}
	if set.TokenServer == nil {
		set.TokenServer = ts
	}
	svc := rest.New(st, reg)
	if set.modifiers != nil {
		svc.AllowModifierExtensions(set.modifiers)
	}
	wf := workflow.New(svc, set.workflow)
	set.Service, set.Workflow, set.Registry = svc, wf, reg
	hs := httptest.NewServer(httpapi.New(set.Options))
	t.Cleanup(hs.Close)
	s := &server{t: t, url: hs.URL + httpapi.FHIRBase, http: hs, st: st, wf: wf, ts: ts}
	audience := s.url
	if set.BaseURL != "" {
		audience = set.BaseURL
	}
	s.token = s.tokenAt(audience)
	return s
}

// caller is the principal s.token names: who the Provenance of a Task
// transition made through do records as agent.
func (s *server) caller() auth.Principal {
	s.t.Helper()
	p, err := s.ts.Authenticate(context.Background(), s.token, s.url)
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

// tokenFor is an access token of a new client acting for org with scopes.
func (s *server) tokenFor(org, scopes string) string {
	s.t.Helper()
	return authtest.Token(s.t, s.ts, s.st, org, scopes, s.url)
}

// client is an HTTP client whose requests carry s.token.
func (s *server) client() *http.Client {
	c := *s.http.Client()
	c.Transport = &oauth2.Transport{Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: s.token}), Base: c.Transport}
	return &c
}

// tokenAt is a full-access token for the FHIR base base (a test reaching
// the server under another Host or a configured base URL).
func (s *server) tokenAt(base string) string {
	s.t.Helper()
	return authtest.Token(s.t, s.ts, s.st, authtest.Organization, authtest.FullAccess, base)
}

// bearer is the header pair that sends token (for do's headers).
func bearer(token string) (string, string) { return "Authorization", "Bearer " + token }

// forEachServer runs fn against a server on each database.
func forEachServer(t *testing.T, fn func(t *testing.T, s *server)) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) { fn(t, newServer(t, st, 0)) })
}

// reply is an HTTP response with its body read.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body.
func (r *reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// do sends a request; path is relative to the FHIR base unless it starts
// with "http" or "//" (server root). headers are name, value pairs ("Host"
// included). It fails the test when the request cannot be sent, so it must
// be called on the test's goroutine; other goroutines use doConcurrently.
func (s *server) do(method, path, body string, headers ...string) *reply {
	s.t.Helper()
	r, err := s.send(method, path, body, headers...)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

// doConcurrently is do for goroutines other than the test's own, where
// t.Fatal must not be called: a request that cannot be sent is reported with
// t.Error (safe from any goroutine) and answers status 0.
func (s *server) doConcurrently(method, path, body string, headers ...string) *reply {
	r, err := s.send(method, path, body, headers...)
	if err != nil {
		s.t.Errorf("%s %s: %v", method, path, err)
		return &reply{}
	}
	return r
}

// send is do returning the error instead of failing the test.
func (s *server) send(method, path, body string, headers ...string) (*reply, error) {
	url := s.url + path
	if strings.HasPrefix(path, "//") {
		url = s.http.URL + path[1:]
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	for i := 0; i+1 < len(headers); i += 2 {
		switch {
		case headers[i] == "Host": // Go sends req.Host, never a Host header
			req.Host = headers[i+1]
		case headers[i] == "Authorization" && headers[i+1] == "":
			req.Header.Del("Authorization")
		default:
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := s.http.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// mustStatus fails unless the reply has the status.
func (r *reply) mustStatus(t testing.TB, want int) *reply {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body:\n%s", r.status, want, r.body)
	}
	return r
}

// create POSTs a resource and returns its id.
func (s *server) create(body string) string {
	s.t.Helper()
	r := s.do("POST", "/"+resourceType(s.t, body), body)
	r.mustStatus(s.t, http.StatusCreated)
	return r.json(s.t)["id"].(string)
}

func resourceType(t testing.TB, body string) string {
	t.Helper()
	var m struct{ ResourceType string }
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("bad test resource: %v", err)
	}
	return m.ResourceType
}

// outcome checks the reply is an OperationOutcome and returns its issues'
// codes and expressions.
func (r *reply) outcome(t *testing.T) (codes, expressions []string) {
	t.Helper()
	var oo struct {
		ResourceType string
		Issue        []struct {
			Severity, Code, Diagnostics string
			Expression                  []string
		}
	}
	if err := json.Unmarshal(r.body, &oo); err != nil || oo.ResourceType != "OperationOutcome" {
		t.Fatalf("body is not an OperationOutcome (%v):\n%s", err, r.body)
	}
	if len(oo.Issue) == 0 {
		t.Fatalf("OperationOutcome without issues:\n%s", r.body)
	}
	for _, is := range oo.Issue {
		if is.Diagnostics == "" || is.Severity == "" || is.Code == "" {
			t.Errorf("issue lacks severity, code or diagnostics: %+v", is)
		}
		codes = append(codes, is.Code)
		expressions = append(expressions, is.Expression...)
	}
	return codes, expressions
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// forEachSmallServer is forEachServer with a body limit.
func forEachSmallServer(t *testing.T, maxBody int64, fn func(t *testing.T, s *server)) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) { fn(t, newServer(t, st, maxBody)) })
}

// race sends the same request from n clients at once and counts the
// statuses they get. Requests that cannot be sent fail the test once all
// are back, on the test's goroutine.
func (s *server) race(n int, method, path, body string, headers ...string) map[int]int {
	s.t.Helper()
	var wg sync.WaitGroup
	statuses, errs := make(chan int, n), make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.send(method, path, body, headers...)
			if err != nil {
				errs <- err
				return
			}
			statuses <- r.status
		}()
	}
	wg.Wait()
	close(statuses)
	close(errs)
	for err := range errs {
		s.t.Fatalf("%s %s from one of %d clients: %v", method, path, n, err)
	}
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	return count
}

// treatmentSummary is the README's treatment-summary transaction
// (testdata/treatment-summary-transaction.json).
func treatmentSummary(tb testing.TB) []byte {
	tb.Helper()
	body, err := os.ReadFile("testdata/treatment-summary-transaction.json")
	if err != nil {
		tb.Fatal(err)
	}
	return body
}
