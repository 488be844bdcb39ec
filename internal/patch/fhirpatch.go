package patch

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Option tells FHIRPath what it cannot see in the JSON: FHIR's element
// definitions.
type Option func(*config)

type config struct {
	cardinality func(path string) (isList, known bool)
	choice      func(path string) bool
}

// WithCardinality supplies element cardinality, so that adding a list
// element that is not yet present creates a list ([value]) rather than a
// single value. path is the element's type-level path, the names as navigated
// and without indexes, e.g. "Patient.name" or "Patient.contact.telecom";
// known is false for paths the callback does not recognise, which are then
// created single-valued.
func WithCardinality(f func(path string) (isList bool, known bool)) Option {
	return func(c *config) { c.cardinality = f }
}

// WithChoice says which element paths (e.g. "Patient.deceased") are choice
// elements ([x]), so that an add named "deceased" with a valueBoolean creates
// deceasedBoolean, and likewise for the parts of an anonymous-type value.
// Without it the name is used exactly as given.
func WithChoice(f func(path string) bool) Option {
	return func(c *config) { c.choice = f }
}

func (c *config) isList(path string) (isList, known bool) {
	if c.cardinality == nil {
		return false, false
	}
	return c.cardinality(path)
}

func (c *config) isChoice(path string) bool { return c.choice != nil && c.choice(path) }

// FHIRPath applies a FHIRPath Patch (a Parameters resource, JSON) to a
// resource's JSON tree, as decoded by encoding/json with UseNumber, and
// returns the patched tree. Paths are rooted at the tree's resourceType.
//
// tree itself is never modified: the patch is applied to a copy, so a
// failing operation leaves nothing half done. Errors carry the FHIRPath of
// the offending part of the patch, e.g. Parameters.parameter[1].part[2]:
// fhirerr.Invalid for a malformed patch, fhirerr.Unprocessable for one this
// resource cannot take.
func FHIRPath(tree map[string]any, params []byte, opts ...Option) (map[string]any, error) {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	typ, _ := tree["resourceType"].(string)
	if typ == "" {
		return nil, fhirerr.New(fhirerr.Internal, "exception", "", "the resource to patch has no resourceType")
	}
	ops, err := parseParameters(params)
	if err != nil {
		return nil, err
	}
	root := deepCopy(tree).(map[string]any)
	want := identityOf(root)
	for _, op := range ops {
		if err := op.apply(root, typ, &cfg); err != nil {
			return nil, err
		}
		if msg := want.check(root); msg != "" {
			return nil, fhirerr.New(fhirerr.Unprocessable, "processing", op.at("path"), "%s", msg)
		}
	}
	prune(root)
	return root, nil
}

// fpOp is one parsed operation parameter.
type fpOp struct {
	param       int            // position in Parameters.parameter
	parts       map[string]int // part name → position in its part list
	typ         string
	path        string
	steps       []step
	name        string
	value       *fpValue
	index       int // insert's index, or move's source
	destination int
}

// fpValue is the value of a "value" part (or of a part nested in one).
type fpValue struct {
	v, ext any          // a value[x] and its "_value[x]" companion, or a resource
	suffix string       // the type of a value[x], e.g. "Boolean"; "" otherwise
	parts  []namedValue // an anonymous type (e.g. Patient.contact) given as parts
}

type namedValue struct {
	name string
	val  *fpValue
}

// The parts each operation type takes, all of them required (fhirpatch.html).
var fpOpParts = map[string][]string{
	"add":     {"type", "path", "name", "value"},
	"insert":  {"type", "path", "index", "value"},
	"delete":  {"type", "path"},
	"replace": {"type", "path", "value"},
	"move":    {"type", "path", "source", "destination"},
}

// at is the FHIRPath of the operation's named part, for error expressions,
// or of the operation itself when it has no such part.
func (op *fpOp) at(part string) string {
	if j, ok := op.parts[part]; ok {
		return fmt.Sprintf("Parameters.parameter[%d].part[%d]", op.param, j)
	}
	return fmt.Sprintf("Parameters.parameter[%d]", op.param)
}

func invalid(code, expression, format string, args ...any) error {
	return fhirerr.New(fhirerr.Invalid, code, expression, format, args...)
}

func unprocessable(expression, format string, args ...any) error {
	return fhirerr.New(fhirerr.Unprocessable, "processing", expression, format, args...)
}

