// Package config is the only place sharedcare reads its environment. Flags
// mirror the variables; a flag given on the command line wins.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/internal/auth/issuers"
)

// Config is the server's configuration.
type Config struct {
	DatabaseURL  string     // SHAREDCARE_DATABASE_URL: postgres://… or sqlite:PATH
	Addr         string     // SHAREDCARE_ADDR: listen address
	BaseURL      string     // SHAREDCARE_BASE_URL: public FHIR base; empty derives it per request
	MaxBodyBytes int64      // SHAREDCARE_MAX_BODY_BYTES
	MaxEntries   int        // SHAREDCARE_MAX_BUNDLE_ENTRIES
	LogLevel     slog.Level // SHAREDCARE_LOG_LEVEL: debug, info, warn, error
	// HNAThreshold is the concern rating (0-10) at or above which $extract
	// makes a care-plan activity: SHAREDCARE_HNA_THRESHOLD.
	HNAThreshold int
	// UnacknowledgedDays is how long a handed-over Task may stay requested
	// before $overdue flags it: SHAREDCARE_UNACKNOWLEDGED_DAYS.
	UnacknowledgedDays int
	// AllowedHosts are the Host header values a base URL may be derived
	// from when BaseURL is empty: SHAREDCARE_ALLOWED_HOSTS.
	AllowedHosts []string
	// TrustedProxies are the peers whose X-Forwarded-* headers count:
	// SHAREDCARE_TRUSTED_PROXIES.
	TrustedProxies []netip.Prefix
	// RequestTimeout is every request's deadline, database work included:
	// SHAREDCARE_REQUEST_TIMEOUT.
	RequestTimeout time.Duration
	// DBMaxConns bounds the PostgreSQL connection pool: SHAREDCARE_DB_MAX_CONNS.
	DBMaxConns int
	// AllowedModifierExtensions are the modifierExtension urls the server
	// accepts; any other is refused: SHAREDCARE_ALLOWED_MODIFIER_EXTENSIONS.
	AllowedModifierExtensions []string
	// RequireQuestionnaire refuses QuestionnaireResponses to Questionnaires
	// not on this server (422) instead of storing them unchecked with a
	// warning: SHAREDCARE_REQUIRE_QUESTIONNAIRE.
	RequireQuestionnaire bool
	// CORSOrigins are the browser origins (scheme://host[:port]) allowed to
	// call the API cross-origin; none sends no CORS headers:
	// SHAREDCARE_CORS_ORIGINS.
	CORSOrigins []string
	// AuthOff switches authentication off, for local experiments only:
	// SHAREDCARE_AUTH=off (default on).
	AuthOff bool
	// AuthIssuers are the external OpenID Connect issuers whose access
	// tokens are trusted: SHAREDCARE_AUTH_ISSUERS.
	AuthIssuers []issuers.Issuer
}

// Variable describes one setting, for --help and the README.
type Variable struct {
	Name, Flag, Default, Usage string
}

