package search

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

func TestParseQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		want      url.Values
	}{
		{"empty", "", url.Values{}},
		{"pairs in order", "b=2&a=1&b=3", url.Values{"a": {"1"}, "b": {"2", "3"}}},
		{"escapes and plus", "family=O%27Brien&given=Mary+Ann", url.Values{"family": {"O'Brien"}, "given": {"Mary Ann"}}},
		{"empty pairs skipped", "&&a=1&", url.Values{"a": {"1"}}},
		{"no value", "a", url.Values{"a": {""}}},
		{"semicolon is data", "name=a;b", url.Values{"name": {"a;b"}}},
		{"escaped key", "subject%3APatient.name=x", url.Values{"subject:Patient.name": {"x"}}},
		{"utf-8", "name=Bj%C3%B6rk", url.Values{"name": {"Björk"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseQuery(tt.raw)
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", tt.raw, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseQuery(%q) (-want +got):\n%s", tt.raw, diff)
			}
		})
	}
}

// TestParseQueryRefuses: a parameter that cannot be read fails the whole
// query, naming the parameter, where url.ParseQuery would drop it.
func TestParseQueryRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, want string // want: in the diagnostics
	}{
		{"family=O%Brien&gender=female", `the query parameter family has a malformed %-escape: "O%Brien"`},
		{"gender=female&family=O%Brien", `family has a malformed %-escape`},
		{"family=%", `family has a malformed %-escape`},
		{"family=%4", `family has a malformed %-escape`},
		{"fam%zzily=x", `the query parameter "fam%zzily": its name has a malformed %-escape`},
		{"name=%FF", `name is not valid UTF-8: "%FF"`},
		{"name=a%00b", `name contains a NUL character`},
		{"na%00me=x", `its name contains a NUL character`},
		{"x%0A=%zz", `"x\n" has a malformed %-escape`},
		{"name=" + strings.Repeat("a", 200) + "%z", `…`},
	}
	for _, tt := range tests {
		_, err := ParseQuery(tt.raw)
		if !fhirerr.Is(err, fhirerr.Invalid) {
			t.Errorf("ParseQuery(%.60q) = %v, want an Invalid error", tt.raw, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tt.want) {
			t.Errorf("ParseQuery(%.60q) = %q, want it to contain %q", tt.raw, msg, tt.want)
		}
	}
	if _, err := url.ParseQuery("family=O%Brien&gender=female"); err == nil {
		t.Error("url.ParseQuery accepts O%Brien: the reason for ParseQuery is gone; revisit")
	}
}
