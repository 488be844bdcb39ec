package search

import (
	"encoding/json"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Token is a token index entry: a code in a system, or (for :text) text.
type Token struct {
	System, Code string
	Text         string // display or CodeableConcept.text, normalised; for :text
}

// Reference is a reference index entry. Type and ID are set for literal
// references; URL for canonical, absolute and versioned ones.
type Reference struct {
	Type, ID, URL string
}

// DateRange is a date index entry: the instants [Low, High) the value covers
// at its precision (2026-03 covers all of March), as Unix microseconds. An
// open Period end is +/- infinity (math.MinInt64, math.MaxInt64).
type DateRange struct {
	Low, High int64
}

// Number is a number or quantity index entry. Value is the decimal as
// written; Low and High the range its precision covers (1.5 covers
// [1.45, 1.55)). System and Code are set for quantities.
type Number struct {
	Value, Low, High float64
	System, Code     string
}

// Text is a string index entry: as written, and normalised for the default
// case- and accent-insensitive match.
type Text struct {
	Exact, Norm string
}

// Values is every index entry one parameter yields for one resource.
type Values struct {
	Strings    []Text
	Tokens     []Token
	References []Reference
	Dates      []DateRange
	Numbers    []Number
	URIs       []string
}

// Extract computes the index entries of a parameter of the given type
// (string, token, reference, date, number, quantity, uri) from the nodes its
// expression selects.
func Extract(paramType string, nodes []Node) Values {
	var v Values
	for _, n := range nodes {
		switch paramType {
		case "string":
			v.Strings = appendStrings(v.Strings, n)
		case "token":
			v.Tokens = appendTokens(v.Tokens, n)
		case "reference":
			v.References = appendReferences(v.References, n)
		case "date":
			v.Dates = appendDates(v.Dates, n)
		case "number", "quantity":
			v.Numbers = appendNumbers(v.Numbers, n)
		case "uri":
			if s, ok := n.Value.(string); ok {
				v.URIs = append(v.URIs, s)
			}
		}
	}
	return v
}

// Normalize prepares text for string search: lower case, accents removed,
// white space folded. Queries go through the same function.
func Normalize(s string) string {
	out := s
	if !isASCII(s) { // ASCII has no accents: most values skip the transform
		t := accentStrippers.Get().(transform.Transformer)
		t.Reset()
		var err error
		if out, _, err = transform.String(t, s); err != nil {
			out = s
		}
		accentStrippers.Put(t)
	}
	return strings.Join(strings.Fields(strings.ToLower(out)), " ")
}

// accentStrippers reuse the transformer chain, which costs kilobytes to
// build: building one per value made indexing a resource with 1,000 names
// allocate tens of megabytes.
var accentStrippers = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func text(s string) Text { return Text{Exact: s, Norm: Normalize(s)} }

func appendStrings(out []Text, n Node) []Text {
	switch v := n.Value.(type) {
	case string:
		return append(out, text(v))
	case map[string]any:
		// HumanName, Address and the like: every string part is searchable.
		for _, k := range []string{"text", "family", "given", "prefix", "suffix", "line", "city", "district",
			"state", "postalCode", "country", "value", "display"} {
			switch p := v[k].(type) {
			case string:
				out = append(out, text(p))
			case []any:
				for _, e := range p {
					if s, ok := e.(string); ok {
						out = append(out, text(s))
					}
				}
			}
		}
	}
	return out
}

func appendTokens(out []Token, n Node) []Token {
	switch v := n.Value.(type) {
	case string: // code, id, uri, string
		return append(out, Token{Code: v})
	case bool:
		if v {
			return append(out, Token{Code: "true"})
		}
		return append(out, Token{Code: "false"})
	case map[string]any:
		str := func(k string) string { s, _ := v[k].(string); return s }
		switch {
		case v["coding"] != nil || v["text"] != nil && v["value"] == nil: // CodeableConcept
			codings, _ := v["coding"].([]any)
			for _, c := range codings {
				out = appendTokens(out, Node{Value: c})
			}
			if t := str("text"); t != "" {
				out = append(out, Token{Text: Normalize(t)})
			}
		case v["value"] != nil: // Identifier or ContactPoint
			tok := Token{System: str("system"), Code: str("value")}
			if typ, ok := v["type"].(map[string]any); ok {
				if t, ok := typ["text"].(string); ok {
					tok.Text = Normalize(t)
				}
			}
			out = append(out, tok)
		case v["code"] != nil || v["system"] != nil: // Coding
			out = append(out, Token{System: str("system"), Code: str("code"), Text: Normalize(str("display"))})
		}
	}
	return out
}

func appendReferences(out []Reference, n Node) []Reference {
	switch v := n.Value.(type) {
	case string: // canonical, uri
		return append(out, Reference{URL: v})
	case map[string]any:
		ref, _ := v["reference"].(string)
		if ref == "" || strings.HasPrefix(ref, "#") {
			return out
		}
		if typ := refType(ref); typ != "" && !strings.Contains(ref, ":") {
			parts := strings.Split(ref, "/")
			r := Reference{Type: typ, ID: parts[1]}
			if strings.Contains(ref, "/_history/") {
				// A versioned reference (Type/id/_history/n) keeps its text, so
				// that referential integrity can tell it names a version, which
				// a deletion does not remove (store.Store.Referrers).
				r.URL = ref
			}
			return append(out, r)
		}
		r := Reference{URL: ref}
		if typ := refType(ref); typ != "" { // absolute: keep type and id for local matching
			parts := strings.Split(strings.SplitN(ref, "/_history/", 2)[0], "/")
			r.Type, r.ID = typ, parts[len(parts)-1]
		}
		return append(out, r)
	}
	return out
}

func appendDates(out []DateRange, n Node) []DateRange {
	switch v := n.Value.(type) {
	case string:
		if r, ok := ParseDateRange(v); ok {
			out = append(out, r)
		}
	case map[string]any:
		if _, isPeriod := v["start"]; isPeriod || v["end"] != nil {
			r := DateRange{Low: minInstant, High: maxInstant}
			if s, ok := v["start"].(string); ok {
				if sr, ok := ParseDateRange(s); ok {
					r.Low = sr.Low
				}
			}
			if e, ok := v["end"].(string); ok {
				if er, ok := ParseDateRange(e); ok {
					r.High = er.High
				}
			}
			return append(out, r)
		}
		if events, ok := v["event"].([]any); ok { // Timing
			for _, e := range events {
				out = appendDates(out, Node{Value: e})
			}
		}
		if rep, ok := v["repeat"].(map[string]any); ok {
			if b, ok := rep["boundsPeriod"]; ok {
				out = appendDates(out, Node{Value: b})
			}
		}
	}
	return out
}

const (
	minInstant int64 = -1 << 63
	maxInstant int64 = 1<<63 - 1
)

// ParseDateRange reads a FHIR date, dateTime or instant and returns the
// range its precision covers. Values without a time zone are taken as UTC.
func ParseDateRange(s string) (DateRange, bool) {
	layouts := []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time { return t.Add(time.Second) }},
	}
	// Fractional seconds: the precision is the number of digits given.
	// (time.Parse would accept them under the whole-second layout too.)
	if dot := strings.IndexByte(s, '.'); dot > 0 {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			digits := 0
			for _, c := range s[dot+1:] {
				if c < '0' || c > '9' {
					break
				}
				digits++
			}
			step := time.Second
			for i := 0; i < digits && step > time.Microsecond; i++ {
				step /= 10
			}
			return DateRange{Low: t.UnixMicro(), High: t.Add(step).UnixMicro()}, true
		}
	}
	for _, l := range layouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			return DateRange{Low: t.UnixMicro(), High: l.step(t).UnixMicro()}, true
		}
	}
	return DateRange{}, false
}