// Variables lists every setting.
var Variables = []Variable{
	{"SHAREDCARE_DATABASE_URL", "database-url", "sqlite:./data/sharedcare.db", "database: postgres://user:pass@host:5432/db?sslmode=… or sqlite:PATH"},
	{"SHAREDCARE_ADDR", "addr", ":8080", "address to listen on"},
	{"SHAREDCARE_BASE_URL", "base-url", "", "public FHIR base URL for Location headers and links, e.g. https://fhir.example.org/fhir (default: from each request)"},
	{"SHAREDCARE_MAX_BODY_BYTES", "max-body-bytes", "8388608", "largest request body accepted, in bytes (larger: 413)"},
	{"SHAREDCARE_MAX_BUNDLE_ENTRIES", "max-bundle-entries", "10000", "most entries a batch or transaction Bundle may have (more: 413)"},
	{"SHAREDCARE_LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
	{"SHAREDCARE_HNA_THRESHOLD", "hna-threshold", "5", "holistic needs assessment concerns rated at or above this (0-10) become activities of the care plan $extract drafts"},
	{"SHAREDCARE_UNACKNOWLEDGED_DAYS", "unacknowledged-days", "14", "days a handed-over Task may stay requested before Task/$overdue lists it as unacknowledged"},
	{"SHAREDCARE_ALLOWED_HOSTS", "allowed-hosts", "localhost,127.0.0.1,::1", "comma-separated Host header values (host, host:port, *.domain, or * for any) links may be built from when SHAREDCARE_BASE_URL is unset; other hosts get 400"},
	{"SHAREDCARE_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-Proto/-Host/-For are believed (default: none)"},
	{"SHAREDCARE_REQUEST_TIMEOUT", "request-timeout", "30s", "deadline of every request, database work included (past it: 503 with Retry-After, the transaction rolled back); 1s to 10m"},
	{"SHAREDCARE_DB_MAX_CONNS", "db-max-conns", "32", "PostgreSQL connection pool size per server (searches use at most half of it); keep replicas × this under the server's max_connections"},
	{"SHAREDCARE_ALLOWED_MODIFIER_EXTENSIONS", "allowed-modifier-extensions", "", "comma-separated modifierExtension urls the server accepts; a resource with any other modifierExtension is refused (400)"},
	{"SHAREDCARE_REQUIRE_QUESTIONNAIRE", "require-questionnaire", "false", "true refuses (422) a QuestionnaireResponse whose Questionnaire is not on this server; false stores it unchecked, with a warning"},
	{"SHAREDCARE_AUTH", "auth", "on", "on: every FHIR request needs a SMART Backend Services access token (see README, Authentication); off: anyone who reaches the port may read and change everything — for local experiments only, warned at every start and shown in /metadata"},
	{"SHAREDCARE_AUTH_ISSUERS", "auth-issuers", "", `external OpenID Connect issuers whose access tokens are trusted, a JSON array: [{"issuer":"https://login.example.org/realms/nhs","audience":"https://fhir.example.org/fhir","organization_claim":"org","user_claim":"fhirUser"}] (organization_claim names the claim holding Organization/{id} or a bare id; user_claim defaults to fhirUser) (default: none)`},
	{"SHAREDCARE_CORS_ORIGINS", "cors-origins", "", "comma-separated browser origins (scheme://host[:port]) allowed to call the API cross-origin, preflight included (default: none, no CORS headers)"},
}

// Load reads the configuration from args (flags) over getenv (environment)
// over defaults, and validates it.
func Load(args []string, getenv func(string) string) (*Config, error) {
	fs := flag.NewFlagSet("sharedcare", flag.ContinueOnError)
	values := map[string]*string{}
	for _, v := range Variables {
		def := v.Default
		if env := getenv(v.Name); env != "" {
			def = env
		}
		values[v.Name] = fs.String(v.Flag, def, v.Usage+" ($"+v.Name+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	c := &Config{
		DatabaseURL: *values["SHAREDCARE_DATABASE_URL"],
		Addr:        *values["SHAREDCARE_ADDR"],
		BaseURL:     strings.TrimSuffix(*values["SHAREDCARE_BASE_URL"], "/"),
	}
	var errs []error
	n, err := strconv.ParseInt(*values["SHAREDCARE_MAX_BODY_BYTES"], 10, 64)
	if err != nil || n < 1024 {
		errs = append(errs, fmt.Errorf("SHAREDCARE_MAX_BODY_BYTES=%q: want a whole number of bytes, at least 1024", *values["SHAREDCARE_MAX_BODY_BYTES"]))
	}
	c.MaxBodyBytes = n
	entries, err := strconv.Atoi(*values["SHAREDCARE_MAX_BUNDLE_ENTRIES"])
	if err != nil || entries < 1 {
		errs = append(errs, fmt.Errorf("SHAREDCARE_MAX_BUNDLE_ENTRIES=%q: want a whole number, at least 1", *values["SHAREDCARE_MAX_BUNDLE_ENTRIES"]))
	}
	c.MaxEntries = entries
	threshold, err := strconv.Atoi(*values["SHAREDCARE_HNA_THRESHOLD"])
	if err != nil || threshold < 0 || threshold > 10 {
		errs = append(errs, fmt.Errorf("SHAREDCARE_HNA_THRESHOLD=%q: want a whole number from 0 to 10", *values["SHAREDCARE_HNA_THRESHOLD"]))
	}
	c.HNAThreshold = threshold
	days, err := strconv.Atoi(*values["SHAREDCARE_UNACKNOWLEDGED_DAYS"])
	if err != nil || days < 1 {
		errs = append(errs, fmt.Errorf("SHAREDCARE_UNACKNOWLEDGED_DAYS=%q: want a whole number of days, at least 1", *values["SHAREDCARE_UNACKNOWLEDGED_DAYS"]))
	}
	c.UnacknowledgedDays = days
	timeout, err := time.ParseDuration(*values["SHAREDCARE_REQUEST_TIMEOUT"])
	if err != nil || timeout < time.Second || timeout > 10*time.Minute {
		errs = append(errs, fmt.Errorf("SHAREDCARE_REQUEST_TIMEOUT=%q: want a duration from 1s to 10m, e.g. 30s", *values["SHAREDCARE_REQUEST_TIMEOUT"]))
	}
	c.RequestTimeout = timeout
	conns, err := strconv.Atoi(*values["SHAREDCARE_DB_MAX_CONNS"])
	if err != nil || conns < 2 || conns > 1000 {
		errs = append(errs, fmt.Errorf("SHAREDCARE_DB_MAX_CONNS=%q: want a whole number from 2 to 1000", *values["SHAREDCARE_DB_MAX_CONNS"]))
	}
	c.DBMaxConns = conns
	for _, u := range strings.Split(*values["SHAREDCARE_ALLOWED_MODIFIER_EXTENSIONS"], ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		if parsed, err := url.Parse(u); err != nil || !parsed.IsAbs() || strings.ContainsAny(u, " \t") {
			errs = append(errs, fmt.Errorf("SHAREDCARE_ALLOWED_MODIFIER_EXTENSIONS: %q is not an absolute URL", u))
			continue
		}
		c.AllowedModifierExtensions = append(c.AllowedModifierExtensions, u)
	}
	require, err := strconv.ParseBool(*values["SHAREDCARE_REQUIRE_QUESTIONNAIRE"])
	if err != nil {
		errs = append(errs, fmt.Errorf("SHAREDCARE_REQUIRE_QUESTIONNAIRE=%q: want true or false", *values["SHAREDCARE_REQUIRE_QUESTIONNAIRE"]))
	}
	c.RequireQuestionnaire = require
	if err := c.LogLevel.UnmarshalText([]byte(*values["SHAREDCARE_LOG_LEVEL"])); err != nil {
		errs = append(errs, fmt.Errorf("SHAREDCARE_LOG_LEVEL=%q: want debug, info, warn or error", *values["SHAREDCARE_LOG_LEVEL"]))
	}
	c.AllowedHosts = splitList(*values["SHAREDCARE_ALLOWED_HOSTS"])
	if len(c.AllowedHosts) == 0 {
		errs = append(errs, fmt.Errorf("SHAREDCARE_ALLOWED_HOSTS is empty: name at least one host, or * for any"))
	}
	for _, p := range splitList(*values["SHAREDCARE_TRUSTED_PROXIES"]) {
		prefix, err := parsePrefix(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("SHAREDCARE_TRUSTED_PROXIES: %q is not an IP address or CIDR", p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix)
	}
	for _, o := range splitList(*values["SHAREDCARE_CORS_ORIGINS"]) {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			errs = append(errs, fmt.Errorf("SHAREDCARE_CORS_ORIGINS: %q is not an origin such as https://app.example.org", o))
			continue
		}
		c.CORSOrigins = append(c.CORSOrigins, o)
	}
	switch a := strings.ToLower(strings.TrimSpace(*values["SHAREDCARE_AUTH"])); a {
	case "on":
	case "off":
		c.AuthOff = true
	default:
		errs = append(errs, fmt.Errorf("SHAREDCARE_AUTH=%q: want on or off", a))
	}
	if c.AuthIssuers, err = issuers.ParseConfig(*values["SHAREDCARE_AUTH_ISSUERS"]); err != nil {
		errs = append(errs, fmt.Errorf("SHAREDCARE_AUTH_ISSUERS: %w", err))
	}
	errs = append(errs, c.validate()...)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

func (c *Config) validate() []error {
	var errs []error
	switch {
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		if _, err := url.Parse(c.DatabaseURL); err != nil {
			errs = append(errs, fmt.Errorf("SHAREDCARE_DATABASE_URL: %v", err))
		}
	case strings.HasPrefix(c.DatabaseURL, "sqlite:") && len(c.DatabaseURL) > len("sqlite:"):
	default:
		errs = append(errs, fmt.Errorf("SHAREDCARE_DATABASE_URL=%q: want postgres://… or sqlite:PATH", Redacted(c.DatabaseURL)))
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("SHAREDCARE_ADDR=%q: want host:port or :port", c.Addr))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("SHAREDCARE_BASE_URL=%q: want an absolute http(s) URL", c.BaseURL))
		}
	}
	return errs
}

// splitList splits a comma-separated setting, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parsePrefix reads a CIDR, or a single address as the prefix holding only it.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Redacted returns a database URL with its password hidden.
func Redacted(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil || u.User == nil {
		return dbURL
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// LogValue keeps secrets out of logs.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database_url", Redacted(c.DatabaseURL)),
		slog.String("addr", c.Addr),
		slog.String("base_url", c.BaseURL),
		slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Int("max_bundle_entries", c.MaxEntries),
		slog.String("log_level", c.LogLevel.String()),
		slog.Int("hna_threshold", c.HNAThreshold),
		slog.Int("unacknowledged_days", c.UnacknowledgedDays),
		slog.Any("allowed_hosts", c.AllowedHosts),
		slog.Any("trusted_proxies", c.TrustedProxies),
		slog.Duration("request_timeout", c.RequestTimeout),
		slog.Int("db_max_conns", c.DBMaxConns),
		slog.Any("allowed_modifier_extensions", c.AllowedModifierExtensions),
		slog.Bool("require_questionnaire", c.RequireQuestionnaire),
		slog.Any("auth_issuers", c.AuthIssuers),
	)
}
