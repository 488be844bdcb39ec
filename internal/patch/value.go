package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// decode parses exactly one JSON value. Numbers stay json.Number so that a
// decimal like 1.50 keeps its text (FHIR decimals carry precision).
func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// encode renders v without HTML escaping: narrative XHTML stays readable.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// deepCopy copies a decoded JSON tree so that later edits to one copy never
// show through the other (JSON Patch copy, FHIRPath's private working tree).
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e)
		}
		return a
	default:
		return v
	}
}

// jsonEqual compares JSON values semantically: member order is irrelevant
// and numbers compare by value, so 1, 1.0 and 10e-1 are equal.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && numEqual(string(x), string(y))
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// numEqual compares two JSON number texts exactly. It normalises them to
// sign, significant digits and exponent by hand rather than through big.Rat
// or float64: floats round, and big.Rat would happily try to build
// 1e999999999 from a hostile test value.
func numEqual(a, b string) bool {
	an, ad, ae, aok := canonNumber(a)
	bn, bd, be, bok := canonNumber(b)
	if !aok || !bok {
		return a == b
	}
	return an == bn && ad == bd && ae == be
}

// canonNumber splits a JSON number into sign, significant digits without
// leading or trailing zeros, and the power of ten they are scaled by. Zero is
// ("", 0) and never negative. ok is false when the text is not a JSON number
// or its exponent is absurd.
func canonNumber(s string) (neg bool, digits string, exp int64, ok bool) {
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return false, "", 0, false
	}
	if hasExp {
		if len(expText) > 16 {
			return false, "", 0, false
		}
		e, err := strconv.ParseInt(expText, 10, 64)
		if err != nil {
			return false, "", 0, false
		}
		exp = e
	}
	digits = strings.TrimLeft(intPart+frac, "0")
	exp -= int64(len(frac))
	trimmed := strings.TrimRight(digits, "0")
	exp += int64(len(digits) - len(trimmed))
	digits = trimmed
	if digits == "" {
		return false, "", 0, true
	}
	return neg, digits, exp, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// prune drops what FHIR JSON forbids and patches leave behind: null object
// members, empty objects and empty arrays, recursively and bottom-up, so that
// removing the only identifier also removes "identifier". It reports whether
// v itself should be kept.
//
// In the "_name" companion arrays of primitive lists, null is a positional
// placeholder, so an emptied entry becomes null rather than being dropped,
// and the array goes only when nothing but nulls remains.
func prune(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case map[string]any:
		for k, e := range x {
			if a, ok := e.([]any); ok && strings.HasPrefix(k, "_") {
				if a = pruneCompanion(a); a == nil {
					delete(x, k)
				} else {
					x[k] = a
				}
				continue
			}
			if ne, keep := prune(e); keep {
				x[k] = ne
			} else {
				delete(x, k)
			}
		}
		return x, len(x) > 0
	case []any:
		out := x[:0]
		for _, e := range x {
			if e == nil { // a placeholder in a primitive list with extensions
				out = append(out, nil)
				continue
			}
			if ne, keep := prune(e); keep {
				out = append(out, ne)
			}
		}
		clear(x[len(out):])
		return out, len(out) > 0
	}
	return v, true
}

// pruneCompanion tidies a "_name" array: it returns nil when only nulls
// remain.
func pruneCompanion(a []any) []any {
	kept := false
	for i, e := range a {
		if ne, keep := prune(e); keep {
			a[i], kept = ne, true
		} else {
			a[i] = nil
		}
	}
	if !kept {
		return nil
	}
	return a
}

// identity is what a patch may not change: the resource's type and id.
type identity struct {
	typ, id       any
	hasTyp, hasID bool
}

func identityOf(root map[string]any) identity {
	t, ht := root["resourceType"]
	id, hi := root["id"]
	return identity{typ: deepCopy(t), id: deepCopy(id), hasTyp: ht, hasID: hi}
}

// check returns why doc no longer has the identity, or "" when it does.
func (want identity) check(doc any) string {
	root, ok := doc.(map[string]any)
	if !ok {
		return "the resource must remain a JSON object"
	}
	if t, ok := root["resourceType"]; ok != want.hasTyp || !jsonEqual(t, want.typ) {
		return "a patch cannot change resourceType"
	}
	if id, ok := root["id"]; ok != want.hasID || !jsonEqual(id, want.id) {
		return "a patch cannot change the resource's id"
	}
	return ""
}
