package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuthOffWarns: a server started with SHAREDCARE_AUTH=off serves FHIR
// requests without a token and logs a warning saying so; one started
// without it logs no such warning and refuses them.
func TestAuthOffWarns(t *testing.T) {
	t.Parallel()
	for _, off := range []bool{true, false} {
		var env []string
		if off {
			env = []string{"SHAREDCARE_AUTH=off"}
		}
		p := startProcessWith(t, "sqlite:"+filepath.Join(t.TempDir(), "sc.db"), "warn", env...)
		resp, err := http.Get(p.base + "/fhir/Patient")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: http.StatusOK, false: http.StatusUnauthorized}[off]; resp.StatusCode != want {
			t.Errorf("SHAREDCARE_AUTH off %v: GET /fhir/Patient without a token: %d, want %d", off, resp.StatusCode, want)
		}
		p.kill() // the logs are complete once the server is gone
		if got := warnedAuthOff(t, p.logs.String()); got != off {
			t.Errorf("SHAREDCARE_AUTH off %v: warning logged %v; logs:\n%s", off, got, p.logs)
		}
	}
}

// warnedAuthOff reports whether the JSON log lines hold the warning that
// authentication is off.
func warnedAuthOff(t *testing.T, logs string) bool {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line struct{ Level, Msg string }
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue // not a log line (the test binary's own output)
		}
		if line.Level == "WARN" && strings.Contains(line.Msg, "authentication is OFF (SHAREDCARE_AUTH=off)") {
			return true
		}
	}
	return false
}
