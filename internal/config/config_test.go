package config

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    *Config
		wantErr string
	}{
		{name: "defaults", want: &Config{DatabaseURL: "sqlite:./data/sharedcare.db", Addr: ":8080", MaxBodyBytes: 16 << 20, MaxEntries: 10000, LogLevel: slog.LevelInfo, HNAThreshold: 5, UnacknowledgedDays: 14}},
		{name: "environment", env: map[string]string{"SHAREDCARE_DATABASE_URL": "postgres://u:p@db:5432/x", "SHAREDCARE_ADDR": "127.0.0.1:9000",
			"SHAREDCARE_BASE_URL": "https://fhir.example.org/fhir/", "SHAREDCARE_MAX_BODY_BYTES": "2048", "SHAREDCARE_LOG_LEVEL": "debug", "SHAREDCARE_MAX_BUNDLE_ENTRIES": "50",
			"SHAREDCARE_HNA_THRESHOLD": "7", "SHAREDCARE_UNACKNOWLEDGED_DAYS": "10"},
			want: &Config{DatabaseURL: "postgres://u:p@db:5432/x", Addr: "127.0.0.1:9000", BaseURL: "https://fhir.example.org/fhir", MaxBodyBytes: 2048, MaxEntries: 50, LogLevel: slog.LevelDebug,
				HNAThreshold: 7, UnacknowledgedDays: 10}},
		{name: "flag beats environment", args: []string{"-addr", ":7000"}, env: map[string]string{"SHAREDCARE_ADDR": ":9000"},
			want: &Config{DatabaseURL: "sqlite:./data/sharedcare.db", Addr: ":7000", MaxBodyBytes: 16 << 20, MaxEntries: 10000, LogLevel: slog.LevelInfo, HNAThreshold: 5, UnacknowledgedDays: 14}},
		{name: "bad database", env: map[string]string{"SHAREDCARE_DATABASE_URL": "mysql://x"}, wantErr: "SHAREDCARE_DATABASE_URL"},
		{name: "bad addr", env: map[string]string{"SHAREDCARE_ADDR": "8080"}, wantErr: "SHAREDCARE_ADDR"},
		{name: "bad size", env: map[string]string{"SHAREDCARE_MAX_BODY_BYTES": "lots"}, wantErr: "SHAREDCARE_MAX_BODY_BYTES"},
		{name: "bad entry limit", env: map[string]string{"SHAREDCARE_MAX_BUNDLE_ENTRIES": "0"}, wantErr: "SHAREDCARE_MAX_BUNDLE_ENTRIES"},
		{name: "bad level", env: map[string]string{"SHAREDCARE_LOG_LEVEL": "loud"}, wantErr: "SHAREDCARE_LOG_LEVEL"},
		{name: "bad threshold", env: map[string]string{"SHAREDCARE_HNA_THRESHOLD": "11"}, wantErr: "SHAREDCARE_HNA_THRESHOLD"},
		{name: "bad days", env: map[string]string{"SHAREDCARE_UNACKNOWLEDGED_DAYS": "0"}, wantErr: "SHAREDCARE_UNACKNOWLEDGED_DAYS"},
		{name: "bad base", env: map[string]string{"SHAREDCARE_BASE_URL": "fhir.example.org"}, wantErr: "SHAREDCARE_BASE_URL"},
		{name: "stray argument", args: []string{"serve-please"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(tt.args, env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	if got := Redacted("postgres://u:secret@db/x"); strings.Contains(got, "secret") {
		t.Errorf("Redacted kept the password: %s", got)
	}
	if got := Redacted("sqlite:./x.db"); got != "sqlite:./x.db" {
		t.Errorf("Redacted(sqlite) = %s", got)
	}
}

func TestRequireQuestionnaire(t *testing.T) {
	for _, tt := range []struct {
		name, value string
		want        bool
		wantErr     bool
	}{
		{"default", "", false, false},
		{"true", "true", true, false},
		{"false", "false", false, false},
		{"not a bool", "sometimes", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(nil, env(map[string]string{"SHAREDCARE_REQUIRE_QUESTIONNAIRE": tt.value}))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "SHAREDCARE_REQUIRE_QUESTIONNAIRE") {
					t.Fatalf("Load error = %v, want one naming SHAREDCARE_REQUIRE_QUESTIONNAIRE", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.RequireQuestionnaire != tt.want {
				t.Errorf("RequireQuestionnaire = %v, want %v", got.RequireQuestionnaire, tt.want)
			}
		})
	}
}
