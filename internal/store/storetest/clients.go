package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// testClients proves the optional store.Clients: a client reads back as
// stored (JWKS and permissions included), an ID is taken once, and
// disabling, enabling and removing act on one client or report NotFound.
func testClients(t *testing.T, s store.Store) {
	cs, ok := s.(store.Clients)
	if !ok {
		t.Skip("the store does not keep clients")
	}
	ctx := context.Background()
	if _, err := cs.Client(ctx, "nobody"); fhirerr.KindOf(err) != fhirerr.NotFound {
		t.Fatalf("unknown client: error %v, want NotFound", err)
	}
	list, err := cs.ListClients(ctx)
	if err != nil || len(list) != 0 {
		t.Fatalf("ListClients of an empty store = %v, %v; want none", list, err)
	}
	inline := store.Client{ID: "b-inline", Name: "Valley Surgery EPR", Organization: "Organization/valley",
		Scope:       "system/Patient.rs system/Task.cruds",
		JWKS:        json.RawMessage(`{"keys":[{"kty":"EC","crv":"P-384","kid":"k1","x":"AAAA","y":"BBBB"}]}`),
		Permissions: []string{"all-patients", "break-glass"}, Created: t0}
	remote := store.Client{ID: "a-remote", Name: "Trust EPR", Organization: "Organization/trust",
		Scope: "system/*.rs", JWKSURI: "https://trust.example/jwks.json", Disabled: true, Created: t0.Add(1e3)}
	for _, c := range []store.Client{inline, remote} {
		if err := cs.CreateClient(ctx, c); err != nil {
			t.Fatalf("CreateClient %s: %v", c.ID, err)
		}
	}
	// The JWKS is JSON text: compare it as JSON, whatever spacing the database keeps.
	jsonEq := cmp.Comparer(func(a, b json.RawMessage) bool {
		if len(a) == 0 || len(b) == 0 {
			return len(a) == len(b)
		}
		var x, y any
		return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && cmp.Equal(x, y)
	})
	got, err := cs.Client(ctx, inline.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inline, got, jsonEq); diff != "" {
		t.Errorf("Client (-want +got):\n%s", diff)
	}
	dup := remote
	dup.Name = "someone else"
	if err := cs.CreateClient(ctx, dup); !errors.Is(err, store.ErrVersionConflict) {
		t.Errorf("CreateClient with a taken ID: error %v, want ErrVersionConflict", err)
	}
	list, err = cs.ListClients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Client{remote, inline}, list, jsonEq); diff != "" {
		t.Errorf("ListClients, by ID (-want +got):\n%s", diff)
	}

	// Disable and enable one client; the other is untouched.
	for _, disabled := range []bool{true, false, true} {
		if err := cs.SetClientDisabled(ctx, inline.ID, disabled); err != nil {
			t.Fatal(err)
		}
		if got, err := cs.Client(ctx, inline.ID); err != nil || got.Disabled != disabled {
			t.Fatalf("after SetClientDisabled(%v): Disabled = %v, %v", disabled, got.Disabled, err)
		}
	}
	if got, _ := cs.Client(ctx, remote.ID); !got.Disabled {
		t.Error("enabling one client enabled another")
	}
	if err := cs.SetClientDisabled(ctx, "nobody", true); fhirerr.KindOf(err) != fhirerr.NotFound {
		t.Errorf("SetClientDisabled of an unknown client: error %v, want NotFound", err)
	}

	if err := cs.DeleteClient(ctx, remote.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Client(ctx, remote.ID); fhirerr.KindOf(err) != fhirerr.NotFound {
		t.Errorf("a removed client: error %v, want NotFound", err)
	}
	if err := cs.DeleteClient(ctx, remote.ID); fhirerr.KindOf(err) != fhirerr.NotFound {
		t.Errorf("removing a removed client: error %v, want NotFound", err)
	}
	if list, err := cs.ListClients(ctx); err != nil || len(list) != 1 || list[0].ID != inline.ID {
		t.Errorf("ListClients after removal = %v, %v; want only %s", list, err, inline.ID)
	}
	// A removed client's ID may be registered again.
	if err := cs.CreateClient(ctx, remote); err != nil {
		t.Errorf("re-registering a removed ID: %v", err)
	}
}
