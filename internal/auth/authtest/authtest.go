// Package authtest gives tests real access tokens: a client registered in
// the database like any other, and a token signed by the server's own key,
// exactly as the token endpoint issues them. Tests run with authentication
// on; this is how they get in.
package authtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/auth/token"
	"github.com/sharedcare/sharedcare/internal/store"
)

// FullAccess is the scope of a client that may do everything.
const FullAccess = "system/*.cruds"

// Organization is the organization test clients act for unless told otherwise.
const Organization = "Organization/test-trust"

// Register stores a new enabled client acting for org with scopes and the
// registration permissions given (none: relationship-bound).
func Register(tb testing.TB, st store.Store, org, scopes string, permissions ...string) store.Client {
	tb.Helper()
	clients, ok := st.(store.Clients)
	if !ok {
		tb.Fatalf("authtest: %T keeps no clients", st)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	c := store.Client{ID: "test-" + hex.EncodeToString(b[:]), Name: "test client", Organization: org, Scope: scopes, Permissions: permissions}
	if err := clients.CreateClient(context.Background(), c); err != nil {
		tb.Fatalf("authtest: register client: %v", err)
	}
	return c
}

// Token registers a client acting for org with scopes and the permission
// all-patients, and returns an access token ts issues it for the FHIR base
// audience. Its client sees every patient's record, so that tests of other
// things need no care relationships; BoundToken is the default kind of
// client, bound to its organization's care relationships.
func Token(tb testing.TB, ts *token.Server, st store.Store, org, scopes, audience string) string {
	tb.Helper()
	return issue(tb, ts, Register(tb, st, org, scopes, auth.PermissionAllPatients), audience)
}

// BoundToken is Token for a relationship-bound client: it sees only the
// records of the patients org has a care relationship with.
func BoundToken(tb testing.TB, ts *token.Server, st store.Store, org, scopes, audience string) string {
	tb.Helper()
	return issue(tb, ts, Register(tb, st, org, scopes), audience)
}

func issue(tb testing.TB, ts *token.Server, c store.Client, audience string) string {
	tb.Helper()
	granted, err := scope.Parse(c.Scope)
	if err != nil {
		tb.Fatalf("authtest: %v", err)
	}
	resp, err := ts.Issue(context.Background(), c, granted, audience)
	if err != nil {
		tb.Fatalf("authtest: issue token: %v", err)
	}
	return resp.AccessToken
}
