package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
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
	// A cursor from a previous link starts with '<': walk the order
	// backwards from it, then turn the rows round.
	cursor, backward := strings.CutPrefix(q.Cursor, "<")
	walk := keys
	if backward {
		if !reversible(keys) {
			return nil, fhirerr.Invalidf("", "_cursor %q does not belong to this search", q.Cursor)
		}
		walk = reversed(keys)
	}
	if cursor != "" {
		if err := b.after(walk, cursor); err != nil {
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
		if len(page.Resources) == q.Count {
			more = true
			break
		}
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
			page.Next = cursorOf(vals[n-1])
		}
		if reversible(keys) && ((backward && more) || (!backward && cursor != "")) {
			page.Prev = "<" + cursorOf(vals[0])
		}
	}
	if page.Total < 0 && firstPage && page.Next == "" && q.Total != "none" {
		page.Total = len(page.Resources) // the first page is everything: the count is free
	}
	return page, nil
}

// reversible reports keys that can be walked backwards: without nullable
// parameter keys, whose NULLs-last placement does not simply reverse.
func reversible(keys []sortKey) bool {
	for _, k := range keys {
		if k.nullable {
			return false
		}
	}
	return true
}

// reversed flips every key's direction.
func reversed(keys []sortKey) []sortKey {
	out := make([]sortKey, len(keys))
	for i, k := range keys {
		k.desc = !k.desc
		out[i] = k
	}
	return out
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

// normalise converts scanned sort values to the Go types of their keys
// (drivers return int64, float64, string or []byte variously).
func normalise(keys []sortKey, vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case nil:
		case []byte:
			out[i] = string(x)
		case int64:
			if keys[i].kind == 'f' {
				out[i] = float64(x)
			} else {
				out[i] = x
			}
		case float64:
			if keys[i].kind == 'i' {
				out[i] = int64(x)
			} else {
				out[i] = x
			}
		case int32:
			out[i] = int64(x)
		default:
			out[i] = x
		}
	}
	return out
}

// sortKey is one ORDER BY key: a column of r, or for a parameter the
// lowest (ascending) or highest (descending) of the resource's values.
type sortKey struct {
	expr     string // SQL over r
	args     []any  // arguments of expr
	desc     bool
	nullable bool // parameter keys: resources without a value sort last
	kind     byte // cursor encoding: 'i' int64, 'f' float64, 's' string
}

// sortValue is what a parameter key sorts by, per type and direction.
var sortValue = map[string][2]string{ // type → {ascending, descending} expression over index row i
	"string": {"MIN(i.value)", "MAX(i.value)"}, "token": {"MIN(i.code)", "MAX(i.code)"},
	"date": {"MIN(i.low)", "MAX(i.high)"}, "number": {"MIN(i.value)", "MAX(i.value)"},
	"quantity": {"MIN(i.value)", "MAX(i.value)"}, "uri": {"MIN(i.uri)", "MAX(i.uri)"},
}

// sortKeys turns _sort into keys, by id by default, always ending
// with the id (after the type, across types) so the order is total and
// keyset paging exact.
func sortKeys(sort []search.SortKey, acrossTypes bool) []sortKey {
	lastUpdated := func(desc bool) sortKey { return sortKey{expr: "r.last_updated", desc: desc, kind: 'i'} }
	id := func(desc bool) sortKey { return sortKey{expr: "r.id", desc: desc, kind: 's'} }
	typ := func(desc bool) sortKey { return sortKey{expr: "r.type", desc: desc, kind: 's'} }
	if len(sort) == 0 {
		// By default, the id: it never changes, so a walk through the pages
		// sees every resource that existed when it began exactly once, however
		// others write meanwhile. (A resource updated mid-walk could jump
		// behind the cursor of a _lastUpdated order.)
		sort = []search.SortKey{{Param: "_id"}}
	}
	var keys []sortKey
	hasID := false
	for _, k := range sort {
		switch k.Param {
		case "_lastUpdated":
			keys = append(keys, lastUpdated(k.Desc))
		case "_id":
			hasID = true
			if acrossTypes {
				keys = append(keys, typ(k.Desc))
			}
			keys = append(keys, id(k.Desc))
		default:
			agg := sortValue[k.Type][0]
			if k.Desc {
				agg = sortValue[k.Type][1]
			}
			kind := byte('s')
			switch k.Type {
			case "date":
				kind = 'i'
			case "number", "quantity":
				kind = 'f'
			}
			keys = append(keys, sortKey{
				expr: "(SELECT " + agg + " FROM " + tableOf[k.Type] + " i WHERE i.res_type = r.type AND i.res_id = r.id AND i.param = ?)",
				args: []any{k.Param}, desc: k.Desc, nullable: true, kind: kind})
		}
	}
	if !hasID {
		last := keys[len(keys)-1].desc
		if acrossTypes {
			keys = append(keys, typ(last))
		}
		keys = append(keys, id(last))
	}
	return keys
}

// orderBy renders the keys as an ORDER BY list and its arguments.
func orderBy(keys []sortKey) (string, []any) {
	parts := make([]string, len(keys))
	var args []any
	for i, k := range keys {
		parts[i] = k.expr + map[bool]string{true: " DESC", false: " ASC"}[k.desc]
		if k.nullable {
			parts[i] += " NULLS LAST"
		}
		args = append(args, k.args...)
	}
	return strings.Join(parts, ", "), args
}

// cursorOf encodes the sort-key values of the last row of a page. Each value
// is typed and base64url-encoded, so any string (or NULL) survives.
func cursorOf(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
			parts[i] = "n"
		case int64:
			parts[i] = "i" + strconv.FormatInt(v, 10)
		case float64:
			parts[i] = "f" + strconv.FormatFloat(v, 'g', -1, 64)
		case string:
			parts[i] = "s" + base64.RawURLEncoding.EncodeToString([]byte(v))
		default:
			parts[i] = "s" + base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprint(v)))
		}
	}
	return strings.Join(parts, ".")
}

