// Package auth carries the caller's identity through a request: who is
// asking travels in the context (the benbjohnson/wtf pattern), never as a
// field on a service, so every layer below the HTTP adapter can ask for it
// and a Service shared by all requests stays free of per-caller state.
package auth

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/auth/scope"
)

// Kind is what sort of caller a Principal is.
type Kind int

// The kinds of caller. Anonymous is the zero value: a context that names
// nobody is nobody, never the server.
const (
	Anonymous Kind = iota // an HTTP client not (yet) authenticated
	System                // the server itself: start-up content, internal writes
	Client                // an authenticated client (SMART Backend Services or an external issuer's token)
)

// String names the kind for logs and audit records.
func (k Kind) String() string {
	switch k {
	case System:
		return "system"
	case Client:
		return "client"
	default:
		return "anonymous"
	}
}

// Principal is the caller of an interaction, as its access token says.
type Principal struct {
	Kind         Kind
	ClientID     string // the OAuth client the request came from
	Organization string // Organization/{id} the caller acts for
	User         string // the token's fhirUser (Practitioner/{id}...), when it names one
	Issuer       string // who issued the token: empty for this server's own
	// Scopes are what the token grants; the system principal needs none.
	Scopes scope.Set
	// AllPatients is true for a client registered with the permission
	// all-patients: it sees every patient's record, with no care
	// relationship (its scopes still apply).
	AllPatients bool
	// Unrestricted is true only when authentication is switched off
	// (SHAREDCARE_AUTH=off): every scope check passes.
	Unrestricted bool
}

// PermissionAllPatients is the registration permission of a client that
// sees every patient's record without a care relationship (an integration
// engine, the trust's own EPR); clients are relationship-bound by default.
const PermissionAllPatients = "all-patients"

// SystemPrincipal is the server acting on its own behalf.
var SystemPrincipal = Principal{Kind: System}

// IsSystem reports whether p is the server itself.
func (p Principal) IsSystem() bool { return p.Kind == System }

// Allows reports whether p may exercise perm on resources of typ with no
// restriction: the server itself and an unrestricted caller always may.
func (p Principal) Allows(typ string, perm scope.Permission) bool {
	return p.Kind == System || p.Unrestricted || p.Scopes.Allows(typ, perm)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p as the caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// AsSystem returns ctx carrying the system principal.
func AsSystem(ctx context.Context) context.Context { return WithPrincipal(ctx, SystemPrincipal) }

// PrincipalFrom is the caller ctx carries; anonymous when none.
func PrincipalFrom(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}
