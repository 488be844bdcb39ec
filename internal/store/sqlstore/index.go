package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// indexTables are the search index tables, one per parameter value shape.
var indexTables = []string{"idx_string", "idx_token", "idx_reference", "idx_date", "idx_number", "idx_uri"}

// insertBatch collects multi-row INSERTs, one per index table.
type insertBatch struct {
	sql  []string
	args [][]any
}

func (b *insertBatch) add(table, cols string, rows [][]any) {
	if len(rows) == 0 {
		return
	}
	n := len(rows[0])
	placeholder := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
	var args []any
	for i, row := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(placeholder)
		args = append(args, row...)
	}
	b.sql = append(b.sql, sb.String())
	b.args = append(b.args, args)
}

// replaceIndex deletes the resource's old index rows (when it had a previous
// version) and inserts the new ones.
func (s *Store) replaceIndex(ctx context.Context, typ, id string, hadPrevious bool, index []search.Entry) error {
	db := s.conn(ctx)
	if hadPrevious {
		if s.dialect == postgres { // one round trip for all six tables
			var sb strings.Builder
			args := []any{}
			for i, t := range indexTables {
				fmt.Fprintf(&sb, "%sd%d AS (DELETE FROM %s WHERE res_type = ? AND res_id = ?)", map[bool]string{true: "WITH ", false: ", "}[i == 0], i, t)
				args = append(args, typ, id)
			}
			sb.WriteString(" SELECT 1")
			if err := db.Exec(sb.String(), args...).Error; err != nil {
				return err
			}
		} else {
			for _, t := range indexTables {
				if err := db.Exec("DELETE FROM "+t+" WHERE res_type = ? AND res_id = ?", typ, id).Error; err != nil {
					return err
				}
			}
		}
	}
	var strs, toks, refs, dates, nums, uris [][]any
	for _, e := range index {
		for _, v := range e.Strings {
			strs = append(strs, []any{typ, id, e.Param, e.Group, v.Norm, v.Exact})
		}
		for _, v := range e.Tokens {
			toks = append(toks, []any{typ, id, e.Param, e.Group, v.System, v.Code, v.Text})
		}
		for _, v := range e.References {
			refs = append(refs, []any{typ, id, e.Param, e.Group, v.Type, v.ID, v.URL})
		}
		for _, v := range e.Dates {
			dates = append(dates, []any{typ, id, e.Param, e.Group, v.Low, v.High})
		}
		for _, v := range e.Numbers {
			nums = append(nums, []any{typ, id, e.Param, e.Group, v.Value, v.Low, v.High, v.System, v.Code})
		}
		for _, v := range e.URIs {
			uris = append(uris, []any{typ, id, e.Param, e.Group, v})
		}
	}
	var b insertBatch
	b.add("idx_string", "res_type, res_id, param, grp, value, exact", strs)
	b.add("idx_token", "res_type, res_id, param, grp, system, code, text", toks)
	b.add("idx_reference", "res_type, res_id, param, grp, target_type, target_id, url", refs)
	b.add("idx_date", "res_type, res_id, param, grp, low, high", dates)
	b.add("idx_number", "res_type, res_id, param, grp, value, low, high, system, code", nums)
	b.add("idx_uri", "res_type, res_id, param, grp, uri", uris)
	if len(b.sql) == 0 {
		return nil
	}
	if s.dialect == postgres && len(b.sql) > 1 { // one round trip: the inserts as CTEs
		var sb strings.Builder
		var args []any
		for i, q := range b.sql[:len(b.sql)-1] {
			fmt.Fprintf(&sb, "%si%d AS (%s)", map[bool]string{true: "WITH ", false: ", "}[i == 0], i, q)
			args = append(args, b.args[i]...)
		}
		sb.WriteString(" " + b.sql[len(b.sql)-1])
		args = append(args, b.args[len(b.sql)-1]...)
		return db.Exec(sb.String(), args...).Error
	}
	for i, q := range b.sql {
		if err := db.Exec(q, b.args[i]...).Error; err != nil {
			return err
		}
	}
	return nil
}

// Current lists current resources after (afterType, afterID).
func (s *Store) Current(ctx context.Context, afterType, afterID string, limit int) ([]*fhir.Resource, error) {
	return s.resources(ctx, "sqlstore.Current", `SELECT type, id, version, last_updated, body FROM resources
		WHERE deleted = ? AND (type > ? OR (type = ? AND id > ?)) ORDER BY type, id LIMIT ?`,
		[]any{false, afterType, afterType, afterID, limit})
}

// Reindex replaces a resource's index rows in one transaction.
func (s *Store) Reindex(ctx context.Context, typ, id string, index []search.Entry) (err error) {
	if !s.inTx {
		return s.InTx(ctx, func(tx store.Store) error { return tx.Reindex(ctx, typ, id, index) })
	}
	defer s.edge(ctx, &err)
	if err := s.replaceIndex(ctx, typ, id, true, index); err != nil {
		return fmt.Errorf("sqlstore.Reindex %s/%s: %w", typ, id, err)
	}
	return nil
}
