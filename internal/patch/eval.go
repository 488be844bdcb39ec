package patch

import (
	"fmt"
	"slices"
	"strings"
)

// node is one element a path selected, as a location that can be edited, not
// just a value: the object holding it, its member name there and, when that
// member is a list, its position. The root resource has no parent; neither
// do the booleans exists() and friends produce inside where().
type node struct {
	parent map[string]any
	key    string
	index  int // -1 when parent[key] is not a list
	value  any // nil for a primitive that has only an id or extensions ("_key")
	path   string
	choice string // the name navigated when it matched a choice element ("value" for valueQuantity)
	root   bool
}

// elem reports whether n is an element of the resource (not a computed value).
func (n node) elem() bool { return n.parent != nil || n.root }

// children is the FHIRPath member step: n's elements called name, each list
// item a node of its own. In FHIR JSON a primitive's id and extensions live
// in a "_name" companion member, so extension and id of a primitive are
// looked up there, and a primitive with only a companion still exists.
func children(n node, name string) []node {
	if !n.elem() {
		return nil
	}
	m, ok := n.value.(map[string]any)
	if !ok {
		if name != "extension" && name != "id" {
			return nil
		}
		if m, ok = companionOf(n).(map[string]any); !ok {
			return nil
		}
	}
	path := n.path + "." + name
	if v, ok := m[name]; ok {
		return expand(m, name, v, path, "")
	}
	if c, ok := m["_"+name]; ok && !strings.HasPrefix(name, "_") {
		var out []node
		if list, ok := c.([]any); ok {
			for i := range list {
				out = append(out, node{parent: m, key: name, index: i, path: path})
			}
		} else {
			out = append(out, node{parent: m, key: name, index: -1, path: path})
		}
		return out
	}
	// A choice element: "value" finds valueQuantity, valueString, ...
	var out []node
	for _, k := range sortedKeys(m) {
		if len(k) > len(name) && strings.HasPrefix(k, name) && typeSuffixes[k[len(name):]] {
			out = append(out, expand(m, k, m[k], path, name)...)
		}
	}
	return out
}

