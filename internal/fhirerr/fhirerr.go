// Package fhirerr is sharedcare's one error vocabulary. Every layer below the
// HTTP API reports failures as *Error values of a Kind; only the HTTP layer
// turns a Kind into a status code and an OperationOutcome.
package fhirerr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind classifies an error by what the client can do about it.
type Kind int

// The kinds, each with the HTTP status the API layer gives it.
const (
	Internal             Kind = iota // 500
	Invalid                          // 400: malformed request or resource
	Unprocessable                    // 422: well-formed but breaks a business rule
	NotFound                         // 404
	Gone                             // 410: deleted
	Conflict                         // 409
	PreconditionFailed               // 412
	PreconditionRequired             // 428
	NotSupported                     // 404/405/400: type, interaction or feature not offered
	MethodNotAllowed                 // 405
	NotAcceptable                    // 406: cannot produce the requested format
	UnsupportedMediaType             // 415
	TooLarge                         // 413
	NotModified                      // 304: not an error to the client, but ends the request
	Forbidden                        // 403
	Unauthorized                     // 401
	// Unavailable: the server cannot do it now (the database is down, too
	// slow to answer within the request's deadline, or busy with other
	// writes) but may later; answered 503 with Retry-After.
	Unavailable // 503

	// numKinds stays last: Kinds counts the kinds above it, so a kind
	// added at the end is picked up by every table test.
	numKinds
)

// Kinds lists every kind, so tests can prove each one has a status and a name.
func Kinds() []Kind {
	out := make([]Kind, numKinds)
	for i := range out {
		out[i] = Kind(i)
	}
	return out
}

var kindNames = [...]string{"internal", "invalid", "unprocessable", "not-found", "gone", "conflict",
	"precondition-failed", "precondition-required", "not-supported", "method-not-allowed",
	"not-acceptable", "unsupported-media-type", "too-large", "not-modified", "forbidden", "unauthorized",
	"unavailable"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Issue is one OperationOutcome.issue: an IssueType code, a human message and
// the FHIRPath of the element at fault (empty when the whole request is at fault).
type Issue struct {
	Severity    string // fatal | error | warning | information; empty means error
	Code        string // FHIR IssueType: invalid, structure, required, value, not-found, ...
	Diagnostics string
	Expression  string
}

// Error is a classified failure with one or more issues.
type Error struct {
	Kind   Kind
	Issues []Issue
	cause  error
}

func (e *Error) Error() string {
	if len(e.Issues) == 0 {
		if e.cause != nil {
			return e.Kind.String() + ": " + e.cause.Error()
		}
		return e.Kind.String()
	}
	msg := e.Issues[0].Diagnostics
	if e.Issues[0].Expression != "" {
		msg = e.Issues[0].Expression + ": " + msg
	}
	if n := len(e.Issues); n > 1 {
		msg += fmt.Sprintf(" (and %d more)", n-1)
	}
	return msg
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error of kind k with one issue. String arguments are
// usually client input (an id, a parameter value) and are clipped to
// MaxQuoted bytes, so an error never echoes a megabyte back.
func New(k Kind, code, expression, format string, args ...any) *Error {
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > MaxQuoted {
			args = append([]any(nil), args...) // the caller's slice stays as it was
			args[i] = Clip(s, MaxQuoted)
		}
	}
	return &Error{Kind: k, Issues: []Issue{{Code: code, Expression: expression, Diagnostics: fmt.Sprintf(format, args...)}}}
}

// MaxQuoted is the most bytes of one piece of client input an error quotes.
const MaxQuoted = 200

// Clip shortens s to at most max bytes, cut on a UTF-8 character boundary
// and ending in "…" when anything was cut.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// WithIssues returns an error of kind k carrying the given issues.
func WithIssues(k Kind, issues []Issue) *Error {
	return &Error{Kind: k, Issues: issues}
}

// Wrap classifies cause as kind k with one issue whose diagnostics is msg.
func Wrap(k Kind, code string, cause error, msg string) *Error {
	return &Error{Kind: k, Issues: []Issue{{Code: code, Diagnostics: msg}}, cause: cause}
}

// ClipQuoted clips every double-quoted passage of msg (quoted client
// input, as %q and the validator write it) to MaxQuoted bytes, for
// messages built other than by New.
func ClipQuoted(msg string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(msg, '"')
		if open < 0 {
			b.WriteString(msg)
			return b.String()
		}
		end := open + 1
		for end < len(msg) && msg[end] != '"' {
			if msg[end] == '\\' {
				end++
			}
			end++
		}
		end = min(end, len(msg))
		b.WriteString(msg[:open+1])
		b.WriteString(Clip(msg[open+1:end], MaxQuoted))
		if end == len(msg) {
			return b.String()
		}
		b.WriteByte('"')
		msg = msg[end+1:]
	}
}

// KindOf reports the Kind of err: the kind of the first *Error in its chain,
// or Internal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is an *Error of kind k.
func Is(err error, k Kind) bool {
	return err != nil && KindOf(err) == k
}

// Convenience constructors for the common cases.

// Invalidf is a 400 with issue code "invalid".
func Invalidf(expression, format string, args ...any) *Error {
	return New(Invalid, "invalid", expression, format, args...)
}

// NotFoundf is a 404 with issue code "not-found".
func NotFoundf(format string, args ...any) *Error {
	return New(NotFound, "not-found", "", format, args...)
}

// NotSupportedf is a "not-supported" failure.
func NotSupportedf(format string, args ...any) *Error {
	return New(NotSupported, "not-supported", "", format, args...)
}
