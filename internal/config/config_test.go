package config

import (
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/auth/issuers"
)

var localOnly = []string{"localhost", "127.0.0.1", "::1"}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    *Config
		wantErr string
	}{
		{name: "defaults", want: &Config{DatabaseURL: "sqlite:./data/sharedcare.db", Addr: ":8080", MaxBodyBytes: 8 << 20, MaxEntries: 10000, LogLevel: slog.LevelInfo, HNAThreshold: 5, UnacknowledgedDays: 14, AllowedHosts: localOnly, RequestTimeout: 30 * time.Second, DBMaxConns: 32}},
		{name: "environment", env: map[string]string{"SHAREDCARE_DATABASE_URL": "postgres://u:p@db:5432/x", "SHAREDCARE_ADDR": "127.0.0.1:9000",
			"SHAREDCARE_BASE_URL": "https://fhir.example.org/fhir/", "SHAREDCARE_MAX_BODY_BYTES": "2048", "SHAREDCARE_LOG_LEVEL": "debug", "SHAREDCARE_MAX_BUNDLE_ENTRIES": "50",
			"SHAREDCARE_HNA_THRESHOLD": "7", "SHAREDCARE_UNACKNOWLEDGED_DAYS": "10", "SHAREDCARE_REQUEST_TIMEOUT": "1m30s", "SHAREDCARE_DB_MAX_CONNS": "10"},
			want: &Config{DatabaseURL: "postgres://u:p@db:5432/x", Addr: "127.0.0.1:9000", BaseURL: "https://fhir.example.org/fhir", MaxBodyBytes: 2048, MaxEntries: 50, LogLevel: slog.LevelDebug,
				HNAThreshold: 7, UnacknowledgedDays: 10, AllowedHosts: localOnly, RequestTimeout: 90 * time.Second, DBMaxConns: 10}},
		{name: "hosts and proxies", env: map[string]string{"SHAREDCARE_ALLOWED_HOSTS": " fhir.example.org, *.trust.nhs.uk:8443,", "SHAREDCARE_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7,::ffff:172.16.0.1, fd00::/8"},
			want: &Config{DatabaseURL: "sqlite:./data/sharedcare.db", Addr: ":8080", MaxBodyBytes: 8 << 20, MaxEntries: 10000, LogLevel: slog.LevelInfo, HNAThreshold: 5, UnacknowledgedDays: 14,
				RequestTimeout: 30 * time.Second, DBMaxConns: 32,
				AllowedHosts:   []string{"fhir.example.org", "*.trust.nhs.uk:8443"},
				TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("172.16.0.1/32"), netip.MustParsePrefix("fd00::/8")}}},
		{name: "bad proxy", env: map[string]string{"SHAREDCARE_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}, wantErr: "proxy.local"},
		{name: "no hosts", env: map[string]string{"SHAREDCARE_ALLOWED_HOSTS": " , "}, wantErr: "SHAREDCARE_ALLOWED_HOSTS"},
		{name: "flag beats environment", args: []string{"-addr", ":7000"}, env: map[string]string{"SHAREDCARE_ADDR": ":9000"},
			want: &Config{DatabaseURL: "sqlite:./data/sharedcare.db", Addr: ":7000", MaxBodyBytes: 8 << 20, MaxEntries: 10000, LogLevel: slog.LevelInfo, HNAThreshold: 5, UnacknowledgedDays: 14, AllowedHosts: localOnly, RequestTimeout: 30 * time.Second, DBMaxConns: 32}},
		{name: "bad database", env: map[string]string{"SHAREDCARE_DATABASE_URL": "mysql://x"}, wantErr: "SHAREDCARE_DATABASE_URL"},
		{name: "bad addr", env: map[string]string{"SHAREDCARE_ADDR": "8080"}, wantErr: "SHAREDCARE_ADDR"},
		{name: "bad size", env: map[string]string{"SHAREDCARE_MAX_BODY_BYTES": "lots"}, wantErr: "SHAREDCARE_MAX_BODY_BYTES"},
		{name: "bad entry limit", env: map[string]string{"SHAREDCARE_MAX_BUNDLE_ENTRIES": "0"}, wantErr: "SHAREDCARE_MAX_BUNDLE_ENTRIES"},
		{name: "bad level", env: map[string]string{"SHAREDCARE_LOG_LEVEL": "loud"}, wantErr: "SHAREDCARE_LOG_LEVEL"},
		{name: "bad threshold", env: map[string]string{"SHAREDCARE_HNA_THRESHOLD": "11"}, wantErr: "SHAREDCARE_HNA_THRESHOLD"},
		{name: "bad days", env: map[string]string{"SHAREDCARE_UNACKNOWLEDGED_DAYS": "0"}, wantErr: "SHAREDCARE_UNACKNOWLEDGED_DAYS"},
		{name: "bad base", env: map[string]string{"SHAREDCARE_BASE_URL": "fhir.example.org"}, wantErr: "SHAREDCARE_BASE_URL"},
		{name: "bad request timeout", env: map[string]string{"SHAREDCARE_REQUEST_TIMEOUT": "30"}, wantErr: "SHAREDCARE_REQUEST_TIMEOUT"},
		{name: "request timeout too short", env: map[string]string{"SHAREDCARE_REQUEST_TIMEOUT": "10ms"}, wantErr: "SHAREDCARE_REQUEST_TIMEOUT"},
		{name: "bad pool size", env: map[string]string{"SHAREDCARE_DB_MAX_CONNS": "1"}, wantErr: "SHAREDCARE_DB_MAX_CONNS"},
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
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	if got := Redacted("postgres://u:secret@db/x"); strings.Contains(got, "secret") {
		t.Errorf("Redacted kept the password: %s", got)
	}
	if got := Redacted("sqlite:./x.db"); got != "sqlite:./x.db" {
		t.Errorf("Redacted(sqlite) = %s", got)
	}
}

func TestAllowedModifierExtensions(t *testing.T) {
	t.Parallel()
	got, err := Load(nil, env(map[string]string{"SHAREDCARE_ALLOWED_MODIFIER_EXTENSIONS": " http://a.example/x ,,https://b.example/y"}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"http://a.example/x", "https://b.example/y"}, got.AllowedModifierExtensions); diff != "" {
		t.Errorf("AllowedModifierExtensions mismatch (-want +got):\n%s", diff)
	}
	if _, err := Load(nil, env(map[string]string{"SHAREDCARE_ALLOWED_MODIFIER_EXTENSIONS": "http://a.example/x,not a url"})); err == nil ||
		!strings.Contains(err.Error(), "SHAREDCARE_ALLOWED_MODIFIER_EXTENSIONS") {
		t.Errorf("Load error = %v, want one naming SHAREDCARE_ALLOWED_MODIFIER_EXTENSIONS", err)
	}
}

func TestCORSOrigins(t *testing.T) {
	got, err := Load(nil, env(map[string]string{"SHAREDCARE_CORS_ORIGINS": " https://app.example.org, http://localhost:3000,"}))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"https://app.example.org", "http://localhost:3000"}, got.CORSOrigins); diff != "" {
		t.Errorf("CORSOrigins mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"app.example.org", "https://app.example.org/path", "ftp://x.example", "*"} {
		if _, err := Load(nil, env(map[string]string{"SHAREDCARE_CORS_ORIGINS": bad})); err == nil ||
			!strings.Contains(err.Error(), "SHAREDCARE_CORS_ORIGINS") {
			t.Errorf("Load(%q) error = %v, want one naming SHAREDCARE_CORS_ORIGINS", bad, err)
		}
	}
}

