package httpapi

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// queryKey holds the request's parsed query parameters in the gin context.
const queryKey = "sharedcare.query"

// request is a FHIR request with its path already taken apart. Handlers see
// only this, never gin, so transactions can feed them entries later.
type request struct {
	method string
	typ    string // resource type, "" at the system level
	id     string
	vid    string // version id in .../_history/{vid}
	// compartment is the compartment type in /{compartment}/{id}/{type}
	// (id then names the compartment's owner).
	compartment string
	query       url.Values
	header      http.Header
	body        []byte
	base        string // the FHIR base URL, no trailing slash
	url         string // the request URL as the client sent it, for self links
	// svc carries out the interactions: the server's Service, or one bound
	// to the transaction whose entry this request is.
	svc *rest.Service
	// newID is the id a transaction assigned in advance to the resource
	// this POST creates, so other entries could refer to it; "" otherwise.
	newID string
	// warnings collects what the interaction warns of (see collectWarnings).
	warnings *rest.Warnings
}

// collectWarnings makes the interaction run under ctx collect its warnings
// for written to return.
func (r *request) collectWarnings(ctx context.Context) context.Context {
	ctx, r.warnings = rest.WithWarnings(ctx)
	return ctx
}

// response is what a handler produced: status, headers and a JSON body (nil
// for none).
type response struct {
	status int
	header http.Header
	body   []byte
	// outcome is an OperationOutcome of warnings about a write whose body
	// is the resource: a batch or transaction entry's response.outcome.
	outcome []byte
}

type handler func(ctx context.Context, r *request) (*response, error)

// route is one shape of FHIR URL and the handlers for its methods.
type route struct {
	shape   string // for messages and OpenAPI: /{type}/{id}
	methods map[string]handler
	form    bool // the POST body is a form (_search), not a resource
}

// match finds the route for a path below the FHIR base and fills the path
// parts of req.
func (a *API) match(segments []string, req *request) (*route, error) {
	h := a
	if n := len(segments); n > 0 && strings.HasPrefix(segments[n-1], "$") {
		return a.operation(segments, req)
	}
	switch n := len(segments); {
	case n == 0:
		return &route{shape: "/", methods: map[string]handler{http.MethodGet: h.search, http.MethodPost: h.batch}}, nil
	case n == 1 && segments[0] == "metadata":
		return &route{shape: "/metadata", methods: map[string]handler{http.MethodGet: h.capabilities}}, nil
	case n == 1 && segments[0] == "_history":
		return &route{shape: "/_history", methods: map[string]handler{http.MethodGet: h.history}}, nil
	case n == 1:
		req.typ = segments[0]
		return &route{shape: "/{type}", methods: map[string]handler{http.MethodGet: h.search, http.MethodPost: h.create,
			http.MethodPut: h.conditionalUpdate, http.MethodDelete: h.conditionalDelete, http.MethodPatch: h.conditionalPatch}}, nil
	case n == 2 && segments[1] == "_search":
		req.typ = segments[0]
		return &route{shape: "/{type}/_search", methods: map[string]handler{http.MethodPost: h.search}, form: true}, nil
	case n == 2 && segments[1] == "_history":
		req.typ = segments[0]
		return &route{shape: "/{type}/_history", methods: map[string]handler{http.MethodGet: h.history}}, nil
	case n == 2:
		req.typ, req.id = segments[0], segments[1]
		return &route{shape: "/{type}/{id}", methods: map[string]handler{
			http.MethodGet: h.read, http.MethodPut: h.update, http.MethodDelete: h.delete, http.MethodPatch: h.patch}}, nil
	case n == 3 && segments[2] != "_history":
		req.compartment, req.id, req.typ = segments[0], segments[1], segments[2]
		return &route{shape: "/{compartment}/{id}/{type}", methods: map[string]handler{http.MethodGet: h.search}}, nil
	case n == 3 && segments[2] == "_history":
		req.typ, req.id = segments[0], segments[1]
		return &route{shape: "/{type}/{id}/_history", methods: map[string]handler{http.MethodGet: h.history}}, nil
	case n == 4 && segments[2] == "_history":
		req.typ, req.id, req.vid = segments[0], segments[1], segments[3]
		return &route{shape: "/{type}/{id}/_history/{vid}", methods: map[string]handler{http.MethodGet: h.vread}}, nil
	}
	return nil, fhirerr.New(fhirerr.NotFound, "not-found", "", "%s/%s is not a FHIR URL this server knows",
		FHIRBase, strings.Join(segments, "/"))
}

