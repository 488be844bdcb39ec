package questionnaire

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"time"
)

// value is one value[x] (or answer[x]) member: Kind is the type suffix of
// the member name ("Integer" for valueInteger) and V its decoded JSON.
type value struct {
	Kind string
	V    any
}

// kinds are the value[x] suffixes R4 allows in answer.value[x],
// answerOption.value[x], enableWhen.answer[x] and the minValue/maxValue
// extensions, taken together. Anything else is a structure error.
var kinds = map[string]bool{
	"Boolean": true, "Decimal": true, "Integer": true, "Date": true, "DateTime": true, "Time": true,
	"String": true, "Uri": true, "Attachment": true, "Coding": true, "Quantity": true, "Reference": true,
}

// valueOf finds the member of m named prefix+Kind. found is false when there
// is none; problem is non-empty when the members cannot be trusted (two
// value[x], or an unknown type).
func valueOf(m map[string]any, prefix string) (v value, found bool, problem string) {
	var names []string
	for k := range m {
		if len(k) > len(prefix) && strings.HasPrefix(k, prefix) && k[len(prefix)] >= 'A' && k[len(prefix)] <= 'Z' {
			names = append(names, k)
		}
	}
	switch {
	case len(names) == 0:
		return value{}, false, ""
	case len(names) > 1:
		sort.Strings(names) // a stable message
		return value{}, true, fmt.Sprintf("has more than one %s[x]: %s", prefix, strings.Join(names, ", "))
	}
	kind := names[0][len(prefix):]
	if !kinds[kind] {
		return value{}, true, fmt.Sprintf("%s is not a known %s[x] type", names[0], prefix)
	}
	return value{Kind: kind, V: m[names[0]]}, true, ""
}

// badShape says why v's JSON does not fit its Kind, or "" when it does.
func badShape(v value) string {
	ok := false
	switch v.Kind {
	case "Boolean":
		_, ok = v.V.(bool)
	case "Decimal":
		_, ok = number(v.V)
	case "Integer":
		_, ok = integer(v.V)
	case "Date", "DateTime":
		s, isStr := v.V.(string)
		_, prec, parsed := parseTemporal(s)
		ok = isStr && parsed && (v.Kind == "DateTime" || prec <= precDay)
	case "Time":
		s, isStr := v.V.(string)
		_, parsed := parseTime(s)
		ok = isStr && parsed
	case "String", "Uri":
		s, isStr := v.V.(string)
		ok = isStr && s != ""
	case "Attachment", "Coding", "Quantity", "Reference":
		_, ok = v.V.(map[string]any)
	}
	if ok {
		return ""
	}
	return fmt.Sprintf("is not a valid %s", strings.ToLower(v.Kind[:1])+v.Kind[1:])
}

// maxNumberLen bounds the literal of a number worth reading: R4 decimals
// carry at most 18 significant digits, so anything far longer is hostile.
const maxNumberLen = 64

// number reads a JSON number exactly. float64 and int are accepted too, so a
// tree decoded without UseNumber still works.
func number(x any) (*big.Rat, bool) {
	switch n := x.(type) {
	case json.Number:
		s := string(n)
		if s == "" || len(s) > maxNumberLen || strings.ContainsAny(s, "/ ") { // big.Rat would take "1/3"; JSON would not
			return nil, false
		}
		if e := strings.IndexAny(s, "eE"); e >= 0 && len(strings.TrimLeft(s[e+1:], "+-0")) > 3 {
			// 1e100000 costs big.Rat real work per comparison; no answer needs it.
			return nil, false
		}
		r, ok := new(big.Rat).SetString(s)
		return r, ok
	case float64:
		if math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, false
		}
		return new(big.Rat).SetFloat64(n), true
	case int:
		return new(big.Rat).SetInt64(int64(n)), true
	}
	return nil, false
}

// integer reads an R4 integer: a whole number in the signed 32-bit range.
func integer(x any) (int, bool) {
	r, ok := number(x)
	if !ok || !r.IsInt() {
		return 0, false
	}
	n := r.Num()
	if !n.IsInt64() || n.Int64() < math.MinInt32 || n.Int64() > math.MaxInt32 {
		return 0, false
	}
	if s, isNum := x.(json.Number); isNum && strings.ContainsAny(string(s), ".eE") {
		return 0, false // 1.0 is a decimal in FHIR JSON, not an integer
	}
	return int(n.Int64()), true
}

// The precisions of a date or dateTime.
const (
	precYear = iota + 1
	precMonth
	precDay
	precSecond
)

