package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

type loggerKey struct{}
type requestIDKey struct{}

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestContext gives every request an id (the client's, when it sent a
// sane one) and a logger carrying it, and logs one line when the request ends.
func (a *API) requestContext(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if !clientRequestID.MatchString(id) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	log := a.opts.Logger.With("request_id", id)
	ctx := context.WithValue(c.Request.Context(), loggerKey{}, log)
	ctx = context.WithValue(ctx, requestIDKey{}, id)
	c.Request = c.Request.WithContext(ctx)
	c.Header(RequestIDHeader, id)
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if log.Enabled(ctx, level) { // spare building the line when it goes nowhere
		log.Log(ctx, level, "request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "bytes", c.Writer.Size())
	}
}

// securityHeaders keeps browsers from sniffing a FHIR body into something
// executable, and keeps patient data out of every cache between the server
// and the client: anything under the FHIR base may hold it, including error
// messages that quote input. Only the CapabilityStatement is public.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if p := c.Request.URL.Path; (p == FHIRBase || strings.HasPrefix(p, FHIRBase+"/")) && p != FHIRBase+"/metadata" {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

// deadline gives the request its deadline. Everything below takes the
// request's context, so the store stops its statements, rolls back its
// transaction and answers Unavailable (503) when the deadline passes, rather
// than working on for a client that has given up or been cut off by the
// server's write timeout.
func (a *API) deadline(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), a.opts.RequestTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// recoverPanic turns a panic into a logged 500 OperationOutcome.
func (a *API) recoverPanic(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			loggerFrom(c.Request.Context()).Error("panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			a.writeError(c, fmt.Errorf("panic: %v", p))
		}
	}()
	c.Next()
}

func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func notFoundPath(path string) error {
	return fhirerr.New(fhirerr.NotFound, "not-found", "", "nothing is served at %s; the FHIR API is at %s", path, FHIRBase)
}
