package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// readmeSection is a part of README.md whose shell blocks the walk-through
// test runs, and what each block must do.
type readmeSection struct {
	heading string // the heading line, e.g. "## Try it"
	blocks  []readmeBlock
	// some: only its first len(blocks) blocks run; otherwise the section must
	// have exactly that many, so that a new example is never left unchecked.
	some bool
}

// readmeBlock is what one shell block must do: the HTTP status of each of
// its curl calls, in order, and text its output must contain.
type readmeBlock struct {
	status []int
	want   []string
}

// readmeWalkthrough is the README read top to bottom, one terminal: the
// statuses and outputs are the ones its text promises.
var readmeWalkthrough = []readmeSection{
	// The demo client and its token; the other blocks need a client
	// system's own keys and identity provider.
	{heading: "## Authentication", some: true, blocks: []readmeBlock{
		{status: []int{200}, want: []string{`"type":"searchset"`}},
	}},
	{heading: "## Try it", blocks: []readmeBlock{
		{status: []int{200, 201, 201, 200, 200, 200, 200, 200}, want: []string{
			`"resourceType":"CapabilityStatement"`, "Location: http", `W/"1"`, "Last-Modified: ",
			`"name":"Valley Surgery (GP)"`, `"type":"history"`}},
		{status: []int{201, 200, 200, 200, 409, 200, 200}, want: []string{
			`"type":"transaction-response"`, `"gender":"female"`, "refers to Patient/",
			`"active":true`, `"alias":["Valley"]`}},
		{status: []int{200, 200, 200, 200, 200, 200}, want: []string{
			`"resourceType":"Task"`, `"resourceType":"CarePlan"`, `"resourceType":"Communication"`}},
		{status: []int{400}, want: []string{`"expression":["Patient.birthDate"]`}},
	}},
	{heading: "## The shared-care journey", blocks: []readmeBlock{
		{status: []int{200, 200, 200, 200, 200, 200, 200, 201, 200, 200, 200, 200}, want: []string{
			`"name":"waitingTask"`, `"status":"accepted"`, `"resourceType":"Provenance"`,
			`"system":"https://sharedcare.dev/fhir/sid/client-id"`, `"status":"draft"`, `"type":"collection"`}},
	}},
	{heading: "### `$validate`", blocks: []readmeBlock{
		{status: []int{200}, want: []string{`"resourceType":"OperationOutcome"`, "referential integrity"}},
	}},
}

// readmePreamble runs before the README's blocks. Every curl call logs its
// status on stderr (its output is untouched), and `go run ./cmd/sharedcare`
// is this test binary, which is that command; `token` gets --base, as the
// README's localhost:8080 is rewritten to the test server's address.
const readmePreamble = `set -euo pipefail
curl() { command curl -w '%{stderr}HTTP %{http_code}\n' "$@"; }
go() {
  if [ "$#" -lt 2 ] || [ "$1 $2" != "run ./cmd/sharedcare" ]; then echo "not the README's command: go $*" >&2; return 2; fi
  shift 2
  if [ "${1:-}" = token ]; then set -- "$@" --base "$README_BASE"; fi
  ` + commandEnv + `=1 "$README_BINARY" "$@"
}
`

