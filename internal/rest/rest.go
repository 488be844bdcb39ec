// Package rest implements the FHIR RESTful interactions (create, read, vread,
// update, delete, history) over a store.Store and the registry, without
// knowing anything of HTTP. The router (internal/router) calls it for single
// requests and for each batch or transaction entry. Every write passes one
// commit path (commit.go), where hooks and observers see it.
package rest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/authz"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// Service carries out interactions. It is safe for concurrent use.
type Service struct {
	*shared
	store store.Store
	// inTx marks a Service bound to one transaction (see InTx): writes
	// join it instead of opening their own, and are not retried alone.
	inTx bool
	// deferred, when not nil, collects local references and deletions to
	// check once the whole transaction is written (see DeferReferenceChecks).
	deferred *deferredChecks
	// log, in a Service bound to a transaction, holds what it wrote, for
	// the transaction observers (see ObserveTx).
	log *txLog
}

// shared is what a Service and every Service bound to one of its
// transactions have in common. They share it by pointer, so nothing
// registered on the server's Service (a hook, an observer, protected
// content) can be missing from a transaction's.
type shared struct {
	registry *registry.Registry
	now      func() time.Time
	hooks    map[string][]Hook // by resource type
	// observers see every write of every type (see Observe); txObservers
	// every transaction's writes together (see ObserveTx).
	observers   []Observer
	txObservers []TxObserver
	// modifiers are the modifierExtension urls the server knows (see
	// AllowModifierExtensions).
	modifiers map[string]bool
	// protected are the resources only the server's own start-up writes may
	// change (see Protect), by Type/id.
	protected map[string]string
}

// deferredChecks are the checks a transaction makes once all its entries
// are written.
type deferredChecks struct {
	refs    []Unresolved // local references, whose targets must exist
	deleted []fhir.Ref   // deletions, which nothing current may refer to
}

// newService is the one place a Service is made: over st, sharing sh.
func newService(sh *shared, st store.Store, inTx bool) *Service {
	return &Service{shared: sh, store: st, inTx: inTx}
}

// child is a Service like s working in tx, within a transaction.
func (s *Service) child(tx store.Store) *Service {
	c := newService(s.shared, tx, true)
	c.log = &txLog{}
	return c
}

// New returns a Service over st for the types in reg.
func New(st store.Store, reg *registry.Registry) *Service {
	return newService(&shared{registry: reg, now: fhir.Now}, st, false)
}

type baseKey struct{}

// WithBase records the FHIR base URL (no trailing slash) the request was made
// to, so absolute references to this server are recognised as local.
func WithBase(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseKey{}, strings.TrimSuffix(base, "/"))
}

// Base is the FHIR base URL recorded by WithBase, "" when none.
func Base(ctx context.Context) string {
	b, _ := ctx.Value(baseKey{}).(string)
	return b
}

func baseOf(ctx context.Context) string { return Base(ctx) }

// Type returns the served type name, or a 404 saying it is not supported.
func (s *Service) Type(name string) (*registry.Type, error) {
	t, ok := s.registry.Lookup(name)
	if !ok {
		return nil, fhirerr.New(fhirerr.NotFound, "not-supported", "",
			"resource type %q is not supported by this server", name)
	}
	return t, nil
}

// supported checks the type exists and offers the interaction.
func (s *Service) supported(typ, interaction string) error {
	t, err := s.Type(typ)
	if err != nil {
		return err
	}
	if !t.Supports(interaction) {
		return fhirerr.New(fhirerr.MethodNotAllowed, "not-supported", "",
			"%s does not support the %s interaction", typ, interaction)
	}
	return nil
}

func checkID(typ, id string) error {
	if !fhirjson.ValidID(id) {
		return fhirerr.Invalidf(typ+".id", "%q is not a valid resource id (1-64 of A-Z a-z 0-9 - .)", id)
	}
	return nil
}

// Read returns the current version of typ/id.
func (s *Service) Read(ctx context.Context, typ, id string) (*fhir.Resource, error) {
	if err := s.supported(typ, registry.Read); err != nil {
		return nil, err
	}
	if err := checkID(typ, id); err != nil {
		return nil, err
	}
	return s.store.Read(ctx, typ, id)
}

// VRead returns version vid of typ/id.
func (s *Service) VRead(ctx context.Context, typ, id, vid string) (*fhir.Resource, error) {
	if err := s.supported(typ, registry.VRead); err != nil {
		return nil, err
	}
	if err := checkID(typ, id); err != nil {
		return nil, err
	}
	v, ok := fhir.ParseETag(vid)
	if !ok {
		return nil, fhirerr.Invalidf("", "%q is not a version id", vid)
	}
	return s.store.VRead(ctx, typ, id, v)
}

