// Package store defines how sharedcare keeps resources: every version of
// every resource, written one transaction at a time. Backends live in
// sub-packages and prove themselves against storetest, one conformance suite.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/search"
)

// ErrVersionConflict reports that the write or transaction lost a race with
// a concurrent one: another writer stored a version of the same resource
// first, or the database broke a deadlock or a serialization failure by
// aborting this transaction. Nothing was written; the caller may retry the
// whole transaction from the start (re-reading what it read).
var ErrVersionConflict = errors.New("store: version conflict")

// Store is a resource store. Errors are fhirerr kinds (NotFound, Gone, ...),
// ErrVersionConflict, or internal failures; never nil results with nil errors.
// A database that is down, refuses connections or does not answer before
// ctx ends gives fhirerr.Unavailable (retry later), from every method.
type Store interface {
	// Read returns the current version of a resource. It fails with NotFound
	// when the resource never existed and with Gone when its current version
	// is a deletion.
	Read(ctx context.Context, typ, id string) (*fhir.Resource, error)

	// VRead returns one version. A deletion version fails with Gone, an
	// unknown version with NotFound.
	VRead(ctx context.Context, typ, id string, version int64) (*fhir.Resource, error)

	// Head returns the current version of a resource, deletions included
	// (Deleted set). It fails with NotFound when none. Inside InTx it locks
	// the resource until the transaction ends, so that read-then-write
	// sequences of concurrent writers queue rather than conflict.
	Head(ctx context.Context, typ, id string) (*fhir.Resource, error)

	// Write stores r as the resource's next version and replaces its search
	// index with index (a deletion clears it). r.Version must be one more
	// than the current version (1 for a new resource); otherwise, or when a
	// concurrent writer got there first, it fails with ErrVersionConflict.
	// r.Method says which interaction wrote it (POST, PUT, PATCH, DELETE).
	Write(ctx context.Context, r *fhir.Resource, index []search.Entry) error

	// Current lists current, undeleted resources in (type, id) order, starting
	// after (afterType, afterID), at most limit: a walk for reindexing.
	Current(ctx context.Context, afterType, afterID string, limit int) ([]*fhir.Resource, error)

	// Reindex replaces the search index of a resource.
	Reindex(ctx context.Context, typ, id string, index []search.Entry) error

	// Referenced returns the current resources that resources of fromType
	// with the given ids refer to through param ("*": any reference
	// parameter), limited to targetType when it is not "", at most limit;
	// narrowed by care when not nil, as a search is.
	Referenced(ctx context.Context, fromType string, fromIDs []string, param, targetType string, limit int, care *search.Care) ([]*fhir.Resource, error)

	// Referencing returns the current resources of typ (any type when "*")
	// whose param ("*": any reference parameter) refers to one of the
	// targets of targetType, at most limit; narrowed by care when not nil.
	Referencing(ctx context.Context, typ, param, targetType string, targetIDs []string, limit int, care *search.Care) ([]*fhir.Resource, error)

	// Search returns one page of the current, undeleted resources matching q.
	// It counts all matches when q.Total is "accurate" or "estimate", and
	// otherwise only when the first page holds them all.
	Search(ctx context.Context, q *search.Query) (*SearchPage, error)

	// Missing returns the refs whose target does not exist or is deleted.
	// Inside InTx it also holds the existing targets until the transaction
	// ends (a shared lock on PostgreSQL), so that a concurrent delete of a
	// target waits and then sees the new reference (see Referrers).
	Missing(ctx context.Context, refs []fhir.Ref) ([]fhir.Ref, error)

	// Referrers lists the current resources that refer to one of targets
	// (their Type and ID) through a reference the search index holds:
	// relative (Type/id) or absolute under base (base/Type/id; base may be
	// ""). Versioned references (Type/id/_history/n) name a version, which a
	// deletion leaves in history, so they are not listed; nor is a
	// resource's reference to itself. It returns at most limit referrers in
	// (type, id) order and the number of all of them.
	Referrers(ctx context.Context, targets []fhir.Ref, base string, limit int) ([]Referrer, int, error)

	// History returns versions newest first, as HistoryQuery selects.
	History(ctx context.Context, q HistoryQuery) (*HistoryPage, error)

	// InTx runs fn in one transaction: it commits when fn returns nil and
	// rolls back otherwise, returning fn's error. When the transaction
	// failed because of a conflict or an unavailable database (whatever fn
	// made of that error), it returns ErrVersionConflict or Unavailable. It
	// never commits once ctx has ended: a transaction cut off by its deadline
	// rolls back and fails with Unavailable, as does one that cannot start
	// before the deadline. Stores passed to fn must not be used after fn
	// returns.
	InTx(ctx context.Context, fn func(tx Store) error) error

	// Lock gives this transaction the conditional-write lock of resource type
	// typ until it ends: it waits until no other transaction holds it and no
	// other transaction is writing typ, and until this transaction ends every
	// other Lock of typ and every other write of typ (Write, and Head inside
	// InTx) waits. A conditional interaction locks before it searches, so its
	// search-then-write is atomic against every write that could change what
	// matches: racing conditional creates make one resource, however their
	// criteria are spelled. Outside InTx it fails.
	Lock(ctx context.Context, typ string) error

	// Ping checks that the backend answers.
	Ping(ctx context.Context) error

	// Close releases the backend's resources.
	Close() error
}

// Referrer is a resource that refers to another (see Store.Referrers).
type Referrer struct {
	Type, ID string // the referring resource
	Param    string // a search parameter that indexes the reference (the first by name)
	Target   string // the Type/id it refers to (the first, when several)
}

// RequestRecords is an optional capability of a Store (found by type
// assertion): the record of requests that must take effect once, such as a
// $handover retried by a hospital system after a timeout.
type RequestRecords interface {
	// RequestRecord returns the record of operation under key. It fails
	// with NotFound when there is none.
	RequestRecord(ctx context.Context, operation, key string) (*RequestRecord, error)

	// RecordRequest stores rec. It must run inside InTx, with the key
	// locked (Lock), so that the record commits with what the request
	// wrote; a record already under the key fails with ErrVersionConflict.
	RecordRequest(ctx context.Context, rec *RequestRecord) error
}

// RequestRecord is what a request that must take effect once did.
type RequestRecord struct {
	Operation, Key string
	Hash           string // of the request as sent, to tell a retry from another request
	Status         int    // the HTTP status first answered
	Response       []byte // the body first answered
	RecordedAt     time.Time
}

// HistoryQuery selects versions for a history interaction. Type and ID narrow
// it to a type or an instance; empty means all.
type HistoryQuery struct {
	Type string
	ID   string
	// Types, when not empty, narrow a history across types to these: the
	// ones the caller may search.
	Types []string
	Since time.Time // versions last updated at or after; zero for all
	Count int       // page size, at least 1
	// Before is the cursor of the next page: only versions written before
	// the one with this sequence number. Zero starts at the newest.
	Before int64
}

// SearchPage is one page of search results.
type SearchPage struct {
	Resources []*fhir.Resource
	Total     int              // all matches across pages; -1 when not counted
	Next      string           // cursor of the next page; "" on the last page
	Prev      string           // cursor of the previous page; "" on the first
	Included  []*fhir.Resource // _include and _revinclude results (filled in by the caller)
	Warnings  []string         // for the searchset's outcome entry, such as includes cut short (filled in by the caller)
}

// HistoryPage is one page of history.
type HistoryPage struct {
	Versions []*fhir.Resource
	Total    int   // versions matching the query across all pages
	Next     int64 // cursor for the next page; 0 when this is the last
}
