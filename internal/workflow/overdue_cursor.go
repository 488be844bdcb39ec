package workflow

import (
	"encoding/base64"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// overduePos is a position in the $overdue order: newest risk first, then
// by id.
type overduePos struct {
	since time.Time
	id    string
}

// before reports whether the position p comes before the Task f in the
// order, i.e. f belongs to a page after p.
func (p *overduePos) before(f *atRisk) bool {
	if !f.since.Equal(p.since) {
		return f.since.Before(p.since)
	}
	return f.res.ID > p.id
}

// overdueFingerprint ties a cursor to the listing it pages (the owner), so
// that a cursor from another owner's list is refused, not read as a
// position in this one.
func overdueFingerprint(owner string) string {
	h := fnv.New32a()
	h.Write([]byte("overdue;" + owner))
	return "o" + strconv.FormatUint(uint64(h.Sum32()), 36)
}

// overdueCursorOf encodes the position of f, the last Task of a page.
func overdueCursorOf(owner string, f *atRisk) string {
	return overdueFingerprint(owner) + "." + strconv.FormatInt(f.since.UnixNano(), 10) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(f.res.ID))
}

// parseOverdueCursor reads a cursor overdueCursorOf made for owner's list;
// anything else is a 400. nil means the first page.
func parseOverdueCursor(owner, cursor string) (*overduePos, error) {
	if cursor == "" {
		return nil, nil
	}
	bad := fhirerr.Invalidf("", "_cursor %q does not belong to this $overdue list: follow the next link as given", fhirerr.Clip(cursor, 60))
	parts := strings.Split(cursor, ".")
	if len(parts) != 3 || parts[0] != overdueFingerprint(owner) {
		return nil, bad
	}
	nanos, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, bad
	}
	id, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !validID(string(id)) {
		return nil, bad
	}
	return &overduePos{since: time.Unix(0, nanos).UTC(), id: string(id)}, nil
}

// validID reports whether s is a FHIR id ([A-Za-z0-9\-\.]{1,64}).
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
