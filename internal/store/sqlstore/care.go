package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

var _ store.CareRelationships = (*Store)(nil)

// SetCareRelationships replaces the rows sourceType/sourceID establishes.
func (s *Store) SetCareRelationships(ctx context.Context, sourceType, sourceID string, rels []store.CareRelationship) (err error) {
	defer s.edge(ctx, &err)
	if _, err := s.exec(ctx, "DELETE FROM care_relationships WHERE source_type = ? AND source_id = ?", sourceType, sourceID); err != nil {
		return fmt.Errorf("sqlstore.SetCareRelationships %s/%s: %w", sourceType, sourceID, err)
	}
	seen := map[store.CareRelationship]bool{}
	for _, r := range rels {
		r.SourceType, r.SourceID = sourceType, sourceID
		if seen[r] {
			continue
		}
		seen[r] = true
		if _, err := s.exec(ctx, "INSERT INTO care_relationships (organization, patient_id, source_type, source_id) VALUES (?, ?, ?, ?)",
			r.Organization, r.Patient, sourceType, sourceID); err != nil {
			return fmt.Errorf("sqlstore.SetCareRelationships %s/%s: %w", sourceType, sourceID, err)
		}
	}
	return nil
}

// CareRelationships lists organization's relationships.
func (s *Store) CareRelationships(ctx context.Context, organization string) (_ []store.CareRelationship, err error) {
	defer s.edge(ctx, &err)
	rows, err := s.conn(ctx).Raw(`SELECT patient_id, source_type, source_id FROM care_relationships
		WHERE organization = ? ORDER BY patient_id, source_type, source_id`, organization).Rows()
	if err != nil {
		return nil, fmt.Errorf("sqlstore.CareRelationships: %w", err)
	}
	defer rows.Close()
	var out []store.CareRelationship
	for rows.Next() {
		r := store.CareRelationship{Organization: organization}
		if err := rows.Scan(&r.Patient, &r.SourceType, &r.SourceID); err != nil {
			return nil, fmt.Errorf("sqlstore.CareRelationships: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// careCond is the predicate on the resources row alias, of type typ, that
// c permits; "" when c does not narrow typ.
func careCond(c *search.Care, alias, typ string) (string, []any) {
	const cared = "SELECT c.patient_id FROM care_relationships c WHERE c.organization = ?"
	if typ == "Patient" {
		return alias + ".id IN (" + cared + ")", []any{c.Organization}
	}
	params := c.Links[typ]
	if len(params) == 0 {
		return "", nil
	}
	links := "FROM idx_reference l WHERE l.res_type = ? AND l.res_id = " + alias + ".id AND l.param IN (" +
		placeholders(len(params)) + ") AND l.target_type = 'Patient'"
	args := append([]any{typ}, strings2any(params)...)
	if typ == "Provenance" {
		// A Provenance names its patient only when it targets the Patient
		// itself; one about a CarePlan names none, yet says who changed a
		// patient's record. Until it is linked through its targets, a
		// relationship-bound caller sees only those naming its patients.
		return "EXISTS (SELECT 1 " + links + " AND l.target_id IN (" + cared + "))", append(args, c.Organization)
	}
	cond := "(NOT EXISTS (SELECT 1 " + links + ") OR EXISTS (SELECT 1 " + links + " AND l.target_id IN (" + cared + ")))"
	return cond, append(append(args, args...), c.Organization)
}

// andCare ANDs to q what care permits of the resources r it selects, of
// type typ ("" or "*": any type).
func andCare(q string, args []any, care *search.Care, typ string) (string, []any) {
	if care == nil {
		return q, args
	}
	if typ != "" && typ != "*" {
		if cond, a := careCond(care, "r", typ); cond != "" {
			return q + " AND " + cond, append(args, a...)
		}
		return q, args
	}
	// Any type: each narrowed type on its rows, the others as they are.
	types := []string{"Patient"}
	for t := range care.Links {
		types = append(types, t)
	}
	slices.Sort(types)
	ors := []string{"r.type NOT IN (" + placeholders(len(types)) + ")"}
	args = append(args, strings2any(types)...)
	for _, t := range types {
		cond, a := careCond(care, "r", t)
		ors = append(ors, "(r.type = ? AND "+cond+")")
		args = append(append(args, t), a...)
	}
	return q + " AND " + anyOf(ors), args
}