func appendNumbers(out []Number, n Node) []Number {
	switch v := n.Value.(type) {
	case json.Number:
		if num, ok := numberRange(v); ok {
			out = append(out, num)
		}
	case map[string]any: // Quantity and its profiles (Age, Duration, ...)
		if val, ok := v["value"].(json.Number); ok {
			if num, ok := numberRange(val); ok {
				num.System, _ = v["system"].(string)
				num.Code, _ = v["code"].(string)
				if num.Code == "" {
					num.Code, _ = v["unit"].(string)
				}
				out = append(out, num)
			}
		}
	}
	return out
}

// numberRange gives a decimal's value and the range its precision implies:
// 1.5 is [1.45, 1.55), 100 is [99.5, 100.5).
func numberRange(n json.Number) (Number, bool) {
	f, err := n.Float64()
	if err != nil {
		return Number{}, false
	}
	s := strings.ToLower(string(n))
	mant, exp := s, 0
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant = s[:i]
		var e json.Number = json.Number(s[i+1:])
		ei, err := e.Int64()
		if err != nil {
			return Number{}, false
		}
		exp = int(ei)
	}
	decimals := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		decimals = len(mant) - i - 1
	}
	half := 0.5
	for i := 0; i < decimals-exp; i++ {
		half /= 10
	}
	for i := 0; i < exp-decimals; i++ {
		half *= 10
	}
	return Number{Value: f, Low: f - half, High: f + half}, true
}

func jsonNumber(s string) json.Number { return json.Number(s) }

// referenceIdentifiers are the Reference.identifier tokens of reference nodes.
func referenceIdentifiers(nodes []Node) []Token {
	var out []Token
	for _, n := range nodes {
		if m, ok := n.Value.(map[string]any); ok {
			if id, ok := m["identifier"].(map[string]any); ok {
				out = appendTokens(out, Node{Value: id})
			}
		}
	}
	return out
}

// identifierTypes are "typeSystem|typeCode" + value tokens of Identifier
// nodes that carry a type.
func identifierTypes(nodes []Node) []Token {
	var out []Token
	for _, n := range nodes {
		m, ok := n.Value.(map[string]any)
		if !ok {
			continue
		}
		value, _ := m["value"].(string)
		typ, _ := m["type"].(map[string]any)
		codings, _ := typ["coding"].([]any)
		for _, c := range codings {
			if c, ok := c.(map[string]any); ok && value != "" {
				sys, _ := c["system"].(string)
				code, _ := c["code"].(string)
				out = append(out, Token{System: sys + "|" + code, Code: value})
			}
		}
	}
	return out
}
