package search

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
)

// Param is one search parameter of one resource type.
type Param struct {
	Code        string      `json:"code"`
	URL         string      `json:"url"`
	Type        string      `json:"type"` // number, date, string, token, reference, composite, quantity, uri, special
	Expression  string      `json:"expression"`
	Target      []string    `json:"target"`
	Modifier    []string    `json:"modifier"`
	Comparator  []string    `json:"comparator"`
	MultipleOr  *bool       `json:"multipleOr"`
	MultipleAnd *bool       `json:"multipleAnd"`
	Component   []Component `json:"component"`
	Description string      `json:"description"`

	Path  *Path       `json:"-"` // the compiled Expression; nil when it has none
	Parts []Composite `json:"-"` // composite parameters: the compiled components
}

// Composite is one compiled component of a composite parameter.
type Composite struct {
	Type string // the component parameter's type
	Path *Path  // relative to each node the composite's expression selects
}

// Component is one part of a composite parameter.
type Component struct {
	Definition string `json:"definition"`
	Expression string `json:"expression"`
}

// Params are the search parameters of every type, by type and code.
type Params struct {
	byType      map[string]map[string]*Param
	common      map[string]*Param
	compartment map[string][]string // type → parameters placing it in a Patient's compartment
	careLinks   map[string][]string // the same, and Task's patient (see CareLinks)
}

type paramsFile struct {
	Common []*Param            `json:"common"`
	Types  map[string][]*Param `json:"types"`
}

// LoadParams reads searchparams.json (and compartment-patient.json) from fsys, adds the
// project's own SearchParameter resources (searchparameter-*.json), and compiles every
// expression; an expression outside the supported FHIRPath subset is an error.
func LoadParams(fsys fs.FS) (*Params, error) {
	b, err := fs.ReadFile(fsys, "searchparams.json")
	if err != nil {
		return nil, fmt.Errorf("search.LoadParams: %w", err)
	}
	var f paramsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("search.LoadParams: %w", err)
	}
	ps := &Params{byType: map[string]map[string]*Param{}, common: map[string]*Param{}}
	compile := func(p *Param) error {
		if p.Expression == "" {
			return nil
		}
		path, err := Compile(p.Expression)
		if err != nil {
			return fmt.Errorf("search.LoadParams %s: %w", p.URL, err)
		}
		p.Path = path
		return nil
	}
	for _, p := range f.Common {
		if err := compile(p); err != nil {
			return nil, err
		}
		ps.common[p.Code] = p
	}
	for typ, list := range f.Types {
		m := map[string]*Param{}
		for _, p := range list {
			if err := compile(p); err != nil {
				return nil, err
			}
			if _, dup := m[p.Code]; dup {
				return nil, fmt.Errorf("search.LoadParams: %s has two parameters named %s", typ, p.Code)
			}
			m[p.Code] = p
		}
		ps.byType[typ] = m
	}
	if err := ps.loadOwn(fsys, compile); err != nil {
		return nil, err
	}
	var comp struct {
		Resources map[string][]string `json:"resources"`
	}
	if b, err = fs.ReadFile(fsys, "compartment-patient.json"); err != nil {
		return nil, fmt.Errorf("search.LoadParams: %w", err)
	}
	if err := json.Unmarshal(b, &comp); err != nil {
		return nil, fmt.Errorf("search.LoadParams compartment-patient.json: %w", err)
	}
	for typ, codes := range comp.Resources {
		for _, c := range codes {
			if p, ok := ps.byType[typ][c]; !ok || p.Type != "reference" {
				return nil, fmt.Errorf("search.LoadParams: the Patient compartment names %s.%s, which is not a reference parameter", typ, c)
			}
		}
	}
	ps.compartment = comp.Resources
	ps.careLinks = map[string][]string{"Task": {"patient"}}
	for typ, params := range comp.Resources {
		if typ != "Patient" { // a Patient is its own: by id
			ps.careLinks[typ] = params
		}
	}
	if err := ps.compileComposites(); err != nil {
		return nil, err
	}
	return ps, nil
}

// loadOwn adds the SearchParameter resources sharedcare defines itself
// (such as Task due), each to every type in its base.
func (ps *Params) loadOwn(fsys fs.FS, compile func(*Param) error) error {
	names, err := fs.Glob(fsys, "searchparameter-*.json")
	if err != nil {
		return fmt.Errorf("search.LoadParams: %w", err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("search.LoadParams: %w", err)
		}
		var sp struct {
			Param
			ResourceType string   `json:"resourceType"`
			Base         []string `json:"base"`
		}
		if err := json.Unmarshal(b, &sp); err != nil {
			return fmt.Errorf("search.LoadParams %s: %w", name, err)
		}
		if sp.ResourceType != "SearchParameter" || sp.Code == "" || sp.URL == "" || sp.Type == "" || len(sp.Base) == 0 {
			return fmt.Errorf("search.LoadParams %s: not a SearchParameter with code, url, type and base", name)
		}
		for _, typ := range sp.Base {
			p := sp.Param // each base gets its own copy
			if err := compile(&p); err != nil {
				return err
			}
			if _, dup := ps.byType[typ][p.Code]; dup {
				return fmt.Errorf("search.LoadParams %s: %s already has a parameter named %s", name, typ, p.Code)
			}
			if ps.byType[typ] == nil {
				ps.byType[typ] = map[string]*Param{}
			}
			ps.byType[typ][p.Code] = &p
		}
	}
	return nil
}

