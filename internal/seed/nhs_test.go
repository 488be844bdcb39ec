package seed

import (
	"testing"

	"github.com/sharedcare/sharedcare/internal/rest"
)

// TestNHSNumbersPassTheServersCheck: the loader skips validation, so the
// generated NHS numbers must pass the check the server applies to every
// write, and stay distinct.
func TestNHSNumbersPassTheServersCheck(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for n := 0; n < 200000; n++ {
		nhs := NHSNumber(n)
		if !rest.ValidNHSNumber(nhs) {
			t.Fatalf("NHSNumber(%d) = %s fails the modulus 11 check", n, nhs)
		}
		if prev, dup := seen[nhs]; dup {
			t.Fatalf("NHSNumber(%d) = NHSNumber(%d) = %s", n, prev, nhs)
		}
		seen[nhs] = n
	}
}
