package patch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// JSON applies an RFC 6902 JSON Patch document to a resource's JSON and
// returns the patched JSON.
//
// The patch is all or nothing: the first operation that fails (including a
// failed test) ends it with an error. A malformed document is
// fhirerr.Invalid; an operation this resource cannot take (a missing path, an
// index out of range, a failed test, a change to id or resourceType) is
// fhirerr.Unprocessable. Diagnostics name the failing operation by its
// zero-based position in the document, e.g. "operation 3 (replace): ...".
func JSON(resource, patch []byte) ([]byte, error) {
	v, err := decode(resource)
	if err != nil {
		return nil, fhirerr.Wrap(fhirerr.Internal, "exception", err, "the resource to patch is not valid JSON")
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, fhirerr.New(fhirerr.Internal, "exception", "", "the resource to patch is not a JSON object")
	}
	ops, err := parseJSONPatch(patch)
	if err != nil {
		return nil, err
	}
	want := identityOf(root)
	budget := maxCopied
	var doc any = root
	for i, op := range ops {
		if doc, err = op.apply(doc, &budget); err != nil {
			return nil, fhirerr.New(fhirerr.Unprocessable, "processing", "", "operation %d (%s): %v", i, op.op, err)
		}
		if msg := want.check(doc); msg != "" {
			return nil, fhirerr.New(fhirerr.Unprocessable, "processing", "", "operation %d (%s): %s", i, op.op, msg)
		}
	}
	prune(doc)
	return encode(doc)
}

// maxCopied bounds the values copy operations may create in one patch: each
// copy of the root doubles the document, so a few dozen of them would
// otherwise exhaust memory.
const maxCopied = 1 << 20

// jsonOp is one parsed JSON Patch operation.
type jsonOp struct {
	op         string
	path, from pointer
	value      any
}

// The members each op requires besides "op" and "path" (RFC 6902 section 4).
var jsonOpNeeds = map[string]string{
	"add": "value", "remove": "", "replace": "value", "move": "from", "copy": "from", "test": "value",
}