// parse validates a request body as a resource of type typ and decodes it
// for the server to stamp and store.
func parse(typ string, body []byte) (*fhir.Document, error) {
	res, err := fhirjson.Parse(body)
	if err != nil {
		var le *fhirjson.LimitError
		if errors.As(err, &le) {
			return nil, TooCostly(le)
		}
		var ve *fhirjson.ValidationError
		if !errors.As(err, &ve) {
			return nil, fmt.Errorf("rest.parse: %w", err)
		}
		issues := make([]fhirerr.Issue, 0, len(ve.Issues))
		for _, is := range ve.Issues {
			issues = append(issues, fhirerr.Issue{Code: is.Code, Expression: is.Path, Diagnostics: is.Message})
		}
		return nil, fhirerr.WithIssues(fhirerr.Invalid, issues)
	}
	if res.Type() != typ {
		return nil, fhirerr.Invalidf(res.Type(), "the body is a %s, but the request is for %s", res.Type(), typ)
	}
	return fhir.ParseDocument(body)
}

// TooCostly is the 413 for a body over one of fhirjson's limits, naming the
// limit and where it was passed. Nesting deeper than any resource goes is
// a malformed body (400), as fhirjson.Parse reports it.
func TooCostly(le *fhirjson.LimitError) error {
	if le.Limit == "depth" {
		return fhirerr.New(fhirerr.Invalid, "structure", "", "%s", le.Message)
	}
	return fhirerr.New(fhirerr.TooLarge, "too-costly", le.Path, "%s (limit: %s %d)", le.Message, le.Limit, le.Max)
}

// CreateOptions refine a create.
type CreateOptions struct {
	// ID is the id to give the new resource; "" assigns a fresh one.
	// Transactions pre-assign ids so entries can refer to each other.
	ID string
	// IfNoneExist holds the search criteria (a query string) of a
	// conditional create: no match creates, one match returns it untouched,
	// more than one fails with 412.
	IfNoneExist string
}

// Create stores body as a new resource of type typ with a server-assigned id
// (an id in the body is ignored, as the spec requires). created is false when
// a conditional create found its match instead; the match is returned.
func (s *Service) Create(ctx context.Context, typ string, body []byte, opt CreateOptions) (out *fhir.Resource, created bool, err error) {
	if err := s.supported(typ, registry.Create); err != nil {
		return nil, false, err
	}
	res, err := parse(typ, body)
	if err != nil {
		return nil, false, err
	}
	return s.create(ctx, res, opt)
}

// Record stores body, a resource of typ the server itself built (a
// Provenance, an audit record), as Create does, but without the strict
// FHIR JSON parse a client's body gets: it is the server's code that must
// make it valid (and its tests that check it is), and a record made with
// every write should not cost as much as the write.
func (s *Service) Record(ctx context.Context, typ string, body []byte) (*fhir.Resource, error) {
	if err := s.supported(typ, registry.Create); err != nil {
		return nil, err
	}
	doc, err := fhir.ParseDocument(body)
	if err != nil {
		return nil, fmt.Errorf("rest.Record: %w", err)
	}
	if doc.Type() != typ {
		return nil, fmt.Errorf("rest.Record: the body is a %s, not a %s", doc.Type(), typ)
	}
	out, _, err := s.create(ctx, doc, CreateOptions{})
	return out, err
}

