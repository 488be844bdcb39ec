package fhirerr

import (
	"strings"
	"testing"
)

// TestEveryKindHasAName fails when a kind is added without its name.
func TestEveryKindHasAName(t *testing.T) {
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
