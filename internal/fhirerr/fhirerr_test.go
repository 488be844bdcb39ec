package fhirerr

import (
	"strings"
	"testing"
)

// TestEveryKindHasAName fails when a kind is added without its name.
func TestEveryKindHasAName(t *testing.T) {
	t.Parallel()
	seen := map[string]Kind{}
	for _, k := range Kinds() {
		name := k.String()
		if strings.HasPrefix(name, "kind(") {
			t.Errorf("kind %d has no name in kindNames", int(k))
		}
		if prev, dup := seen[name]; dup {
			t.Errorf("kinds %d and %d share the name %q", int(prev), int(k), name)
		}
		seen[name] = k
	}
	if len(kindNames) != len(Kinds()) {
		t.Errorf("kindNames has %d names for %d kinds", len(kindNames), len(Kinds()))
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"short", "abc", 10, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"ascii", "abcdefghij", 8, "abcde…"},
		{"multibyte boundary", "ééééé", 8, "éé…"}, // é is 2 bytes, … is 3
		{"four-byte runes", "😀😀😀", 9, "😀…"},
	}
	for _, tc := range tests {
		got := Clip(tc.in, tc.max)
		if got != tc.want {
			t.Errorf("%s: Clip(%q, %d) = %q, want %q", tc.name, tc.in, tc.max, got, tc.want)
		}
		if len(got) > tc.max {
			t.Errorf("%s: %d bytes, over %d", tc.name, len(got), tc.max)
		}
	}
}

func TestNewClipsQuotedInput(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ü", 1000)
	args := []any{long}
	e := New(Invalid, "invalid", "", "bad id %q", args...)
	if d := e.Issues[0].Diagnostics; len(d) > MaxQuoted+20 || !strings.Contains(d, "…") {
		t.Errorf("diagnostics not clipped: %d bytes %.60q", len(d), d)
	}
	if args[0] != long {
		t.Error("New changed the caller's arguments")
	}
}

func TestClipQuoted(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("名", 100) // 300 bytes
	tests := []struct{ in, want string }{
		{`no quotes`, `no quotes`},
		{`found "short" here`, `found "short" here`},
		{`found "` + long + `" and "` + long + `"`, `found "` + Clip(long, MaxQuoted) + `" and "` + Clip(long, MaxQuoted) + `"`},
		{`escaped "a\"` + long + `" end`, `escaped "` + Clip(`a\"`+long, MaxQuoted) + `" end`},
		{`unclosed "` + long, `unclosed "` + Clip(long, MaxQuoted)},
	}
	for _, tt := range tests {
		if got := ClipQuoted(tt.in); got != tt.want {
			t.Errorf("ClipQuoted(%.40q) = %.80q, want %.80q", tt.in, got, tt.want)
		}
	}
}