// create stores res as a new resource (see Create).
func (s *Service) create(ctx context.Context, res *fhir.Document, opt CreateOptions) (out *fhir.Resource, created bool, err error) {
	typ := res.Type()
	if opt.ID == "" {
		opt.ID = fhir.NewID()
	}
	res.SetID(opt.ID)
	err = s.retry(ctx, func(tx *Service) error {
		if opt.IfNoneExist != "" {
			match, err := tx.matchOne(ctx, tx.store, typ, opt.IfNoneExist, "If-None-Exist")
			if err != nil || match != nil {
				out, created = match, false
				return err
			}
		}
		out, err = tx.write(ctx, tx.store, res, nil, 1, "POST")
		created = true
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, created, nil
}

// Update stores body as the next version of typ/id, creating the resource
// when it does not exist (update-as-create) or was deleted. ifMatch, when not
// zero, is the version the client expects to replace. created reports
// whether the resource came (back) into existence.
func (s *Service) Update(ctx context.Context, typ, id string, body []byte, ifMatch int64) (out *fhir.Resource, created bool, err error) {
	// A type the API may only read (the conformance resources the server
	// publishes) is still written by the server itself, at start-up.
	if err := s.supported(typ, registry.Update); err != nil && !(fhirerr.Is(err, fhirerr.MethodNotAllowed) && auth.PrincipalFrom(ctx).IsSystem()) {
		return nil, false, err
	}
	if err := checkID(typ, id); err != nil {
		return nil, false, err
	}
	res, err := parse(typ, body)
	if err != nil {
		return nil, false, err
	}
	switch bodyID := res.ID(); {
	case bodyID == "":
		return nil, false, fhirerr.New(fhirerr.Invalid, "required", typ+".id",
			"the resource must carry its id (%q) for an update", id)
	case bodyID != id:
		return nil, false, fhirerr.Invalidf(typ+".id", "the id in the body (%q) does not match the id in the URL (%q)", bodyID, id)
	}
	err = s.retry(ctx, func(tx *Service) error {
		out, created, err = tx.put(ctx, tx.store, res, ifMatch, "PUT")
		return err
	})
	return out, created, err
}

// put writes doc as the next version of its resource in tx. created
// reports whether the resource came (back) into existence.
func (s *Service) put(ctx context.Context, tx store.Store, doc *fhir.Document, ifMatch int64, method string) (out *fhir.Resource, created bool, err error) {
	prev, err := head(ctx, tx, doc.Type(), doc.ID(), ifMatch)
	if err != nil {
		return nil, false, err
	}
	if prev == nil || prev.Deleted { // update-as-create: a create, so it needs c too
		if !auth.PrincipalFrom(ctx).Allows(doc.Type(), scope.Create) {
			return nil, false, authz.Forbidden("this update creates "+doc.Type()+"/"+doc.ID()+", and creating "+doc.Type(), doc.Type(), scope.Create)
		}
	}
	if prev == nil {
		out, err = s.write(ctx, tx, doc, nil, 1, method)
		return out, true, err
	}
	out, err = s.write(ctx, tx, doc, prev, prev.Version+1, method)
	return out, prev.Deleted, err
}

// Deleted describes the outcome of a delete.
type Deleted struct {
	Version int64 // the deletion's version; 0 when there was nothing to delete
}

// Delete marks typ/id deleted. Deleting what does not exist, or is already
// deleted, succeeds without writing anything.
func (s *Service) Delete(ctx context.Context, typ, id string, ifMatch int64) (Deleted, error) {
	if err := s.supported(typ, registry.Delete); err != nil {
		return Deleted{}, err
	}
	if err := checkID(typ, id); err != nil {
		return Deleted{}, err
	}
	var out Deleted
	err := s.retry(ctx, func(tx *Service) (err error) {
		out, err = tx.delete(ctx, tx.store, typ, id, ifMatch)
		return err
	})
	return out, err
}

// delete records the deletion of typ/id in tx.
func (s *Service) delete(ctx context.Context, tx store.Store, typ, id string, ifMatch int64) (Deleted, error) {
	if err := s.guard(ctx, typ, id, "deleted"); err != nil {
		return Deleted{}, err
	}
	head, err := tx.Head(ctx, typ, id)
	if fhirerr.Is(err, fhirerr.NotFound) {
		if ifMatch != 0 {
			return Deleted{}, preconditionFailed(typ, id, ifMatch, 0)
		}
		return Deleted{}, nil
	}
	if err != nil {
		return Deleted{}, err
	}
	if ifMatch != 0 && ifMatch != head.Version {
		return Deleted{}, preconditionFailed(typ, id, ifMatch, head.Version)
	}
	if head.Deleted {
		return Deleted{}, nil
	}
	del, err := s.commit(ctx, tx, Write{Method: "DELETE", Type: typ, ID: id, Version: head.Version + 1, Prev: head})
	if err != nil {
		return Deleted{}, err
	}
	return Deleted{Version: del.Version}, nil
}

// History returns a page of history; typ and id narrow it (both may be empty).
func (s *Service) History(ctx context.Context, q store.HistoryQuery) (*store.HistoryPage, error) {
	switch {
	case q.ID != "":
		if err := s.supported(q.Type, registry.HistoryInstance); err != nil {
			return nil, err
		}
		if err := checkID(q.Type, q.ID); err != nil {
			return nil, err
		}
	case q.Type != "":
		if err := s.supported(q.Type, registry.HistoryType); err != nil {
			return nil, err
		}
	}
	return s.store.History(ctx, q)
}

// head returns the current version of typ/id for an update, nil when there
// is none, enforcing If-Match.
func head(ctx context.Context, tx store.Store, typ, id string, ifMatch int64) (*fhir.Resource, error) {
	h, err := tx.Head(ctx, typ, id)
	if fhirerr.Is(err, fhirerr.NotFound) {
		if ifMatch != 0 {
			return nil, preconditionFailed(typ, id, ifMatch, 0)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if ifMatch != 0 && ifMatch != h.Version {
		return nil, preconditionFailed(typ, id, ifMatch, h.Version)
	}
	return h, nil
}

func preconditionFailed(typ, id string, want, have int64) error {
	if have == 0 {
		return fhirerr.New(fhirerr.PreconditionFailed, "conflict", "",
			"If-Match expects version %d of %s/%s, which does not exist", want, typ, id)
	}
	return fhirerr.New(fhirerr.PreconditionFailed, "conflict", "",
		"If-Match expects version %d of %s/%s, but the current version is %d", want, typ, id, have)
}

// retry runs fn in a transaction, again from the start when it lost a race
// with a concurrent writer of the same resource.
func (s *Service) retry(ctx context.Context, fn func(tx *Service) error) error {
	if s.inTx { // part of a larger transaction, which retries as a whole
		return fn(s)
	}
	return s.transact(ctx, "the resource", fn)
}

// write stores doc as version of its resource in tx, through commit. prev
// is the version it replaces (nil when none).
func (s *Service) write(ctx context.Context, tx store.Store, doc *fhir.Document, prev *fhir.Resource, version int64, method string) (*fhir.Resource, error) {
	if prev != nil && prev.Deleted {
		prev = nil // what was deleted does not constrain what comes back
	}
	return s.commit(ctx, tx, Write{Method: method, Type: doc.Type(), ID: doc.ID(), Version: version, Prev: prev, Next: doc})
}

// checkReferences refuses references to served types on this server whose
// targets do not exist. References elsewhere (other servers, contained
// resources, types this server does not hold) are left alone.
// kept, when not nil, are references (as written) left unchecked.
func (s *Service) checkReferences(ctx context.Context, tx store.Store, typ, id string, doc *fhir.Document, kept map[string]bool) error {
	var local []fhir.Ref
	var issues []fhirerr.Issue
	for _, ref := range doc.References(baseOf(ctx)) {
		if kept[ref.Value] || s.log.wrote(ref.Value) {
			continue // kept, or a version this transaction wrote (a Provenance's target)
		}
		if malformed(ref, s.registry) {
			issues = append(issues, fhirerr.Issue{Code: "value", Expression: ref.Path,
				Diagnostics: fmt.Sprintf("reference %q is not of the form Type/id (or Type/id/_history/version)", ref.Value)})
			continue
		}
		if _, served := s.registry.Lookup(ref.Type); served {
			if ref.Type == typ && ref.ID == id {
				continue // a resource may refer to itself
			}
			local = append(local, ref)
		}
	}
	if len(issues) > 0 {
		return fhirerr.WithIssues(fhirerr.Invalid, issues)
	}
	if s.deferred != nil {
		for _, ref := range local {
			s.deferred.refs = append(s.deferred.refs, Unresolved{Source: typ + "/" + id, Ref: ref})
		}
		return nil
	}
	missing, err := tx.Missing(ctx, local)
	if err != nil || len(missing) == 0 {
		return err
	}
	for _, m := range missing {
		issues = append(issues, missingIssue(m))
	}
	return fhirerr.WithIssues(fhirerr.Invalid, issues)
}

func missingIssue(m fhir.Ref) fhirerr.Issue {
	return fhirerr.Issue{Code: "not-found", Expression: m.Path,
		Diagnostics: fmt.Sprintf("reference %q: %s does not exist on this server", m.Value, m.Target())}
}

// malformed reports a reference that is meant to point at a served type on
// this server (it starts with the type's name and has no scheme) but is not
// a well-formed Type/id: it could never resolve, here or anywhere else.
func malformed(ref fhir.Ref, reg *registry.Registry) bool {
	if ref.Type != "" {
		return !fhirjson.ValidID(ref.ID)
	}
	if strings.Contains(ref.Value, ":") || strings.HasPrefix(ref.Value, "#") {
		return false
	}
	first, _, _ := strings.Cut(ref.Value, "/")
	_, served := reg.Lookup(first)
	return served
}
