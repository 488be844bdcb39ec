package workflow_test

import (
	"testing"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/router"
	"github.com/sharedcare/sharedcare/internal/workflow"
)

// TestOperationsMatchDefinitions: every OperationDefinition under api/ has
// its Go function, and every function its definition.
func TestOperationsMatchDefinitions(t *testing.T) {
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	wf := workflow.New(rest.New(nil, reg), workflow.DefaultConfig)
	if err := router.CheckOperations(reg, append(router.Builtin(), wf.Operations()...)); err != nil {
		t.Error(err)
	}
	if err := router.CheckOperations(reg, append(router.Builtin(), wf.Operations()[1:]...)); err == nil {
		t.Error("CheckOperations accepted a definition without a function")
	}
}
