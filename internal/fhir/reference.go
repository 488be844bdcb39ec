package fhir

import (
	"sort"
	"strconv"
	"strings"
)

// Ref is a literal reference found in a resource, resolved to a local type
// and id when it points at this server.
type Ref struct {
	Path  string // FHIRPath of the Reference element, e.g. CarePlan.activity[0].detail.performer[1]
	Value string // Reference.reference as written
	Type  string // local target type, "" when the reference is not local
	ID    string
}

// Target is "Type/id".
func (r Ref) Target() string { return r.Type + "/" + r.ID }

// References lists every Reference.reference in the tree of a resource of type
// typ, contained resources included. base is this server's FHIR base URL
// (no trailing slash); absolute references under it count as local.
// Fragment (#id), urn: and other servers' URLs are reported with Type "".
func References(typ string, tree map[string]any, base string) []Ref {
	var out []Ref
	walkRefs(typ, tree, base, &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func walkRefs(path string, node any, base string, out *[]Ref) {
	switch n := node.(type) {
	case map[string]any:
		if s, ok := n["reference"].(string); ok {
			ref := Ref{Path: path, Value: s}
			ref.Type, ref.ID = LocalTarget(s, base)
			*out = append(*out, ref)
		}
		for k, v := range n {
			if _, isString := v.(string); isString {
				continue // Reference.reference itself, or another primitive
			}
			walkRefs(path+"."+k, v, base, out)
		}
	case []any:
		for i, v := range n {
			walkRefs(path+"["+strconv.Itoa(i)+"]", v, base, out)
		}
	}
}

// LocalTarget resolves a reference string to the type and id it names on this
// server: "Patient/1", "Patient/1/_history/2" and "<base>/Patient/1" all give
// ("Patient", "1"). Anything else gives ("", "").
func LocalTarget(ref, base string) (typ, id string) {
	if base != "" && strings.HasPrefix(ref, base+"/") {
		ref = ref[len(base)+1:]
	} else if strings.Contains(ref, ":") { // another server, urn:uuid:, urn:oid:
		return "", ""
	}
	parts := strings.Split(ref, "/")
	switch {
	case len(parts) == 2:
	case len(parts) == 4 && parts[2] == "_history":
	default:
		return "", ""
	}
	if !isTypeName(parts[0]) || parts[1] == "" {
		return "", ""
	}
	return parts[0], parts[1]
}

func isTypeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// RewriteStrings calls fn for every string in a resource tree (typ is its
// type, the root of paths) with the FHIRPath of the element holding it, its
// member name and its value, and stores what fn returns in its place. It
// stops at fn's first error. Transactions use it to point placeholders
// (urn:uuid:…) and conditional references at the resources they resolve to.
func RewriteStrings(typ string, tree map[string]any, fn func(path, key, value string) (string, error)) error {
	return rewriteNode(typ, tree, fn)
}

func rewriteNode(path string, node any, fn func(path, key, value string) (string, error)) error {
	if n, ok := node.(map[string]any); ok {
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the first error found does not depend on map order
		for _, k := range keys {
			switch v := n[k].(type) {
			case string:
				out, err := fn(path, k, v)
				if err != nil {
					return err
				}
				if out != v {
					n[k] = out
				}
			case []any:
				for i, item := range v {
					at := path + "." + k + "[" + strconv.Itoa(i) + "]"
					if s, ok := item.(string); ok { // a repeating primitive
						out, err := fn(at, k, s)
						if err != nil {
							return err
						}
						v[i] = out
						continue
					}
					if err := rewriteNode(at, item, fn); err != nil {
						return err
					}
				}
			case map[string]any:
				if err := rewriteNode(path+"."+k, v, fn); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
