package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
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
func (s *Store) Search(ctx context.Context, q *search.Query) (*store.SearchPage, error) {
	b := &sqlBuilder{dialect: s.dialect, typ: q.Type}
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
		b.add("("+strings.Join(ors, " OR ")+")", args...)
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
	if q.Cursor != "" {
		if err := b.after(keys, q.Cursor); err != nil {
			return nil, err
		}
	}
	order := make([]string, len(keys))
	for i, k := range keys {
		order[i] = k.column + map[bool]string{true: " DESC", false: " ASC"}[k.desc]
	}
	query := "SELECT r.type, r.id, r.version, r.last_updated, r.body FROM resources r WHERE " + strings.Join(b.where, " AND ") +
		" ORDER BY " + strings.Join(order, ", ") + " LIMIT ?"
	rows, err := s.queryPlanned(ctx, query, append(b.args, q.Count+1))
	if err != nil {
		return nil, fmt.Errorf("sqlstore.Search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &fhir.Resource{}
		var lastUpdated int64
		if err := rows.Scan(&r.Type, &r.ID, &r.Version, &lastUpdated, &r.Body); err != nil {
			return nil, fmt.Errorf("sqlstore.Search: %w", err)
		}
		r.LastUpdated = time.UnixMicro(lastUpdated).UTC()
		if len(page.Resources) == q.Count {
			last := page.Resources[len(page.Resources)-1]
			page.Next = cursorOf(keys, last)
			break
		}
		page.Resources = append(page.Resources, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore.Search: %w", err)
	}
	if page.Total < 0 && firstPage && page.Next == "" && q.Total != "none" {
		page.Total = len(page.Resources) // the first page is everything: the count is free
	}
	return page, nil
}

type sortKey struct {
	column string // r.last_updated or r.id
	desc   bool
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

// sortKeys turns _sort into columns, newest first by default, always ending
// with the id (after the type, across types) so the order is total and
// keyset paging exact.
func sortKeys(sort []search.SortKey, acrossTypes bool) []sortKey {
	if len(sort) == 0 {
		if acrossTypes {
			return []sortKey{{"r.last_updated", true}, {"r.type", true}, {"r.id", true}}
		}
		return []sortKey{{"r.last_updated", true}, {"r.id", true}}
	}
	var keys []sortKey
	hasID := false
	for _, k := range sort {
		col := "r.last_updated"
		if k.Param == "_id" {
			col, hasID = "r.id", true
		}
		keys = append(keys, sortKey{col, k.Desc})
	}
	last := keys[len(keys)-1].desc
	if acrossTypes {
		keys = append(keys, sortKey{"r.type", last})
	}
	if !hasID {
		keys = append(keys, sortKey{"r.id", last})
	} else if acrossTypes { // _id given: the type must still break ties before it
		keys = append(keys[:len(keys)-2], sortKey{"r.type", last}, keys[len(keys)-2])
	}
	return keys
}

// cursorOf encodes the sort-key values of the last row of a page.
func cursorOf(keys []sortKey, r *fhir.Resource) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		switch k.column {
		case "r.id":
			parts[i] = r.ID
		case "r.type":
			parts[i] = r.Type
		default:
			parts[i] = strconv.FormatInt(r.LastUpdated.UnixMicro(), 10)
		}
	}
	return strings.Join(parts, "~") // ids cannot contain ~
}

// after restricts the query to rows after the cursor in the sort order.
func (b *sqlBuilder) after(keys []sortKey, cursor string) error {
	parts := strings.Split(cursor, "~")
	if len(parts) != len(keys) {
		return fhirerr.Invalidf("", "_cursor %q does not belong to this search", cursor)
	}
	vals := make([]any, len(keys))
	for i, k := range keys {
		if k.column == "r.id" || k.column == "r.type" {
			vals[i] = parts[i]
			continue
		}
		v, err := strconv.ParseInt(parts[i], 10, 64)
		if err != nil {
			return fhirerr.Invalidf("", "_cursor %q does not belong to this search", cursor)
		}
		vals[i] = v
	}
	// (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ... with each key's direction.
	var ors []string
	var args []any
	for i := range keys {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, keys[j].column+" = ?")
			args = append(args, vals[j])
		}
		op := " > ?"
		if keys[i].desc {
			op = " < ?"
		}
		ands = append(ands, keys[i].column+op)
		args = append(args, vals[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	b.add("("+strings.Join(ors, " OR ")+")", args...)
	return nil
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
	switch c.Type {
	case "_id":
		var ors []string
		var args []any
		for _, p := range c.Preds {
			ors = append(ors, alias+".id = ?")
			args = append(args, p.Code)
		}
		return "(" + strings.Join(ors, " OR ") + ")", args, nil
	case "_lastUpdated":
		var ors []string
		var args []any
		for _, p := range c.Preds {
			cond, a := dateCond(alias+".last_updated", "("+alias+".last_updated + 1000)", p)
			ors = append(ors, cond)
			args = append(args, a...)
		}
		return "(" + strings.Join(ors, " OR ") + ")", args, nil
	case "_has":
		h := c.Has
		inner := b.alias()
		sub, subArgs, err := b.cond(*h.Inner, inner, h.Type)
		if err != nil {
			return "", nil, err
		}
		cond := alias + ".id IN (SELECT i.target_id FROM idx_reference i WHERE i.res_type = ? AND i.param = ? AND i.target_type = ?" +
			" AND i.res_id IN (SELECT " + inner + ".id FROM resources " + inner + " WHERE " + inner + ".type = ? AND " + inner + ".deleted = ? AND " + sub + "))"
		return cond, append([]any{h.Type, h.Param, typ, h.Type, false}, subArgs...), nil
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
			ors = append(ors, "(i.target_type = ? AND i.target_id IN (SELECT "+inner+".id FROM resources "+inner+
				" WHERE "+inner+".type = ? AND "+inner+".deleted = ? AND "+sub+"))")
			args = append(append(args, t.Type, t.Type, false), subArgs...)
		}
		cond := alias + ".id IN (SELECT i.res_id FROM idx_reference i WHERE i.res_type = ? AND i.param = ? AND (" + strings.Join(ors, " OR ") + "))"
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
	cond := in + " AND (" + strings.Join(ors, " OR ") + "))"
	if c.Not {
		cond = "NOT " + cond
	}
	return cond, args, nil
}

// alias returns a fresh table alias for a nested level.
func (b *sqlBuilder) alias() string {
	b.aliases++
	return "t" + strconv.Itoa(b.aliases)
}

// pred is the condition one value puts on an index row i.
func (b *sqlBuilder) pred(c search.Clause, p search.Pred) (string, []any) {
	switch c.Type {
	case "string":
		switch c.Modifier {
		case "exact":
			return "i.exact = ?", []any{p.Text}
		case "contains":
			return `i.value LIKE ? ESCAPE '\'`, []any{"%" + escapeLike(p.Text) + "%"}
		}
		return b.prefix("i.value", p.Text)
	case "token":
		switch {
		case c.Modifier == "text":
			return b.prefix("i.text", p.Text)
		case !p.HasSystem:
			return "i.code = ?", []any{p.Code}
		case p.Code == "":
			return "i.system = ?", []any{p.System}
		default:
			return "i.code = ? AND i.system = ?", []any{p.Code, p.System}
		}
	case "reference":
		switch {
		case p.URL != "":
			return "i.url = ?", []any{p.URL}
		case p.RefType != "":
			return "i.target_id = ? AND i.target_type = ?", []any{p.RefID, p.RefType}
		default:
			return "i.target_id = ?", []any{p.RefID}
		}
	case "date":
		return dateCond("i.low", "i.high", p)
	case "number", "quantity":
		cond, args := numberCond(p)
		if p.Code != "" {
			cond += " AND i.code = ?"
			args = append(args, p.Code)
		}
		if p.HasSystem {
			cond += " AND i.system = ?"
			args = append(args, p.System)
		}
		return cond, args
	case "uri":
		switch c.Modifier {
		case "below":
			return b.prefix("i.uri", p.Text)
		case "above":
			return "substr(?, 1, length(i.uri)) = i.uri", []any{p.Text}
		}
		return "i.uri = ?", []any{p.Text}
	}
	return "1 = 0", nil
}

// dateCond compares a stored range [low, high) with the query range, per
// the prefix (search.html#prefix).
func dateCond(low, high string, p search.Pred) (string, []any) {
	switch p.Prefix {
	case "ne":
		return "NOT (" + low + " >= ? AND " + high + " <= ?)", []any{p.Low, p.High}
	case "gt":
		return high + " > ?", []any{p.High}
	case "lt":
		return low + " < ?", []any{p.Low}
	case "ge":
		return high + " > ?", []any{p.Low}
	case "le":
		return low + " < ?", []any{p.High}
	case "sa":
		return low + " >= ?", []any{p.High}
	case "eb":
		return high + " <= ?", []any{p.Low}
	case "ap":
		return low + " < ? AND " + high + " > ?", []any{p.High, p.Low}
	}
	return low + " >= ? AND " + high + " <= ?", []any{p.Low, p.High}
}

// numberCond compares a stored value with the query number: eq and ne use
// the range the query's precision implies (100 is [99.5, 100.5)).
func numberCond(p search.Pred) (string, []any) {
	switch p.Prefix {
	case "ne":
		return "NOT (i.value >= ? AND i.value < ?)", []any{p.NumLow, p.NumHigh}
	case "gt", "sa":
		return "i.value > ?", []any{p.Number}
	case "lt", "eb":
		return "i.value < ?", []any{p.Number}
	case "ge":
		return "i.value >= ?", []any{p.Number}
	case "le":
		return "i.value <= ?", []any{p.Number}
	case "ap":
		return "i.value >= ? AND i.value <= ?", []any{p.NumLow, p.NumHigh}
	}
	return "i.value >= ? AND i.value < ?", []any{p.NumLow, p.NumHigh}
}
