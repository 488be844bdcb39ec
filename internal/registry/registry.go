// Package registry says which resource types sharedcare serves and what can be
// done with each: interactions, element metadata for _summary and _elements,
// and (as they land) search parameters and operations. It is built from the
// contract data under api/ and checked when loaded, so a bad edit there stops
// start-up rather than surfacing as a 500 later.
package registry

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/search"
)

// Interaction codes of CapabilityStatement.rest.resource.interaction.
const (
	Read            = "read"
	VRead           = "vread"
	Update          = "update"
	Patch           = "patch"
	Delete          = "delete"
	HistoryInstance = "history-instance"
	HistoryType     = "history-type"
	Create          = "create"
	SearchType      = "search-type"
)

var knownInteractions = map[string]bool{Read: true, VRead: true, Update: true, Patch: true, Delete: true,
	HistoryInstance: true, HistoryType: true, Create: true, SearchType: true}

// Registry is the set of served resource types. It is immutable once loaded
// and safe for concurrent use.
type Registry struct {
	types      map[string]*Type
	names      []string // sorted
	params     *search.Params
	operations []Operation
}

// Type is one served resource type.
type Type struct {
	Name          string
	Documentation string
	interactions  map[string]bool
	elements      map[string]bool // top-level element names as defined: value[x]
	summary       map[string]bool
	mandatory     map[string]bool
}

type resourcesFile struct {
	DefaultInteractions []string `json:"defaultInteractions"`
	Resources           []struct {
		Type          string   `json:"type"`
		Documentation string   `json:"documentation"`
		Interactions  []string `json:"interactions"`
	} `json:"resources"`
}

type elementsFile struct {
	Types map[string]struct {
		Elements  []string `json:"elements"`
		Summary   []string `json:"summary"`
		Mandatory []string `json:"mandatory"`
	} `json:"types"`
}

// Load builds the registry from resources.json, elements.json and
// searchparams.json in fsys.
func Load(fsys fs.FS) (*Registry, error) {
	var rf resourcesFile
	if err := readJSON(fsys, "resources.json", &rf); err != nil {
		return nil, err
	}
	var ef elementsFile
	if err := readJSON(fsys, "elements.json", &ef); err != nil {
		return nil, err
	}
	r := &Registry{types: map[string]*Type{}}
	for _, res := range rf.Resources {
		if _, dup := r.types[res.Type]; dup {
			return nil, fmt.Errorf("registry.Load: resources.json lists %s twice", res.Type)
		}
		el, ok := ef.Types[res.Type]
		if !ok || len(el.Elements) == 0 {
			return nil, fmt.Errorf("registry.Load: elements.json has no elements for %s", res.Type)
		}
		t := &Type{Name: res.Type, Documentation: res.Documentation, interactions: map[string]bool{},
			elements: set(el.Elements), summary: set(el.Summary), mandatory: set(el.Mandatory)}
		inter := res.Interactions
		if inter == nil {
			inter = rf.DefaultInteractions
		}
		for _, i := range inter {
			if !knownInteractions[i] {
				return nil, fmt.Errorf("registry.Load: %s: unknown interaction %q", res.Type, i)
			}
			t.interactions[i] = true
		}
		r.types[t.Name] = t
		r.names = append(r.names, t.Name)
	}
	sort.Strings(r.names)
	params, err := search.LoadParams(fsys)
	if err != nil {
		return nil, fmt.Errorf("registry.Load: %w", err)
	}
	for _, typ := range params.Types() {
		if _, ok := r.types[typ]; !ok {
			return nil, fmt.Errorf("registry.Load: search parameters for %s, which is not served", typ)
		}
	}
	r.params = params
	if r.operations, err = loadOperations(fsys, r.types); err != nil {
		return nil, err
	}
	return r, nil
}

// Operation is an $operation the server offers, from an OperationDefinition
// under api/.
type Operation struct {
	Code       string   `json:"code"`     // without the $
	URL        string   `json:"url"`      // the OperationDefinition's canonical
	Resource   []string `json:"resource"` // types it runs on (type or instance level); "Resource" in the file means every served type
	System     bool     `json:"system"`   // runs on the base
	Type       bool     `json:"type"`     // runs on /{type}
	Instance   bool     `json:"instance"` // runs on /{type}/{id}
	Definition []byte   `json:"-"`        // the OperationDefinition itself
	// Scopes are what a caller needs to invoke it, from the definition's
	// ScopeExtension entries; in them the type Resource stands for the
	// type the operation is invoked on. None declared: only the server
	// itself (or a caller with authentication off) may invoke it.
	Scopes []scope.Scope `json:"-"`
}

