package questionnaire

import (
	"encoding/json"
	"strings"
	"testing"
)

// Numbers are read exactly, but not at any cost: a literal no answer needs
// is refused before big.Rat works on it.
func TestNumber(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in     any
		want   string // the exact value, "" when refused
		wantOK bool
	}{
		{json.Number("1.50"), "3/2", true},
		{json.Number("-2e3"), "-2000/1", true},
		{json.Number("1e999"), "", true},
		{json.Number("1e1000"), "", false},
		{json.Number("1/3"), "", false},
		{json.Number(strings.Repeat("9", 65)), "", false},
		{2.5, "5/2", true},
		{"2", "", false},
	} {
		got, ok := number(tt.in)
		if ok != tt.wantOK || (tt.want != "" && got.String() != tt.want) {
			t.Errorf("number(%v) = %v, %v; want %s, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	n := func(s string) value { return value{"Decimal", json.Number(s)} }
	for _, tt := range []struct {
		name   string
		a, b   value
		want   int
		wantOK bool
	}{
		{"integer against decimal", value{"Integer", json.Number("2")}, n("2.0"), 0, true},
		{"decimals by value, not text", n("0.10"), n("0.1"), 0, true},
		{"decimal order", n("-1"), n("0.5"), -1, true},
		{"dates", value{"Date", "2026-03-02"}, value{"Date", "2026-03-01"}, 1, true},
		{"date against dateTime on the same day is indeterminate", value{"Date", "2026-03-02"}, value{"DateTime", "2026-03-02T10:00:00Z"}, 0, false},
		{"year against day in another year", value{"Date", "2025"}, value{"Date", "2026-01-01"}, -1, true},
		{"dateTimes across zones", value{"DateTime", "2026-03-02T10:00:00+01:00"}, value{"DateTime", "2026-03-02T09:00:00Z"}, 0, true},
		{"times", value{"Time", "09:00:00"}, value{"Time", "10:00:00.25"}, -1, true},
		{"strings", value{"String", "a"}, value{"String", "b"}, -1, true},
		{"Quantities in one unit", value{"Quantity", map[string]any{"value": json.Number("2"), "system": "u", "code": "mg"}},
			value{"Quantity", map[string]any{"value": json.Number("1.5"), "system": "u", "code": "mg"}}, 1, true},
		{"Quantities in different units", value{"Quantity", map[string]any{"value": json.Number("2"), "code": "mg"}},
			value{"Quantity", map[string]any{"value": json.Number("2"), "code": "g"}}, 0, false},
		{"number against string", n("1"), value{"String", "1"}, 0, false},
		{"Codings are not ordered", value{"Coding", map[string]any{"code": "a"}}, value{"Coding", map[string]any{"code": "a"}}, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := compare(tt.a, tt.b)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("compare = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
