package router

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sharedcare/sharedcare/internal/registry"
)

// Operation is the Go function of one OperationDefinition under api/: the
// definition says where it runs (system, type, instance; on which types),
// the function what it does.
type Operation struct {
	Code    string   // the definition's code, without the $
	Methods []string // the HTTP methods it takes
	Handler Handler
}

// CheckOperations reports definitions without a function, functions
// without a definition (the two must match one to one) and definitions
// that do not declare the scopes they need (see CheckScopes).
func CheckOperations(reg *registry.Registry, ops []Operation) error {
	var problems []string
	if err := CheckScopes(reg.Operations()); err != nil {
		problems = append(problems, err.Error())
	}
	defined := map[string]bool{}
	for _, d := range reg.Operations() {
		defined[d.Code] = true
		if !slices.ContainsFunc(ops, func(o Operation) bool { return o.Code == d.Code }) {
			problems = append(problems, fmt.Sprintf("OperationDefinition %s has no function", d.Code))
		}
	}
	for _, o := range ops {
		if !defined[o.Code] {
			problems = append(problems, fmt.Sprintf("operation function %s has no OperationDefinition", o.Code))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("router.CheckOperations: %s", strings.Join(problems, "; "))
	}
	return nil
}

// CheckScopes reports definitions that declare no scope
// (registry.ScopeExtension): such an operation is refused to every client.
func CheckScopes(defs []registry.Operation) error {
	var missing []string
	for _, d := range defs {
		if len(d.Scopes) == 0 {
			missing = append(missing, d.Code)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("OperationDefinitions without a %s extension declaring their scopes: %s", registry.ScopeExtension, strings.Join(missing, ", "))
	}
	return nil
}

// operationRoutes routes each operation where its definition says it runs.
// A function without a definition is a programming error; a definition
// without a function is not routed (the server then runs without the
// workflow), and TestOperationsMatchDefinitions keeps the shipped pair whole.
func (rt *Router) operationRoutes() []*route {
	byCode := map[string]Operation{}
	for _, o := range rt.opts.Operations {
		byCode[o.Code] = o
	}
	var routes []*route
	for _, d := range rt.opts.Registry.Operations() {
		o, ok := byCode[d.Code]
		if !ok {
			continue
		}
		delete(byCode, d.Code)
		eps := map[string]*endpoint{}
		for _, m := range o.Methods {
			eps[m] = &endpoint{kind: KindOperation, h: rt.decorate(KindOperation, o.Handler)}
		}
		add := func(segs ...string) {
			routes = append(routes, &route{shape: "/" + strings.Join(segs, "/"), segs: segs, methods: eps, op: d.Code})
		}
		if d.System {
			add("$" + d.Code)
		}
		for _, typ := range d.Resource {
			if d.Type {
				add(typ, "$"+d.Code)
			}
			if d.Instance {
				add(typ, "{id}", "$"+d.Code)
			}
		}
	}
	for code := range byCode {
		panic(fmt.Sprintf("router.New: operation function %s has no OperationDefinition", code))
	}
	return routes
}
