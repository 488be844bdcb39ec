package patch

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// tree decodes s the way the server does (UseNumber) and fails the test on
// bad JSON, so a typo in a table shows up as such.
func tree(t testing.TB, s string) map[string]any {
	t.Helper()
	v, err := decode([]byte(s))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("test JSON is not an object: %s", s)
	}
	return m
}

// sameJSON compares JSON texts by meaning, not layout.
func sameJSON(t *testing.T, want string, got []byte) {
	t.Helper()
	w, err := decode([]byte(want))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", want, err)
	}
	g, err := decode(got)
	if err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, got)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// issue is what the tests check of an error: its kind and first issue's code
// and expression, plus a fragment its diagnostics must contain.
type issue struct {
	Kind       fhirerr.Kind
	Code       string
	Expression string
	Diag       string
}

func wantError(t *testing.T, err error, want issue) {
	t.Helper()
	var fe *fhirerr.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v (%T), want a *fhirerr.Error", err, err)
	}
	if len(fe.Issues) == 0 {
		t.Fatalf("error %v has no issues", err)
	}
	got := issue{Kind: fe.Kind, Code: fe.Issues[0].Code, Expression: fe.Issues[0].Expression}
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Diag" }, cmp.Ignore())); diff != "" {
		t.Errorf("error %q (-want +got):\n%s", err, diff)
	}
	if !strings.Contains(fe.Issues[0].Diagnostics, want.Diag) {
		t.Errorf("diagnostics %q do not mention %q", fe.Issues[0].Diagnostics, want.Diag)
	}
}
