package store

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/search"
)

// Indexed is one resource's search index, for BatchReindexer.
type Indexed struct {
	Type, ID string
	Index    []search.Entry
}

// BatchReindexer is an optional Store capability: replacing the search
// index of many resources at once, which a reindex of a large database
// needs to finish in minutes rather than hours. Inside InTx it joins the
// transaction; outside it runs in one of its own. It fails as Reindex does.
type BatchReindexer interface {
	ReindexBatch(ctx context.Context, batch []Indexed) error
}
