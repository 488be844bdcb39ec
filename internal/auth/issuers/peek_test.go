package issuers

import (
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestPeekIssuer(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	kid := ti.addKey(t, jose.RS256)
	if iss, ok := PeekIssuer(ti.sign(t, kid, ti.claims(nil))); !ok || iss != ti.srv.URL {
		t.Errorf("PeekIssuer = %q, %v; want %q", iss, ok, ti.srv.URL)
	}
	for name, raw := range map[string]string{
		"no iss":     ti.sign(t, kid, ti.claims(map[string]any{"iss": nil})),
		"iss number": ti.sign(t, kid, ti.claims(map[string]any{"iss": 7})),
		"HS256":      signWith(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), ti.claims(nil)),
		"not a JWT":  "a.b.c",
		"empty":      "",
		"oversized":  ti.sign(t, kid, ti.claims(map[string]any{"pad": strings.Repeat("x", MaxTokenBytes)})),
	} {
		if iss, ok := PeekIssuer(raw); ok {
			t.Errorf("%s: PeekIssuer = %q, true; want false", name, iss)
		}
	}
}
