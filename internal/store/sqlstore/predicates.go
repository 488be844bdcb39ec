package sqlstore

import "github.com/sharedcare/sharedcare/internal/search"

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
			return i + `.value LIKE ? ESCAPE '\'`, []any{"%" + escapeLike(indexed(p.Text)) + "%"}
		}
		return b.prefix(i+".value", indexed(p.Text))
	case "token":
		switch {
		case c.Modifier == "text":
			return b.prefix(i+".text", p.Text)
		case !p.HasSystem:
			return i + ".code = ?", []any{indexed(p.Code)}
		case p.Code == "":
			return i + ".system = ?", []any{indexed(p.System)}
		default:
			return i + ".code = ? AND " + i + ".system = ?", []any{indexed(p.Code), indexed(p.System)}
		}
	case "reference":
		switch {
		case p.URL != "":
			return i + ".url = ?", []any{p.URL}
		case p.RefType != "":
			return i + ".target_id = ? AND " + i + ".target_type = ?", []any{indexed(p.RefID), indexed(p.RefType)}
		default:
			return i + ".target_id = ?", []any{indexed(p.RefID)}
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
			return b.prefix(i+".uri", indexed(p.Text))
		case "above":
			return "substr(?, 1, length(" + i + ".uri)) = " + i + ".uri", []any{p.Text}
		}
		return i + ".uri = ?", []any{indexed(p.Text)}
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
