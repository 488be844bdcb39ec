package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// statusOf maps an error kind to its HTTP status: the only place this happens.
var statusOf = map[fhirerr.Kind]int{
	fhirerr.Internal:             http.StatusInternalServerError,
	fhirerr.Invalid:              http.StatusBadRequest,
	fhirerr.Unprocessable:        http.StatusUnprocessableEntity,
	fhirerr.NotFound:             http.StatusNotFound,
	fhirerr.Gone:                 http.StatusGone,
	fhirerr.Conflict:             http.StatusConflict,
	fhirerr.PreconditionFailed:   http.StatusPreconditionFailed,
	fhirerr.PreconditionRequired: http.StatusPreconditionRequired,
	fhirerr.NotSupported:         http.StatusBadRequest,
	fhirerr.MethodNotAllowed:     http.StatusMethodNotAllowed,
	fhirerr.NotAcceptable:        http.StatusNotAcceptable,
	fhirerr.UnsupportedMediaType: http.StatusUnsupportedMediaType,
	fhirerr.TooLarge:             http.StatusRequestEntityTooLarge,
	fhirerr.NotModified:          http.StatusNotModified,
	fhirerr.Forbidden:            http.StatusForbidden,
	fhirerr.Unauthorized:         http.StatusUnauthorized,
	fhirerr.Unavailable:          http.StatusServiceUnavailable,
}

// retryAfterSeconds is the Retry-After sent with a 503: long enough for a
// restarting database or a queue of writers to clear, short enough that a
// clinician's retry is not noticeably delayed.
const retryAfterSeconds = "5"

// statusFor is the status of kind k. A kind missing from statusOf is a
// server fault (TestEveryKindHasAStatus catches it), so it is 500, never
// the 200 a zero status would make.
func statusFor(k fhirerr.Kind) int {
	if status, ok := statusOf[k]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// writeError is the one function that renders errors: a status from the
// kind and an OperationOutcome. Internal errors are logged in full and shown
// only as "internal error" with the request id.
func (a *API) writeError(c *gin.Context, err error) {
	fe := render(c.Request.Context(), err)
	status := statusFor(fe.Kind)
	switch fe.Kind {
	case fhirerr.Unavailable:
		c.Header("Retry-After", retryAfterSeconds)
	case fhirerr.Unauthorized:
		c.Header("WWW-Authenticate", challenge)
	}
	if fe.Kind == fhirerr.NotModified {
		c.Status(status)
		return
	}
	a.writeJSON(c, status, fhir.Outcome(fe.Issues...))
}

// render is err as the client sees it: itself when it is a fhirerr.Error;
// otherwise logged in full and shown as "internal error" with the request id.
func render(ctx context.Context, err error) *fhirerr.Error {
	var fe *fhirerr.Error
	if !errors.As(err, &fe) {
		loggerFrom(ctx).Error("internal error", "err", err)
		fe = fhirerr.New(fhirerr.Internal, "exception", "", "internal error (request id %s)", requestIDFrom(ctx))
	}
	return fe
}

// entryError renders the error of a batch entry for the router: its
// status and OperationOutcome, as writeError renders a request's.
func (a *API) entryError(ctx context.Context, err error) (int, []byte) {
	fe := render(ctx, err)
	return statusFor(fe.Kind), fhir.Outcome(fe.Issues...)
}

// writeJSON writes a JSON body in the negotiated content type, indented when
// the client asked for _pretty=true.
func (a *API) writeJSON(c *gin.Context, status int, body []byte) {
	ct := c.GetString(contentTypeKey)
	if ct == "" {
		ct = fhirJSON
	}
	if q, _ := c.Get(queryKey); q != nil && q.(url.Values).Get("_pretty") == "true" {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	c.Data(status, ct+"; charset=utf-8", body)
}

// contentTypeKey holds the negotiated response type in the gin context.
const contentTypeKey = "sharedcare.contentType"
