package rest

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Request is a request that must take effect once (an operation keyed by
// an identifier the client chose, such as a $handover's Bundle.identifier).
type Request struct {
	Operation string // e.g. "$handover"
	Key       string // e.g. "system|value"
	KeyPath   string // the element the key comes from, for messages: "Bundle.identifier"
	Hash      string // of the request as sent, canonical
}

// Once carries out req at most once. In one transaction it locks the key;
// when a request is recorded under it, the recorded response is returned
// (replayed) if the hash matches, and 409 otherwise. Else fn runs, with a
// Service bound to the transaction, and its response is recorded in the
// same transaction, so the record exists exactly when what fn wrote does,
// and concurrent retries of one key queue on the lock and replay.
func (s *Service) Once(ctx context.Context, req Request, fn func(tx *Service) (status int, body []byte, err error)) (status int, body []byte, replayed bool, err error) {
	err = s.InTx(ctx, func(tx *Service) error {
		status, body, replayed = 0, nil, false
		records, ok := tx.store.(store.RequestRecords)
		if !ok {
			return fhirerr.New(fhirerr.Internal, "exception", "", "rest.Once: the store keeps no request records")
		}
		if err := tx.store.Lock(ctx, req.Operation+" "+req.Key); err != nil {
			return err
		}
		rec, err := records.RequestRecord(ctx, req.Operation, req.Key)
		switch {
		case err == nil && rec.Hash == req.Hash:
			status, body, replayed = rec.Status, rec.Response, true
			return nil
		case err == nil:
			return fhirerr.New(fhirerr.Conflict, "duplicate", req.KeyPath,
				"%s %s was already used by a different %s (at %s): a retry must send the request unchanged, and a new request needs a new identifier",
				req.KeyPath, req.Key, req.Operation, rec.RecordedAt.Format("2006-01-02T15:04:05Z07:00"))
		case !fhirerr.Is(err, fhirerr.NotFound):
			return err
		}
		if status, body, err = fn(tx); err != nil {
			return err
		}
		return records.RecordRequest(ctx, &store.RequestRecord{Operation: req.Operation, Key: req.Key, Hash: req.Hash,
			Status: status, Response: body, RecordedAt: s.now()})
	})
	return status, body, replayed, err
}
