package token

import (
	"context"
	"testing"

	"github.com/sharedcare/sharedcare/internal/testdb"
)

// BenchmarkAuthenticate measures verifying an access token: cached (the
// token was verified before: a hash and a map lookup) and uncached (the
// signature checked against the in-memory key; no database round trip).
func BenchmarkAuthenticate(b *testing.B) {
	st := testdb.Open(b, "sqlite")
	s := newServer(b, st, Options{})
	tok := issue(b, s)
	ctx := context.Background()
	if _, err := s.Authenticate(ctx, tok, base); err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := s.Authenticate(ctx, tok, base); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			s.verified.mu.Lock()
			clear(s.verified.m)
			s.verified.mu.Unlock()
			if _, err := s.Authenticate(ctx, tok, base); err != nil {
				b.Fatal(err)
			}
		}
	})
}