// compileComposites resolves each composite component's definition to its
// parameter type and compiles its relative expression.
func (ps *Params) compileComposites() error {
	byURL := map[string]*Param{}
	all := []*Param{}
	for _, m := range ps.byType {
		for _, p := range m {
			all = append(all, p)
		}
	}
	for _, p := range ps.common {
		all = append(all, p)
	}
	for _, p := range all {
		byURL[p.URL] = p
	}
	for _, p := range all {
		if p.Type != "composite" || p.Path == nil {
			continue
		}
		for _, c := range p.Component {
			def, ok := byURL[c.Definition]
			if !ok {
				return fmt.Errorf("search.LoadParams %s: component %s is not defined", p.URL, c.Definition)
			}
			path, err := CompileRelative(c.Expression)
			if err != nil {
				return fmt.Errorf("search.LoadParams %s: %w", p.URL, err)
			}
			p.Parts = append(p.Parts, Composite{Type: def.Type, Path: path})
		}
	}
	return nil
}

// PatientCompartment lists the parameters that put a resource of typ in a
// Patient's compartment; none means the type is not in it.
func (ps *Params) PatientCompartment(typ string) []string { return ps.compartment[typ] }

// CareLinks is, by type, the reference parameters naming the patients
// whose record a resource is part of (search.Care's Links): the Patient
// compartment's, and Task's patient, for a Task for a patient is part of
// their care although R4's compartment leaves Task out. Do not modify.
func (ps *Params) CareLinks() map[string][]string { return ps.careLinks }

// Lookup finds a parameter of typ by code, type-specific ones first.
func (ps *Params) Lookup(typ, code string) (*Param, bool) {
	if p, ok := ps.byType[typ][code]; ok {
		return p, true
	}
	p, ok := ps.common[code]
	return p, ok
}

// ForType lists the type-specific parameters of typ, by code.
func (ps *Params) ForType(typ string) []*Param {
	out := make([]*Param, 0, len(ps.byType[typ]))
	for _, p := range ps.byType[typ] {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Types lists the types that have parameters.
func (ps *Params) Types() []string {
	out := make([]string, 0, len(ps.byType))
	for t := range ps.byType {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Entry is the index values of one parameter for one resource. A
// composite's components are entries named "param$n"; Group numbers the node
// they came from (from 1), so a search can ask for all of them in one node.
type Entry struct {
	Param string
	Group int
	Values
}

// notIndexed are the parameters answered without index rows: _id and
// _lastUpdated from the resources table itself; _text, _content, _query and
// _has are special (not supported, or resolved through other indexes).
var notIndexed = map[string]bool{"_id": true, "_lastUpdated": true, "_text": true, "_content": true, "_query": true}

// Index computes every index entry of a resource of type typ: its
// type-specific parameters and the common ones (_tag, _profile, _security,
// _source). Composite parameters are answered from their components' entries.
func (ps *Params) Index(typ string, tree map[string]any) []Entry {
	var out []Entry
	add := func(p *Param) {
		if p.Type == "composite" && p.Path != nil {
			out = append(out, compositeEntries(p, tree)...)
			return
		}
		if p.Path == nil || p.Type == "special" || notIndexed[p.Code] {
			return
		}
		nodes := p.Path.Eval(tree)
		if v := Extract(p.Type, nodes); !v.empty() {
			out = append(out, Entry{Param: p.Code, Values: v})
		}
		// Modifier indexes, kept as tokens under "code:modifier": a
		// reference's logical identifier (:identifier) and an identifier's
		// type (:of-type, as system "typeSystem|typeCode").
		switch p.Type {
		case "reference":
			if toks := referenceIdentifiers(nodes); len(toks) > 0 {
				out = append(out, Entry{Param: p.Code + ":identifier", Values: Values{Tokens: toks}})
			}
		case "token":
			if toks := identifierTypes(nodes); len(toks) > 0 {
				out = append(out, Entry{Param: p.Code + ":of-type", Values: Values{Tokens: toks}})
			}
		}
	}
	for _, p := range ps.ForType(typ) {
		add(p)
	}
	codes := make([]string, 0, len(ps.common))
	for c := range ps.common {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		add(ps.common[c])
	}
	return out
}

// compositeEntries indexes each node the composite's expression selects that
// has a value for every component.
func compositeEntries(p *Param, tree map[string]any) []Entry {
	var out []Entry
	for k, root := range p.Path.Eval(tree) {
		var group []Entry
		for i, part := range p.Parts {
			v := Extract(part.Type, part.Path.EvalNode(root.Value))
			if v.empty() {
				group = nil
				break
			}
			group = append(group, Entry{Param: p.Code + "$" + strconv.Itoa(i), Group: k + 1, Values: v})
		}
		out = append(out, group...)
	}
	return out
}

func (v Values) empty() bool {
	return len(v.Strings)+len(v.Tokens)+len(v.References)+len(v.Dates)+len(v.Numbers)+len(v.URIs) == 0
}

// Searchable lists the parameters Parse accepts for typ, type-specific ones
// first, then the common ones, each group by code.
func (ps *Params) Searchable(typ string) []*Param {
	var out []*Param
	ok := func(p *Param) bool {
		return p.Code == "_id" || p.Code == "_lastUpdated" ||
			p.Path != nil && !notIndexed[p.Code] && p.Type != "special" && (p.Type != "composite" || len(p.Parts) > 0)
	}
	for _, p := range ps.ForType(typ) {
		if ok(p) {
			out = append(out, p)
		}
	}
	codes := make([]string, 0, len(ps.common))
	for c := range ps.common {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		if p := ps.common[c]; ok(p) {
			out = append(out, p)
		}
	}
	return out
}
