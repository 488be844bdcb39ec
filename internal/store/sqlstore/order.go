package sqlstore

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
)

// sortKey is one ORDER BY key: a column of r, or for a parameter the
// lowest (ascending) or highest (descending) of the resource's values.
type sortKey struct {
	expr       string // SQL over r
	args       []any  // arguments of expr
	desc       bool
	nullable   bool // parameter keys: resources without a value sort last...
	nullsFirst bool // ...or, walking backwards, first
	kind       byte // cursor encoding: 'i' int64, 'f' float64, 's' string
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
		switch {
		case k.nullsFirst:
			parts[i] += " NULLS FIRST"
		case k.nullable:
			parts[i] += " NULLS LAST"
		}
		args = append(args, k.args...)
	}
	return strings.Join(parts, ", "), args
}

// fingerprint names the order a cursor walks (the type searched, the keys
// and their directions, forwards), so that a cursor from a search of
// another type or order is refused rather than read as a position it is
// not.
func fingerprint(typ string, keys []sortKey) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s;", typ)
	for _, k := range keys {
		fmt.Fprintf(h, "%s %v %t;", k.expr, k.args, k.desc)
	}
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

// cursorOf encodes the sort-key values of the last row of a page, after the
// order's fingerprint. Each value is typed and base64url-encoded, so any
// string (or NULL) survives.
func cursorOf(fp string, vals []any) string {
	parts := make([]string, len(vals)+1)
	parts[0] = "k" + fp
	for i, v := range vals {
		i := i + 1
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

// parseCursor reads a cursor for keys, refusing anything cursorOf did not
// make for the order fp: a tampered cursor is a 400, never a value the
// database chokes on (broken UTF-8, NUL and NaN are what PostgreSQL and
// SQLite would treat differently, or fail on).
func parseCursor(keys []sortKey, fp, cursor string) ([]any, error) {
	bad := fhirerr.Invalidf("", "_cursor %s does not belong to this search: follow the next or previous link as given", quoteCursor(cursor))
	parts := strings.Split(cursor, ".")
	if len(parts) != len(keys)+1 || parts[0] != "k"+fp {
		return nil, bad
	}
	parts = parts[1:]
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
			var f float64
			f, err = strconv.ParseFloat(p[1:], 64)
			if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
				return nil, bad
			}
			vals[i] = f
		case 's':
			var b []byte
			b, err = base64.RawURLEncoding.DecodeString(p[1:])
			if err == nil && (!utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0) {
				return nil, bad
			}
			vals[i] = string(b)
		default:
			return nil, bad
		}
		if err != nil {
			return nil, bad
		}
	}
	return vals, nil
}

// after restricts the query to rows after the cursor in the sort order:
// (k1 after v1) OR (k1 = v1 AND k2 after v2) OR ..., with NULLs placed last
// (or first, for a backward walk).
func (b *sqlBuilder) after(keys []sortKey, fp, cursor string) error {
	vals, err := parseCursor(keys, fp, cursor)
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
		case vals[i] == nil && k.nullsFirst:
			ands = append(ands, k.expr+" IS NOT NULL") // every value comes after the NULLs
			a = append(a, k.args...)
		case vals[i] == nil:
			continue // nothing sorts after NULL in this key
		case k.nullsFirst:
			ands = append(ands, k.expr+map[bool]string{true: " < ?", false: " > ?"}[k.desc])
			a = append(append(a, k.args...), vals[i])
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
	b.add(anyOf(ors), args...)
	return nil
}

// reversed flips every key's direction, and puts NULLs first.
func reversed(keys []sortKey) []sortKey {
	out := make([]sortKey, len(keys))
	for i, k := range keys {
		k.desc = !k.desc
		k.nullsFirst = k.nullable
		out[i] = k
	}
	return out
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

// quoteCursor renders a cursor for a message: quoted, and cut short.
func quoteCursor(c string) string {
	if len(c) > 60 {
		return strconv.QuoteToASCII(c[:60]) + "…"
	}
	return strconv.QuoteToASCII(c)
}
