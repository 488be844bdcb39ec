package router

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
)

// A batch or transaction multiplies whatever one request may cost by its
// entries: a 10 kB batch of 10,000 searches reached 7.5 GB before these
// limits. So the reads of one Bundle are bounded twice: by what they may
// ask for, before anything runs, and by what they have returned, as they run.
const (
	// MaxBatchReadRows bounds the rows a Bundle's GET entries may ask for:
	// each search or history entry counts its page size (_count, default
	// 20), each other read 1. Beyond it the Bundle is refused with 413
	// before any entry runs. It allows 500 default searches, or ten of
	// 1,000.
	MaxBatchReadRows = 10000
	// MaxBatchReadBytes bounds the bodies a Bundle's GET entries return,
	// together. In a batch the entries after it are answered with a 413
	// each (the ones before keep their answers); a transaction is rolled
	// back with a 413. Writes do not count: their answers are the size of
	// the request, which SHAREDCARE_MAX_BODY_BYTES bounds.
	MaxBatchReadBytes = 32 << 20
)

// checkReadRows refuses a Bundle whose GET entries ask for more than
// MaxBatchReadRows rows. Entries it cannot read count 1: they fail on
// their own when they run.
func checkReadRows(entries []bundleEntry, base string) error {
	rows := 0
	for _, e := range entries {
		if e.Request == nil {
			continue
		}
		if m := strings.ToUpper(e.Request.Method); m != http.MethodGet && m != http.MethodHead {
			continue
		}
		rows += readRows(strings.TrimPrefix(e.Request.URL, base+"/"))
	}
	if rows > MaxBatchReadRows {
		return fhirerr.New(fhirerr.TooLarge, "too-costly", "Bundle.entry",
			"the Bundle's GET entries ask for up to %d resources; the limit MaxBatchReadRows is %d: "+
				"send fewer searches, or smaller pages (_count), per Bundle", rows, MaxBatchReadRows)
	}
	return nil
}

// readRows is how many resources one GET entry may return: its page size
// for a search or history, 1 for a read or an operation.
func readRows(rawURL string) int {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 1
	}
	segments := strings.Split(strings.Trim(u.Path, "/"), "/")
	last := segments[len(segments)-1]
	isPage := len(segments) == 1 || last == "_history" || last == "_search" ||
		len(segments) == 3 && !strings.HasPrefix(last, "$") // compartment search
	if !isPage || strings.HasPrefix(last, "$") {
		return 1
	}
	q, err := search.ParseQuery(u.RawQuery)
	if err != nil {
		return 1
	}
	n := defaultCount
	if c := q.Get("_count"); c != "" {
		if v, err := strconv.Atoi(c); err == nil && v >= 0 {
			n = min(v, maxCount)
		}
	}
	return max(n, 1)
}

func isRead(method string) bool {
	m := strings.ToUpper(method)
	return m == http.MethodGet || m == http.MethodHead
}

// readBudget keeps count of the bytes a Bundle's GET entries returned.
type readBudget struct{ used int }

// spend records what an entry answered, if it is a read.
func (b *readBudget) spend(method string, resp *Response) {
	if isRead(method) && resp != nil {
		b.used += len(resp.Body)
	}
}

// check fails once the Bundle's reads have returned more than
// MaxBatchReadBytes.
func (b *readBudget) check() error {
	if b.used <= MaxBatchReadBytes {
		return nil
	}
	return fhirerr.New(fhirerr.TooLarge, "too-costly", "",
		"the Bundle's GET entries have returned %d bytes; the limit MaxBatchReadBytes is %d: "+
			"send fewer or smaller reads per Bundle", b.used, MaxBatchReadBytes)
}