func TestRequireQuestionnaire(t *testing.T) {
	t.Parallel()
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

func TestAuthIssuers(t *testing.T) {
	t.Parallel()
	got, err := Load(nil, env(map[string]string{"SHAREDCARE_AUTH_ISSUERS": `[{"issuer":"https://login.example.org/realms/nhs","audience":"https://fhir.example.org/fhir","organization_claim":"org"}]`}))
	if err != nil {
		t.Fatal(err)
	}
	want := []issuers.Issuer{{URL: "https://login.example.org/realms/nhs", Audience: "https://fhir.example.org/fhir", OrganizationClaim: "org", UserClaim: "fhirUser"}}
	if diff := cmp.Diff(want, got.AuthIssuers); diff != "" {
		t.Errorf("AuthIssuers mismatch (-want +got):\n%s", diff)
	}
	if _, err := Load(nil, env(map[string]string{"SHAREDCARE_AUTH_ISSUERS": `[{"issuer":"https://login.example.org"}]`})); err == nil ||
		!strings.Contains(err.Error(), "SHAREDCARE_AUTH_ISSUERS: [0].audience: required") {
		t.Errorf("Load error = %v, want one naming SHAREDCARE_AUTH_ISSUERS[0].audience", err)
	}
}

func TestAuthIsOnUnlessSwitchedOff(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]bool{"": false, "on": false, "ON": false, "off": true, " Off ": true} {
		got, err := Load(nil, env(map[string]string{"SHAREDCARE_AUTH": value}))
		if err != nil {
			t.Fatalf("SHAREDCARE_AUTH=%q: %v", value, err)
		}
		if got.AuthOff != want {
			t.Errorf("SHAREDCARE_AUTH=%q: AuthOff = %v, want %v", value, got.AuthOff, want)
		}
	}
	for _, value := range []string{"no", "false", "0", "disabled"} {
		if _, err := Load(nil, env(map[string]string{"SHAREDCARE_AUTH": value})); err == nil || !strings.Contains(err.Error(), "SHAREDCARE_AUTH") {
			t.Errorf("SHAREDCARE_AUTH=%q: error = %v, want one naming SHAREDCARE_AUTH", value, err)
		}
	}
}