// TestReadmeWalkthrough runs the README's walk-through as written — the
// demo client and token of "Authentication", "Try it", "The shared-care
// journey" and the $validate example — with bash and curl against the real
// server (this test binary, on a fresh SQLite database), rewriting only
// localhost:8080 to its address, and checks every curl call's status and
// what the output must contain.
func TestReadmeWalkthrough(t *testing.T) {
	t.Parallel()
	requireTool(t, "bash")
	requireTool(t, "curl")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, checks := readmeBlocks(t, string(readme))

	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "sc.db")
	p := startProcess(t, db)
	addr := strings.TrimPrefix(p.base, "http://")
	binary, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	var script strings.Builder
	script.WriteString(readmePreamble)
	for i, b := range blocks {
		// The demo key is written where the test can leave it, not beside
		// a developer's own demo-key.json.
		cd := "$README_ROOT"
		if b.section == "## Authentication" {
			cd = "$README_KEYS"
		}
		fmt.Fprintf(&script, "cd %q\nprintf '\\n@@ block %d\\n'; printf '\\n@@ block %d\\n' >&2\n%s\n",
			cd, i, i, strings.ReplaceAll(b.text, "localhost:8080", addr))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = root
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LC_ALL=C",
		"SHAREDCARE_DATABASE_URL=" + db, "README_BASE=" + p.base + "/fhir", "README_BINARY=" + binary,
		"README_ROOT=" + root, "README_KEYS=" + dir}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	t.Logf("%d README blocks in %v", len(blocks), time.Since(start).Round(time.Millisecond))

	outs, logs := splitBlocks(stdout.String()), splitBlocks(stderr.String())
	for i, b := range blocks {
		if i >= len(logs) {
			break // bash stopped before it
		}
		var out string
		if i < len(outs) {
			out = outs[i]
		}
		if runErr != nil && i == len(logs)-1 {
			t.Fatalf("README block %d of %q failed (%v):\n%s\n--- stderr:\n%s\n--- output:\n%s",
				i, b.section, runErr, b.text, logs[i], tail(out))
		}
		if got := statuses(logs[i]); !slices.Equal(got, checks[i].status) {
			t.Errorf("README block %d of %q: curl statuses %v, want %v\n%s\n--- stderr:\n%s\n--- output:\n%s",
				i, b.section, got, checks[i].status, b.text, logs[i], tail(out))
		}
		for _, w := range checks[i].want {
			if !strings.Contains(out, w) {
				t.Errorf("README block %d of %q: output lacks %s\n%s\n--- output:\n%s", i, b.section, w, b.text, tail(out))
			}
		}
	}
	if runErr != nil || len(logs) != len(blocks) {
		t.Fatalf("bash: %v after %d of %d blocks:\n%s", runErr, len(logs), len(blocks), tail(stderr.String()))
	}
}

// shellBlock is one shell block of the README, with the section it is in.
type shellBlock struct{ section, text string }

// readmeBlocks returns the walk-through's shell blocks in README order and
// what each must do, failing when the README and readmeWalkthrough disagree.
func readmeBlocks(t *testing.T, readme string) ([]shellBlock, []readmeBlock) {
	t.Helper()
	var blocks []shellBlock
	var checks []readmeBlock
	for _, s := range readmeWalkthrough {
		found := sectionBlocks(readme, s.heading)
		if found == nil {
			t.Fatalf("README.md has no section %q with shell blocks", s.heading)
		}
		if len(found) < len(s.blocks) || !s.some && len(found) != len(s.blocks) {
			t.Fatalf("README section %q has %d shell blocks; this test checks %d (update readmeWalkthrough)",
				s.heading, len(found), len(s.blocks))
		}
		for i, c := range s.blocks {
			blocks = append(blocks, shellBlock{s.heading, found[i]})
			checks = append(checks, c)
		}
	}
	return blocks, checks
}

// sectionBlocks returns the ```sh blocks of the section under heading, which
// ends at the next heading of its level or above (outside code blocks, where
// a line starting with # is a shell comment).
func sectionBlocks(readme, heading string) []string {
	level := strings.Index(heading, " ")
	var blocks []string
	var block *strings.Builder
	in, fenced := false, false
	for _, line := range strings.SplitAfter(readme, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			fenced = !fenced
			if in && fenced && strings.TrimSpace(line) == "```sh" {
				block = &strings.Builder{}
			} else if block != nil {
				blocks, block = append(blocks, block.String()), nil
			}
		case block != nil:
			block.WriteString(line)
		case !fenced && strings.HasPrefix(line, "#"):
			if h := strings.TrimRight(line, "\n"); h == heading {
				in = true
			} else if n := strings.Index(h, " "); in && n > 0 && n <= level && strings.Trim(h[:n], "#") == "" {
				return blocks
			}
		}
	}
	return blocks
}

// splitBlocks cuts what the script printed at its block markers.
func splitBlocks(s string) []string {
	parts := regexp.MustCompile(`\n@@ block \d+\n`).Split(s, -1)
	return parts[1:]
}

var statusLine = regexp.MustCompile(`(?m)^HTTP (\d{3})$`)

// statuses lists the HTTP statuses the curl wrapper logged.
func statuses(log string) []int {
	var got []int
	for _, m := range statusLine.FindAllStringSubmatch(log, -1) {
		var n int
		fmt.Sscan(m[1], &n)
		got = append(got, n)
	}
	return got
}

// tail keeps a failure message readable.
func tail(s string) string {
	const max = 4000
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}

// requireTool skips the test without the named program, except under
// CI=true, where it fails: CI must run the test.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed (set CI=true to fail instead): %v", name, err)
	}
}
