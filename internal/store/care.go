package store

import "context"

// CareRelationships is an optional capability of a Store (found by type
// assertion): which organizations care for which patients, derived from
// the stored resources that say so and kept in their writes' transactions.
// A search whose Query carries Care is narrowed by it.
type CareRelationships interface {
	// SetCareRelationships replaces the relationships sourceType/sourceID
	// establishes with rels (none: it establishes none, as when deleted).
	SetCareRelationships(ctx context.Context, sourceType, sourceID string, rels []CareRelationship) error

	// CareRelationships lists the relationships of organization, in
	// (patient, source) order.
	CareRelationships(ctx context.Context, organization string) ([]CareRelationship, error)
}

// CareRelationship says that Organization (Organization/{id}) cares for
// the Patient with id Patient, because the resource Source says so.
type CareRelationship struct {
	Organization, Patient string
	SourceType, SourceID  string
}
