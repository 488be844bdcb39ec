package authz

import (
	"testing"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// TestNeedNamesTheScope: a 403 says which scope, its wildcard and its v1
// alias would have granted the interaction.
func TestNeedNamesTheScope(t *testing.T) {
	p := auth.Principal{Kind: auth.Client, Scopes: scope.MustParse("system/Patient.r")}
	for _, c := range []struct {
		typ  string
		perm scope.Permission
		want string
	}{
		{"Task", scope.Read, "reading Task needs the scope system/Task.r (or system/*.r, or the v1 system/Task.read)"},
		{"Task", scope.Create, "creating Task needs the scope system/Task.c (or system/*.c, or the v1 system/Task.write)"},
		{"Patient", scope.Search, "searching Patient needs the scope system/Patient.s (or system/*.s, or the v1 system/Patient.read)"},
		{"Task", scope.Read | scope.Search, "reading and searching Task needs the scope system/Task.rs (or system/*.rs, or the v1 system/Task.read)"},
		{"Task", scope.Create | scope.Read, "creating and reading Task needs the scope system/Task.cr (or system/*.cr, or the v1 system/Task.*)"},
	} {
		err := Need(p, c.typ, c.perm)
		var fe *fhirerr.Error
		if e, ok := err.(*fhirerr.Error); ok {
			fe = e
		}
		if fe == nil || fe.Kind != fhirerr.Forbidden || fe.Issues[0].Code != "forbidden" || fe.Issues[0].Diagnostics != c.want {
			t.Errorf("Need(%s, %s) = %v, want 403 %q", c.typ, c.perm, err, c.want)
		}
	}
	if err := Need(p, "Patient", scope.Read); err != nil {
		t.Errorf("Need(Patient, r) = %v with system/Patient.r", err)
	}
	if err := Need(auth.Principal{}, "Patient", scope.Read); err == nil {
		t.Error("an anonymous principal may read")
	}
	if err := Need(auth.Principal{Unrestricted: true}, "Patient", scope.Delete); err != nil {
		t.Errorf("an unrestricted principal: %v", err)
	}
}
