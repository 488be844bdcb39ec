package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// tableOf maps a parameter type to its index table.
var tableOf = map[string]string{"string": "idx_string", "token": "idx_token", "reference": "idx_reference",
	"date": "idx_date", "number": "idx_number", "quantity": "idx_number", "uri": "idx_uri"}

// sqlBuilder accumulates a WHERE clause and its arguments.
type sqlBuilder struct {
	dialect string
	typ     string // the resource type searched
	aliases int    // nested levels so far
	care    *search.Care
	where   []string
	args    []any
}

func (b *sqlBuilder) add(cond string, args ...any) {
	b.where = append(b.where, cond)
	b.args = append(b.args, args...)
}

// prefix is a starts-with condition on a normalised column that both
// databases answer from an index: LIKE with text_pattern_ops on PostgreSQL,
// a range on SQLite (whose LIKE ignores case and skips the index).
func (b *sqlBuilder) prefix(col, text string) (string, []any) {
	if b.dialect == postgres {
		return col + ` LIKE ? ESCAPE '\'`, []any{escapeLike(text) + "%"}
	}
	return col + " >= ? AND " + col + " < ?", []any{text, text + "\U0010FFFF"}
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Search runs a typed query: filters as IN over the index tables, keyset
// paging over the sort keys.
func (s *Store) Search(ctx context.Context, q *search.Query) (_ *store.SearchPage, err error) {
	defer s.edge(ctx, &err)
	release, err := s.searchSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	b := &sqlBuilder{dialect: s.dialect, typ: q.Type, care: q.Care}
	if q.Type != "" {
		b.add("r.type = ?", q.Type)
	} else {
		b.add("r.type IN ("+placeholders(len(q.Types))+")", strings2any(q.Types)...)
	}
	b.add("r.deleted = ?", false)
	for _, c := range q.Clauses {
		if q.Type != "" {
			if err := b.clause(c); err != nil {
				return nil, err
			}
			continue
		}
		// A system search: the clause for each type, on that type's rows.
		var ors []string
		var args []any
		for _, t := range q.Types {
			cond, a, err := b.cond(c, "r", t)
			if err != nil {
				return nil, err
			}
			ors = append(ors, "(r.type = ? AND "+cond+")")
			args = append(append(args, t), a...)
		}
		b.add(anyOf(ors), args...)
	}
	if c := q.Compartment; c != nil {
		cond := "r.id IN (SELECT i.res_id FROM idx_reference i WHERE i.res_type = ? AND i.param IN (" + placeholders(len(c.Params)) +
			") AND i.target_type = ? AND i.target_id = ?)"
		args := append(append([]any{q.Type}, strings2any(c.Params)...), c.Type, c.ID)
		if q.Type == c.Type { // a patient is in its own compartment
			cond = "(" + cond + " OR r.id = ?)"
			args = append(args, c.ID)
		}
		b.add(cond, args...)
	}
	if q.Care != nil {
		b.narrow(q)
	}
	page := &store.SearchPage{Total: -1}
	if q.Total == "accurate" || q.Total == "estimate" || q.Count == 0 {
		rows, err := s.queryPlanned(ctx, "SELECT COUNT(*) FROM resources r WHERE "+strings.Join(b.where, " AND "), b.args)
		if err != nil {
			return nil, fmt.Errorf("sqlstore.Search count: %w", err)
		}
		defer rows.Close()
		if !rows.Next() {
			return nil, fmt.Errorf("sqlstore.Search count: no row: %v", rows.Err())
		}
		if err := rows.Scan(&page.Total); err != nil {
			return nil, fmt.Errorf("sqlstore.Search count: %w", err)
		}
		rows.Close()
	}
	if q.Count == 0 {
		return page, nil
	}
	firstPage := q.Cursor == ""
	keys := sortKeys(q.Sort, q.Type == "")
	// A cursor from a previous link starts with '<': walk the order
	// backwards from it, then turn the rows round.
	cursor, backward := strings.CutPrefix(q.Cursor, "<")
	walk := keys
	if backward {
		walk = reversed(keys)
	}
	fp := fingerprint(q.Type, keys)
	if cursor != "" {
		if err := b.after(walk, fp, cursor); err != nil {
			return nil, err
		}
	}
	order, orderArgs := orderBy(walk)
	// The sort values come back too, to build cursors from.
	sortCols := make([]string, len(keys))
	var sortArgs []any
	for i, k := range keys {
		sortCols[i] = k.expr
		sortArgs = append(sortArgs, k.args...)
	}
	query := "SELECT r.type, r.id, r.version, r.last_updated, r.body, " + strings.Join(sortCols, ", ") +
		" FROM resources r WHERE " + strings.Join(b.where, " AND ") + " ORDER BY " + order + " LIMIT ?"
	args := append(append(append(sortArgs, b.args...), orderArgs...), q.Count+1)
	rows, err := s.queryPlanned(ctx, query, args)
	if err != nil {
		return nil, fmt.Errorf("sqlstore.Search: %w", err)
	}
	defer rows.Close()
	var vals [][]any // sort values of each row on the page
	more := false    // a row beyond the page exists in the walking direction
	size := 0        // bytes of the bodies on the page
	for rows.Next() {
		r := &fhir.Resource{}
		var lastUpdated int64
		v := make([]any, len(keys))
		dest := []any{&r.Type, &r.ID, &r.Version, &lastUpdated, &r.Body}
		for i := range v {
			dest = append(dest, &v[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("sqlstore.Search: %w", err)
		}
		if len(page.Resources) == q.Count ||
			q.MaxBytes > 0 && len(page.Resources) > 0 && size+len(r.Body) > q.MaxBytes { // the page ends early
			more = true
			break
		}
		size += len(r.Body)
		r.LastUpdated = time.UnixMicro(lastUpdated).UTC()
		page.Resources = append(page.Resources, r)
		vals = append(vals, normalise(keys, v))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore.Search: %w", err)
	}
	if backward {
		slices.Reverse(page.Resources)
		slices.Reverse(vals)
	}
	if n := len(vals); n > 0 {
		if more || backward { // after a previous page, its successor still exists
			page.Next = cursorOf(fp, vals[n-1])
		}
		if (backward && more) || (!backward && cursor != "") {
			page.Prev = "<" + cursorOf(fp, vals[0])
		}
	}
	if page.Total < 0 && firstPage && page.Next == "" && q.Total != "none" {
		page.Total = len(page.Resources) // the first page is everything: the count is free
	}
	return page, nil
}

// andCare ANDs to the condition sub on the resources under alias, of type
// typ, what b.care permits: a chain or _has may not select by what the
// caller cannot see.
func (b *sqlBuilder) andCare(sub string, args []any, alias, typ string) (string, []any) {
	if b.care == nil {
		return sub, args
	}
	if cond, a := careCond(b.care, alias, typ); cond != "" {
		return sub + " AND " + cond, append(args, a...)
	}
	return sub, args
}

// narrow narrows b to what q.Care permits, type by type in a system search.
func (b *sqlBuilder) narrow(q *search.Query) {
	if q.Type != "" {
		if cond, args := careCond(q.Care, "r", q.Type); cond != "" {
			b.add(cond, args...)
		}
		return
	}
	var ors []string
	var args []any
	for _, t := range q.Types {
		cond, a := careCond(q.Care, "r", t)
		if cond == "" {
			ors = append(ors, "r.type = ?")
		} else {
			ors = append(ors, "(r.type = ? AND "+cond+")")
		}
		args = append(append(args, t), a...)
	}
	b.add(anyOf(ors), args...)
}

// queryPlanned runs a query that PostgreSQL must plan for its actual
// values. pgx otherwise caches a prepared statement, which after five runs
// may get a generic plan that ignores them; for search, whose selectivity
// swings with the values, that halved throughput, while planning every
// statement (reads included) halved read throughput. So only search goes
// unprepared, on gorm's own connection (or transaction).
func (s *Store) queryPlanned(ctx context.Context, query string, args []any) (*sql.Rows, error) {
	pool := s.conn(ctx).Statement.ConnPool
	if s.dialect != postgres {
		return pool.QueryContext(ctx, query, args...)
	}
	var sb strings.Builder
	n := 0
	for _, c := range query { // ? → $n; the search SQL has no ? inside literals
		if c == '?' {
			n++
			sb.WriteString("$" + strconv.Itoa(n))
		} else {
			sb.WriteRune(c)
		}
	}
	return pool.QueryContext(ctx, sb.String(), append([]any{pgx.QueryExecModeExec}, args...)...)
}

// clause adds one parameter occurrence on the searched resources r.
func (b *sqlBuilder) clause(c search.Clause) error {
	cond, args, err := b.cond(c, "r", b.typ)
	if err != nil {
		return err
	}
	b.add(cond, args...)
	return nil
}

// cond is the condition a clause puts on resources of type typ under alias.
// Chains and _has nest: each level selects ids from its own alias.
func (b *sqlBuilder) cond(c search.Clause, alias, typ string) (string, []any, error) {
	if c.Type == "_id" || c.Type == "_lastUpdated" {
		switch {
		case c.Missing != nil && *c.Missing: // every resource has both
			return "1 = 0", nil, nil
		case c.Missing != nil:
			return "1 = 1", nil, nil
		case len(c.Preds) == 0: // search never sends one; "()" would be an SQL error
			return "", nil, fhirerr.Invalidf("", "search parameter %s has no value to search for", c.Param)
		}
	}
	switch c.Type {
	case "_id":
		var ors []string
		var args []any
		for _, p := range c.Preds {
			ors = append(ors, alias+".id = ?")
			args = append(args, p.Code)
		}
		return anyOf(ors), args, nil
	case "_lastUpdated":
		var ors []string
		var args []any
		for _, p := range c.Preds {
			cond, a := dateCond(alias+".last_updated", "("+alias+".last_updated + 1000)", p)
			ors = append(ors, cond)
			args = append(args, a...)
		}
		return anyOf(ors), args, nil
	case "_has":
		h := c.Has
		inner := b.alias()
		sub, subArgs, err := b.cond(*h.Inner, inner, h.Type)
		if err != nil {
			return "", nil, err
		}
		sub, subArgs = b.andCare(sub, subArgs, inner, h.Type)
		cond := alias + ".id IN (SELECT i.target_id FROM idx_reference i WHERE i.res_type = ? AND i.param = ? AND i.target_type = ?" +
			" AND i.res_id IN (SELECT " + inner + ".id FROM resources " + inner + " WHERE " + inner + ".type = ? AND " + inner + ".deleted = ? AND " + sub + "))"
		return cond, append([]any{h.Type, h.Param, typ, h.Type, false}, subArgs...), nil
	}
	if len(c.Composite) > 0 {
		return b.compositeCond(c, alias, typ)
	}
	if c.Chain != nil {
		var ors []string
		var args []any
		for _, t := range c.Chain.Targets {
			inner := b.alias()
			sub, subArgs, err := b.cond(*t.Inner, inner, t.Type)
			if err != nil {
				return "", nil, err
			}
			sub, subArgs = b.andCare(sub, subArgs, inner, t.Type)
			ors = append(ors, "(i.target_type = ? AND i.target_id IN (SELECT "+inner+".id FROM resources "+inner+
				" WHERE "+inner+".type = ? AND "+inner+".deleted = ? AND "+sub+"))")
			args = append(append(args, t.Type, t.Type, false), subArgs...)
		}
		cond := alias + ".id IN (SELECT i.res_id FROM idx_reference i WHERE i.res_type = ? AND i.param = ? AND " + anyOf(ors) + ")"
		return cond, append([]any{typ, c.Param}, args...), nil
	}
	table, ok := tableOf[c.Type]
	if !ok {
		return "", nil, fhirerr.NotSupportedf("search parameters of type %s are not supported", c.Type)
	}
	// An uncorrelated IN (subquery) plans in half the time of a correlated
	// EXISTS here, and lets PostgreSQL start from the selective index.
	in := alias + ".id IN (SELECT i.res_id FROM " + table + " i WHERE i.res_type = ? AND i.param = ?"
	if c.Missing != nil {
		cond := in + ")"
		if *c.Missing {
			cond = "NOT " + cond
		}
		return cond, []any{typ, c.Param}, nil
	}
	var ors []string
	args := []any{typ, c.Param}
	for _, p := range c.Preds {
		cond, a := b.pred(c, p)
		ors = append(ors, "("+cond+")")
		args = append(args, a...)
	}
	cond := in + " AND " + anyOf(ors) + ")"
	if c.Not {
		cond = "NOT " + cond
	}
	return cond, args, nil
}

// compositeCond: for some value, every component matches within one group
// (one node of the composite's expression) of the same resource.
func (b *sqlBuilder) compositeCond(c search.Clause, alias, typ string) (string, []any, error) {
	var ors []string
	var args []any
	for _, parts := range c.Composite {
		// SQL text order: FROM c0 JOIN c1 ON ... param = ? ... WHERE c0 ... AND (c1 pred) ...
		var joins, where []string
		var joinArgs, whereArgs []any
		for k, part := range parts {
			table, ok := tableOf[part.Type]
			if !ok {
				return "", nil, fhirerr.NotSupportedf("composite components of type %s are not supported", part.Type)
			}
			ck := "c" + strconv.Itoa(k)
			cond, pa := b.predOn(ck, search.Clause{Type: part.Type}, part.Pred)
			if k == 0 {
				joins = append(joins, table+" "+ck)
				where = append(where, ck+".res_type = ? AND "+ck+".param = ? AND ("+cond+")")
				whereArgs = append(append(whereArgs, typ, part.Param), pa...)
				continue
			}
			joins = append(joins, "JOIN "+table+" "+ck+" ON "+ck+".res_type = c0.res_type AND "+ck+".res_id = c0.res_id AND "+
				ck+".grp = c0.grp AND "+ck+".param = ?")
			joinArgs = append(joinArgs, part.Param)
			where = append(where, "("+cond+")")
			whereArgs = append(whereArgs, pa...)
		}
		ors = append(ors, alias+".id IN (SELECT c0.res_id FROM "+strings.Join(joins, " ")+" WHERE "+strings.Join(where, " AND ")+")")
		args = append(append(args, joinArgs...), whereArgs...)
	}
	return anyOf(ors), args, nil
}

// alias returns a fresh table alias for a nested level.
func (b *sqlBuilder) alias() string {
	b.aliases++
	return "t" + strconv.Itoa(b.aliases)
}

// anyOf joins conditions with OR, parenthesised, grouped into a balanced
// tree: SQLite refuses an expression nested more than 1,000 deep, and a flat
// "a OR b OR ..." of 1,000 values (which the search limits allow) nests
// that deep. Grouping keeps the depth logarithmic and the argument order.
func anyOf(conds []string) string {
	const flat = 16
	if len(conds) <= flat {
		return "(" + strings.Join(conds, " OR ") + ")"
	}
	mid := len(conds) / 2
	return "(" + anyOf(conds[:mid]) + " OR " + anyOf(conds[mid:]) + ")"
}
