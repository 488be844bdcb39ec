// Package search holds FHIR search as data and pure functions: compiled
// search parameter expressions, the index values a resource yields for each
// parameter, and (as it lands) the parsing of search requests. It knows
// nothing of SQL or HTTP.
package search

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Path is a compiled search parameter expression: the subset of FHIRPath the
// R4 SearchParameter definitions use. Unions (|), navigation, .as(T),
// "(x as T)", .ofType(T), .where(resolve() is T), .where(name='literal') and
// the exists()-and-not-false idiom of Patient.deceased.
type Path struct {
	expr   string
	terms  []term // union of terms
	truthy bool   // the "x.exists() and x != false" form: yields one boolean
}

type term struct {
	root  string // resource type the term is rooted at ("Resource" matches any)
	steps []step
}

type stepKind int

const (
	stepChild stepKind = iota
	stepAs
	stepWhereResolveIs
	stepWhereEquals
)

type step struct {
	kind  stepKind
	name  string // child name, type name, or field name of where(name='v')
	value string // where(name='value')
}

// Node is one value an expression selected, with its FHIR type when known
// (from a choice suffix, such as valueQuantity → Quantity).
type Node struct {
	Value any
	Type  string
}

var (
	truthyForm = regexp.MustCompile(`^(\S+)\.exists\(\) and (\S+) != false$`)
	asForm     = regexp.MustCompile(`^\((.+) as ([A-Za-z]+)\)$`)
	whereEq    = regexp.MustCompile(`^([a-zA-Z]+)\s*=\s*'([^']*)'$`)
	resolveIs  = regexp.MustCompile(`^resolve\(\) is ([A-Za-z]+)$`)
)

// Compile parses expr.
func Compile(expr string) (*Path, error) {
	p := &Path{expr: expr}
	if m := truthyForm.FindStringSubmatch(expr); m != nil && m[1] == m[2] {
		t, err := compileTerm(m[1])
		if err != nil {
			return nil, fmt.Errorf("search.Compile %q: %w", expr, err)
		}
		p.terms, p.truthy = []term{t}, true
		return p, nil
	}
	for _, part := range splitTop(expr, '|') {
		t, err := compileTerm(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("search.Compile %q: %w", expr, err)
		}
		p.terms = append(p.terms, t)
	}
	return p, nil
}

// CompileRelative parses an expression evaluated from a node rather than a
// resource, such as a composite parameter's component ("value.as(Quantity)").
func CompileRelative(expr string) (*Path, error) {
	var parts []string
	for _, part := range splitTop(expr, '|') {
		parts = append(parts, "_."+strings.TrimSpace(part))
	}
	p, err := Compile(strings.Join(parts, " | "))
	if err != nil {
		return nil, err
	}
	p.expr = expr
	return p, nil
}

// EvalNode evaluates a relative path from a node.
func (p *Path) EvalNode(node any) []Node {
	var out []Node
	for _, t := range p.terms {
		nodes := []Node{{Value: node}}
		for _, st := range t.steps {
			nodes = st.apply(nodes)
		}
		out = append(out, nodes...)
	}
	return out
}

// String returns the expression as written.
func (p *Path) String() string { return p.expr }

func compileTerm(s string) (term, error) {
	if inner, rest, ok := group(s); ok && len(splitTop(inner, '|')) == 1 && !strings.Contains(inner, " as ") {
		t, err := compileTerm(inner) // (Goal.start.ofType(date)), (X.ofType(CodeableConcept)).text
		if err != nil || rest == "" {
			return t, err
		}
		for _, part := range splitTop(rest, '.')[1:] {
			st, err := compileStep(part)
			if err != nil {
				return term{}, err
			}
			t.steps = append(t.steps, st)
		}
		return t, nil
	}
	if m := asForm.FindStringSubmatch(s); m != nil { // (Observation.value as Quantity)
		t, err := compileTerm(m[1])
		if err != nil {
			return term{}, err
		}
		t.steps = append(t.steps, step{kind: stepAs, name: m[2]})
		return t, nil
	}
	parts := splitTop(s, '.')
	if len(parts) == 0 || !isIdent(parts[0]) {
		return term{}, fmt.Errorf("unsupported term %q", s)
	}
	t := term{root: parts[0]}
	for _, part := range parts[1:] {
		st, err := compileStep(part)
		if err != nil {
			return term{}, err
		}
		t.steps = append(t.steps, st)
	}
	return t, nil
}

