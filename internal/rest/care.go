package rest

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Legitimate relationship: a relationship-bound client (every client but
// one registered with the permission all-patients) sees a patient's record
// only when its organization cares for the patient, as the stored Patients,
// CareTeams, EpisodesOfCare and Tasks say (careSources). The relationships
// are kept in a table the store narrows searches by (search.Care), rewritten
// by every write of a source in the write's own transaction.

// careSources are, by source type, where the patient of a relationship is
// (""  for the source itself, a Patient) and where its organizations are:
// element paths without indexes, of references to Organization/{id}.
// Practitioners and PractitionerRoles are not resolved to their
// organizations yet.
var careSources = map[string]struct {
	patient string
	orgs    []string
}{
	"Patient":       {"", []string{"Patient.generalPractitioner"}},
	"CareTeam":      {"CareTeam.subject", []string{"CareTeam.participant.member", "CareTeam.participant.onBehalfOf", "CareTeam.managingOrganization"}},
	"EpisodeOfCare": {"EpisodeOfCare.patient", []string{"EpisodeOfCare.managingOrganization"}},
	"Task":          {"Task.for", []string{"Task.requester", "Task.owner"}},
}

var pathIndex = regexp.MustCompile(`\[\d+\]`)

// keepCare rewrites the relationships w's resource establishes, in tx.
func (s *Service) keepCare(ctx context.Context, tx store.Store, w Write) error {
	cr, kept := tx.(store.CareRelationships)
	if _, ok := careSources[w.Type]; !ok || !kept {
		return nil
	}
	var rels []store.CareRelationship
	if !w.Deleted() {
		rels = relationshipsOf(ctx, w.Type, w.ID, w.Next)
	}
	if len(rels) == 0 && w.Prev == nil {
		return nil // new (or deleted before, which cleared them): it has none to clear
	}
	return cr.SetCareRelationships(ctx, w.Type, w.ID, rels)
}

// relationshipsOf are the relationships doc, typ/id, establishes.
func relationshipsOf(ctx context.Context, typ, id string, doc *fhir.Document) []store.CareRelationship {
	src := careSources[typ]
	var patients, orgs []string
	if src.patient == "" {
		patients = []string{id}
	}
	for _, ref := range doc.References(baseOf(ctx)) {
		path := pathIndex.ReplaceAllString(ref.Path, "")
		switch {
		case ref.Type == "Patient" && path == src.patient:
			patients = append(patients, ref.ID)
		case ref.Type == "Organization" && slices.Contains(src.orgs, path):
			orgs = append(orgs, ref.Target())
		}
	}
	var rels []store.CareRelationship
	for _, p := range patients {
		for _, o := range orgs {
			rels = append(rels, store.CareRelationship{Organization: o, Patient: p})
		}
	}
	return rels
}

// rebuildCare derives every relationship again from the current resources
// (Reindex: after a load that bypassed the write path, or an upgrade from
// before relationships were kept), one transaction per batch.
func (s *Service) rebuildCare(ctx context.Context) error {
	if _, ok := s.store.(store.CareRelationships); !ok {
		return nil
	}
	const batch = 500
	for typ := range careSources {
		afterID := ""
		for {
			rs, err := s.store.Current(ctx, typ, afterID, batch)
			if err != nil {
				return err
			}
			n := 0
			err = s.store.InTx(ctx, func(tx store.Store) error {
				cr := tx.(store.CareRelationships)
				for _, r := range rs {
					if r.Type != typ {
						break
					}
					n++
					doc, err := fhir.ParseDocument(r.Body)
					if err != nil {
						return fmt.Errorf("rest.Reindex %s/%s: %w", r.Type, r.ID, err)
					}
					if err := cr.SetCareRelationships(ctx, typ, r.ID, relationshipsOf(ctx, typ, r.ID, doc)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n < batch {
				break
			}
			afterID = rs[n-1].ID
		}
	}
	return nil
}

// careOf is the narrowing the caller's searches get: nil for the server
// itself, an unrestricted caller and a client with all-patients.
func (s *Service) careOf(ctx context.Context) *search.Care {
	if !bound(ctx) {
		return nil
	}
	return &search.Care{Organization: auth.PrincipalFrom(ctx).Organization, Links: s.registry.Params().CareLinks()}
}

// CheckCare refuses (403) the caller access to typ/id when it is part of
// the record of a patient its organization has no care relationship with.
// A resource that does not exist passes (the interaction then says so); one
// whose current version is a deletion no longer names its patient, so only
// callers seeing every patient pass. Every write of an existing resource is
// checked in commit, whatever route it came by (conditional, in a
// transaction, by a hook).
func (s *Service) CheckCare(ctx context.Context, typ, id string) error {
	if !bound(ctx) {
		return nil // without allocating: the full-access read path stays free
	}
	return s.checkCare(ctx, s.store, typ, id)
}

// bound reports whether the caller is a relationship-bound client.
func bound(ctx context.Context) bool {
	p := auth.PrincipalFrom(ctx)
	return p.Kind == auth.Client && !p.AllPatients && !p.Unrestricted
}

func (s *Service) checkCare(ctx context.Context, st store.Store, typ, id string) error {
	if !bound(ctx) {
		return nil
	}
	care := s.careOf(ctx)
	if care == nil || (typ != "Patient" && len(care.Links[typ]) == 0) {
		return nil
	}
	q, err := s.registry.Params().Parse(typ, url.Values{"_id": {id}}, true)
	if err != nil {
		return err
	}
	q.Care, q.Count, q.Total = care, 1, "none"
	page, err := st.Search(ctx, q)
	if err != nil {
		return err
	}
	if len(page.Resources) > 0 {
		return nil
	}
	if _, err := st.Head(ctx, typ, id); fhirerr.Is(err, fhirerr.NotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return fhirerr.New(fhirerr.Forbidden, "forbidden", "", "%s/%s is part of the record of a patient %s has no care relationship with", typ, id, care.Organization)
}

// CheckCareHistory refuses (403) a relationship-bound caller the history
// of typ ("" for the whole server) when typ holds patients' records: a
// deleted version no longer names its patient, so such history cannot be
// narrowed as searches are, and is kept from them whole.
func (s *Service) CheckCareHistory(ctx context.Context, typ string) error {
	if !bound(ctx) || typ != "" && typ != "Patient" && len(s.registry.Params().CareLinks()[typ]) == 0 {
		return nil
	}
	what := "the server's history"
	if typ != "" {
		what = "the history of every " + typ
	}
	return fhirerr.New(fhirerr.Forbidden, "forbidden", "", "%s spans patients %s has no care relationship with; a client registered with all-patients may read it",
		what, auth.PrincipalFrom(ctx).Organization)
}
