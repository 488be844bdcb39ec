package sqlstore_test

import (
	"testing"

	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/internal/store/storetest"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return testdb.Open(t, dialect) })
		})
	}
}
