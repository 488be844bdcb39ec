// Package fhir holds sharedcare's view of a stored resource (an envelope
// around its JSON bytes), references between resources, and builders for the
// Bundle and OperationOutcome responses. It never parses a resource to serve
// it: stored bytes are written out as they are.
package fhir

import (
	"strconv"
	"time"
)

// Resource is one version of a stored resource.
type Resource struct {
	Type        string
	ID          string
	Version     int64
	LastUpdated time.Time // UTC, millisecond precision
	Deleted     bool      // this version is a deletion: Body is empty
	Body        []byte    // the resource JSON exactly as stored
	Method      string    // history only: POST, PUT or DELETE
}

// VersionID is meta.versionId as a string.
func (r *Resource) VersionID() string { return strconv.FormatInt(r.Version, 10) }

// ETag is the weak entity tag of this version.
func (r *Resource) ETag() string { return ETag(r.Version) }

// ETag renders a version as a weak ETag, W/"3".
func ETag(version int64) string { return `W/"` + strconv.FormatInt(version, 10) + `"` }

// ParseETag reads a version from an ETag or If-Match value. It accepts W/"3",
// "3" and 3 (clients differ); ok is false when there is no version in it.
func ParseETag(s string) (version int64, ok bool) {
	if len(s) > 2 && (s[:2] == "W/" || s[:2] == "w/") {
		s = s[2:]
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 1 {
		return 0, false
	}
	return v, true
}

// Now is the server's clock for lastUpdated: UTC, truncated to what is stored.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
