package patch

import (
	"strings"
)

// apply runs one FHIRPath Patch operation on root, a resource of type typ.
func (op *fpOp) apply(root map[string]any, typ string, cfg *config) error {
	steps := op.steps
	if first := steps[0]; first.name == typ {
		steps = steps[1:]
	} else if c := first.name[0]; c >= 'A' && c <= 'Z' {
		return unprocessable(op.at("path"), "path %q starts with %s but the resource is a %s", op.path, first.name, typ)
	}
	start := []node{{root: true, value: root, index: -1, path: typ}}
	switch op.typ {
	case "add":
		return op.add(steps, start, cfg)
	case "insert":
		return op.insert(steps, start, cfg)
	case "move":
		return op.move(steps, start)
	}
	nodes, err := op.eval(steps, start)
	if err != nil {
		return err
	}
	if op.typ == "delete" && len(nodes) == 0 {
		return nil // deleting what is not there is a success (fhirpatch.html)
	}
	n, err := op.one(nodes, "path")
	if err != nil {
		return err
	}
	if n.root {
		return unprocessable(op.at("path"), "a patch cannot %s the whole resource", op.typ)
	}
	if op.typ == "delete" {
		removeNode(n)
		return nil
	}
	v, ext := materialize(op.value, n.path, cfg)
	// A choice element follows its new value's type: replacing
	// Patient.deceased (deceasedBoolean) with a valueDateTime gives
	// deceasedDateTime.
	if key := n.choice + op.value.suffix; n.choice != "" && op.value.suffix != "" && key != n.key && n.index < 0 {
		removeNode(n)
		n.parent[key] = v
		if ext != nil {
			n.parent["_"+key] = ext
		}
		return nil
	}
	setValue(n, v)
	setCompanion(n, ext)
	return nil
}

func (op *fpOp) eval(steps []step, start []node) ([]node, error) {
	nodes, err := evalSteps(steps, start)
	if err != nil {
		return nil, unprocessable(op.at("path"), "path %q: %v", op.path, err)
	}
	return nodes, nil
}

// one insists that the path (or, for add, insert and move, the part of it
// naming the container) selects exactly one element.
func (op *fpOp) one(nodes []node, what string) (node, error) {
	switch len(nodes) {
	case 1:
		return nodes[0], nil
	case 0:
		return node{}, unprocessable(op.at("path"), "no content found at %s when %s", op.path, verbing(op.typ))
	}
	return node{}, unprocessable(op.at("path"), "%s %q matches %d elements: %s needs exactly one", what, op.path, len(nodes), op.typ)
}

func verbing(typ string) string {
	return strings.TrimSuffix(typ, "e") + "ing"
}

// object returns the object n's child named name lives in: n itself, or, for
// the id and extensions of a primitive, its "_" companion.
func (op *fpOp) object(n node, name string) (map[string]any, error) {
	if m, ok := n.value.(map[string]any); ok {
		return m, nil
	}
	if name == "extension" || name == "id" {
		return ensureCompanion(n), nil
	}
	return nil, unprocessable(op.at("path"), "%s is a primitive value: it has no element %q", n.path, name)
}

// add appends a child named op.name to the one element the path selects.
func (op *fpOp) add(steps []step, start []node, cfg *config) error {
	nodes, err := op.eval(steps, start)
	if err != nil {
		return err
	}
	n, err := op.one(nodes, "path")
	if err != nil {
		return err
	}
	obj, err := op.object(n, op.name)
	if err != nil {
		return err
	}
	path := n.path + "." + op.name
	key := op.name
	if op.value.suffix != "" && cfg.isChoice(path) {
		for k := range obj {
			if strings.HasPrefix(k, key) && typeSuffixes[k[len(key):]] {
				return unprocessable(op.at("name"), "%s already has a value (%s): use replace", path, k)
			}
		}
		key += op.value.suffix
	}
	v, ext := materialize(op.value, path, cfg)
	cur, exists := obj[key]
	if exists {
		list, ok := cur.([]any)
		if !ok {
			return unprocessable(op.at("name"), "%s already has a value: use replace, or add to a list", path)
		}
		insertItem(obj, key, len(list), v, ext)
		return nil
	}
	if isList, known := cfg.isList(path); known && isList {
		insertItem(obj, key, 0, v, ext)
		return nil
	}
	obj[key] = v
	if ext != nil {
		obj["_"+key] = ext
	}
	return nil
}

// list resolves an insert or move path to the object holding the list and
// the list's member name. The list itself may be absent (an insert at 0).
func (op *fpOp) list(steps []step, start []node) (map[string]any, string, string, error) {
	if len(steps) == 0 {
		return nil, "", "", invalid("invalid", op.at("path"), "path %q: an %s path must name a list element, not the resource", op.path, op.typ)
	}
	last := steps[len(steps)-1].name
	nodes, err := op.eval(steps[:len(steps)-1], start)
	if err != nil {
		return nil, "", "", err
	}
	n, err := op.one(nodes, "the element holding the list in")
	if err != nil {
		return nil, "", "", err
	}
	obj, err := op.object(n, last)
	return obj, last, n.path + "." + last, err
}

func (op *fpOp) insert(steps []step, start []node, cfg *config) error {
	obj, key, path, err := op.list(steps, start)
	if err != nil {
		return err
	}
	cur, exists := obj[key]
	list, isArray := cur.([]any)
	if isList, known := cfg.isList(path); (exists && !isArray) || (!exists && known && !isList) {
		return unprocessable(op.at("path"), "%s is not a list", path)
	}
	if op.index > len(list) {
		return unprocessable(op.at("index"), "index %d is out of range: %s has %d elements", op.index, path, len(list))
	}
	v, ext := materialize(op.value, path, cfg)
	insertItem(obj, key, op.index, v, ext)
	return nil
}

func (op *fpOp) move(steps []step, start []node) error {
	obj, key, path, err := op.list(steps, start)
	if err != nil {
		return err
	}
	list, ok := obj[key].([]any)
	if !ok {
		return unprocessable(op.at("path"), "there is no list at %s", path)
	}
	if op.index >= len(list) {
		return unprocessable(op.at("source"), "source %d is out of range: %s has %d elements", op.index, path, len(list))
	}
	if op.destination >= len(list) {
		return unprocessable(op.at("destination"), "destination %d is out of range: %s has %d elements", op.destination, path, len(list))
	}
	obj[key] = moveItem(list, op.index, op.destination)
	if c, ok := obj["_"+key].([]any); ok {
		obj["_"+key] = moveItem(padded(c, len(list)), op.index, op.destination)
	}
	return nil
}

// moveItem takes the item at from out and puts it back at to (an index
// into the list without it, which is how fhirpatch.html's tests count).
func moveItem(list []any, from, to int) []any {
	item := list[from]
	return insertAt(removeIndex(list, from), to, item)
}

// insertItem inserts v at i in obj[key] (absent means empty) and keeps the
// "_key" companion list parallel.
func insertItem(obj map[string]any, key string, i int, v, ext any) {
	list, _ := obj[key].([]any)
	obj[key] = insertAt(list, i, v)
	c, hasC := obj["_"+key].([]any)
	if hasC || ext != nil {
		obj["_"+key] = insertAt(padded(c, len(list)), i, ext)
	}
}
