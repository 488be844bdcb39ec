// Package scope reads SMART App Launch 2.x scopes and answers whether a set
// of them permits an interaction on a resource type.
//
// A resource scope is context/Type.permissions[?query]: context is system,
// user or patient; Type a FHIR resource type or *; permissions the v2 letters
// c r u d s, in that order, or the v1 words read (= rs), write (= cud) and *
// (= cruds). A query makes the scope granular: it covers only the resources
// that match it (system/Observation.rs?category=laboratory). Other scopes
// (openid, fhirUser, launch, offline_access...) are kept but permit no data.
package scope

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Permission is a set of the SMART v2 permission letters.
type Permission uint8

// The permissions, one bit each.
const (
	Create Permission = 1 << iota // c: create
	Read                          // r: read, vread, history of an instance
	Update                        // u: update, patch
	Delete                        // d: delete
	Search                        // s: search, type and system history

	All = Create | Read | Update | Delete | Search
)

// letters are the permission letters in the order SMART requires.
const letters = "cruds"

// String is p in SMART's letters ("rs"), empty for none.
func (p Permission) String() string {
	var b strings.Builder
	for i := range len(letters) {
		if p&(1<<i) != 0 {
			b.WriteByte(letters[i])
		}
	}
	return b.String()
}

// Context is who a scope's permissions are exercised for.
type Context string

// The SMART scope contexts.
const (
	System  Context = "system"  // a backend service acting for itself
	User    Context = "user"    // what the authorised user may access
	Patient Context = "patient" // the patient in context
)

// Scope is one resource scope.
type Scope struct {
	Context Context
	Type    string // a resource type, or "*"
	Perms   Permission
	Query   url.Values // a granular scope's restriction; nil for none
}

// String is s in SMART v2 syntax.
func (s Scope) String() string {
	out := string(s.Context) + "/" + s.Type + "." + s.Perms.String()
	if len(s.Query) > 0 {
		out += "?" + s.Query.Encode()
	}
	return out
}

// Covers reports whether s grants perm on typ without a restriction.
func (s Scope) Covers(typ string, perm Permission) bool {
	return (s.Type == "*" || s.Type == typ) && s.Perms&perm == perm && len(s.Query) == 0
}

// Set is the scopes of one grant: resource scopes and any others.
type Set struct {
	Resources []Scope
	Other     []string // openid, fhirUser, launch..., kept as given
}

// Parse reads a space-separated scope string. Any malformed resource scope
// fails it, naming the scope: a grant never silently narrows or widens.
func Parse(s string) (Set, error) {
	var set Set
	for _, word := range strings.Fields(s) {
		sc, ok, err := parseOne(word)
		switch {
		case err != nil:
			return Set{}, err
		case ok:
			set.Resources = append(set.Resources, sc)
		default:
			set.Other = append(set.Other, word)
		}
	}
	return set, nil
}

// MustParse is Parse for constants; it panics on an error.
func MustParse(s string) Set {
	set, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return set
}

// parseOne reads one scope; ok is false for a scope that is not a resource
// scope (no context/ prefix of a known context).
func parseOne(word string) (Scope, bool, error) {
	ctx, rest, found := strings.Cut(word, "/")
	if !found {
		return Scope{}, false, nil
	}
	switch Context(ctx) {
	case System, User, Patient:
	default:
		return Scope{}, false, nil // launch/patient and the like
	}
	bad := func(why string) (Scope, bool, error) {
		return Scope{}, false, fmt.Errorf("scope %q: %s", word, why)
	}
	rest, rawQuery, hasQuery := strings.Cut(rest, "?")
	typ, perms, found := strings.Cut(rest, ".")
	if !found || typ == "" {
		return bad("want context/Type.permissions")
	}
	if typ != "*" && !isTypeName(typ) {
		return bad("the resource type is not a FHIR type name")
	}
	p, err := parsePerms(perms)
	if err != nil {
		return bad(err.Error())
	}
	sc := Scope{Context: Context(ctx), Type: typ, Perms: p}
	if hasQuery {
		q, err := url.ParseQuery(rawQuery)
		if err != nil || len(q) == 0 {
			return bad("the query is not name=value pairs")
		}
		sc.Query = q
	}
	return sc, true, nil
}