// parseJSONPatch checks the whole document before anything is applied, so a
// malformed operation late in the document is a 400 rather than a 422 from
// whichever earlier operation happened to fail first.
func parseJSONPatch(patch []byte) ([]jsonOp, error) {
	v, err := decode(patch)
	if err != nil {
		return nil, fhirerr.New(fhirerr.Invalid, "invalid", "", "the JSON Patch document is not valid JSON: %v", err)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fhirerr.New(fhirerr.Invalid, "structure", "", "a JSON Patch document must be a JSON array of operations")
	}
	ops := make([]jsonOp, 0, len(list))
	for i, e := range list {
		op, err := parseJSONOp(e)
		if err != nil {
			return nil, fhirerr.New(fhirerr.Invalid, err.code, "", "operation %d%s: %s", i, op.label(), err.msg)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// formatError is a problem with the patch document itself; code is the
// FHIR issue type.
type formatError struct{ code, msg string }

func parseJSONOp(e any) (jsonOp, *formatError) {
	m, ok := e.(map[string]any)
	if !ok {
		return jsonOp{}, &formatError{"structure", "an operation must be a JSON object"}
	}
	var op jsonOp
	name, ok := m["op"]
	if !ok {
		return op, &formatError{"required", `missing "op"`}
	}
	if op.op, ok = name.(string); !ok {
		return op, &formatError{"invalid", `"op" must be a string`}
	}
	need, known := jsonOpNeeds[op.op]
	if !known {
		op.op = ""
		return op, &formatError{"invalid", fmt.Sprintf("unknown op %q (want add, remove, replace, move, copy or test)", name)}
	}
	var err *formatError
	if op.path, err = pointerMember(m, "path"); err != nil {
		return op, err
	}
	switch need {
	case "from":
		if op.from, err = pointerMember(m, "from"); err != nil {
			return op, err
		}
		if op.op == "move" && len(op.from) < len(op.path) && op.from.isPrefixOf(op.path) {
			return op, &formatError{"invalid", fmt.Sprintf("cannot move %q into its own child %q", op.from, op.path)}
		}
	case "value":
		if op.value, ok = m["value"]; !ok {
			return op, &formatError{"required", `missing "value"`}
		}
	}
	return op, nil
}

// label is " (op)" once the op is known, for diagnostics.
func (op jsonOp) label() string {
	if op.op == "" {
		return ""
	}
	return " (" + op.op + ")"
}

func pointerMember(m map[string]any, name string) (pointer, *formatError) {
	v, ok := m[name]
	if !ok {
		return nil, &formatError{"required", fmt.Sprintf("missing %q", name)}
	}
	s, ok := v.(string)
	if !ok {
		return nil, &formatError{"invalid", fmt.Sprintf("%q must be a string", name)}
	}
	p, err := parsePointer(s)
	if err != nil {
		return nil, &formatError{"invalid", fmt.Sprintf("%q: %v", name, err)}
	}
	return p, nil
}

// apply runs the operation on doc and returns the new document: usually doc
// itself, edited in place, but a different value when the root is replaced.
// budget is how many more JSON values copies may create.
func (op jsonOp) apply(doc any, budget *int) (any, error) {
	switch op.op {
	case "add":
		return addAt(doc, op.path, op.value)
	case "remove":
		doc, _, err := removeAt(doc, op.path)
		return doc, err
	case "replace":
		if _, err := getAt(doc, op.path); err != nil {
			return nil, err
		}
		return setAt(doc, op.path, op.value)
	case "move":
		if op.from.equal(op.path) {
			_, err := getAt(doc, op.from)
			return doc, err
		}
		doc, v, err := removeAt(doc, op.from)
		if err != nil {
			return nil, fmt.Errorf("from: %w", err)
		}
		return addAt(doc, op.path, v)
	case "copy":
		v, err := getAt(doc, op.from)
		if err != nil {
			return nil, fmt.Errorf("from: %w", err)
		}
		if *budget -= countValues(v, *budget); *budget < 0 {
			return nil, fmt.Errorf("the patch copies more than %d JSON values", maxCopied)
		}
		return addAt(doc, op.path, deepCopy(v))
	case "test":
		v, err := getAt(doc, op.path)
		if err != nil {
			return nil, err
		}
		if !jsonEqual(v, op.value) {
			return nil, fmt.Errorf("test failed: the value at %q is not the expected value", op.path)
		}
		return doc, nil
	}
	return nil, fmt.Errorf("unknown op %q", op.op) // unreachable: parseJSONOp vetted it
}

// countValues counts the JSON values in v, giving up once past limit.
func countValues(v any, limit int) int {
	n := 1
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if n > limit {
				break
			}
			n += countValues(e, limit-n)
		}
	case []any:
		for _, e := range x {
			if n > limit {
				break
			}
			n += countValues(e, limit-n)
		}
	}
	return n
}

// pointer is a parsed RFC 6901 JSON Pointer: its reference tokens, unescaped.
type pointer []string

func parsePointer(s string) (pointer, error) {
	if s == "" {
		return pointer{}, nil
	}
	if s[0] != '/' {
		return nil, fmt.Errorf("JSON pointer %q must be empty or start with /", s)
	}
	toks := strings.Split(s[1:], "/")
	for i, t := range toks {
		if !strings.Contains(t, "~") {
			continue
		}
		for j := 0; j < len(t); j++ {
			if t[j] == '~' && (j+1 == len(t) || (t[j+1] != '0' && t[j+1] != '1')) {
				return nil, fmt.Errorf("JSON pointer %q: ~ must be followed by 0 or 1", s)
			}
		}
		// Order matters: "~01" is "~1" unescaped, not "/".
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// String re-escapes the pointer for diagnostics.
func (p pointer) String() string {
	var b strings.Builder
	for _, t := range p {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func (p pointer) equal(q pointer) bool {
	return len(p) == len(q) && p.isPrefixOf(q)
}

func (p pointer) isPrefixOf(q pointer) bool {
	if len(p) > len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

// getAt returns the value p refers to in doc.
func getAt(doc any, p pointer) (any, error) {
	cur := doc
	for i, tok := range p {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("path %q does not exist", p[:i+1])
			}
			cur = v
		case []any:
			idx, err := arrayIndex(tok, len(c), false)
			if err != nil {
				return nil, fmt.Errorf("path %q: %v", p[:i+1], err)
			}
			cur = c[idx]
		default:
			return nil, fmt.Errorf("path %q does not exist: %q is not an object or array", p[:i+1], p[:i])
		}
	}
	return cur, nil
}

// setAt overwrites the existing location p with v (len(p) == 0 replaces the
// whole document). Arrays keep their length, so they are edited in place.
func setAt(doc any, p pointer, v any) (any, error) {
	if len(p) == 0 {
		return v, nil
	}
	parent, err := getAt(doc, p[:len(p)-1])
	if err != nil {
		return nil, err
	}
	last := p[len(p)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = v
	case []any:
		idx, err := arrayIndex(last, len(c), false)
		if err != nil {
			return nil, fmt.Errorf("path %q: %v", p, err)
		}
		c[idx] = v
	default:
		return nil, fmt.Errorf("path %q does not exist: %q is not an object or array", p, p[:len(p)-1])
	}
	return doc, nil
}

// addAt implements RFC 6902 add: set an object member, or insert into an
// array (shifting later elements), "-" meaning after the last one.
func addAt(doc any, p pointer, v any) (any, error) {
	if len(p) == 0 {
		return v, nil
	}
	parentPath, last := p[:len(p)-1], p[len(p)-1]
	parent, err := getAt(doc, parentPath)
	if err != nil {
		return nil, err
	}
	switch c := parent.(type) {
	case map[string]any:
		c[last] = v
		return doc, nil
	case []any:
		idx, err := arrayIndex(last, len(c), true)
		if err != nil {
			return nil, fmt.Errorf("path %q: %v", p, err)
		}
		return setAt(doc, parentPath, insertAt(c, idx, v))
	}
	return nil, fmt.Errorf("cannot add %q: %q is not an object or array", p, parentPath)
}

// removeAt deletes the location p and returns what was there.
func removeAt(doc any, p pointer) (any, any, error) {
	if len(p) == 0 {
		return nil, nil, errors.New("cannot remove the whole resource")
	}
	parentPath, last := p[:len(p)-1], p[len(p)-1]
	parent, err := getAt(doc, parentPath)
	if err != nil {
		return nil, nil, err
	}
	switch c := parent.(type) {
	case map[string]any:
		v, ok := c[last]
		if !ok {
			return nil, nil, fmt.Errorf("path %q does not exist", p)
		}
		delete(c, last)
		return doc, v, nil
	case []any:
		idx, err := arrayIndex(last, len(c), false)
		if err != nil {
			return nil, nil, fmt.Errorf("path %q: %v", p, err)
		}
		v := c[idx]
		doc, err = setAt(doc, parentPath, removeIndex(c, idx))
		return doc, v, err
	}
	return nil, nil, fmt.Errorf("path %q does not exist: %q is not an object or array", p, parentPath)
}

// arrayIndex reads a reference token as an index into an array of n
// elements. RFC 6901 allows only 0 or digits without a leading zero; "-"
// (one past the end) and n itself are accepted only where the operation may
// append (end).
func arrayIndex(tok string, n int, end bool) (int, error) {
	if tok == "-" {
		if end {
			return n, nil
		}
		return 0, errors.New(`"-" refers to the element after the last one, which does not exist`)
	}
	if tok == "" || !allDigits(tok) {
		return 0, fmt.Errorf("%q is not an array index", tok)
	}
	if len(tok) > 1 && tok[0] == '0' {
		return 0, fmt.Errorf("array index %q has a leading zero", tok)
	}
	idx, err := strconv.Atoi(tok)
	if err != nil || idx > n || (idx == n && !end) {
		return 0, fmt.Errorf("index %s is out of range: the array has %d elements", tok, n)
	}
	return idx, nil
}

// insertAt and removeIndex build new slices rather than shifting elements in
// place: cheap at resource sizes, and no slice header held elsewhere (say, in
// a list of evaluated locations) ever sees its elements move.
func insertAt(a []any, i int, v any) []any {
	out := make([]any, 0, len(a)+1)
	out = append(out, a[:i]...)
	out = append(out, v)
	return append(out, a[i:]...)
}

func removeIndex(a []any, i int) []any {
	out := make([]any, 0, len(a)-1)
	out = append(out, a[:i]...)
	return append(out, a[i+1:]...)
}