// parseTemporal reads an R4 date or dateTime and how precise it is.
func parseTemporal(s string) (time.Time, int, bool) {
	for _, f := range []struct {
		layout string
		prec   int
	}{{"2006", precYear}, {"2006-01", precMonth}, {"2006-01-02", precDay}, {time.RFC3339, precSecond}} {
		if t, err := time.Parse(f.layout, s); err == nil {
			return t, f.prec, true
		}
	}
	return time.Time{}, 0, false
}

// parseTime reads an R4 time (hh:mm:ss with optional fraction).
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse("15:04:05", s)
	return t, err == nil
}

// compareTemporal orders two dates or dateTimes. Values of different
// precision compare on what they share; when that is equal the order is
// unknown (R4 leaves it indeterminate), so ok is false.
func compareTemporal(a, b string) (int, bool) {
	ta, pa, okA := parseTemporal(a)
	tb, pb, okB := parseTemporal(b)
	if !okA || !okB {
		return 0, false
	}
	if pa == pb {
		return ta.Compare(tb), true
	}
	p := min(pa, pb)
	ka, kb := []int{ta.Year(), int(ta.Month()), ta.Day()}[:p], []int{tb.Year(), int(tb.Month()), tb.Day()}[:p]
	for i := range ka {
		if ka[i] != kb[i] {
			if ka[i] < kb[i] {
				return -1, true
			}
			return 1, true
		}
	}
	return 0, false
}

// str is m[key] when it is a string.
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// unitOf identifies a Quantity's unit: system and code when coded, else the
// human unit.
func unitOf(q map[string]any) string {
	if c := str(q, "code"); c != "" {
		return str(q, "system") + "|" + c
	}
	return str(q, "unit")
}

// compare orders a and b when their types can be ordered against each other
// (numbers, dates, times, strings, Quantities in one unit).
func compare(a, b value) (int, bool) {
	numeric := func(k string) bool { return k == "Integer" || k == "Decimal" }
	temporal := func(k string) bool { return k == "Date" || k == "DateTime" }
	switch {
	case numeric(a.Kind) && numeric(b.Kind):
		x, okX := number(a.V)
		y, okY := number(b.V)
		if okX && okY {
			return x.Cmp(y), true
		}
	case temporal(a.Kind) && temporal(b.Kind):
		x, okX := a.V.(string)
		y, okY := b.V.(string)
		if okX && okY {
			return compareTemporal(x, y)
		}
	case a.Kind == "Time" && b.Kind == "Time":
		x, okX := a.V.(string)
		y, okY := b.V.(string)
		tx, okX2 := parseTime(x)
		ty, okY2 := parseTime(y)
		if okX && okY && okX2 && okY2 {
			return tx.Compare(ty), true
		}
	case a.Kind == b.Kind && (a.Kind == "String" || a.Kind == "Uri"):
		x, okX := a.V.(string)
		y, okY := b.V.(string)
		if okX && okY {
			return strings.Compare(x, y), true
		}
	case a.Kind == "Quantity" && b.Kind == "Quantity":
		x, okX := a.V.(map[string]any)
		y, okY := b.V.(map[string]any)
		if okX && okY && unitOf(x) == unitOf(y) {
			return compare(value{"Decimal", x["value"]}, value{"Decimal", y["value"]})
		}
	}
	return 0, false
}

// equal reports whether a and b are the same answer: Codings by system and
// code, References by reference, everything orderable by compare.
func equal(a, b value) bool {
	switch {
	case a.Kind == "Boolean" && b.Kind == "Boolean":
		x, okX := a.V.(bool)
		y, okY := b.V.(bool)
		return okX && okY && x == y
	case a.Kind == "Coding" && b.Kind == "Coding":
		x, okX := a.V.(map[string]any)
		y, okY := b.V.(map[string]any)
		return okX && okY && str(x, "code") != "" && str(x, "system") == str(y, "system") && str(x, "code") == str(y, "code")
	case a.Kind == "Reference" && b.Kind == "Reference":
		x, okX := a.V.(map[string]any)
		y, okY := b.V.(map[string]any)
		return okX && okY && str(x, "reference") != "" && str(x, "reference") == str(y, "reference")
	}
	c, ok := compare(a, b)
	return ok && c == 0
}

// show renders a value for a diagnostic.
func show(v value) string {
	switch x := v.V.(type) {
	case map[string]any:
		switch v.Kind {
		case "Coding":
			return str(x, "system") + "|" + str(x, "code")
		case "Reference":
			return str(x, "reference")
		case "Quantity":
			return fmt.Sprintf("%v %s", x["value"], str(x, "unit"))
		}
		return v.Kind
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v.V)
}
