package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/router"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// queryKey holds the request's parsed query parameters in the gin context.
const queryKey = "sharedcare.query"

// fhir serves everything below the FHIR base.
func (a *API) fhir(c *gin.Context) {
	// The base the request reached (and a token's audience), once: a Host
	// the server does not answer to is refused before anything else.
	base, err := a.origin.baseURL(c.Request)
	if err != nil {
		a.writeError(c, err)
		return
	}
	path := strings.TrimPrefix(c.Request.URL.Path, FHIRBase)
	if a.servePublic(c, path, base) {
		return
	}
	if !isPublic(path) {
		ctx, err := a.authenticate(c, base)
		if err != nil {
			a.writeError(c, err)
			return
		}
		c.Request = c.Request.WithContext(ctx)
	}
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
	resp, err := a.serve(c, query, base)
	if err != nil {
		a.writeError(c, err)
		return
	}
	for k, vs := range resp.Header {
		c.Writer.Header()[k] = vs
	}
	if resp.Body == nil {
		c.Status(resp.Status)
		return
	}
	a.writeJSON(c, resp.Status, resp.Body)
}

func (a *API) serve(c *gin.Context, query url.Values, base string) (*router.Response, error) {
	req := &router.Request{
		Method:  c.Request.Method,
		Query:   query,
		Header:  c.Request.Header,
		Base:    base,
		Service: a.opts.Service,
	}
	req.URL = req.Base + strings.TrimPrefix(c.Request.URL.Path, FHIRBase)
	if c.Request.URL.RawQuery != "" {
		req.URL += "?" + c.Request.URL.RawQuery
	}
	m, err := a.router.Match(req, strings.TrimPrefix(c.Request.URL.Path, FHIRBase))
	if err != nil {
		if m != nil { // the path is served, the method not
			c.Header("Allow", m.Allow())
		}
		return nil, err
	}
	c.Set(matchedKey, matched{m, req})
	if method := req.Method; method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		allowed := []string{fhirJSON, plainJSON, "application/json+fhir"}
		switch {
		case m.Form():
			allowed = []string{router.FormType}
		case method == http.MethodPatch:
			allowed = append(allowed, jsonPatchType)
		}
		if err := checkRequestType(c.Request, allowed...); err != nil {
			return nil, err
		}
		if req.Body, err = a.readBody(c); err != nil {
			return nil, err
		}
		if !m.Form() {
			if err := fhirjson.CheckLimits(req.Body, a.bodyLimits()); err != nil {
				return nil, bodyTooCostly(err)
			}
		}
	}
	return m.Serve(c.Request.Context(), req)
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