// fhir serves everything below the FHIR base.
func (a *API) fhir(c *gin.Context) {
	// The query is read once, strictly: a parameter that cannot be read
	// fails the request rather than vanish from it (search.ParseQuery).
	query, err := search.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		a.writeError(c, err)
		return
	}
	c.Set(queryKey, query)
	ct, err := responseType(c.Request, query)
	if err != nil {
		a.writeError(c, err)
		return
	}
	c.Set(contentTypeKey, ct)
	resp, err := a.serve(c, query)
	if err != nil {
		a.writeError(c, err)
		return
	}
	for k, vs := range resp.header {
		c.Writer.Header()[k] = vs
	}
	if resp.body == nil {
		c.Status(resp.status)
		return
	}
	a.writeJSON(c, resp.status, resp.body)
}

func (a *API) serve(c *gin.Context, query url.Values) (*response, error) {
	base, err := a.origin.baseURL(c.Request)
	if err != nil {
		return nil, err
	}
	req := &request{
		method: c.Request.Method,
		query:  query,
		header: c.Request.Header,
		base:   base,
		svc:    a.opts.Service,
	}
	req.url = req.base + strings.TrimPrefix(c.Request.URL.Path, FHIRBase)
	if c.Request.URL.RawQuery != "" {
		req.url += "?" + c.Request.URL.RawQuery
	}
	path := strings.Trim(strings.TrimPrefix(c.Request.URL.Path, FHIRBase), "/")
	var segments []string
	if path != "" {
		segments = strings.Split(path, "/")
	}
	rt, err := a.match(segments, req)
	if err != nil {
		return nil, err
	}
	method := req.method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	h, ok := rt.methods[method]
	if !ok {
		allowed := make([]string, 0, len(rt.methods))
		for m := range rt.methods {
			allowed = append(allowed, m)
		}
		sort.Strings(allowed)
		c.Header("Allow", strings.Join(allowed, ", "))
		return nil, fhirerr.New(fhirerr.MethodNotAllowed, "not-supported", "",
			"%s is not supported on %s (allowed: %s)", req.method, rt.shape, strings.Join(allowed, ", "))
	}
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		allowed := []string{fhirJSON, plainJSON, "application/json+fhir"}
		switch {
		case rt.form:
			allowed = []string{formType}
		case method == http.MethodPatch:
			allowed = append(allowed, jsonPatchType)
		}
		if err := checkRequestType(c.Request, allowed...); err != nil {
			return nil, err
		}
		if req.body, err = a.readBody(c); err != nil {
			return nil, err
		}
		if !rt.form {
			if err := fhirjson.CheckLimits(req.body, a.bodyLimits()); err != nil {
				return nil, bodyTooCostly(err)
			}
		}
	}
	ctx := rest.WithBase(c.Request.Context(), req.base)
	return h(ctx, req)
}

// readBody reads the request body up to the configured limit.
func (a *API) readBody(c *gin.Context) ([]byte, error) {
	limit := a.opts.MaxBodyBytes
	if c.Request.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	// With a Content-Length the body is read into one buffer of its size,
	// not grown by doubling: a large body costs its size once.
	var buf bytes.Buffer
	if n := c.Request.ContentLength; n > 0 {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	body := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, fhirerr.Wrap(fhirerr.Invalid, "invalid", err, "could not read the request body")
	}
	return body, nil
}

// bodyLimits bound a whole JSON body before anything decodes it: a batch
// or transaction Bundle as a whole (each resource in it is bounded again,
// more tightly, by fhirjson.Parse), a JSON Patch, an operation's Parameters.
func (a *API) bodyLimits() fhirjson.Limits {
	l := fhirjson.DefaultLimits
	l.MaxEntries = a.opts.MaxBundleEntries
	l.MaxNodes = a.opts.MaxBodyNodes
	return l
}

func bodyTooCostly(err error) error {
	var le *fhirjson.LimitError
	if errors.As(err, &le) {
		return rest.TooCostly(le)
	}
	return err
}

func tooLarge(limit int64) error {
	return fhirerr.New(fhirerr.TooLarge, "too-costly", "", "the request body is larger than the limit of %d bytes", limit)
}
