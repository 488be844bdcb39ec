// Package authz decides whether a caller's SMART scopes permit an
// interaction: it turns an auth.Principal and the shape of a request into
// allowed, narrowed (a granular scope's restriction, a system search's
// types) or a 403 naming the scope that was needed. The router asks it once
// per interaction, before the handler runs any SQL; it holds no state.
//
// The rules beyond SMART's letters, decided here:
//   - granular scopes (system/Observation.rs?category=laboratory) grant only
//     r and s: a write covered only by one is refused;
//   - a chained parameter or _has passing through a type needs s on that
//     type, and a granular scope does not count there (its restriction
//     cannot be put into a chain's inner query);
//   - _include and _revinclude need r, unrestricted, on what they bring in:
//     other types are left out of the query (rest.Service narrows them);
//   - the history of a type or of the system needs s unrestricted (a
//     restriction cannot be applied to past versions); a system search or
//     history without _type covers only the types the caller may search,
//     narrowed in its SQL, and a system search's _type naming another type
//     is a 403;
//   - a read, vread or instance history covered only by granular scopes is
//     allowed when the resource's current version matches one of them.
package authz

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Full reports whether p may exercise perm on every type, unrestricted:
// the server, a caller with authentication off, or a system/*.perm scope.
// It allocates nothing: the happy path of a full-access token.
func Full(p auth.Principal, perm scope.Permission) bool { return p.Allows("*", perm) }

// Need is nil when p may exercise perm on typ unrestricted, and the 403
// naming the scope otherwise.
func Need(p auth.Principal, typ string, perm scope.Permission) error {
	if p.Allows(typ, perm) {
		return nil
	}
	return Forbidden(doing(perm, typ), typ, perm)
}

// Forbidden is the 403 of what (e.g. "reading Task") needing perm on typ:
// the diagnostics name the v2 scope, its wildcard and its v1 alias.
func Forbidden(what, typ string, perm scope.Permission) *fhirerr.Error {
	return fhirerr.New(fhirerr.Forbidden, "forbidden", "", "%s", what+" needs "+Scopes(typ, perm))
}

// Scopes names the scopes that grant perm on typ, for messages: "the scope
// system/Task.r (or system/*.r, or the v1 system/Task.read)".
func Scopes(typ string, perm scope.Permission) string {
	s := "the scope system/" + typ + "." + perm.String() + " (or "
	if typ != "*" {
		s += "system/*." + perm.String() + ", or "
	}
	return s + "the v1 system/" + typ + "." + v1(perm) + ")"
}

// v1 is the SMART v1 word that grants perm.
func v1(perm scope.Permission) string {
	switch {
	case perm&^(scope.Read|scope.Search) == 0:
		return "read"
	case perm&^(scope.Create|scope.Update|scope.Delete) == 0:
		return "write"
	}
	return "*"
}

// doing names an interaction needing perm on typ: "reading Task".
func doing(perm scope.Permission, typ string) string {
	var verbs []string
	for _, v := range []struct {
		p    scope.Permission
		verb string
	}{{scope.Create, "creating"}, {scope.Read, "reading"}, {scope.Update, "updating"}, {scope.Delete, "deleting"}, {scope.Search, "searching"}} {
		if perm&v.p != 0 {
			verbs = append(verbs, v.verb)
		}
	}
	of := typ
	if typ == "*" {
		of = "every type"
	}
	return strings.Join(verbs, " and ") + " " + of
}

// granted reports whether values already carry one of restrictions: every
// parameter of it with every value, each as a value of its own (a
// comma-separated list is an OR, wider than the restriction).
func granted(values url.Values, restrictions []url.Values) bool {
	for _, r := range restrictions {
		if carries(values, r) {
			return true
		}
	}
	return false
}

func carries(values, restriction url.Values) bool {
	for k, want := range restriction {
		for _, w := range want {
			found := false
			for _, v := range values[k] {
				if v == w {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// granularForbidden is the 403 of a search that several granular scopes
// might grant, none of whose parameters it carries: which to apply is the
// client's choice.
func granularForbidden(typ string, restrictions []url.Values) *fhirerr.Error {
	names := make([]string, len(restrictions))
	for i, r := range restrictions {
		names[i] = "system/" + typ + ".s?" + r.Encode()
	}
	return fhirerr.New(fhirerr.Forbidden, "forbidden", "", "%s",
		fmt.Sprintf("searching %s is granted only by the granular scopes %s: the search must carry the parameters of one of them (or the token needs %s)",
			typ, strings.Join(names, ", "), Scopes(typ, scope.Search)))
}
