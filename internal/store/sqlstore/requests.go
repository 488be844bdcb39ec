package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

var _ store.RequestRecords = (*Store)(nil)

// RequestRecord returns the record of operation under key.
func (s *Store) RequestRecord(ctx context.Context, operation, key string) (_ *store.RequestRecord, err error) {
	defer s.edge(ctx, &err)
	rec := &store.RequestRecord{Operation: operation, Key: key}
	var at int64
	row := s.conn(ctx).Raw("SELECT hash, status, response, recorded_at FROM request_records WHERE operation = ? AND key = ?",
		operation, key).Row()
	if err := row.Scan(&rec.Hash, &rec.Status, &rec.Response, &at); err != nil {
		if isNoRows(err) {
			return nil, fhirerr.NotFoundf("no %s request is recorded under %q", operation, key)
		}
		return nil, fmt.Errorf("sqlstore.RequestRecord %s %q: %w", operation, key, err)
	}
	rec.RecordedAt = time.UnixMicro(at).UTC()
	return rec, nil
}

// RecordRequest stores rec in the current transaction.
func (s *Store) RecordRequest(ctx context.Context, rec *store.RequestRecord) (err error) {
	defer s.edge(ctx, &err)
	if !s.inTx {
		return fmt.Errorf("sqlstore.RecordRequest %s %q: not in a transaction", rec.Operation, rec.Key)
	}
	err = s.conn(ctx).Exec(`INSERT INTO request_records (operation, key, hash, status, response, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?)`, rec.Operation, rec.Key, rec.Hash, rec.Status, rec.Response, rec.RecordedAt.UnixMicro()).Error
	if err != nil {
		return fmt.Errorf("sqlstore.RecordRequest %s %q: %w", rec.Operation, rec.Key, err)
	}
	return nil
}
