// Package router is sharedcare's FHIR REST router, free of HTTP servers:
// the interactions (read, vread, create, update, patch, delete, their
// conditional forms, history, search, capabilities, batch, transaction and
// every $operation) are one route table built once, matched by path shape
// and method. Every matched interaction — a single request, each batch or
// transaction entry, each operation — passes the one chain of interaction
// middlewares, the place where authorisation and audit hang. Batch and
// transaction processing live here and replay their entries through the same
// table and chain (Medplum's fhir-router is the model).
//
// Handlers take a Request and return a Response or an error; the HTTP
// adapter (internal/httpapi) turns gin requests into Requests, Responses into
// HTTP, and errors into OperationOutcomes.
package router

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
)

// Media types the handlers read.
const (
	FHIRJSON  = "application/fhir+json"
	PlainJSON = "application/json"
	// JSONPatchType is RFC 6902 JSON Patch, one of the two PATCH formats.
	JSONPatchType = "application/json-patch+json"
	// FormType is the body of POST /{type}/_search.
	FormType = "application/x-www-form-urlencoded"
)

// Request is a FHIR request with its path taken apart.
type Request struct {
	Method string
	Type   string // resource type, "" at the system level
	ID     string
	VID    string // version id in .../_history/{vid}
	// Compartment is the compartment type in /{compartment}/{id}/{type}
	// (ID then names the compartment's owner).
	Compartment string
	// Operation is the operation's code (without $) of an operation request.
	Operation string
	Query     url.Values
	Header    http.Header
	Body      []byte
	Base      string // the FHIR base URL, no trailing slash
	URL       string // the request URL as the client sent it, for self links
	// Service carries out the interactions: the server's Service, or one
	// bound to the transaction whose entry this request is.
	Service *rest.Service

	kind Kind
	rt   *Router
	// newID is the id a transaction assigned in advance to the resource
	// this POST creates, so other entries could refer to it; "" otherwise.
	newID string
	// warnings collects what the interaction warns of (see collectWarnings).
	warnings *rest.Warnings
	// bundle is the decoded batch or transaction Bundle of a POST to the base.
	bundle *bundleRequest
	// types narrow a system history to what the caller may search; nil
	// for every type (see authorize).
	types []string
}

// Kind is the interaction a request is.
func (r *Request) Kind() Kind { return r.kind }

// Transaction runs a transaction Bundle with tx (see Router.Transaction);
// operation handlers use it.
func (r *Request) Transaction(ctx context.Context, tx *rest.Service, bundle []byte) (*TransactionResult, error) {
	return r.rt.Transaction(ctx, tx, bundle)
}

// CheckEntries refuses a Bundle of n entries when that is more than the
// router takes (Options.MaxBundleEntries): 413.
func (r *Request) CheckEntries(n int) error {
	if max := r.rt.opts.MaxBundleEntries; n > max {
		return fhirerr.New(fhirerr.TooLarge, "too-costly", "Bundle.entry", "the Bundle has %d entries; the limit is %d", n, max)
	}
	return nil
}

// collectWarnings makes the interaction run under ctx collect its warnings
// for written to return.
func (r *Request) collectWarnings(ctx context.Context) context.Context {
	ctx, r.warnings = rest.WithWarnings(ctx)
	return ctx
}

// Response is what a handler produced: status, headers and a JSON body (nil
// for none).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Outcome is an OperationOutcome of warnings about a write whose body
	// is the resource: a batch or transaction entry's response.outcome.
	Outcome []byte
}

// Handler carries out one interaction.
type Handler func(ctx context.Context, r *Request) (*Response, error)

// Middleware decorates every matched interaction: it may refuse it (return
// an error without calling next), and sees its outcome when next returns.
type Middleware func(next Handler) Handler

// Options configure a Router.
type Options struct {
	Registry *registry.Registry
	// Operations are the $operations' Go functions, by code; each must have
	// an OperationDefinition in the registry, and each definition a function
	// (New panics otherwise: a programming error caught by every test).
	Operations []Operation
	// Middleware is applied around every interaction, the first outermost.
	Middleware []Middleware
	// EntryError renders the error of one batch entry as its status and
	// OperationOutcome: the HTTP layer's renderer, so that the one mapping
	// of error kinds to statuses stays there.
	EntryError func(ctx context.Context, err error) (status int, outcome []byte)
	// Path is where the FHIR base is mounted ("/fhir"), for messages.
	Path string
	// MaxBundleEntries bounds the entries of a batch or transaction.
	MaxBundleEntries int
	Version          string    // software version reported in /metadata
	Started          time.Time // reported in /metadata
	// AuthOff says authentication is switched off (SHAREDCARE_AUTH=off):
	// /metadata then says so instead of offering SMART-on-FHIR security.
	AuthOff bool
}

// Router matches requests to interactions and carries them out.
type Router struct {
	opts   Options
	routes []*route
	// batchH and transactionH are the decorated handlers of a Bundle POSTed
	// to the base, chosen once its type is read.
	batchH, transactionH Handler
	started              time.Time
}

// New builds the route table, once.
func New(opts Options) *Router {
	if opts.MaxBundleEntries <= 0 {
		opts.MaxBundleEntries = 10000
	}
	if opts.Started.IsZero() {
		opts.Started = time.Now().UTC()
	}
	rt := &Router{opts: opts, started: opts.Started}
	rt.opts.Operations = append(rt.Builtin(), opts.Operations...)
	rt.routes = rt.table()
	rt.batchH = rt.decorate(KindBatch, rt.batch)
	rt.transactionH = rt.decorate(KindTransaction, rt.transaction)
	return rt
}

// decorate wraps h in the middleware chain, marking the request as an
// interaction of kind k first. Authorisation is innermost: the middlewares
// (authentication, audit, metrics) see what it refuses, and it sees the
// principal authentication put in the context.
func (rt *Router) decorate(k Kind, h Handler) Handler {
	inner := h
	h = func(ctx context.Context, r *Request) (*Response, error) {
		if err := rt.authorize(ctx, r); err != nil {
			return nil, err
		}
		return inner(ctx, r)
	}
	for i := len(rt.opts.Middleware) - 1; i >= 0; i-- {
		h = rt.opts.Middleware[i](h)
	}
	return func(ctx context.Context, r *Request) (*Response, error) {
		r.kind, r.rt = k, rt
		return h(ctx, r)
	}
}

// Interaction describes a matched interaction, for middlewares.
type Interaction struct {
	Kind      Kind
	Type, ID  string
	Operation string // the code, for KindOperation
	Caller    auth.Principal
	// Status and Err are the outcome, once the handler returned (see
	// Outcome): Status is the response's on success, Err the error otherwise.
	Status int
	Err    error
}

// Interaction describes r as run under ctx.
func (r *Request) Interaction(ctx context.Context) Interaction {
	return Interaction{Kind: r.kind, Type: r.Type, ID: r.ID, Operation: r.Operation, Caller: auth.PrincipalFrom(ctx)}
}

// Outcome completes i with what the handler returned.
func (i Interaction) Outcome(resp *Response, err error) Interaction {
	i.Err = err
	if err == nil && resp != nil {
		i.Status = resp.Status
	}
	return i
}
