package handover

import (
	"testing"
)

func TestKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		bundle map[string]any
		want   string
	}{
		{"system and value", map[string]any{"identifier": map[string]any{"system": "https://h.example/ho", "value": "1"}}, "https://h.example/ho|1"},
		{"no system", map[string]any{"identifier": map[string]any{"value": "1"}}, ""},
		{"no value", map[string]any{"identifier": map[string]any{"system": "https://h.example/ho"}}, ""},
		{"none", map[string]any{}, ""},
		{"not an object", map[string]any{"identifier": "1"}, ""},
	} {
		if got := Key(tt.bundle); got != tt.want {
			t.Errorf("%s: Key = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestFingerprint: formatting and member order do not change it; content,
// including a number's spelling, does.
func TestFingerprint(t *testing.T) {
	t.Parallel()
	fp := func(s string) string {
		t.Helper()
		h, err := Fingerprint([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := fp(`{"resourceType":"Bundle","identifier":{"system":"s","value":"v"},"entry":[{"a":1.50,"b":"<x>"}]}`)
	if got := fp("{\n  \"identifier\": {\"value\": \"v\", \"system\": \"s\"},\n  \"entry\": [{\"b\": \"<x>\", \"a\": 1.50}], \"resourceType\": \"Bundle\"\n}"); got != base {
		t.Error("reformatting and reordering members changed the fingerprint")
	}
	for _, changed := range []string{
		`{"resourceType":"Bundle","identifier":{"system":"s","value":"v"},"entry":[{"a":1.5,"b":"<x>"}]}`,
		`{"resourceType":"Bundle","identifier":{"system":"s","value":"v"},"entry":[{"a":1.50,"b":"<y>"}]}`,
		`{"resourceType":"Bundle","identifier":{"system":"s","value":"v"},"entry":[{"b":"<x>"},{"a":1.50}]}`,
	} {
		if fp(changed) == base {
			t.Errorf("%s has the same fingerprint as the original", changed)
		}
	}
	if _, err := Fingerprint([]byte(`{"a":`)); err == nil {
		t.Error("Fingerprint of broken JSON succeeded")
	}
}
