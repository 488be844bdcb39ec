package httpapi

import (
	"net/http"
	"strings"
)

// interactionOf names the FHIR interaction (the CapabilityStatement's codes,
// plus the conditional forms) and the resource type of a request from its
// method and path shape alone, for the metrics' labels. It is the one place
// that does: when the route table names the interaction it matched, this
// becomes a lookup of that. Types the registry does not know are "other"
// and non-FHIR paths are interaction "none", so no client can grow the
// labels' values beyond what the server defines.
func interactionOf(method, path string, known func(typ string) bool) (interaction, typ string) {
	if path != FHIRBase && !strings.HasPrefix(path, FHIRBase+"/") {
		return "none", ""
	}
	var segs []string
	if rest := strings.Trim(strings.TrimPrefix(path, FHIRBase), "/"); rest != "" {
		segs = strings.Split(rest, "/")
	}
	label := func(t string) string {
		if known(t) {
			return t
		}
		return "other"
	}
	if method == http.MethodHead {
		method = http.MethodGet
	}
	n := len(segs)
	byMethod := func(t string, m map[string]string) (string, string) {
		if i, ok := m[method]; ok {
			return i, t
		}
		return "unknown", t
	}
	switch {
	case n > 0 && strings.HasPrefix(segs[n-1], "$"):
		if n == 1 {
			return "operation", ""
		}
		return "operation", label(segs[0])
	case n == 0:
		return byMethod("", map[string]string{http.MethodGet: "search-system", http.MethodPost: "batch-transaction"})
	case n == 1 && segs[0] == "metadata":
		return byMethod("", map[string]string{http.MethodGet: "capabilities"})
	case n == 1 && segs[0] == "_history":
		return byMethod("", map[string]string{http.MethodGet: "history-system"})
	case n == 1:
		return byMethod(label(segs[0]), map[string]string{http.MethodGet: "search-type", http.MethodPost: "create",
			http.MethodPut: "conditional-update", http.MethodDelete: "conditional-delete", http.MethodPatch: "conditional-patch"})
	case n == 2 && segs[1] == "_search":
		return byMethod(label(segs[0]), map[string]string{http.MethodPost: "search-type"})
	case n == 2 && segs[1] == "_history":
		return byMethod(label(segs[0]), map[string]string{http.MethodGet: "history-type"})
	case n == 2:
		return byMethod(label(segs[0]), map[string]string{http.MethodGet: "read", http.MethodPut: "update",
			http.MethodDelete: "delete", http.MethodPatch: "patch"})
	case n == 3 && segs[2] == "_history":
		return byMethod(label(segs[0]), map[string]string{http.MethodGet: "history-instance"})
	case n == 3:
		return byMethod(label(segs[2]), map[string]string{http.MethodGet: "search-compartment"})
	case n == 4 && segs[2] == "_history":
		return byMethod(label(segs[0]), map[string]string{http.MethodGet: "vread"})
	}
	return "unknown", ""
}
