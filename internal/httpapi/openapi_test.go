package httpapi_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestOpenAPIUpToDate regenerates the OpenAPI document and fails when the
// committed openapi/ differs: run `make openapi` and commit the result.
func TestOpenAPIUpToDate(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("regenerates the OpenAPI document with go tool swag")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command("go", "tool", "swag", "init", "--quiet", "-g", "server.go", "-d", "internal/httpapi,internal/router,internal/workflow",
		"-o", out, "--outputTypes", "go,json", "--packageName", "openapi", "--parseInternal")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("swag init: %v\n%s", err, b)
	}
	for _, f := range []string{"docs.go", "swagger.json"} {
		want, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, "openapi", f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("openapi/%s is stale: run `make openapi` and commit it", f)
		}
	}
}
