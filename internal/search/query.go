package search

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Query is a parsed search over the resources of one type: those satisfying
// every Clause (repeated parameters AND), in id order unless sorted.
type Query struct {
	Type    string   // "" for a system search, over Types
	Types   []string // system search: _type, or every served type
	Clauses []Clause
	Sort    []SortKey
	Count   int
	Cursor  string // opaque keyset cursor from a next link; "" for the first page
	// MaxBytes, when not 0, ends a page early (with a next cursor) once its
	// matches' bodies pass this many bytes; a page keeps at least one.
	MaxBytes int
	Total    string // "none", "estimate" or "accurate"; "" counts only when it is free
	Ignored  []string

	Includes    []Include // _include: what the matches refer to
	RevIncludes []Include // _revinclude: what refers to the matches

	Compartment *Compartment // GET /Patient/1/CarePlan: only that patient's resources

	// Care, when not nil, narrows every match to what one organization may
	// see (a relationship-bound client's search).
	Care *Care
}

// Care is what an organization may see: a Patient it has a care
// relationship with, and a resource of a type in Links only when one of
// the patients its Links parameters refer to is such a Patient, or when
// they refer to none (a resource tied to no patient is nobody's record).
// Types not in Links are not patient records and are not narrowed.
type Care struct {
	Organization string              // Organization/{id}
	Links        map[string][]string // type → reference parameters naming its patients
}

// Compartment limits a search to resources in one Patient's compartment:
// those whose Params refer to the patient (and the patient itself).
type Compartment struct {
	Type, ID string
	Params   []string
}

// Include is one _include or _revinclude: resources of Source that refer
// through Param (every reference parameter when "*") to resources of Target
// (any type when ""). Iterate repeats it over what was included.
type Include struct {
	Source, Param, Target string
	Iterate               bool
}

// Clause is one parameter occurrence: satisfied when any of its predicates
// is (comma-separated values OR). Not negates the whole clause (:not).
type Clause struct {
	Param    string
	Type     string // the parameter's type, or "_id" / "_lastUpdated"
	Modifier string
	Missing  *bool // :missing=true|false: the predicates are unused
	Not      bool
	Preds    []Pred

	Chain *Chain // param.chained=value: Type is "reference"
	Has   *Has   // _has:Type:param:inner=value: Type is "_has"

	// Composite values (Type "composite"), ORed: each is every component's
	// predicate, all to match within one node.
	Composite [][]Part
}

// Part is one component of a composite value: the component's index name
// ("param$n"), type and predicate.
type Part struct {
	Param, Type string
	Pred        Pred
}

// Chain is a chained search: the reference parameter's target must be of
// one of the Targets' types and satisfy that target's Inner clause (the
// same parameter name may mean different things on different types).
type Chain struct {
	Targets []ChainTarget
}

// ChainTarget is one type a chain may pass through.
type ChainTarget struct {
	Type  string
	Inner *Clause
}

// Has is a reverse chain: some resource of Type whose Param refers to the
// candidate must satisfy Inner.
type Has struct {
	Type, Param string
	Inner       *Clause
}

// Pred is one value of a clause, already interpreted for its type.
type Pred struct {
	Prefix string // eq ne gt lt ge le sa eb ap (date, number, quantity)

	Text string // string, :text, uri: the normalised (or exact) text

	System    string // token, quantity
	HasSystem bool   // "system|code" or "|code" (empty system) was given
	Code      string

	RefType, RefID, URL string // reference

	Low, High int64 // date: [Low, High) in Unix microseconds

	Number, NumLow, NumHigh float64 // number, quantity: value and precision range
}

// SortKey is one _sort key.
type SortKey struct {
	Param string // _lastUpdated, _id, or a string, token, date, number, quantity or uri parameter
	Type  string // the parameter's type; "" for _lastUpdated and _id
	Desc  bool
}

// resultParams control the result rather than select resources.
var resultParams = map[string]bool{"_count": true, "_sort": true, "_total": true, "_summary": true,
	"_elements": true, "_format": true, "_pretty": true, "_cursor": true, "_include": true, "_revinclude": true,
	"_contained": true, "_containedType": true}