func expand(m map[string]any, key string, v any, path, choice string) []node {
	list, ok := v.([]any)
	if !ok {
		return []node{{parent: m, key: key, index: -1, value: v, path: path, choice: choice}}
	}
	out := make([]node, len(list))
	for i, e := range list {
		out[i] = node{parent: m, key: key, index: i, value: e, path: path, choice: choice}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// typeSuffixes are the R4 data types a choice element ([x]) can take, as
// they appear capitalised at the end of its JSON name. Requiring one keeps
// "context" from matching contextInvariant.
var typeSuffixes = map[string]bool{}

func init() {
	for _, t := range strings.Fields(`Base64Binary Boolean Canonical Code Date DateTime Decimal Id Instant
		Integer Markdown Oid PositiveInt String Time UnsignedInt Uri Url Uuid Address Age Annotation
		Attachment CodeableConcept Coding ContactPoint Count Distance Duration HumanName Identifier Money
		Period Quantity Range Ratio Reference SampledData Signature Timing ContactDetail Contributor
		DataRequirement Expression ParameterDefinition RelatedArtifact TriggerDefinition UsageContext
		Dosage Meta`) {
		typeSuffixes[t] = true
	}
}

// evalSteps applies steps to a collection.
func evalSteps(steps []step, in []node) ([]node, error) {
	for _, s := range steps {
		var out []node
		switch s.kind {
		case stepMember:
			for _, n := range in {
				out = append(out, children(n, s.name)...)
			}
		case stepIndex:
			if s.index < len(in) {
				out = in[s.index : s.index+1]
			}
		case stepFirst:
			if len(in) > 0 {
				out = in[:1]
			}
		case stepLast:
			if len(in) > 0 {
				out = in[len(in)-1:]
			}
		case stepWhere:
			for _, n := range in {
				t, err := evalBool(s.cond, n)
				if err != nil {
					return nil, err
				}
				if t == triTrue {
					out = append(out, n)
				}
			}
		case stepExists, stepEmpty:
			out = []node{{value: (len(in) > 0) == (s.kind == stepExists), index: -1}}
		case stepNot:
			t, err := singleton(in)
			if err != nil {
				return nil, err
			}
			if t != triEmpty {
				out = []node{{value: t == triFalse, index: -1}}
			}
		}
		in = out
	}
	return in, nil
}

// tri is FHIRPath's three-valued logic: a criterion can be empty.
type tri int

const (
	triEmpty tri = iota
	triFalse
	triTrue
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// evalBool evaluates a where() criterion with $this = this.
func evalBool(e expr, this node) (tri, error) {
	b, ok := e.(binary)
	if !ok {
		vals, err := evalValues(e, this)
		if err != nil {
			return triEmpty, err
		}
		return singleton(vals)
	}
	switch b.op {
	case "and", "or":
		l, err := evalBool(b.l, this)
		if err != nil {
			return triEmpty, err
		}
		r, err := evalBool(b.r, this)
		if err != nil {
			return triEmpty, err
		}
		if b.op == "and" {
			switch {
			case l == triFalse || r == triFalse:
				return triFalse, nil
			case l == triTrue && r == triTrue:
				return triTrue, nil
			}
			return triEmpty, nil
		}
		switch {
		case l == triTrue || r == triTrue:
			return triTrue, nil
		case l == triFalse && r == triFalse:
			return triFalse, nil
		}
		return triEmpty, nil
	}
	l, err := evalValues(b.l, this)
	if err != nil {
		return triEmpty, err
	}
	r, err := evalValues(b.r, this)
	if err != nil {
		return triEmpty, err
	}
	if len(l) == 0 || len(r) == 0 {
		return triEmpty, nil
	}
	// FHIRPath equality of collections: same length, equal item by item.
	eq := len(l) == len(r)
	for i := 0; eq && i < len(l); i++ {
		eq = jsonEqual(l[i].value, r[i].value)
	}
	return triOf(eq == (b.op == "=")), nil
}

// evalValues evaluates an operand to the collection it denotes, leaving out
// primitives that have extensions but no value.
func evalValues(e expr, this node) ([]node, error) {
	switch x := e.(type) {
	case literal:
		return []node{{value: x.value, index: -1}}, nil
	case relPath:
		nodes, err := evalSteps(x.steps, []node{this})
		if err != nil {
			return nil, err
		}
		out := nodes[:0:0]
		for _, n := range nodes {
			if n.value != nil {
				out = append(out, n)
			}
		}
		return out, nil
	case binary:
		t, err := evalBool(x, this)
		if err != nil || t == triEmpty {
			return nil, err
		}
		return []node{{value: t == triTrue, index: -1}}, nil
	}
	return nil, fmt.Errorf("unsupported criterion %T", e)
}

// singleton is FHIRPath's reading of a collection as a boolean: empty stays
// empty, one boolean is itself, any other single item is true, and several
// items are an error.
func singleton(vals []node) (tri, error) {
	switch len(vals) {
	case 0:
		return triEmpty, nil
	case 1:
		if b, ok := vals[0].value.(bool); ok {
			return triOf(b), nil
		}
		return triTrue, nil
	}
	return triEmpty, fmt.Errorf("a where() criterion yields %d values where one boolean is needed", len(vals))
}

// The edits below keep a primitive's "_key" companion in step with it: the
// companion of a list is a parallel list, null where an item has none.

// companionOf returns the "_key" entry that belongs to n, or nil.
func companionOf(n node) any {
	if n.parent == nil || strings.HasPrefix(n.key, "_") {
		return nil
	}
	c := n.parent["_"+n.key]
	if n.index < 0 {
		return c
	}
	if list, ok := c.([]any); ok && n.index < len(list) {
		return list[n.index]
	}
	return nil
}

// ensureCompanion returns n's companion object, creating it (and padding a
// parallel list) so that an extension or id can be added to a primitive.
func ensureCompanion(n node) map[string]any {
	if m, ok := companionOf(n).(map[string]any); ok {
		return m
	}
	m := map[string]any{}
	setCompanion(n, m)
	return m
}

// setCompanion sets n's companion to c, or clears it when c is nil.
func setCompanion(n node, c any) {
	ck := "_" + n.key
	if n.index < 0 {
		if c == nil {
			delete(n.parent, ck)
		} else {
			n.parent[ck] = c
		}
		return
	}
	list, _ := n.parent[ck].([]any)
	if c == nil && n.index >= len(list) {
		return
	}
	list = padded(list, max(n.index+1, listLen(n.parent[n.key])))
	list[n.index] = c
	n.parent[ck] = list
}

// setValue stores v at n, keeping its companion.
func setValue(n node, v any) {
	if n.index < 0 {
		n.parent[n.key] = v
		return
	}
	list, _ := n.parent[n.key].([]any)
	list = padded(list, n.index+1)
	list[n.index] = v
	n.parent[n.key] = list
}

// removeNode deletes n and its companion.
func removeNode(n node) {
	ck := "_" + n.key
	if n.index < 0 {
		delete(n.parent, n.key)
		delete(n.parent, ck)
		return
	}
	for _, k := range []string{n.key, ck} {
		if list, ok := n.parent[k].([]any); ok && n.index < len(list) {
			n.parent[k] = removeIndex(list, n.index)
		}
	}
}

func listLen(v any) int {
	list, _ := v.([]any)
	return len(list)
}

// padded returns list grown with nulls to at least n items, as a new slice
// when it grows.
func padded(list []any, n int) []any {
	if len(list) >= n {
		return list
	}
	out := make([]any, n)
	copy(out, list)
	return out
}
