// Package httpapi is sharedcare's HTTP face: the gin engine, middleware, the
// one generic set of FHIR handlers and the one place errors become
// OperationOutcomes. Handlers are plain functions from a request to a
// response or an error; gin appears only in the adapter and the middleware.
//
//	@title						sharedcare FHIR R4 API
//	@version					0.1
//	@description				The shared cancer care record between hospital oncology teams and general practice: a FHIR R4 REST/JSON server. Every FHIR response body is FHIR JSON (application/fhir+json); every error is an OperationOutcome. SMART's token endpoint, key set and discovery document answer in OAuth's JSON. The served resource types and their interactions are listed by GET /metadata.
//	@license.name				Apache-2.0
//	@license.url				https://www.apache.org/licenses/LICENSE-2.0
//	@BasePath					/fhir
//	@accept						json
//	@produce					json
//
//	@securityDefinitions.apikey	bearer
//	@in							header
//	@name						Authorization
//	@description				Every FHIR path but /metadata and SMART's three public endpoints needs an access token: send "Bearer <access_token>". Get one from POST /auth/token (SMART Backend Services) or from an issuer the server trusts (SHAREDCARE_AUTH_ISSUERS).
//
//	@securitydefinitions.oauth2.application	smart
//	@tokenUrl								/fhir/auth/token
//	@description							SMART App Launch 2.x Backend Services: grant client_credentials, the client authenticated by a private_key_jwt assertion (RS384 or ES384) rather than a secret. Any SMART v2 system scope, granular ones too (system/Observation.rs?category=…), and the v1 forms; the server's own types are listed by GET /.well-known/smart-configuration.
//	@scope.system/*.cruds					Create, read, update, delete and search every type
//	@scope.system/*.rs						Read and search every type
//	@scope.system/*.read					Read and search every type (SMART v1)
//	@scope.system/*.write					Create, update and delete every type (SMART v1)
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/router"
	"github.com/sharedcare/sharedcare/internal/workflow"
)

// Options configures the API.
type Options struct {
	Service  *rest.Service
	Registry *registry.Registry
	// Workflow serves the shared-care operations ($handover, $extract,
	// $shared-care-summary, $overdue); nil leaves them out.
	Workflow *workflow.Workflow
	BaseURL  string // public FHIR base URL; empty derives it from each request
	// AllowedHosts are the Host values a base is derived from when BaseURL
	// is empty (host, host:port, *.domain, or * for any); nil means
	// DefaultAllowedHosts. Any other Host gets 400.
	AllowedHosts []string
	// TrustedProxies are the peers whose X-Forwarded-Proto, X-Forwarded-Host
	// and X-Forwarded-For are believed; none by default.
	TrustedProxies []netip.Prefix
	MaxBodyBytes   int64
	// MaxBundleEntries bounds the entries of a batch (larger: 413).
	MaxBundleEntries int
	// MaxBodyNodes bounds the JSON values of a whole body (more: 413);
	// each resource in it is bounded by fhirjson.DefaultLimits too.
	MaxBodyNodes int
	Logger       *slog.Logger
	Version      string                          // software version reported in /metadata
	Ready        func(ctx context.Context) error // readiness check, e.g. a database ping
	// Interaction are the interaction middlewares, applied in order (the
	// first outermost) around every FHIR interaction: each request, each
	// batch or transaction entry, each $operation (router.Middleware).
	Interaction []router.Middleware
	// RequestTimeout is every request's deadline (default 30 s): the
	// database work it does stops there and it gets 503.
	RequestTimeout time.Duration
	// CORSOrigins are the browser origins allowed cross-origin calls; none
	// sends no CORS headers.
	CORSOrigins []string
	// Authenticator verifies the bearer token every request under the FHIR
	// base needs (but /metadata and the SMART discovery, token and key
	// paths). Nil lets nobody in, unless AuthOff.
	Authenticator auth.Authenticator
	// AuthOff switches authentication off (SHAREDCARE_AUTH=off): every
	// caller may do everything. /metadata says so.
	AuthOff bool
	// TokenServer serves {base}/auth/token and {base}/auth/jwks; nil: not served.
	TokenServer TokenServer
	// MetricsCollectors are served at /metrics beside the request, Go
	// runtime and process metrics, e.g. the database pool's.
	MetricsCollectors []prometheus.Collector
}

