package httpapi

import (
	"net/http"
	"testing"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// TestEveryKindHasAStatus fails when a kind is added to fhirerr without its
// HTTP status here.
func TestEveryKindHasAStatus(t *testing.T) {
	t.Parallel()
	kinds := fhirerr.Kinds()
	if len(kinds) < 16 {
		t.Fatalf("fhirerr.Kinds() lists %d kinds; want every kind", len(kinds))
	}
	for _, k := range kinds {
		status, ok := statusOf[k]
		if !ok {
			t.Errorf("kind %v has no entry in statusOf", k)
			continue
		}
		if status < 300 || status > 599 {
			t.Errorf("kind %v maps to %d, not an error or redirect status", k, status)
		}
	}
	if len(statusOf) != len(kinds) {
		t.Errorf("statusOf has %d entries for %d kinds", len(statusOf), len(kinds))
	}
}

// TestUnknownKindIs500: a kind outside the table renders as a server error.
func TestUnknownKindIs500(t *testing.T) {
	t.Parallel()
	if got := statusFor(fhirerr.Kind(len(fhirerr.Kinds()) + 7)); got != http.StatusInternalServerError {
		t.Errorf("statusFor(unknown kind) = %d, want 500", got)
	}
	if got := statusFor(fhirerr.Invalid); got != http.StatusBadRequest {
		t.Errorf("statusFor(Invalid) = %d, want 400", got)
	}
}