func compileStep(s string) (step, error) {
	if isIdent(s) {
		return step{kind: stepChild, name: s}, nil
	}
	name, arg, ok := strings.Cut(s, "(")
	if !ok || !strings.HasSuffix(arg, ")") {
		return step{}, fmt.Errorf("unsupported step %q", s)
	}
	arg = strings.TrimSuffix(arg, ")")
	switch name {
	case "as", "ofType":
		if isIdent(arg) {
			return step{kind: stepAs, name: arg}, nil
		}
	case "where":
		if m := resolveIs.FindStringSubmatch(arg); m != nil {
			return step{kind: stepWhereResolveIs, name: m[1]}, nil
		}
		if m := whereEq.FindStringSubmatch(arg); m != nil {
			return step{kind: stepWhereEquals, name: m[1], value: m[2]}, nil
		}
	}
	return step{}, fmt.Errorf("unsupported step %q", s)
}

// group splits "(inner).rest" (or "(inner)") at the parenthesis that closes
// the leading group; rest is "" or starts with ".".
func group(s string) (inner, rest string, ok bool) {
	if !strings.HasPrefix(s, "(") {
		return "", "", false
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				rest = s[i+1:]
				if rest != "" && !strings.HasPrefix(rest, ".") {
					return "", "", false
				}
				return s[1:i], rest, true
			}
		}
	}
	return "", "", false
}

// splitTop splits s at sep outside parentheses and quotes.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(unicode.IsLetter(r) || r == '_' || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return true
}

// Eval returns the nodes the expression selects in a resource tree.
func (p *Path) Eval(resource map[string]any) []Node {
	typ, _ := resource["resourceType"].(string)
	var out []Node
	for _, t := range p.terms {
		if t.root != typ && t.root != "Resource" && t.root != "DomainResource" {
			continue
		}
		nodes := []Node{{Value: resource, Type: typ}}
		for _, st := range t.steps {
			nodes = st.apply(nodes)
		}
		out = append(out, nodes...)
	}
	if p.truthy {
		for _, n := range out {
			if b, isBool := n.Value.(bool); !isBool || b {
				return []Node{{Value: true, Type: "boolean"}}
			}
		}
		return []Node{{Value: false, Type: "boolean"}}
	}
	return out
}

func (st step) apply(in []Node) []Node {
	var out []Node
	for _, n := range in {
		switch st.kind {
		case stepChild:
			out = appendChildren(out, n, st.name)
		case stepAs:
			// A choice element knows its type; any other element has one
			// declared type, which the definitions only ever name correctly.
			if n.Type == "" || strings.EqualFold(n.Type, st.name) {
				out = append(out, n)
			}
		case stepWhereResolveIs:
			if m, ok := n.Value.(map[string]any); ok {
				if ref, _ := m["reference"].(string); refType(ref) == st.name {
					out = append(out, n)
				}
			}
		case stepWhereEquals:
			if m, ok := n.Value.(map[string]any); ok && m[st.name] == st.value {
				out = append(out, n)
			}
		}
	}
	return out
}

// appendChildren adds n.name to out, flattening arrays. A choice element
// (value[x]) is found by its typed member name, valueQuantity, and keeps the
// type: Quantity, or string for valueString.
func appendChildren(out []Node, n Node, name string) []Node {
	m, ok := n.Value.(map[string]any)
	if !ok {
		return out
	}
	add := func(v any, typ string) {
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				if e != nil {
					out = append(out, Node{Value: e, Type: typ})
				}
			}
			return
		}
		out = append(out, Node{Value: v, Type: typ})
	}
	if v, ok := m[name]; ok {
		add(v, "")
		return out
	}
	for k, v := range m {
		if len(k) > len(name) && strings.HasPrefix(k, name) && unicode.IsUpper(rune(k[len(name)])) {
			suffix := k[len(name):]
			if primitiveChoice[suffix] {
				suffix = strings.ToLower(suffix[:1]) + suffix[1:]
			}
			add(v, suffix)
		}
	}
	return out
}

// primitiveChoice are the choice suffixes naming primitive types, whose FHIR
// type names start in lower case (valueDateTime is a dateTime).
var primitiveChoice = map[string]bool{"Base64Binary": true, "Boolean": true, "Canonical": true, "Code": true,
	"Date": true, "DateTime": true, "Decimal": true, "Id": true, "Instant": true, "Integer": true, "Markdown": true,
	"Oid": true, "PositiveInt": true, "String": true, "Time": true, "UnsignedInt": true, "Uri": true, "Url": true,
	"Uuid": true}

// refType is the resource type a literal reference names: Patient for
// "Patient/1", "Patient/1/_history/2" and "https://x.org/fhir/Patient/1".
func refType(ref string) string {
	parts := strings.Split(ref, "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	if len(parts) < 2 {
		return ""
	}
	if t := parts[len(parts)-2]; isIdent(t) && unicode.IsUpper(rune(t[0])) {
		return t
	}
	return ""
}
