// Command sharedcare serves the shared cancer care record: a FHIR R4
// REST/JSON server for hospital oncology teams and general practice.
//
//	sharedcare              serve (the default)
//	sharedcare migrate      bring the database schema up to date and exit
//	sharedcare reindex      rebuild the search index of every resource and exit
//	sharedcare seed [-patients N] [-seed S] [-force]
//	                        load a generated shared-care population (about 21
//	                        resources a patient) for scale tests
//	sharedcare healthcheck  exit 0 when the local server answers /healthz
//	sharedcare clients add|list|disable|enable|remove
//	                        manage the registered SMART Backend Services clients
//	sharedcare keys rotate  add a new signing key for access tokens; print its kid
//	sharedcare token --client ID --key FILE
//	                        get an access token from a running server, as a client does
//	sharedcare version      print the version
//
// Configuration comes from SHAREDCARE_* environment variables, mirrored by
// flags; see `sharedcare -help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/issuers"
	"github.com/sharedcare/sharedcare/internal/auth/token"
	"github.com/sharedcare/sharedcare/internal/config"
	"github.com/sharedcare/sharedcare/internal/httpapi"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/workflow"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); errors.Is(err, flag.ErrHelp) {
		return // the usage is printed
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "sharedcare:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "version" {
		fmt.Println("sharedcare", version)
		return nil
	}
	switch cmd { // commands that read their own arguments
	case "clients":
		return clientsCmd(ctx, args, os.Getenv, os.Stdout, os.Stderr)
	case "keys":
		return keysCmd(ctx, args, os.Getenv, os.Stdout, os.Stderr)
	case "token":
		return tokenCmd(ctx, args, os.Stdout, os.Stderr)
	}
	var seedOpts seedOptions
	if cmd == "seed" {
		var err error
		if seedOpts, args, err = parseSeedFlags(args, os.Stderr); err != nil {
			return err
		}
	}
	cfg, err := config.Load(args, os.Getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		st, err := openStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		return st.Close()
	case "reindex":
		return reindex(ctx, cfg, log)
	case "seed":
		return seedPopulation(ctx, cfg, log, seedOpts)
	case "healthcheck":
		return healthcheck(ctx, cfg)
	}
	return fmt.Errorf("unknown command %q (want serve, migrate, reindex, seed, healthcheck, clients, keys, token or version)", cmd)
}

// openStore connects and migrates.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*sqlstore.Store, error) {
	st, err := sqlstore.OpenWith(ctx, cfg.DatabaseURL, sqlstore.Options{MaxOpenConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	log.Info("database ready", "dialect", st.Dialect(), "schema_version", v)
	return st, nil
}

// openAll loads the registry and opens (and migrates) the store.
func openAll(ctx context.Context, cfg *config.Config, log *slog.Logger) (*registry.Registry, *sqlstore.Store, error) {
	reg, err := registry.Load(api.FS)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	return reg, st, nil
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	log.Info("starting sharedcare", "version", version, "config", cfg)
	reg, st, err := openAll(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()

	svc := rest.New(st, reg)
	svc.AllowModifierExtensions(cfg.AllowedModifierExtensions)
	wf := workflow.New(svc, workflow.Config{
		ExtractThreshold:     cfg.HNAThreshold,
		UnacknowledgedAfter:  time.Duration(cfg.UnacknowledgedDays) * 24 * time.Hour,
		RequireQuestionnaire: cfg.RequireQuestionnaire,
	})
	if err := wf.LoadContent(ctx, api.FS); err != nil {
		return err
	}
	db, err := st.DB()
	if err != nil {
		return err
	}
	tokens, err := token.New(ctx, st, token.Options{})
	if err != nil {
		return err
	}
	var authenticator auth.Authenticator = tokens
	if len(cfg.AuthIssuers) > 0 {
		authenticator = issuers.New(ctx, cfg.AuthIssuers, nil).Or(tokens)
	}
	if cfg.AuthOff {
		log.Warn("authentication is OFF (SHAREDCARE_AUTH=off): anyone who can reach this port may read and change every record; never run a server holding real patients' data like this")
	}
	handler := httpapi.New(httpapi.Options{
		Authenticator:    authenticator,
		TokenServer:      tokens,
		AuthOff:          cfg.AuthOff,
		Service:          svc,
		Workflow:         wf,
		Registry:         reg,
		BaseURL:          cfg.BaseURL,
		AllowedHosts:     cfg.AllowedHosts,
		TrustedProxies:   cfg.TrustedProxies,
		MaxBodyBytes:     cfg.MaxBodyBytes,
		MaxBundleEntries: cfg.MaxEntries,
		Logger:           log,
		Version:          version,
		Ready:            st.Ping,
		RequestTimeout:   cfg.RequestTimeout,
		CORSOrigins:      cfg.CORSOrigins,
		// The pool's use (open, in use, waits) beside the request metrics.
		MetricsCollectors: []prometheus.Collector{collectors.NewDBStatsCollector(db, st.Dialect())},
	})
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      writeTimeout(cfg.RequestTimeout),
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "fhir_base", httpapi.FHIRBase)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Finish in-flight requests before closing the database under them.
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// writeTimeout is the http.Server's WriteTimeout for a request deadline. It
// runs from the end of the request headers to the end of the response, so it
// must outlast the deadline (body read and handler) plus the time to render
// and send the answer: otherwise the server cuts the connection first and
// the client never hears the 503 that the deadline produces.
func writeTimeout(requestTimeout time.Duration) time.Duration {
	return max(60*time.Second, requestTimeout+30*time.Second)
}

// reindex rebuilds every resource's search index, for after search
// parameter definitions change (or an upgrade adds index tables).
func reindex(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	return reindexWith(ctx, cfg, log, stderrIsTerminal(), os.Stderr, 5*time.Second)
}

// reindexWith reindexes, showing progress as a bar on out when terminal
// and as log lines every interval otherwise.
func reindexWith(ctx context.Context, cfg *config.Config, log *slog.Logger, terminal bool, out io.Writer, interval time.Duration) error {
	reg, st, err := openAll(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	total, err := st.CountCurrent(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	p := newProgress("reindexing", "resources", total, terminal, out, log, interval)
	n, err := rest.New(st, reg).Reindex(ctx, func(done int) { p.set(int64(done)) })
	p.finish()
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	log.Info("reindexed", "resources", n, "seconds", secs, "per_second", int(float64(n)/secs))
	return nil
}

// healthcheck asks the local server for /healthz, for container health checks
// in images that have no shell or curl.
func healthcheck(ctx context.Context, cfg *config.Config) error {
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %s", resp.Status)
	}
	return nil
}
