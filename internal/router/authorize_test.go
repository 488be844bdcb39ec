package router

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/registry"
)

// TestAuthorizeFullAccessAllocatesNothing: for a full-access token the
// check is a few comparisons, whatever the interaction.
func TestAuthorizeFullAccessAllocatesNothing(t *testing.T) {
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	rt := New(Options{Registry: reg})
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Kind: auth.Client, Scopes: scope.MustParse("system/*.cruds"), AllPatients: true})
	for _, r := range []*Request{
		{kind: KindRead, Type: "Patient", ID: "1"},
		{kind: KindSearchType, Type: "Observation", Query: url.Values{"subject.name": {"x"}, "_include": {"*"}}},
		{kind: KindSearchSystem, Query: url.Values{}},
		{kind: KindHistorySystem},
		{kind: KindCreate, Type: "Patient", Header: http.Header{"If-None-Exist": {"identifier=a|b"}}},
		{kind: KindUpdate, Type: "Patient", Query: url.Values{"identifier": {"a|b"}}, Header: http.Header{}},
	} {
		if n := testing.AllocsPerRun(100, func() {
			if err := rt.authorize(ctx, r); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations", r.kind, n)
		}
	}
}