// MaxCount bounds a page.
const MaxCount = 1000

// Parse reads a search request for typ. Unknown parameters are ignored and
// listed in Ignored, or refused when strict (Prefer: handling=strict).
// Malformed values fail with an Invalid error naming the parameter.
func (ps *Params) Parse(typ string, values url.Values, strict bool) (*Query, error) {
	if err := checkShape(values); err != nil {
		return nil, err
	}
	q := &Query{Type: typ, Count: 20}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, raw := range values[name] {
			if err := ps.parseOne(q, name, raw, strict); err != nil {
				return nil, err
			}
		}
	}
	return q, nil
}

func (ps *Params) parseOne(q *Query, name, raw string, strict bool) error {
	switch name {
	case "_count":
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return invalid(name, "%q is not a non-negative integer", raw)
		}
		q.Count = min(n, MaxCount)
		return nil
	case "_total":
		if raw != "none" && raw != "estimate" && raw != "accurate" {
			return invalid(name, "%q: use none, estimate or accurate", raw)
		}
		q.Total = raw
		return nil
	case "_sort":
		for _, key := range strings.Split(raw, ",") {
			if key = strings.TrimSpace(key); key == "" {
				continue // an empty value is ignored, as for any parameter
			}
			k := SortKey{Param: strings.TrimPrefix(key, "-"), Desc: strings.HasPrefix(key, "-")}
			if k.Param != "_lastUpdated" && k.Param != "_id" {
				p, ok := ps.Lookup(q.Type, k.Param)
				if !ok || p.Path == nil || notIndexed[k.Param] {
					return invalid("_sort", "%s has no search parameter %q to sort on", q.Type, k.Param)
				}
				switch p.Type {
				case "string", "token", "date", "number", "quantity", "uri":
				default:
					return fhirerr.New(fhirerr.NotSupported, "not-supported", "", "_sort=%s: sorting on %s parameters is not supported", key, p.Type)
				}
				k.Type = p.Type
			}
			q.Sort = append(q.Sort, k)
		}
		if len(q.Sort) > MaxSortKeys {
			return limited("MaxSortKeys", MaxSortKeys, "_sort has %d keys", len(q.Sort))
		}
		return nil
	case "_cursor":
		q.Cursor = raw
		return nil
	case "_type":
		if q.Type != "" {
			return invalid(name, "_type belongs to system searches (GET [base]?_type=...)")
		}
		for _, t := range strings.Split(raw, ",") {
			if t = strings.TrimSpace(t); t != "" {
				q.Types = append(q.Types, t)
			}
		}
		return nil
	}
	if base, mod, _ := strings.Cut(name, ":"); base == "_include" || base == "_revinclude" {
		if mod != "" && mod != "iterate" && mod != "recurse" {
			return invalid(name, "the only modifier of %s is :iterate", base)
		}
		inc, err := ps.parseInclude(name, raw, mod != "")
		if err != nil {
			return err
		}
		if base == "_include" {
			q.Includes = append(q.Includes, inc)
		} else {
			q.RevIncludes = append(q.RevIncludes, inc)
		}
		return nil
	}
	if resultParams[name] {
		return nil // handled by the caller (_summary, _elements, _format, _pretty)
	}
	c, err := ps.parseClause(q.Type, name, raw, strict)
	if err != nil {
		return err
	}
	if c == nil {
		q.Ignored = append(q.Ignored, name)
		return nil
	}
	if c.Empty() {
		return nil // an empty value selects nothing: ignore the parameter, as the spec allows
	}
	q.Clauses = append(q.Clauses, *c)
	return nil
}

// Empty reports a clause with nothing to test (an empty value).
func (c *Clause) Empty() bool {
	return c.Missing == nil && c.Chain == nil && c.Has == nil && len(c.Preds) == 0 && len(c.Composite) == 0
}