// DefaultRequestTimeout is the deadline of a request when Options gives none.
const DefaultRequestTimeout = 30 * time.Second

// Defaults of the body limits (see README, Request body limits). 8 MiB
// holds a 10,000-entry transaction of typical resources (the README's
// treatment summary averages 800 bytes an entry) or a document with a
// scanned letter; 500,000 JSON values is 50 for each of 10,000 entries,
// twice what that treatment summary uses.
const (
	DefaultMaxBodyBytes = 8 << 20
	DefaultMaxBodyNodes = 500000
)

// API serves FHIR over HTTP.
type API struct {
	opts    Options
	router  *router.Router
	origin  origin
	started time.Time
}

// FHIRBase is where the FHIR API is mounted.
const FHIRBase = "/fhir"

// New returns the HTTP handler for the whole server.
func New(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxBodyNodes <= 0 {
		opts.MaxBodyNodes = DefaultMaxBodyNodes
	}
	if opts.MaxBundleEntries <= 0 {
		opts.MaxBundleEntries = 10000
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.AllowedHosts == nil {
		opts.AllowedHosts = DefaultAllowedHosts
	}
	a := &API{opts: opts, started: time.Now().UTC(),
		origin: origin{base: strings.TrimSuffix(opts.BaseURL, "/"), hosts: opts.AllowedHosts, proxies: opts.TrustedProxies}}
	var ops []router.Operation
	if opts.Workflow != nil {
		ops = opts.Workflow.Operations()
	}
	a.router = router.New(router.Options{Registry: opts.Registry, Operations: ops, Middleware: opts.Interaction, AuthOff: opts.AuthOff,
		EntryError: a.entryError, Path: FHIRBase, MaxBundleEntries: opts.MaxBundleEntries, Version: opts.Version, Started: a.started})
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	// gin believes X-Forwarded-For from anyone unless told otherwise; the
	// client address (logs, and the audit trail to come) must not be forgeable.
	proxies := make([]string, len(opts.TrustedProxies))
	for i, p := range opts.TrustedProxies {
		proxies[i] = p.String()
	}
	if err := e.SetTrustedProxies(proxies); err != nil {
		panic(fmt.Sprintf("httpapi.New: trusted proxies: %v", err)) // prefixes were parsed already
	}
	e.HandleMethodNotAllowed = false
	e.RedirectTrailingSlash = false
	m := newMetrics(func(typ string) bool {
		if opts.Registry == nil {
			return false
		}
		_, ok := opts.Registry.Lookup(typ)
		return ok
	}, opts.MetricsCollectors)
	e.Use(a.requestContext, m.observe)
	if len(opts.CORSOrigins) > 0 {
		e.Use(corsMiddleware(opts.CORSOrigins))
	}
	e.Use(a.deadline, securityHeaders, a.recoverPanic)

	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", a.readyz)
	e.GET("/openapi.json", a.serveOpenAPI)
	e.GET("/docs", serveDocs)
	e.GET("/docs/*file", a.serveDocsAsset)
	e.GET("/metrics", m.handler)
	e.Any(FHIRBase, a.fhir)
	e.Any(FHIRBase+"/*path", a.fhir)
	e.NoRoute(func(c *gin.Context) {
		a.writeError(c, notFoundPath(c.Request.URL.Path))
	})
	return e
}

func (a *API) readyz(c *gin.Context) {
	if a.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := a.opts.Ready(ctx); err != nil {
			loggerFrom(c.Request.Context()).Warn("not ready", "err", err)
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable"})
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}
