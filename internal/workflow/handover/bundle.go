package handover

import (
	"context"
	"fmt"
	"strings"
)

// entry is one entry of the handover Bundle, indexed for reference lookup.
type entry struct {
	index       int
	fullURL     string
	typ         string         // resource.resourceType
	res         map[string]any // resource
	method      string         // request.method
	url         string         // request.url
	ifNoneExist string         // request.ifNoneExist
}

// localID is the "Type/id" an entry has on this server once the transaction
// has run, when the Bundle says: a PUT to Type/id, or a fullUrl ending in
// Type/id. It is "" for entries the server will give new ids.
func (e *entry) localID() string {
	if e.method == "PUT" && !strings.Contains(e.url, "?") {
		return strings.TrimPrefix(e.url, "/")
	}
	if !strings.HasPrefix(e.fullURL, "urn:") {
		if t, id := typeID(e.fullURL); t == e.typ {
			return t + "/" + id
		}
	}
	return ""
}

// target is what a reference resolved to: an entry of the Bundle, or a
// resource on this server (entry nil).
type target struct {
	entry *entry
	res   map[string]any
}

func (t target) typ() string { s, _ := t.res["resourceType"].(string); return s }

// bundleIndex is a handover Bundle's entries, with the Resolver for what
// lies outside it.
type bundleIndex struct {
	ctx     context.Context
	r       Resolver
	entries []*entry
	cache   map[string]*target // Resolver answers by reference; nil target for not found
}

func indexBundle(ctx context.Context, b map[string]any, r Resolver) *bundleIndex {
	h := &bundleIndex{ctx: ctx, r: r, cache: map[string]*target{}}
	for i, v := range list(b["entry"]) {
		m, _ := v.(map[string]any)
		res, _ := m["resource"].(map[string]any)
		if res == nil {
			continue // a DELETE or a malformed entry: nothing a handover rule is about
		}
		e := &entry{index: i, fullURL: str(m["fullUrl"]), typ: str(res["resourceType"]), res: res}
		req, _ := m["request"].(map[string]any)
		e.method, e.url, e.ifNoneExist = str(req["method"]), str(req["url"]), str(req["ifNoneExist"])
		h.entries = append(h.entries, e)
	}
	return h
}

// ofType lists the entries holding resources of type typ, in Bundle order.
func (h *bundleIndex) ofType(typ string) []*entry {
	var out []*entry
	for _, e := range h.entries {
		if e.typ == typ {
			out = append(out, e)
		}
	}
	return out
}

// inBundle finds the entry a reference points at, or nil. A reference
// matches an entry by its fullUrl (urn:uuid or absolute); "Type/id" (a
// version suffix ignored) matches the entry's localID; a conditional
// reference "Type?query" matches an entry of that type created with
// ifNoneExist query or conditionally updated at that url.
func (h *bundleIndex) inBundle(ref string) *entry {
	if ref == "" {
		return nil
	}
	for _, e := range h.entries {
		if e.fullURL == ref {
			return e
		}
	}
	if typ, query, ok := strings.Cut(ref, "?"); ok {
		for _, e := range h.entries {
			if e.typ == typ && (e.ifNoneExist == query || e.method == "PUT" && e.url == ref) {
				return e
			}
		}
		return nil
	}
	if strings.Contains(ref, ":") {
		return nil // urn: or another server's URL, and no fullUrl matched
	}
	local := unversioned(ref)
	for _, e := range h.entries {
		if id := e.localID(); id != "" && id == local {
			return e
		}
	}
	return nil
}

// resolve finds what a reference points at: an entry of the Bundle, else a
// resource the Resolver knows. urn: references and contained ("#id") ones
// never reach the Resolver: outside the Bundle they point at nothing.
func (h *bundleIndex) resolve(ref string) (*target, error) {
	if e := h.inBundle(ref); e != nil {
		return &target{entry: e, res: e.res}, nil
	}
	if ref == "" || h.r == nil || strings.HasPrefix(ref, "urn:") || strings.HasPrefix(ref, "#") {
		return nil, nil
	}
	if t, done := h.cache[ref]; done {
		return t, nil
	}
	res, found, err := h.r.Resolve(h.ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("handover: resolving %s: %w", ref, err)
	}
	var t *target
	if found {
		t = &target{res: res}
	}
	h.cache[ref] = t
	return t, nil
}

// same reports whether two references point at the same resource: the same
// Bundle entry, or (both outside the Bundle) the same reference once version
// suffixes are dropped. No lookup is made: a Practitioner and the
// Organization it works for are different parties.
func (h *bundleIndex) same(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ea, eb := h.inBundle(a), h.inBundle(b)
	if ea != nil || eb != nil {
		return ea == eb
	}
	return unversioned(a) == unversioned(b)
}

// sameParty compares two Reference elements: by reference when both have
// one, else by identifier system and value.
func (h *bundleIndex) sameParty(a, b any) bool {
	ra, rb := refOf(a), refOf(b)
	if ra != "" && rb != "" {
		return h.same(ra, rb)
	}
	ia, _ := field(a, "identifier").(map[string]any)
	ib, _ := field(b, "identifier").(map[string]any)
	return str(ia["value"]) != "" && str(ia["system"]) == str(ib["system"]) && str(ia["value"]) == str(ib["value"])
}

// unversioned drops a trailing "/_history/{version}".
func unversioned(ref string) string {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		return ref[:i]
	}
	return ref
}

// typeID splits the last two segments of a URL or relative reference.
func typeID(ref string) (typ, id string) {
	parts := strings.Split(unversioned(ref), "/")
	if len(parts) < 2 {
		return "", ""
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}

// JSON tree helpers. Absent and mistyped elements read as zero values: the
// handover rules report what is missing, and structural validation has
// already reported what is mistyped.

func str(v any) string { s, _ := v.(string); return s }

func list(v any) []any { l, _ := v.([]any); return l }

func field(v any, name string) any { m, _ := v.(map[string]any); return m[name] }

// refOf is Reference.reference of a Reference element.
func refOf(v any) string { return str(field(v, "reference")) }