// parseClause reads one filter parameter of typ. It returns nil, nil for a
// parameter to ignore (unknown, when not strict).
func (ps *Params) parseClause(typ, name, raw string, strict bool) (*Clause, error) {
	if rest, ok := strings.CutPrefix(name, "_has:"); ok {
		return ps.parseHas(typ, name, rest, raw, strict)
	}
	head, chained, isChain := strings.Cut(name, ".")
	code, modifier, _ := strings.Cut(head, ":")
	c := &Clause{Param: code, Modifier: modifier}
	switch code {
	case "_id":
		c.Type = "_id"
	case "_lastUpdated":
		c.Type = "_lastUpdated"
	default:
		p, ok := ps.Lookup(typ, code)
		if !ok || p.Path == nil || notIndexed[code] || p.Type == "special" || (p.Type == "composite" && len(p.Parts) == 0) {
			if strict {
				return nil, fhirerr.New(fhirerr.Invalid, "not-supported", "", "unknown or unsupported search parameter %q for %s", name, typ)
			}
			return nil, nil
		}
		c.Type = p.Type
		if isChain {
			return ps.parseChain(c, p, name, chained, raw, strict)
		}
		if p.Type == "composite" {
			if modifier != "missing" {
				return parseComposite(c, p, name, raw)
			}
			// :missing looks at the first component's index rows.
			c.Param, c.Type = c.Param+"$0", p.Parts[0].Type
		}
	}
	if isChain {
		return nil, invalid(name, "only reference parameters can be chained")
	}
	if (modifier == "identifier" && c.Type == "reference") || (modifier == "of-type" && c.Type == "token") {
		return ps.parseModifierToken(c, name, raw)
	}
	if modifier == "missing" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, invalid(name, "%q: use true or false", raw)
		}
		c.Missing = &b
		return c, nil
	}
	if err := checkModifier(c.Type, modifier, name); err != nil {
		return nil, err
	}
	c.Not = modifier == "not"
	for _, v := range splitValues(raw) {
		pred, err := parsePred(*c, v, name)
		if err != nil {
			return nil, err
		}
		c.Preds = append(c.Preds, pred)
	}
	return c, nil
}

// parseComposite reads code$value pairs such as
// http://loinc.org|718-7$gt10, one predicate per component.
func parseComposite(c *Clause, p *Param, name, raw string) (*Clause, error) {
	if c.Modifier != "" {
		return nil, invalid(name, "composite parameters take no modifier but :missing")
	}
	for _, v := range splitValues(raw) {
		values := strings.Split(v, "$")
		if len(values) != len(p.Parts) {
			return nil, invalid(name, "%q: give %d values joined by $", v, len(p.Parts))
		}
		var parts []Part
		for i, pv := range values {
			part := Part{Param: p.Code + "$" + strconv.Itoa(i), Type: p.Parts[i].Type}
			pred, err := parsePred(Clause{Type: part.Type}, pv, name)
			if err != nil {
				return nil, err
			}
			part.Pred = pred
			parts = append(parts, part)
		}
		c.Composite = append(c.Composite, parts)
	}
	return c, nil
}

// parseModifierToken reads subject:identifier=system|value and
// identifier:of-type=typeSystem|typeCode|value, searched as tokens indexed
// under "param:modifier".
func (ps *Params) parseModifierToken(c *Clause, name, raw string) (*Clause, error) {
	out := &Clause{Param: c.Param + ":" + c.Modifier, Type: "token"}
	for _, v := range splitValues(raw) {
		if c.Modifier == "identifier" {
			p, _ := parsePred(*out, v, name)
			out.Preds = append(out.Preds, p)
			continue
		}
		parts := strings.SplitN(v, "|", 3)
		if len(parts) != 3 || parts[2] == "" {
			return nil, invalid(name, "%q: use typeSystem|typeCode|value", v)
		}
		out.Preds = append(out.Preds, Pred{System: parts[0] + "|" + parts[1], HasSystem: true, Code: parts[2]})
	}
	return out, nil
}

