package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/config"
	"github.com/sharedcare/sharedcare/internal/rest"
)

// TestSeedRefusesADatabaseWithResources: seed refuses a database that
// holds any resource, writing nothing, unless -force.
func TestSeedRefusesADatabaseWithResources(t *testing.T) {
	t.Parallel()
	db, cfg := sqliteConfig(t)
	reg, st, err := openAll(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rest.New(st, reg).Update(auth.AsSystem(context.Background()), "Patient", "real-1", []byte(`{"resourceType":"Patient","id":"real-1"}`), 0); err != nil {
		t.Fatal(err)
	}
	st.Close()
	args := []string{"seed", "-patients", "2", "-database-url", db, "-log-level", "error"}
	err = run(context.Background(), args)
	if !errors.Is(err, errNotEmpty) || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("seed into a database with a patient: %v, want a refusal naming -force", err)
	}
	if n := countResources(t, db); n != 1 {
		t.Errorf("the refused seed wrote: %d resources, want the 1 there was", n)
	}
	if err := run(context.Background(), append(args, "-force")); err != nil {
		t.Fatalf("seed -force: %v", err)
	}
	if n := countResources(t, db); n <= 2*20 {
		t.Errorf("seed -force wrote too little: %d resources", n)
	}
	if err := run(context.Background(), args); !errors.Is(err, errNotEmpty) {
		t.Errorf("seed over a seeded database: %v, want a refusal", err)
	}
}

// sqliteConfig is the configuration of a new SQLite database, and its URL.
func sqliteConfig(t *testing.T) (string, *config.Config) {
	t.Helper()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sc.db")
	return db, configFor(t, db)
}

// configFor is the default configuration over the database db.
func configFor(t *testing.T, db string) *config.Config {
	t.Helper()
	cfg, err := config.Load([]string{"-database-url", db}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func countResources(t *testing.T, db string) int64 {
	t.Helper()
	cfg := configFor(t, db)
	st, err := openStore(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.CountCurrent(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSeedHelp: seed -h shows seed's own flags, not only the server's.
func TestSeedHelp(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"-h", "--help", "-help"} {
		var out bytes.Buffer
		_, _, err := parseSeedFlags([]string{"-patients", "3", h}, &out)
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s: %v, want flag.ErrHelp", h, err)
		}
		for _, want := range []string{"sharedcare seed", "-patients", "-seed", "-force", "-database-url"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: usage lacks %q:\n%s", h, want, out.String())
			}
		}
	}
	opts, rest, err := parseSeedFlags([]string{"-force", "-database-url", "sqlite:x", "-patients=4"}, io.Discard)
	if err != nil || !opts.force || opts.patients != 4 || strings.Join(rest, " ") != "-database-url sqlite:x" {
		t.Errorf("parseSeedFlags = %+v, %q, %v", opts, rest, err)
	}
}

// TestProgressWithoutTerminal: off a terminal, seed and reindex report
// progress as plain log lines (done, total, rate, ETA), no bar.
func TestProgressWithoutTerminal(t *testing.T) {
	t.Parallel()
	_, cfg := sqliteConfig(t)
	for _, step := range []struct {
		what string
		run  func(log *slog.Logger, out io.Writer) error
	}{
		{"seeding", func(log *slog.Logger, out io.Writer) error {
			return seedWith(context.Background(), cfg, log, seedOptions{patients: 250, seed: 1}, false, out, time.Nanosecond)
		}},
		{"reindexing", func(log *slog.Logger, out io.Writer) error {
			return reindexWith(context.Background(), cfg, log, false, out, time.Nanosecond)
		}},
	} {
		var logs, bar bytes.Buffer
		if err := step.run(slog.New(slog.NewJSONHandler(&logs, nil)), &bar); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		if bar.Len() > 0 {
			t.Errorf("%s drew on the terminal writer off a terminal: %q", step.what, bar.String())
		}
		if bytes.ContainsAny(logs.Bytes(), "\r\x1b") {
			t.Errorf("%s logged control characters: %q", step.what, logs.String())
		}
		var lines []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("%s: a log line is not one JSON object: %q", step.what, l)
			}
			if m["msg"] == step.what {
				lines = append(lines, m)
			}
		}
		if len(lines) < 2 {
			t.Fatalf("%s: %d progress lines, want one a batch:\n%s", step.what, len(lines), logs.String())
		}
		last := lines[len(lines)-1]
		if last["done"] != last["total"] || last["total"].(float64) < 250 || last["eta"] != "0s" {
			t.Errorf("%s: last progress line %v, want done = total and no time left", step.what, last)
		}
		for _, k := range []string{"done", "total", "per_second", "eta"} {
			if _, ok := lines[0][k]; !ok {
				t.Errorf("%s: progress line lacks %s: %v", step.what, k, lines[0])
			}
		}
	}
}
