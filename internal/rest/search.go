package rest

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/authz"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// Search runs a search-type interaction: values are the request's
// parameters; strict refuses unknown parameters (Prefer: handling=strict)
// instead of ignoring them.
func (s *Service) Search(ctx context.Context, typ string, values url.Values, strict bool) (*search.Query, *store.SearchPage, error) {
	return s.search(ctx, typ, values, strict, nil)
}

// CompartmentSearch searches typ within a Patient's compartment
// (GET /Patient/{id}/{type}); only the Patient compartment is defined.
func (s *Service) CompartmentSearch(ctx context.Context, compType, compID, typ string, values url.Values, strict bool) (*search.Query, *store.SearchPage, error) {
	if compType != "Patient" {
		return nil, nil, fhirerr.New(fhirerr.NotFound, "not-supported", "", "only the Patient compartment is supported, not %s", compType)
	}
	if err := checkID(compType, compID); err != nil {
		return nil, nil, err
	}
	params := s.registry.Params().PatientCompartment(typ)
	if len(params) == 0 {
		if _, err := s.Type(typ); err != nil {
			return nil, nil, err
		}
		return nil, nil, fhirerr.New(fhirerr.NotFound, "not-found", "", "%s resources are not in the Patient compartment", typ)
	}
	return s.search(ctx, typ, values, strict, &search.Compartment{Type: compType, ID: compID, Params: params})
}

// SystemSearch searches across types (GET [base]?_type=...) with the
// parameters common to all resources; no _type means every served type.
func (s *Service) SystemSearch(ctx context.Context, values url.Values, strict bool) (*search.Query, *store.SearchPage, error) {
	return s.search(ctx, "", values, strict, nil)
}