// parseChain reads the rest of subject:Patient.name=x once subject is known.
func (ps *Params) parseChain(c *Clause, p *Param, name, chained, raw string, strict bool) (*Clause, error) {
	if p.Type != "reference" {
		return nil, invalid(name, "%s is a %s parameter; only reference parameters can be chained", c.Param, p.Type)
	}
	targets := p.Target
	if c.Modifier != "" {
		targets = []string{c.Modifier}
	}
	chain := &Chain{}
	for _, t := range targets {
		inner, err := ps.parseClause(t, chained, raw, false)
		if err != nil {
			return nil, err
		}
		if inner != nil && !inner.Empty() {
			chain.Targets = append(chain.Targets, ChainTarget{Type: t, Inner: inner})
		}
	}
	if len(chain.Targets) == 0 {
		if strict {
			return nil, invalid(name, "no target of %s has a search parameter %q", c.Param, chained)
		}
		return nil, nil
	}
	c.Chain, c.Modifier = chain, ""
	return c, nil
}

// parseHas reads _has:Type:param:rest=value.
func (ps *Params) parseHas(typ, name, rest, raw string, strict bool) (*Clause, error) {
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return nil, invalid(name, "use _has:Type:reference-parameter:parameter=value")
	}
	ref, ok := ps.Lookup(parts[0], parts[1])
	if !ok || ref.Type != "reference" {
		return nil, invalid(name, "%s has no reference parameter %s", parts[0], parts[1])
	}
	inner, err := ps.parseClause(parts[0], parts[2], raw, strict)
	if err != nil || inner == nil || inner.Empty() {
		return nil, err
	}
	return &Clause{Param: name, Type: "_has", Has: &Has{Type: parts[0], Param: parts[1], Inner: inner}}, nil
}

// parseInclude reads Source:param[:Target], or * for every reference.
func (ps *Params) parseInclude(name, raw string, iterate bool) (Include, error) {
	if raw == "*" {
		return Include{Param: "*", Iterate: iterate}, nil
	}
	parts := strings.Split(raw, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Include{}, invalid(name, "%q: use SourceType:parameter[:TargetType] or *", raw)
	}
	inc := Include{Source: parts[0], Param: parts[1], Iterate: iterate}
	if len(parts) == 3 {
		inc.Target = parts[2]
	}
	if inc.Param == "*" {
		return inc, nil
	}
	p, ok := ps.Lookup(inc.Source, inc.Param)
	if !ok || p.Type != "reference" {
		return Include{}, invalid(name, "%q: %s has no reference parameter %s", raw, inc.Source, inc.Param)
	}
	if inc.Target != "" && len(p.Target) > 0 {
		found := false
		for _, t := range p.Target {
			found = found || t == inc.Target
		}
		if !found {
			return Include{}, invalid(name, "%q: %s.%s cannot refer to %s", raw, inc.Source, inc.Param, inc.Target)
		}
	}
	return inc, nil
}

func invalid(param, format string, args ...any) error {
	return fhirerr.New(fhirerr.Invalid, "invalid", "", "search parameter %s: %s", param, fmt.Sprintf(format, args...))
}

// modifiers allowed per parameter type (besides :missing, allowed on all).
var modifiers = map[string]map[string]bool{
	"string":       {"": true, "exact": true, "contains": true},
	"token":        {"": true, "not": true, "text": true},
	"reference":    {"": true},
	"date":         {"": true},
	"number":       {"": true},
	"quantity":     {"": true},
	"uri":          {"": true, "below": true, "above": true},
	"composite":    {"": true},
	"_id":          {"": true},
	"_lastUpdated": {"": true},
}

func checkModifier(typ, modifier, name string) error {
	if modifiers[typ][modifier] {
		return nil
	}
	if typ == "reference" && modifier != "" && modifier[0] >= 'A' && modifier[0] <= 'Z' {
		return nil // :Patient — a resource type
	}
	if modifier == "in" || modifier == "not-in" || modifier == "above" || modifier == "below" || modifier == "iterate" {
		return fhirerr.New(fhirerr.NotSupported, "not-supported", "", "search parameter %s: the :%s modifier is not supported yet", name, modifier)
	}
	return invalid(name, "the :%s modifier does not apply to a %s parameter", modifier, typ)
}
