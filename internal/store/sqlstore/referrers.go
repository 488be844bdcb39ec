package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Referrers lists the current resources whose indexed, unversioned
// references point at one of targets: one grouped query over the
// idx_reference_target index, counting every referrer (window count over
// the groups) while returning the first limit.
func (s *Store) Referrers(ctx context.Context, targets []fhir.Ref, base string, limit int) (_ []store.Referrer, _ int, err error) {
	defer s.edge(ctx, &err)
	if len(targets) == 0 {
		return nil, 0, nil
	}
	var pairs, urls strings.Builder
	var pairArgs, urlArgs []any
	seen := map[string]bool{}
	for _, t := range targets {
		if seen[t.Target()] {
			continue
		}
		seen[t.Target()] = true
		if len(pairArgs) > 0 {
			pairs.WriteString(", ")
		}
		pairs.WriteString("(?, ?)")
		pairArgs = append(pairArgs, t.Type, t.ID)
		if base != "" {
			if len(urlArgs) > 0 {
				urls.WriteString(", ")
			}
			urls.WriteString("?")
			urlArgs = append(urlArgs, strings.TrimSuffix(base, "/")+"/"+t.Target())
		}
	}
	local := "i.url = ''" // relative and unversioned; versioned ones keep their text in url
	if len(urlArgs) > 0 {
		local = "(i.url = '' OR i.url IN (" + urls.String() + "))"
	}
	q := `SELECT i.res_type, i.res_id, MIN(i.param), MIN(i.target_type || '/' || i.target_id), COUNT(*) OVER ()
		FROM idx_reference i
		WHERE (i.target_type, i.target_id) IN (` + pairs.String() + `) AND ` + local + `
			AND NOT (i.res_type = i.target_type AND i.res_id = i.target_id)
			AND EXISTS (SELECT 1 FROM resources r WHERE r.type = i.res_type AND r.id = i.res_id AND r.deleted = ?)
		GROUP BY i.res_type, i.res_id
		ORDER BY i.res_type, i.res_id
		LIMIT ?`
	args := append(append(pairArgs, urlArgs...), false, max(limit, 1))
	rows, err := s.conn(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore.Referrers: %w", err)
	}
	defer rows.Close()
	var out []store.Referrer
	total := 0
	for rows.Next() {
		var r store.Referrer
		if err := rows.Scan(&r.Type, &r.ID, &r.Param, &r.Target, &total); err != nil {
			return nil, 0, fmt.Errorf("sqlstore.Referrers: %w", err)
		}
		if len(out) < limit {
			out = append(out, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlstore.Referrers: %w", err)
	}
	return out, total, nil
}