func (s *Service) search(ctx context.Context, typ string, values url.Values, strict bool, comp *search.Compartment) (*search.Query, *store.SearchPage, error) {
	q, err := s.query(ctx, typ, values, strict)
	if err != nil {
		return nil, nil, err
	}
	q.Compartment = comp
	page, err := s.store.Search(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	if err := s.include(ctx, q, page); err != nil {
		return nil, nil, err
	}
	return q, page, nil
}

// query parses a search of typ ("" for all types) into a store query,
// narrowed to what the caller may see (so a conditional write's match is
// too: what it cannot see it cannot change, nor learn of by a conditional
// create).
func (s *Service) query(ctx context.Context, typ string, values url.Values, strict bool) (*search.Query, error) {
	if typ != "" {
		if err := s.supported(typ, registry.SearchType); err != nil {
			return nil, err
		}
	}
	q, err := s.registry.Params().Parse(typ, values, strict)
	if err != nil {
		return nil, err
	}
	q.Care = s.careOf(ctx)
	if typ == "" {
		if len(q.Types) == 0 {
			for _, name := range s.registry.Names() {
				if t, _ := s.registry.Lookup(name); t.Supports(registry.SearchType) {
					q.Types = append(q.Types, name)
				}
			}
		}
		for _, t := range q.Types {
			if err := s.supported(t, registry.SearchType); err != nil {
				return nil, err
			}
		}
	}
	if err := q.CheckCost(); err != nil {
		return nil, err
	}
	q.MaxBytes = search.MaxPageBytes
	// References to this server given as absolute URLs match local targets.
	base := baseOf(ctx)
	for i := range q.Clauses {
		for j, p := range q.Clauses[i].Preds {
			if p.URL != "" && base != "" && strings.HasPrefix(p.URL, base+"/") {
				q.Clauses[i].Preds[j].URL = ""
			}
		}
	}
	return q, nil
}

// maxIncludeRounds bounds :iterate, so reference cycles end.
const maxIncludeRounds = 4

// include follows q's _include and _revinclude from the matches (and, for
// :iterate, from what they brought in), each resource once. It stops at
// search.MaxIncluded resources, or when their bodies would take the page
// past search.MaxPageBytes, and then says so in the page's warnings.
func (s *Service) include(ctx context.Context, q *search.Query, page *store.SearchPage) error {
	if len(q.Includes)+len(q.RevIncludes) == 0 {
		return nil
	}
	p := auth.PrincipalFrom(ctx)
	readable := &includable{p: p, full: authz.Full(p, scope.Read)}
	seen := map[string]bool{}
	bytes := 0
	for _, r := range page.Resources {
		seen[r.Type+"/"+r.ID] = true
		bytes += len(r.Body)
	}
	var included []*fhir.Resource
	full := false
	frontier := page.Resources
	for round := 0; round < maxIncludeRounds && len(frontier) > 0 && !full; round++ {
		byType := map[string][]string{}
		for _, r := range frontier {
			byType[r.Type] = append(byType[r.Type], r.ID)
		}
		var next []*fhir.Resource
		// add keeps what is new, until the page is full. A step that
		// returned all it was asked for may have had more (and its rows
		// repeat a resource that refers through two parameters), so it
		// fills the page too.
		add := func(rs []*fhir.Resource, asked int) {
			if len(rs) >= asked {
				defer func() { full = true }()
			}
			for _, r := range rs {
				key := r.Type + "/" + r.ID
				switch {
				case seen[key]:
				case len(included)+len(next) >= search.MaxIncluded, bytes+len(r.Body) > search.MaxPageBytes:
					full = true
					return
				default:
					seen[key] = true
					bytes += len(r.Body)
					next = append(next, r)
				}
			}
		}
		// Each step asks for one more than the room left.
		room := func() int { return search.MaxIncluded - len(included) - len(next) + 1 }
		for _, inc := range q.Includes {
			if round > 0 && !inc.Iterate {
				continue
			}
			for typ, ids := range byType {
				if full || inc.Source != "" && inc.Source != typ {
					continue
				}
				for _, target := range readable.targets(inc.Target, s.includeTargets(typ, inc.Param)) {
					if full {
						break
					}
					asked := room()
					rs, err := s.store.Referenced(ctx, typ, ids, inc.Param, target, asked, q.Care)
					if err != nil {
						return err
					}
					add(rs, asked)
				}
			}
		}
		for _, inc := range q.RevIncludes {
			if round > 0 && !inc.Iterate {
				continue
			}
			for typ, ids := range byType {
				if full || inc.Target != "" && inc.Target != typ {
					continue
				}
				source := inc.Source
				if source == "" {
					source = "*"
				}
				for _, src := range readable.targets(source, s.registry.Names()) {
					if full {
						break
					}
					asked := room()
					rs, err := s.store.Referencing(ctx, src, inc.Param, typ, ids, asked, q.Care)
					if err != nil {
						return err
					}
					add(rs, asked)
				}
			}
		}
		sort.Slice(next, func(i, j int) bool { return next[i].Type+"/"+next[i].ID < next[j].Type+"/"+next[j].ID })
		included = append(included, next...)
		frontier = next
	}
	page.Included = included
	if full {
		page.Warnings = append(page.Warnings, fmt.Sprintf("_include and _revinclude were cut short at %d resources: "+
			"a page includes at most %d resources (the limit MaxIncluded) and %d bytes (the limit MaxPageBytes); "+
			"ask for fewer matches per page (_count) to get all of them", len(included), search.MaxIncluded, search.MaxPageBytes))
	}
	return nil
}

// includable narrows _include and _revinclude to the types the caller may
// read, unrestricted: the others are never fetched (a granular scope's
// restriction is not applied to included resources, so they are left out
// too).
type includable struct {
	p    auth.Principal
	full bool      // the caller may read every type: no narrowing
	one  [1]string // what targets returns then, without allocating
}

// targets are the types one include step may fetch: want itself ("" or
// "*" for any type) when the caller may read every type, else the readable
// ones of want, or of candidates when want is any type. None means the
// step is skipped.
func (in *includable) targets(want string, candidates []string) []string {
	anyType := want == "" || want == "*"
	switch {
	case in.full, !anyType && in.p.Allows(want, scope.Read):
		in.one[0] = want
		return in.one[:]
	case !anyType:
		return nil
	}
	var out []string
	for _, t := range candidates {
		if in.p.Allows(t, scope.Read) {
			out = append(out, t)
		}
	}
	return out
}

// includeTargets are the types param of typ may refer to: every served
// type for "*" or a parameter that names none.
func (s *Service) includeTargets(typ, param string) []string {
	if p, ok := s.registry.Params().Lookup(typ, param); ok && param != "*" && len(p.Target) > 0 {
		return p.Target
	}
	return s.registry.Names()
}

// Reindex rebuilds the search index of every current resource from its
// stored JSON, batch by batch (run it after search definitions change).
// progress, when not nil, is told the running count after each batch.
// The care relationships are derived again too (see rebuildCare).
//
// One goroutine walks the resources and computes their index while
// reindexWorkers write earlier batches, each in its own transaction, so the
// database's round trips and flushes overlap the parsing and each other:
// written one after the other, a reindex ran at a few hundred resources a
// second; so, above 2,000 on PostgreSQL (README, Operating it). SQLite
// takes one writer at a time, so there the workers queue.
func (s *Service) Reindex(ctx context.Context, progress func(done int)) (int, error) {
	const batch, reindexWorkers = 500, 4
	outer := ctx // the group's ends with Wait
	g, ctx := errgroup.WithContext(ctx)
	batches := make(chan []store.Indexed, reindexWorkers)
	g.Go(func() error {
		defer close(batches)
		afterType, afterID := "", ""
		for {
			rs, err := s.store.Current(ctx, afterType, afterID, batch)
			if err != nil {
				return err
			}
			if len(rs) == 0 {
				return nil
			}
			indexed := make([]store.Indexed, len(rs))
			for i, r := range rs {
				doc, err := fhir.ParseDocument(r.Body)
				if err != nil {
					return fmt.Errorf("rest.Reindex %s/%s: %w", r.Type, r.ID, err)
				}
				indexed[i] = store.Indexed{Type: r.Type, ID: r.ID, Index: s.registry.Params().Index(r.Type, doc.Tree())}
			}
			select {
			case batches <- indexed:
			case <-ctx.Done():
				return ctx.Err()
			}
			if len(rs) < batch {
				return nil
			}
			afterType, afterID = rs[len(rs)-1].Type, rs[len(rs)-1].ID
		}
	})
	var mu sync.Mutex
	done := 0
	for range reindexWorkers {
		g.Go(func() error {
			for b := range batches {
				if err := reindexBatch(ctx, s.store, b); err != nil {
					return err
				}
				mu.Lock()
				done += len(b)
				if progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return done, err
	}
	return done, s.rebuildCare(outer)
}

// reindexBatch writes a batch's indexes in one transaction: a commit per
// resource made the database's flushes, not the indexing, the cost of a
// reindex. A store that can write them all at once does.
func reindexBatch(ctx context.Context, st store.Store, batch []store.Indexed) error {
	if b, ok := st.(store.BatchReindexer); ok {
		return b.ReindexBatch(ctx, batch)
	}
	return st.InTx(ctx, func(tx store.Store) error {
		for _, r := range batch {
			if err := tx.Reindex(ctx, r.Type, r.ID, r.Index); err != nil {
				return err
			}
		}
		return nil
	})
}
