package auth

import (
	"context"
	"testing"
)

func TestPrincipalFrom(t *testing.T) {
	ctx := context.Background()
	if got := PrincipalFrom(ctx); got.Kind != Anonymous || got.IsSystem() {
		t.Errorf("PrincipalFrom(empty) = %+v, want anonymous", got)
	}
	if got := PrincipalFrom(AsSystem(ctx)); !got.IsSystem() {
		t.Errorf("PrincipalFrom(AsSystem) = %+v, want system", got)
	}
	p := Principal{ClientID: "gp-app", Organization: "Organization/gp"}
	if got := PrincipalFrom(WithPrincipal(AsSystem(ctx), p)); got.ClientID != p.ClientID || got.Organization != p.Organization {
		t.Errorf("PrincipalFrom = %+v, want %+v (the innermost wins)", got, p)
	}
	if Anonymous.String() != "anonymous" || System.String() != "system" {
		t.Errorf("kind names: %s, %s", Anonymous, System)
	}
}