// parseParameters checks the whole patch before anything is applied.
func parseParameters(params []byte) ([]*fpOp, error) {
	v, err := decode(params)
	if err != nil {
		return nil, invalid("invalid", "", "the FHIRPath Patch body is not valid JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok || m["resourceType"] != "Parameters" {
		return nil, invalid("structure", "", "a FHIRPath Patch body must be a Parameters resource")
	}
	list, ok := m["parameter"].([]any)
	if _, present := m["parameter"]; present && !ok {
		return nil, invalid("structure", "Parameters.parameter", "parameter must be an array")
	}
	// No operations is a patch that changes nothing (the spec's "No
	// Difference" test cases), not an error.
	ops := make([]*fpOp, len(list))
	for i, p := range list {
		if ops[i], err = parseOperation(i, p); err != nil {
			return nil, err
		}
	}
	return ops, nil
}

func parseOperation(i int, p any) (*fpOp, error) {
	expr := fmt.Sprintf("Parameters.parameter[%d]", i)
	pm, ok := p.(map[string]any)
	if !ok {
		return nil, invalid("structure", expr, "a parameter must be a JSON object")
	}
	if name, _ := pm["name"].(string); name != "operation" {
		return nil, invalid("invalid", expr, `parameter %q is not a patch operation: each parameter must be named "operation"`, name)
	}
	parts, ok := pm["part"].([]any)
	if !ok || len(parts) == 0 {
		return nil, invalid("required", expr, "the operation has no parts")
	}
	op := &fpOp{param: i, parts: map[string]int{}}
	raw := make([]map[string]any, len(parts))
	for j, part := range parts {
		pe := fmt.Sprintf("%s.part[%d]", expr, j)
		if raw[j], ok = part.(map[string]any); !ok {
			return nil, invalid("structure", pe, "a part must be a JSON object")
		}
		name, _ := raw[j]["name"].(string)
		switch name {
		case "type", "path", "name", "value", "index", "source", "destination":
		case "":
			return nil, invalid("required", pe, "the part has no name")
		default:
			return nil, invalid("invalid", pe, "unknown part %q (want type, path, name, value, index, source or destination)", name)
		}
		if _, dup := op.parts[name]; dup {
			return nil, invalid("invalid", pe, "the operation has more than one %q part", name)
		}
		op.parts[name] = j
	}
	j, ok := op.parts["type"]
	if !ok {
		return nil, invalid("required", expr, `the operation has no "type" part`)
	}
	var err error
	if op.typ, err = stringPart(raw[j], "valueCode", "valueString"); err != nil {
		return nil, invalid("invalid", op.at("type"), "type: %v", err)
	}
	want, ok := fpOpParts[op.typ]
	if !ok {
		return nil, invalid("invalid", op.at("type"), "unknown operation type %q (want add, insert, delete, replace or move)", op.typ)
	}
	for _, part := range raw {
		if name := part["name"].(string); !slices.Contains(want, name) {
			return nil, invalid("structure", op.at(name), "a %s operation takes no %q part", op.typ, name)
		}
	}
	for _, name := range want {
		j, ok := op.parts[name]
		if !ok {
			return nil, invalid("required", expr, "a %s operation needs a %q part", op.typ, name)
		}
		if err := op.parsePart(name, raw[j]); err != nil {
			return nil, err
		}
	}
	return op, nil
}

// parsePart reads one part of a known operation into op.
func (op *fpOp) parsePart(name string, part map[string]any) error {
	at := op.at(name)
	var err error
	switch name {
	case "path":
		if op.path, err = stringPart(part, "valueString"); err != nil {
			return invalid("invalid", at, "path: %v", err)
		}
		if op.steps, err = parsePath(op.path); err != nil {
			return invalid("invalid", at, "path %q: %v", op.path, err)
		}
		if (op.typ == "insert" || op.typ == "move") && op.steps[len(op.steps)-1].kind != stepMember {
			return invalid("invalid", at, "path %q: an %s path must end with the name of a list element", op.path, op.typ)
		}
	case "name":
		if op.name, err = stringPart(part, "valueString", "valueCode"); err == nil && !isElementName(op.name) {
			err = fmt.Errorf("%q is not an element name", op.name)
		}
		if err != nil {
			return invalid("invalid", at, "name: %v", err)
		}
	case "value":
		op.value, err = parseValue(part, at)
		return err
	case "index", "source", "destination":
		n, err := intPart(part)
		if err != nil {
			return invalid("invalid", at, "%s: %v", name, err)
		}
		if name == "destination" {
			op.destination = n
		} else {
			op.index = n
		}
	}
	return nil
}

// valueKeys lists a part's value[x] members.
func valueKeys(part map[string]any) []string {
	var keys []string
	for k := range part {
		if len(k) > 5 && strings.HasPrefix(k, "value") && k[5] >= 'A' && k[5] <= 'Z' {
			keys = append(keys, k)
		}
	}
	return keys
}

// stringPart reads a part whose value must be a non-empty string in one of
// the given value[x] members.
func stringPart(part map[string]any, allowed ...string) (string, error) {
	keys := valueKeys(part)
	if len(keys) != 1 {
		return "", fmt.Errorf("needs exactly one %s", strings.Join(allowed, " or "))
	}
	for _, k := range allowed {
		if k == keys[0] {
			s, ok := part[k].(string)
			if !ok || s == "" {
				return "", fmt.Errorf("%s must be a non-empty string", k)
			}
			return s, nil
		}
	}
	return "", fmt.Errorf("%s is not allowed here (want %s)", keys[0], strings.Join(allowed, " or "))
}

// intPart reads a non-negative integer part.
func intPart(part map[string]any) (int, error) {
	keys := valueKeys(part)
	if len(keys) != 1 || (keys[0] != "valueInteger" && keys[0] != "valueUnsignedInt" && keys[0] != "valuePositiveInt") {
		return 0, fmt.Errorf("needs exactly one valueInteger")
	}
	num, ok := part[keys[0]].(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s must be a JSON number", keys[0])
	}
	n, err := strconv.Atoi(string(num))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a non-negative integer, not %s", keys[0], num)
	}
	return n, nil
}