func parseCursor(keys []sortKey, cursor string) ([]any, error) {
	bad := fhirerr.Invalidf("", "_cursor %q does not belong to this search", cursor)
	parts := strings.Split(cursor, ".")
	if len(parts) != len(keys) {
		return nil, bad
	}
	vals := make([]any, len(keys))
	for i, p := range parts {
		if p == "" || (p[0] != 'n' && p[0] != keys[i].kind) {
			return nil, bad
		}
		var err error
		switch p[0] {
		case 'n':
			if !keys[i].nullable {
				return nil, bad
			}
		case 'i':
			vals[i], err = strconv.ParseInt(p[1:], 10, 64)
		case 'f':
			vals[i], err = strconv.ParseFloat(p[1:], 64)
		case 's':
			var b []byte
			b, err = base64.RawURLEncoding.DecodeString(p[1:])
			vals[i] = string(b)
		}
		if err != nil {
			return nil, bad
		}
	}
	return vals, nil
}

// after restricts the query to rows after the cursor in the sort order:
// (k1 after v1) OR (k1 = v1 AND k2 after v2) OR ..., where NULLs sort last.
func (b *sqlBuilder) after(keys []sortKey, cursor string) error {
	vals, err := parseCursor(keys, cursor)
	if err != nil {
		return err
	}
	var ors []string
	var args []any
	for i := range keys {
		var ands []string
		var a []any
		for j := 0; j < i; j++ {
			if vals[j] == nil {
				ands = append(ands, keys[j].expr+" IS NULL")
				a = append(a, keys[j].args...)
			} else {
				ands = append(ands, keys[j].expr+" = ?")
				a = append(append(a, keys[j].args...), vals[j])
			}
		}
		k := keys[i]
		switch {
		case vals[i] == nil:
			continue // nothing sorts after NULL in this key
		case k.nullable:
			op := map[bool]string{true: " < ?", false: " > ?"}[k.desc]
			ands = append(ands, "("+k.expr+op+" OR "+k.expr+" IS NULL)")
			a = append(append(append(a, k.args...), vals[i]), k.args...)
		default:
			ands = append(ands, k.expr+map[bool]string{true: " < ?", false: " > ?"}[k.desc])
			a = append(append(a, k.args...), vals[i])
		}
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
		args = append(args, a...)
	}
	if len(ors) == 0 {
		b.add("1 = 0")
		return nil
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
	return "(" + strings.Join(ors, " OR ") + ")", args, nil
}

// alias returns a fresh table alias for a nested level.
func (b *sqlBuilder) alias() string {
	b.aliases++
	return "t" + strconv.Itoa(b.aliases)
}

// pred is the condition one value puts on an index row i.
func (b *sqlBuilder) pred(c search.Clause, p search.Pred) (string, []any) {
	return b.predOn("i", c, p)
}

// predOn is pred on an index row under another alias.
func (b *sqlBuilder) predOn(i string, c search.Clause, p search.Pred) (string, []any) {
	switch c.Type {
	case "string":
		switch c.Modifier {
		case "exact":
			return i + ".exact = ?", []any{p.Text}
		case "contains":
			return i + `.value LIKE ? ESCAPE '\'`, []any{"%" + escapeLike(p.Text) + "%"}
		}
		return b.prefix(i+".value", p.Text)
	case "token":
		switch {
		case c.Modifier == "text":
			return b.prefix(i+".text", p.Text)
		case !p.HasSystem:
			return i + ".code = ?", []any{p.Code}
		case p.Code == "":
			return i + ".system = ?", []any{p.System}
		default:
			return i + ".code = ? AND " + i + ".system = ?", []any{p.Code, p.System}
		}
	case "reference":
		switch {
		case p.URL != "":
			return i + ".url = ?", []any{p.URL}
		case p.RefType != "":
			return i + ".target_id = ? AND " + i + ".target_type = ?", []any{p.RefID, p.RefType}
		default:
			return i + ".target_id = ?", []any{p.RefID}
		}
	case "date":
		return dateCond(i+".low", i+".high", p)
	case "number", "quantity":
		cond, args := numberCond(i, p)
		if p.Code != "" {
			cond += " AND " + i + ".code = ?"
			args = append(args, p.Code)
		}
		if p.HasSystem {
			cond += " AND " + i + ".system = ?"
			args = append(args, p.System)
		}
		return cond, args
	case "uri":
		switch c.Modifier {
		case "below":
			return b.prefix(i+".uri", p.Text)
		case "above":
			return "substr(?, 1, length(" + i + ".uri)) = " + i + ".uri", []any{p.Text}
		}
		return i + ".uri = ?", []any{p.Text}
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
func numberCond(i string, p search.Pred) (string, []any) {
	switch p.Prefix {
	case "ne":
		return "NOT (" + i + ".value >= ? AND " + i + ".value < ?)", []any{p.NumLow, p.NumHigh}
	case "gt", "sa":
		return i + ".value > ?", []any{p.Number}
	case "lt", "eb":
		return i + ".value < ?", []any{p.Number}
	case "ge":
		return i + ".value >= ?", []any{p.Number}
	case "le":
		return i + ".value <= ?", []any{p.Number}
	case "ap":
		return i + ".value >= ? AND " + i + ".value <= ?", []any{p.NumLow, p.NumHigh}
	}
	return i + ".value >= ? AND " + i + ".value < ?", []any{p.NumLow, p.NumHigh}
}
