package router

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
)

// Kind is the kind of a FHIR interaction, as the CapabilityStatement names
// them (plus operation).
type Kind string

// The interactions.
const (
	KindRead              Kind = "read"
	KindVRead             Kind = "vread"
	KindUpdate            Kind = "update"
	KindPatch             Kind = "patch"
	KindDelete            Kind = "delete"
	KindHistoryInstance   Kind = "history-instance"
	KindHistoryType       Kind = "history-type"
	KindHistorySystem     Kind = "history-system"
	KindCreate            Kind = "create"
	KindSearchType        Kind = "search-type"
	KindSearchSystem      Kind = "search-system"
	KindSearchCompartment Kind = "search-compartment"
	KindCapabilities      Kind = "capabilities"
	KindBatch             Kind = "batch"
	KindTransaction       Kind = "transaction"
	KindOperation         Kind = "operation"
)

// route is one shape of FHIR URL and the endpoints of its methods.
type route struct {
	shape string   // for messages: /{type}/{id}
	segs  []string // literal segments, or {type} {id} {vid} {compartment}
	// methods hold the decorated handlers, by HTTP method.
	methods map[string]*endpoint
	form    bool // the POST body is a form (_search), not a resource
	op      string
}

type endpoint struct {
	kind Kind
	h    Handler
}

// table builds the routes, in the order they are tried: literals before
// parameters.
func (rt *Router) table() []*route {
	var routes []*route
	add := func(shape string, form bool, eps map[string]*endpoint) *route {
		segs := strings.Split(strings.Trim(shape, "/"), "/")
		if shape == "/" {
			segs = nil
		}
		r := &route{shape: shape, segs: segs, methods: eps, form: form}
		routes = append(routes, r)
		return r
	}
	ep := func(k Kind, h Handler) *endpoint { return &endpoint{kind: k, h: rt.decorate(k, h)} }
	// The Bundle POSTed to the base is a batch or a transaction: which, its
	// body says, so the bundle handler decorates each once it has read it.
	add("/", false, map[string]*endpoint{
		http.MethodGet:  ep(KindSearchSystem, rt.search),
		http.MethodPost: {kind: KindBatch, h: rt.bundle},
	})
	add("/metadata", false, map[string]*endpoint{http.MethodGet: ep(KindCapabilities, rt.capabilities)})
	add("/_history", false, map[string]*endpoint{http.MethodGet: ep(KindHistorySystem, rt.history)})
	routes = append(routes, rt.operationRoutes()...)
	add("/{type}", false, map[string]*endpoint{
		http.MethodGet:    ep(KindSearchType, rt.search),
		http.MethodPost:   ep(KindCreate, rt.create),
		http.MethodPut:    ep(KindUpdate, rt.conditionalUpdate),
		http.MethodDelete: ep(KindDelete, rt.conditionalDelete),
		http.MethodPatch:  ep(KindPatch, rt.conditionalPatch),
	})
	add("/{type}/_search", true, map[string]*endpoint{http.MethodPost: ep(KindSearchType, rt.search)})
	add("/{type}/_history", false, map[string]*endpoint{http.MethodGet: ep(KindHistoryType, rt.history)})
	add("/{type}/{id}", false, map[string]*endpoint{
		http.MethodGet:    ep(KindRead, rt.read),
		http.MethodPut:    ep(KindUpdate, rt.update),
		http.MethodDelete: ep(KindDelete, rt.delete),
		http.MethodPatch:  ep(KindPatch, rt.patch),
	})
	add("/{type}/{id}/_history", false, map[string]*endpoint{http.MethodGet: ep(KindHistoryInstance, rt.history)})
	add("/{compartment}/{id}/{type}", false, map[string]*endpoint{http.MethodGet: ep(KindSearchCompartment, rt.search)})
	add("/{type}/{id}/_history/{vid}", false, map[string]*endpoint{http.MethodGet: ep(KindVRead, rt.vread)})
	return routes
}

// bind reports whether segments have the route's shape and fills r's path
// parts from them.
func (ro *route) bind(segments []string, r *Request) bool {
	if len(segments) != len(ro.segs) {
		return false
	}
	for i, s := range ro.segs {
		if !strings.HasPrefix(s, "{") && s != segments[i] {
			return false
		}
	}
	for i, s := range ro.segs {
		switch s {
		case "{type}":
			r.Type = segments[i]
		case "{id}":
			r.ID = segments[i]
		case "{vid}":
			r.VID = segments[i]
		case "{compartment}":
			r.Compartment = segments[i]
		}
	}
	if ro.op != "" {
		r.Operation = ro.op
		if len(ro.segs) > 1 {
			r.Type = ro.segs[0]
		}
	}
	return true
}

// find matches a path below the FHIR base and fills the path parts of r.
func (rt *Router) find(segments []string, r *Request) (*route, error) {
	isOp := len(segments) > 0 && strings.HasPrefix(segments[len(segments)-1], "$")
	for _, ro := range rt.routes {
		if (ro.op != "") == isOp && ro.bind(segments, r) {
			return ro, nil
		}
	}
	if isOp {
		return nil, fhirerr.New(fhirerr.NotFound, "not-supported", "", "operation %s is not known here (see %s/metadata)",
			strings.Join(segments, "/"), rt.opts.Path)
	}
	return nil, fhirerr.New(fhirerr.NotFound, "not-found", "", "%s/%s is not a FHIR URL this server knows",
		rt.opts.Path, strings.Join(segments, "/"))
}

// Matched is a request matched to its route, before its body is read.
type Matched struct {
	rt    *Router
	route *route
	ep    *endpoint
}

// Match finds the route of r (its Method set) at path, below the FHIR
// base, and fills r's path parts. A path with no route is NotFound; a
// method the route does not take is MethodNotAllowed, returned with the
// Matched so that Allow can name the methods it takes.
func (rt *Router) Match(r *Request, path string) (*Matched, error) {
	var segments []string
	if p := strings.Trim(path, "/"); p != "" {
		segments = strings.Split(p, "/")
	}
	ro, err := rt.find(segments, r)
	if err != nil {
		return nil, err
	}
	m := &Matched{rt: rt, route: ro}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	ep, ok := ro.methods[method]
	if !ok {
		return m, fhirerr.New(fhirerr.MethodNotAllowed, "not-supported", "",
			"%s is not supported on %s (allowed: %s)", r.Method, ro.shape, m.Allow())
	}
	m.ep = ep
	return m, nil
}

// Allow lists the methods the matched route takes, for an Allow header.
func (m *Matched) Allow() string {
	allowed := make([]string, 0, len(m.route.methods))
	for k := range m.route.methods {
		allowed = append(allowed, k)
	}
	sort.Strings(allowed)
	return strings.Join(allowed, ", ")
}

// Form reports whether the request body is a form (POST _search).
func (m *Matched) Form() bool { return m.route.form }

// Serve carries out the matched interaction with r (its Body read).
func (m *Matched) Serve(ctx context.Context, r *Request) (*Response, error) {
	r.rt = m.rt
	ctx = rest.WithBase(ctx, r.Base)
	return m.ep.h(ctx, r)
}

// Serve matches r at path (below the FHIR base) and carries it out: the
// whole router, for callers in Go.
func (rt *Router) Serve(ctx context.Context, r *Request, path string) (*Response, error) {
	m, err := rt.Match(r, path)
	if err != nil {
		return nil, err
	}
	return m.Serve(ctx, r)
}

// Kind is the interaction the matched request is: for a Bundle POSTed to
// the base, batch until its body says transaction.
func (m *Matched) Kind() Kind { return m.ep.kind }