func isElementName(s string) bool {
	if s == "" || !isIdentStart(s[0]) || s[0] == '_' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentStart(s[i]) && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// parseValue reads a value part: one value[x], a resource, or nested parts
// naming the members of an anonymous type.
func parseValue(part map[string]any, at string) (*fpValue, error) {
	keys := valueKeys(part)
	res, hasRes := part["resource"]
	sub, hasParts := part["part"]
	switch n := len(keys) + btoi(hasRes) + btoi(hasParts); {
	case n == 0:
		return nil, invalid("required", at, "the value has no value[x], resource or part")
	case n > 1:
		return nil, invalid("invalid", at, "the value has more than one of value[x], resource and part")
	}
	switch {
	case hasRes:
		r, ok := res.(map[string]any)
		if t, _ := r["resourceType"].(string); !ok || t == "" {
			return nil, invalid("invalid", at, "resource must be a resource with a resourceType")
		}
		return &fpValue{v: r}, nil
	case hasParts:
		list, ok := sub.([]any)
		if !ok || len(list) == 0 {
			return nil, invalid("structure", at, "part must be a non-empty array")
		}
		val := &fpValue{}
		for k, e := range list {
			pe := fmt.Sprintf("%s.part[%d]", at, k)
			pm, ok := e.(map[string]any)
			if !ok {
				return nil, invalid("structure", pe, "a part must be a JSON object")
			}
			name, _ := pm["name"].(string)
			if !isElementName(name) {
				return nil, invalid("invalid", pe, "part name %q is not an element name", name)
			}
			v, err := parseValue(pm, pe)
			if err != nil {
				return nil, err
			}
			val.parts = append(val.parts, namedValue{name, v})
		}
		return val, nil
	}
	k := keys[0]
	v := part[k]
	switch v.(type) {
	case nil:
		return nil, invalid("invalid", at, "%s must not be null", k)
	case []any:
		return nil, invalid("invalid", at, "%s must not be an array", k)
	}
	ext, hasExt := part["_"+k]
	if _, ok := ext.(map[string]any); hasExt && !ok {
		return nil, invalid("invalid", at, "_%s must be an object", k)
	}
	return &fpValue{v: v, ext: ext, suffix: k[len("value"):]}, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// materialize turns a value into JSON for the element at path: a value[x]
// as it is, parts as an object whose repeated (or, per cfg, list) members
// become arrays. ext is the "_" companion of a primitive, or nil.
func materialize(val *fpValue, path string, cfg *config) (v, ext any) {
	if val.parts == nil {
		return val.v, val.ext
	}
	type member struct {
		key, path string
		vals      []any
		exts      []any
		hasExt    bool
	}
	var order []*member
	byKey := map[string]*member{}
	for _, nv := range val.parts {
		p := path + "." + nv.name
		key := nv.name
		if nv.val.suffix != "" && cfg.isChoice(p) {
			key += nv.val.suffix
		}
		mb := byKey[key]
		if mb == nil {
			mb = &member{key: key, path: p}
			byKey[key] = mb
			order = append(order, mb)
		}
		v, ext := materialize(nv.val, p, cfg)
		mb.vals, mb.exts = append(mb.vals, v), append(mb.exts, ext)
		mb.hasExt = mb.hasExt || ext != nil
	}
	obj := make(map[string]any, len(order))
	for _, mb := range order {
		if list, known := cfg.isList(mb.path); len(mb.vals) > 1 || (known && list) {
			obj[mb.key] = mb.vals
			if mb.hasExt {
				obj["_"+mb.key] = mb.exts
			}
			continue
		}
		obj[mb.key] = mb.vals[0]
		if mb.hasExt {
			obj["_"+mb.key] = mb.exts[0]
		}
	}
	return obj, nil
}
