package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// indexTables are the search index tables, one per parameter value shape.
var indexTables = []string{"idx_string", "idx_token", "idx_reference", "idx_date", "idx_number", "idx_uri"}

// maxParams bounds the bind parameters of one statement, so a resource's
// index rows are written in as many statements as they need and a resource
// stores the same on both databases however many values it indexes.
// PostgreSQL allows 65535. SQLite allows 32766, but the pure-Go driver
// binds each parameter by a linear search of the arguments, quadratic in
// their number (30,000 parameters took seconds), so SQLite statements
// stay at its historic limit of 999.
func (s *Store) maxParams() int {
	if s.dialect == postgres {
		return 30000
	}
	return 999
}

// maxIndexed is the most bytes of a text value a btree index holds.
// PostgreSQL refuses index entries over about 2700 bytes (a third of a
// page) and SQLite has no such limit, so without a cap a long family name
// or identifier stored on one database and failed on the other. Values are
// cut on a character boundary; the predicates cut query values the same way.
const maxIndexed = 1000

// indexed clips a text value to what the btree indexes hold.
func indexed(s string) string {
	if len(s) <= maxIndexed {
		return s
	}
	cut := maxIndexed
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// insertBatch collects multi-row INSERTs of at most maxParams parameters.
type insertBatch struct {
	maxParams int
	sql       []string
	args      [][]any
}

func (b *insertBatch) add(table, cols string, rows [][]any) {
	if len(rows) == 0 {
		return
	}
	n := len(rows[0])
	perStatement := b.maxParams / n
	for len(rows) > perStatement {
		b.add(table, cols, rows[:perStatement])
		rows = rows[perStatement:]
	}
	placeholder := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
	args := make([]any, 0, len(rows)*n)
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
	var rows indexRows
	rows.add(typ, id, index)
	return s.insertIndex(ctx, &rows)
}

// indexRows are the index rows of one or more resources, by table.
type indexRows struct {
	strs, toks, refs, dates, nums, uris [][]any
}

func (r *indexRows) add(typ, id string, index []search.Entry) {
	for _, e := range index {
		for _, v := range e.Strings {
			r.strs = append(r.strs, []any{typ, id, e.Param, e.Group, indexed(v.Norm), v.Exact})
		}
		for _, v := range e.Tokens {
			r.toks = append(r.toks, []any{typ, id, e.Param, e.Group, indexed(v.System), indexed(v.Code), v.Text})
		}
		for _, v := range e.References {
			r.refs = append(r.refs, []any{typ, id, e.Param, e.Group, indexed(v.Type), indexed(v.ID), v.URL})
		}
		for _, v := range e.Dates {
			r.dates = append(r.dates, []any{typ, id, e.Param, e.Group, v.Low, v.High})
		}
		for _, v := range e.Numbers {
			r.nums = append(r.nums, []any{typ, id, e.Param, e.Group, v.Value, v.Low, v.High, v.System, v.Code})
		}
		for _, v := range e.URIs {
			r.uris = append(r.uris, []any{typ, id, e.Param, e.Group, indexed(v)})
		}
	}
}

// insertIndex writes rows in multi-row INSERTs.
func (s *Store) insertIndex(ctx context.Context, rows *indexRows) error {
	b := insertBatch{maxParams: s.maxParams()}
	b.add("idx_string", "res_type, res_id, param, grp, value, exact", rows.strs)
	b.add("idx_token", "res_type, res_id, param, grp, system, code, text", rows.toks)
	b.add("idx_reference", "res_type, res_id, param, grp, target_type, target_id, url", rows.refs)
	b.add("idx_date", "res_type, res_id, param, grp, low, high", rows.dates)
	b.add("idx_number", "res_type, res_id, param, grp, value, low, high, system, code", rows.nums)
	b.add("idx_uri", "res_type, res_id, param, grp, uri", rows.uris)
	if len(b.sql) == 0 {
		return nil
	}
	if s.dialect == postgres { // few round trips: runs of inserts as CTEs
		for start := 0; start < len(b.sql); {
			end, params := start+1, len(b.args[start])
			for end < len(b.sql) && params+len(b.args[end]) <= b.maxParams {
				params += len(b.args[end])
				end++
			}
			q, args := withCTEs(b.sql[start:end], b.args[start:end])
			if _, err := s.exec(ctx, q, args...); err != nil {
				return err
			}
			start = end
		}
		return nil
	}
	for i, q := range b.sql {
		if _, err := s.exec(ctx, q, b.args[i]...); err != nil {
			return err
		}
	}
	return nil
}

// withCTEs joins INSERT statements into one: all but the last as CTEs.
func withCTEs(stmts []string, args [][]any) (string, []any) {
	var sb strings.Builder
	var all []any
	for i, q := range stmts[:len(stmts)-1] {
		fmt.Fprintf(&sb, "%si%d AS (%s) ", map[bool]string{true: "WITH ", false: ", "}[i == 0], i, q)
		all = append(all, args[i]...)
	}
	sb.WriteString(stmts[len(stmts)-1])
	return sb.String(), append(all, args[len(stmts)-1]...)
}

// Current lists current resources after (afterType, afterID).
func (s *Store) Current(ctx context.Context, afterType, afterID string, limit int) ([]*fhir.Resource, error) {
	// A row-value comparison, which both databases answer from the primary
	// key's index; spelled as an OR, PostgreSQL filtered every row before
	// the cursor, making a walk of the whole table quadratic.
	return s.resources(ctx, "sqlstore.Current", `SELECT type, id, version, last_updated, body FROM resources
		WHERE (type, id) > (?, ?) AND deleted = ? ORDER BY type, id LIMIT ?`,
		[]any{afterType, afterID, false, limit})
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

var _ store.BatchReindexer = (*Store)(nil)

// ReindexBatch replaces the index rows of many resources in a few
// statements: deleting and inserting resource by resource cost two round
// trips each, which bounded a reindex at a few hundred resources a second.
func (s *Store) ReindexBatch(ctx context.Context, batch []store.Indexed) (err error) {
	if !s.inTx {
		return s.InTx(ctx, func(tx store.Store) error { return tx.(*Store).ReindexBatch(ctx, batch) })
	}
	defer s.edge(ctx, &err)
	if err := s.deleteIndex(ctx, batch); err != nil {
		return fmt.Errorf("sqlstore.ReindexBatch: %w", err)
	}
	var rows indexRows
	for _, r := range batch {
		rows.add(r.Type, r.ID, r.Index)
	}
	if err := s.insertIndex(ctx, &rows); err != nil {
		return fmt.Errorf("sqlstore.ReindexBatch: %w", err)
	}
	return nil
}

// deleteIndex deletes the index rows of the given resources. PostgreSQL
// takes the keys as two comma-joined lists (gorm would expand a slice into
// a row of parameters; a 500-term OR cost more to plan than to run), which
// is safe because FHIR types and ids hold no commas; SQLite takes row
// values, as many to a statement as it binds.
func (s *Store) deleteIndex(ctx context.Context, batch []store.Indexed) error {
	db := s.conn(ctx)
	types, ids := make([]string, len(batch)), make([]string, len(batch))
	joinable := true // a FHIR id has no comma; anything else takes the general path
	for i, r := range batch {
		types[i], ids[i] = r.Type, r.ID
		joinable = joinable && !strings.Contains(r.Type+r.ID, ",")
	}
	if s.dialect == postgres && joinable {
		var sb strings.Builder
		var args []any
		for i, t := range indexTables {
			fmt.Fprintf(&sb, "%sd%d AS (DELETE FROM %s USING unnest(string_to_array(?, ','), string_to_array(?, ',')) AS k(t, i) WHERE res_type = k.t AND res_id = k.i)",
				map[bool]string{true: "WITH ", false: ", "}[i == 0], i, t)
			args = append(args, strings.Join(types, ","), strings.Join(ids, ","))
		}
		sb.WriteString(" SELECT 1")
		return db.Exec(sb.String(), args...).Error
	}
	perStatement := s.maxParams() / 2
	for len(batch) > 0 {
		chunk := batch[:min(perStatement, len(batch))]
		batch = batch[len(chunk):]
		keys := make([]any, 0, 2*len(chunk))
		for _, r := range chunk {
			keys = append(keys, r.Type, r.ID)
		}
		in := "(res_type, res_id) IN (" + strings.TrimSuffix(strings.Repeat("(?, ?), ", len(chunk)), ", ") + ")"
		for _, t := range indexTables {
			if err := db.Exec("DELETE FROM "+t+" WHERE "+in, keys...).Error; err != nil {
				return err
			}
		}
	}
	return nil
}
