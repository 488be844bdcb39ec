package search

import (
	"math"
	"strings"
	"time"
)

// splitValues splits at commas not escaped with a backslash, and unescapes.
func splitValues(raw string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\\' && i+1 < len(raw):
			cur.WriteByte(raw[i+1])
			i++
		case raw[i] == ',':
			if cur.Len() > 0 {
				out = append(out, cur.String())
			}
			cur.Reset()
		default:
			cur.WriteByte(raw[i])
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

var prefixes = map[string]bool{"eq": true, "ne": true, "gt": true, "lt": true, "ge": true, "le": true, "sa": true, "eb": true, "ap": true}

func cutPrefix(v string) (string, string) {
	if len(v) > 2 && prefixes[v[:2]] {
		return v[:2], v[2:]
	}
	return "eq", v
}

func parsePred(c Clause, v, name string) (Pred, error) {
	switch c.Type {
	case "string":
		if c.Modifier == "exact" {
			return Pred{Text: v}, nil
		}
		return Pred{Text: Normalize(v)}, nil
	case "_id":
		return Pred{Code: v}, nil
	case "token":
		if c.Modifier == "text" {
			return Pred{Text: Normalize(v)}, nil
		}
		if sys, code, ok := strings.Cut(v, "|"); ok {
			return Pred{System: sys, HasSystem: true, Code: code}, nil
		}
		return Pred{Code: v}, nil
	case "uri":
		return Pred{Text: v}, nil
	case "reference":
		return parseReference(c, v, name)
	case "date", "_lastUpdated":
		prefix, rest := cutPrefix(v)
		r, ok := ParseDateRange(strings.ReplaceAll(rest, " ", "+"))
		if !ok {
			return Pred{}, invalid(name, "%q is not a FHIR date, dateTime or instant (with an optional prefix such as ge)", v)
		}
		if prefix == "ap" { // within 10% of the gap between the value and now, as the spec suggests
			gap := now().UnixMicro() - r.Low
			if gap < 0 {
				gap = -gap
			}
			gap = max(gap/10, int64(24*time.Hour/time.Microsecond))
			r.Low, r.High = r.Low-gap, r.High+gap
		}
		return Pred{Prefix: prefix, Low: r.Low, High: r.High}, nil
	case "number", "quantity":
		prefix, rest := cutPrefix(v)
		numText, unit, _ := strings.Cut(rest, "|")
		n, ok := numberRange(jsonNumber(numText))
		if !ok || math.IsInf(n.Value, 0) || math.IsNaN(n.Value) {
			return Pred{}, invalid(name, "%q is not a number (with an optional prefix such as gt)", v)
		}
		p := Pred{Prefix: prefix, Number: n.Value, NumLow: n.Low, NumHigh: n.High}
		if prefix == "ap" { // within 10% of the value
			p.NumLow, p.NumHigh = n.Value-math.Abs(n.Value)*0.1, n.Value+math.Abs(n.Value)*0.1
		}
		if c.Type == "quantity" && unit != "" {
			sys, code, ok := strings.Cut(unit, "|")
			if !ok {
				return Pred{}, invalid(name, "%q: a quantity is number|system|code", v)
			}
			p.System, p.HasSystem, p.Code = sys, sys != "", code
		}
		return p, nil
	}
	return Pred{}, invalid(name, "unsupported parameter type %s", c.Type)
}

func parseReference(c Clause, v, name string) (Pred, error) {
	p := Pred{}
	if c.Modifier != "" { // :Patient with a bare id
		p.RefType = c.Modifier
	}
	switch parts := strings.Split(v, "/"); {
	case strings.Contains(v, "://") || strings.HasPrefix(v, "urn:"):
		p.URL = v
		if typ := refType(v); typ != "" { // may be this server's: the caller localises it
			p.RefType = typ
			p.RefID = parts[len(parts)-1]
		}
	case len(parts) == 1:
		p.RefID = v
	case len(parts) == 2 || len(parts) == 4 && parts[2] == "_history":
		if p.RefType != "" && p.RefType != parts[0] {
			return Pred{}, invalid(name, "%q does not match the :%s modifier", v, c.Modifier)
		}
		p.RefType, p.RefID = parts[0], parts[1]
	default:
		return Pred{}, invalid(name, "%q is not a reference (Type/id, id or a URL)", v)
	}
	return p, nil
}

// now is the clock for ap (approximately); tests may replace it.
var now = time.Now