// ScopeExtension declares, on an OperationDefinition, one SMART scope a
// caller needs to invoke the operation (repeatable; all are needed), as
// valueString: system/Task.rs.
const ScopeExtension = "https://sharedcare.dev/fhir/StructureDefinition/operation-scope"

// scopes reads the ScopeExtension declarations of the definition def (the
// file name): plain system scopes (granular ones cannot be checked before
// the operation runs).
func (op *Operation) scopes(name string, def []byte) error {
	var d struct {
		Extension []struct{ URL, ValueString string }
	}
	if err := json.Unmarshal(def, &d); err != nil {
		return fmt.Errorf("registry.Load %s: %w", name, err)
	}
	for _, e := range d.Extension {
		if e.URL != ScopeExtension {
			continue
		}
		set, err := scope.Parse(e.ValueString)
		if err != nil || len(set.Resources) != 1 || set.Resources[0].Context != scope.System || len(set.Resources[0].Query) > 0 {
			return fmt.Errorf("registry.Load: %s declares the scope %q: want one system/Type.perms scope without a query", name, e.ValueString)
		}
		op.Scopes = append(op.Scopes, set.Resources[0])
	}
	return nil
}

// Operations lists the server's operations in code order.
func (r *Registry) Operations() []Operation { return r.operations }

// loadOperations reads every operation-*.json, checking that each names
// only served types.
func loadOperations(fsys fs.FS, types map[string]*Type) ([]Operation, error) {
	names, err := fs.Glob(fsys, "operation-*.json")
	if err != nil {
		return nil, fmt.Errorf("registry.Load: %w", err)
	}
	var ops []Operation
	for _, name := range names {
		var op Operation
		var head struct{ ResourceType string }
		if err := readJSON(fsys, name, &head); err != nil {
			return nil, err
		}
		if err := readJSON(fsys, name, &op); err != nil {
			return nil, err
		}
		if head.ResourceType != "OperationDefinition" || op.Code == "" || op.URL == "" {
			return nil, fmt.Errorf("registry.Load: %s is not an OperationDefinition with a code and url", name)
		}
		if slices.Contains(op.Resource, "Resource") { // the base type: every served type
			names := make([]string, 0, len(types))
			for n := range types {
				names = append(names, n)
			}
			sort.Strings(names)
			op.Resource = names
		}
		for _, typ := range op.Resource {
			if _, ok := types[typ]; !ok {
				return nil, fmt.Errorf("registry.Load: %s runs on %s, which is not served", name, typ)
			}
		}
		if op.Definition, err = fs.ReadFile(fsys, name); err != nil {
			return nil, fmt.Errorf("registry.Load: %w", err)
		}
		if err := op.scopes(name, op.Definition); err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Code < ops[j].Code })
	return ops, nil
}

// Params returns the search parameters of every served type.
func (r *Registry) Params() *search.Params { return r.params }

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("registry.Load: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("registry.Load %s: %w", name, err)
	}
	return nil
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Lookup returns the served type called name.
func (r *Registry) Lookup(name string) (*Type, bool) {
	t, ok := r.types[name]
	return t, ok
}

// Names lists the served types in name order.
func (r *Registry) Names() []string { return r.names }

// Supports reports whether the type offers interaction.
func (t *Type) Supports(interaction string) bool { return t.interactions[interaction] }

// Interactions lists the type's interactions in a stable order.
func (t *Type) Interactions() []string {
	var out []string
	for _, i := range []string{Read, VRead, Update, Patch, Delete, HistoryInstance, HistoryType, Create, SearchType} {
		if t.interactions[i] {
			out = append(out, i)
		}
	}
	return out
}

// Element maps a top-level JSON member name to its element name
// (valueQuantity → value[x]); ok is false when the type has no such element.
func (t *Type) Element(jsonName string) (string, bool) {
	if t.elements[jsonName] {
		return jsonName, true
	}
	for i := len(jsonName) - 1; i > 0; i-- {
		if c := jsonName[i]; c >= 'A' && c <= 'Z' {
			if name := jsonName[:i] + "[x]"; t.elements[name] {
				return name, true
			}
		}
	}
	return "", false
}

// IsSummary reports whether the JSON member belongs in _summary=true.
func (t *Type) IsSummary(jsonName string) bool {
	e, ok := t.Element(jsonName)
	return ok && (t.summary[e] || t.mandatory[e])
}

// IsMandatory reports whether the JSON member is a required element, which
// every subset keeps so the result stays valid.
func (t *Type) IsMandatory(jsonName string) bool {
	e, ok := t.Element(jsonName)
	return ok && t.mandatory[e]
}

// IsElement reports whether name is a top-level element of the type, as
// written in _elements (value, or valueQuantity).
func (t *Type) IsElement(name string) bool {
	if _, ok := t.Element(name); ok {
		return true
	}
	return t.elements[name+"[x]"]
}