func parsePerms(s string) (Permission, error) {
	switch s {
	case "read":
		return Read | Search, nil
	case "write":
		return Create | Update | Delete, nil
	case "*":
		return All, nil
	case "":
		return 0, fmt.Errorf("no permissions")
	}
	var p Permission
	next := 0 // the letters must come in SMART's order, each once
	for _, r := range s {
		i := strings.IndexRune(letters[next:], r)
		if i < 0 {
			return 0, fmt.Errorf("permissions must be letters of %q, in that order", letters)
		}
		next += i + 1
		p |= 1 << (next - 1)
	}
	return p, nil
}

func isTypeName(s string) bool {
	if s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// String is the set in SMART v2 syntax, resource scopes first.
func (set Set) String() string {
	words := make([]string, 0, len(set.Resources)+len(set.Other))
	for _, s := range set.Resources {
		words = append(words, s.String())
	}
	return strings.Join(append(words, set.Other...), " ")
}

// Allows reports whether a system scope of set grants perm on typ with no
// restriction. (user/ and patient/ scopes are for the relationship and
// patient-access rules, which narrow rather than grant.)
func (set Set) Allows(typ string, perm Permission) bool {
	for _, s := range set.Resources {
		if s.Context == System && s.Covers(typ, perm) {
			return true
		}
	}
	return false
}

// Restrictions are the queries of set's granular system scopes granting perm
// on typ: what a resource must match to be covered when Allows is false.
func (set Set) Restrictions(typ string, perm Permission) []url.Values {
	var out []url.Values
	for _, s := range set.Resources {
		if s.Context == System && (s.Type == "*" || s.Type == typ) && s.Perms&perm == perm && len(s.Query) > 0 {
			out = append(out, s.Query)
		}
	}
	return out
}

// Intersect is what of requested registered permits: the scopes a client
// asked for, narrowed to its registration. A requested scope wider than
// every registered one is narrowed to them (system/*.rs asked of
// system/Task.cruds grants system/Task.rs); one no registered scope meets
// is dropped. Non-resource scopes are granted when registered.
func Intersect(requested, registered Set) Set {
	var out Set
	seen := map[string]bool{}
	add := func(s Scope) {
		if k := s.String(); !seen[k] {
			seen[k] = true
			out.Resources = append(out.Resources, s)
		}
	}
	for _, q := range requested.Resources {
		for _, g := range registered.Resources {
			if m, ok := meet(q, g); ok {
				add(m)
			}
		}
	}
	for _, w := range requested.Other {
		for _, g := range registered.Other {
			if w == g && !seen[w] {
				seen[w] = true
				out.Other = append(out.Other, w)
			}
		}
	}
	return out
}

// meet is the scope both a and b permit, if any.
func meet(a, b Scope) (Scope, bool) {
	if a.Context != b.Context {
		return Scope{}, false
	}
	m := Scope{Context: a.Context, Type: a.Type, Perms: a.Perms & b.Perms}
	switch {
	case a.Type == "*":
		m.Type = b.Type
	case b.Type != "*" && a.Type != b.Type:
		return Scope{}, false
	}
	if m.Perms == 0 {
		return Scope{}, false
	}
	switch {
	case len(a.Query) == 0:
		m.Query = b.Query
	case len(b.Query) == 0 || sameQuery(a.Query, b.Query):
		m.Query = a.Query
	default:
		return Scope{}, false // two different restrictions: no one query is both
	}
	return m, true
}

func sameQuery(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv := append([]string(nil), b[k]...)
		av = append([]string(nil), av...)
		sort.Strings(av)
		sort.Strings(bv)
		if strings.Join(av, "\x00") != strings.Join(bv, "\x00") {
			return false
		}
	}
	return true
}
