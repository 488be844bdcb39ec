package rest

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Referential integrity on delete, as HAPI FHIR enforces it by default: a
// resource that current resources still refer to cannot be deleted (409),
// and the OperationOutcome lists who refers to it. What counts as a
// reference is what the search index holds (store.Store.Referrers): every
// reference a search parameter covers, unversioned. References no search
// parameter indexes do not block a delete (HAPI's rule too), and versioned
// references (a Provenance's target Task/1/_history/3) name a version that
// the deletion leaves in history, so they cannot dangle.

// maxReferrersListed bounds the referrers a refusal names; the rest are
// counted.
const maxReferrersListed = 20

// Referenced reports deletions that current resources still refer to.
type Referenced struct {
	Targets   []string         // Type/id of the resources being deleted
	Referrers []store.Referrer // the first maxReferrersListed, in (type, id) order
	Total     int              // all referrers
}

// checkReferrers refuses the deletion of targets while current resources
// in tx refer to them.
func (s *Service) checkReferrers(ctx context.Context, tx store.Store, targets []fhir.Ref) (*Referenced, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	refs, total, err := tx.Referrers(ctx, targets, baseOf(ctx), maxReferrersListed)
	if err != nil || total == 0 {
		return nil, err
	}
	out := &Referenced{Referrers: refs, Total: total}
	for _, t := range targets {
		out.Targets = append(out.Targets, t.Target())
	}
	return out, nil
}

// ReferencedIssues renders r as OperationOutcome issues: what cannot be deleted and
// why, one issue per listed referrer (entry, when not nil, gives the
// expression of the request that deleted a target: a transaction entry),
// and the count of those not listed.
func (s *Service) ReferencedIssues(r *Referenced, entry func(target string) string) []fhirerr.Issue {
	what := strings.Join(r.Targets, ", ")
	if len(r.Targets) > 3 {
		what = fmt.Sprintf("%d resources", len(r.Targets))
	}
	noun, them := "resource refers", "it"
	if r.Total > 1 {
		noun = "resources refer"
	}
	if len(r.Targets) > 1 {
		them = "them"
	}
	issues := []fhirerr.Issue{{Code: "conflict", Diagnostics: fmt.Sprintf(
		"Unable to delete %s: %d current %s to %s (referential integrity); delete or change the referring resources first",
		what, r.Total, noun, them)}}
	for _, ref := range r.Referrers {
		is := fhirerr.Issue{Code: "conflict", Diagnostics: fmt.Sprintf("%s/%s refers to %s%s",
			ref.Type, ref.ID, ref.Target, s.at(ref))}
		if entry != nil {
			is.Expression = entry(ref.Target)
		}
		issues = append(issues, is)
	}
	if more := r.Total - len(r.Referrers); more > 0 {
		issues = append(issues, fhirerr.Issue{Code: "conflict", Diagnostics: fmt.Sprintf("and %d more", more)})
	}
	return issues
}

// at names the element through which a referrer refers, from its search
// parameter's expression: " at Task.for (search parameter patient)".
func (s *Service) at(ref store.Referrer) string {
	p, ok := s.registry.Params().Lookup(ref.Type, ref.Param)
	if !ok {
		return " (search parameter " + ref.Param + ")"
	}
	var paths []string
	for _, e := range strings.Split(p.Expression, "|") {
		e = strings.TrimSpace(e)
		if !strings.HasPrefix(e, ref.Type+".") {
			continue
		}
		if i := strings.Index(e, ".where("); i > 0 {
			e = e[:i]
		}
		e = strings.TrimSuffix(strings.TrimPrefix(e, "("), ")")
		if i := strings.Index(e, " as "); i > 0 {
			e = e[:i]
		}
		paths = append(paths, e)
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return " (search parameter " + ref.Param + ")"
	}
	return " at " + strings.Join(paths, " or ") + " (search parameter " + ref.Param + ")"
}

// referencedError is the 409 of a refused delete.
func (s *Service) referencedError(r *Referenced) error {
	return fhirerr.WithIssues(fhirerr.Conflict, s.ReferencedIssues(r, nil))
}
