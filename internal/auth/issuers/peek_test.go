package issuers

import (
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/issuers/issuertest"
)

func TestPeekIssuer(t *testing.T) {
	t.Parallel()
	ti := issuertest.New(t)
	kid := ti.AddKey(t, jose.RS256)
	if iss, ok := PeekIssuer(ti.Sign(t, kid, ti.Claims(nil))); !ok || iss != ti.URL() {
		t.Errorf("PeekIssuer = %q, %v; want %q", iss, ok, ti.URL())
	}
	for name, raw := range map[string]string{
		"no iss":     ti.Sign(t, kid, ti.Claims(map[string]any{"iss": nil})),
		"iss number": ti.Sign(t, kid, ti.Claims(map[string]any{"iss": 7})),
		"HS256":      issuertest.SignWith(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), ti.Claims(nil)),
		"not a JWT":  "a.b.c",
		"empty":      "",
		"oversized":  ti.Sign(t, kid, ti.Claims(map[string]any{"pad": strings.Repeat("x", auth.MaxTokenBytes)})),
	} {
		if iss, ok := PeekIssuer(raw); ok {
			t.Errorf("%s: PeekIssuer = %q, true; want false", name, iss)
		}
	}
}
