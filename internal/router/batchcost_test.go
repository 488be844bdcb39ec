package router

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

func TestReadRows(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]int{
		"Patient":                      defaultCount,
		"Patient?name=x":               defaultCount,
		"Patient?_count=5":             5,
		"Patient?_count=0":             1,
		"Patient?_count=999999":        maxCount,
		"Patient?_count=x":             defaultCount,
		"Patient/1":                    1,
		"Patient/1/_history":           defaultCount,
		"Patient/1/_history?_count=50": 50,
		"Patient/_history?_count=70":   70,
		"Patient/1/Task?_count=30":     30,
		"Patient/1/$everything":        1,
		"Task/$overdue?_count=1000":    1,
		"Patient?_count=%zz":           1, // fails on its own when it runs
		"Patient/1/_history/2":         1,
	} {
		if got := readRows(url); got != want {
			t.Errorf("readRows(%q) = %d, want %d", url, got, want)
		}
	}
}

// TestReadBudget: reads count, writes do not, and the budget fails with 413
// naming the limit once the reads passed it.
func TestReadBudget(t *testing.T) {
	t.Parallel()
	b := &readBudget{}
	big := &Response{Body: []byte(strings.Repeat("x", MaxBatchReadBytes/2))}
	b.spend(http.MethodPost, big)
	b.spend(http.MethodPut, big)
	b.spend(http.MethodPost, big)
	b.spend("get", big)
	if err := b.check(); err != nil {
		t.Fatalf("after half the budget in reads: %v", err)
	}
	b.spend(http.MethodHead, big)
	b.spend(http.MethodGet, nil) // a failed entry
	if err := b.check(); err != nil {
		t.Fatalf("at the budget: %v", err)
	}
	b.spend(http.MethodGet, &Response{Body: []byte("x")})
	err := b.check()
	if !fhirerr.Is(err, fhirerr.TooLarge) || !strings.Contains(err.Error(), "MaxBatchReadBytes") {
		t.Errorf("past the budget: %v, want a TooLarge error naming MaxBatchReadBytes", err)
	}
}
