package router

import (
	"net/http"
	"testing"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/registry"
)

func newTestRouter(t *testing.T, ops ...Operation) *Router {
	t.Helper()
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Registry: reg, Operations: ops, Path: "/fhir"})
}

// TestMatch walks the route table: each path shape and method is the
// interaction it names, with the path's parts in the request.
func TestMatch(t *testing.T) {
	op := func(code string, methods ...string) Operation { return Operation{Code: code, Methods: methods} }
	rt := newTestRouter(t, op("handover", "POST"), op("overdue", "GET"), op("extract", "GET", "POST"), op("shared-care-summary", "GET"))
	tests := []struct {
		method, path string
		kind         Kind
		want         Request
	}{
		{"GET", "", KindSearchSystem, Request{}},
		{"POST", "/", KindBatch, Request{}},
		{"GET", "metadata", KindCapabilities, Request{}},
		{"GET", "_history", KindHistorySystem, Request{}},
		{"GET", "Patient", KindSearchType, Request{Type: "Patient"}},
		{"POST", "Patient", KindCreate, Request{Type: "Patient"}},
		{"PUT", "Patient", KindUpdate, Request{Type: "Patient"}},
		{"PATCH", "Patient", KindPatch, Request{Type: "Patient"}},
		{"DELETE", "Patient", KindDelete, Request{Type: "Patient"}},
		{"POST", "Patient/_search", KindSearchType, Request{Type: "Patient"}},
		{"GET", "Patient/_history", KindHistoryType, Request{Type: "Patient"}},
		{"GET", "Patient/1", KindRead, Request{Type: "Patient", ID: "1"}},
		{"HEAD", "Patient/1", KindRead, Request{Type: "Patient", ID: "1"}},
		{"PUT", "Patient/1", KindUpdate, Request{Type: "Patient", ID: "1"}},
		{"PATCH", "Patient/1", KindPatch, Request{Type: "Patient", ID: "1"}},
		{"DELETE", "Patient/1", KindDelete, Request{Type: "Patient", ID: "1"}},
		{"GET", "Patient/1/_history", KindHistoryInstance, Request{Type: "Patient", ID: "1"}},
		{"GET", "Patient/1/_history/2", KindVRead, Request{Type: "Patient", ID: "1", VID: "2"}},
		{"GET", "Patient/1/Task", KindSearchCompartment, Request{Compartment: "Patient", ID: "1", Type: "Task"}},
		{"POST", "$handover", KindOperation, Request{Operation: "handover"}},
		{"GET", "Task/$overdue", KindOperation, Request{Type: "Task", Operation: "overdue"}},
		{"POST", "QuestionnaireResponse/q1/$extract", KindOperation, Request{Type: "QuestionnaireResponse", ID: "q1", Operation: "extract"}},
		{"GET", "Patient/p1/$shared-care-summary", KindOperation, Request{Type: "Patient", ID: "p1", Operation: "shared-care-summary"}},
	}
	for _, tt := range tests {
		r := &Request{Method: tt.method}
		m, err := rt.Match(r, tt.path)
		if err != nil {
			t.Errorf("%s %s: %v", tt.method, tt.path, err)
			continue
		}
		got := Request{Type: r.Type, ID: r.ID, VID: r.VID, Compartment: r.Compartment, Operation: r.Operation}
		if m.Kind() != tt.kind || got.Type != tt.want.Type || got.ID != tt.want.ID || got.VID != tt.want.VID ||
			got.Compartment != tt.want.Compartment || got.Operation != tt.want.Operation {
			t.Errorf("%s %s = %s %+v, want %s %+v", tt.method, tt.path, m.Kind(), got, tt.kind, tt.want)
		}
	}
	for _, tt := range []struct {
		method, path string
		kind         fhirerr.Kind
	}{
		{"DELETE", "metadata", fhirerr.MethodNotAllowed},
		{"GET", "$handover", fhirerr.MethodNotAllowed},
		{"GET", "Patient/$overdue", fhirerr.NotFound}, // the definition runs on Task only
		{"GET", "$overdue", fhirerr.NotFound},         // type level, not system
		{"GET", "Task/1/$overdue", fhirerr.NotFound},  // nor instance
		{"GET", "Patient/1/_history/2/x", fhirerr.NotFound},
	} {
		if _, err := rt.Match(&Request{Method: tt.method}, tt.path); !fhirerr.Is(err, tt.kind) {
			t.Errorf("%s %s: %v, want %s", tt.method, tt.path, err, tt.kind)
		}
	}
}

func TestMatchAllow(t *testing.T) {
	rt := newTestRouter(t)
	m, err := rt.Match(&Request{Method: http.MethodPost}, "Patient/1")
	if m == nil || !fhirerr.Is(err, fhirerr.MethodNotAllowed) {
		t.Fatalf("POST Patient/1: %v", err)
	}
	if got, want := m.Allow(), "DELETE, GET, PATCH, PUT"; got != want {
		t.Errorf("Allow = %q, want %q", got, want)
	}
}

// TestOperationWithoutDefinition: a function registered under a code no
// OperationDefinition has is refused when the table is built.
func TestOperationWithoutDefinition(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted an operation without a definition")
		}
	}()
	newTestRouter(t, Operation{Code: "no-such-operation", Methods: []string{"GET"}})
}
