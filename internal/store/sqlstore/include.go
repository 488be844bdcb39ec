package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/search"
)

// Referenced implements _include: follow the index's reference rows forwards.
func (s *Store) Referenced(ctx context.Context, fromType string, fromIDs []string, param, targetType string, limit int, care *search.Care) ([]*fhir.Resource, error) {
	if len(fromIDs) == 0 {
		return nil, nil
	}
	q := `SELECT r.type, r.id, r.version, r.last_updated, r.body FROM idx_reference i
		JOIN resources r ON r.type = i.target_type AND r.id = i.target_id
		WHERE i.res_type = ? AND i.res_id IN (` + placeholders(len(fromIDs)) + `) AND r.deleted = ?`
	args := append([]any{fromType}, strings2any(fromIDs)...)
	args = append(args, false)
	if param != "*" {
		q += " AND i.param = ?"
		args = append(args, param)
	}
	if targetType != "" {
		q += " AND i.target_type = ?"
		args = append(args, targetType)
	}
	q, args = andCare(q, args, care, targetType)
	return s.resources(ctx, "sqlstore.Referenced", q+" LIMIT ?", append(args, limit))
}

// Referencing implements _revinclude: follow the reference rows backwards.
func (s *Store) Referencing(ctx context.Context, typ, param, targetType string, targetIDs []string, limit int, care *search.Care) ([]*fhir.Resource, error) {
	if len(targetIDs) == 0 {
		return nil, nil
	}
	q := `SELECT r.type, r.id, r.version, r.last_updated, r.body FROM idx_reference i
		JOIN resources r ON r.type = i.res_type AND r.id = i.res_id
		WHERE i.target_type = ? AND i.target_id IN (` + placeholders(len(targetIDs)) + `) AND r.deleted = ?`
	args := append([]any{targetType}, strings2any(targetIDs)...)
	args = append(args, false)
	if typ != "*" {
		q += " AND i.res_type = ?"
		args = append(args, typ)
	}
	if param != "*" {
		q += " AND i.param = ?"
		args = append(args, param)
	}
	q, args = andCare(q, args, care, typ)
	return s.resources(ctx, "sqlstore.Referencing", q+" LIMIT ?", append(args, limit))
}

// resources runs a query selecting type, id, version, last_updated, body.
func (s *Store) resources(ctx context.Context, op, q string, args []any) (_ []*fhir.Resource, err error) {
	defer s.edge(ctx, &err)
	rows, err := s.queryPlanned(ctx, q, args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []*fhir.Resource
	for rows.Next() {
		r := &fhir.Resource{}
		var lastUpdated int64
		if err := rows.Scan(&r.Type, &r.ID, &r.Version, &lastUpdated, &r.Body); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		r.LastUpdated = time.UnixMicro(lastUpdated).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func strings2any(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
