package rest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/registry"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// journal is an Observer noting every write it sees; it fails the writes
// fail says to.
type journal struct {
	mu   sync.Mutex
	seen []string
	fail func(w rest.Write) error
}

func (j *journal) Observe(_ context.Context, tx *rest.Service, w rest.Write) error {
	if tx == nil || w.Stored == nil || w.Stored.Version != w.Version {
		return fmt.Errorf("observer: no transaction, or not the stored version: %+v", w)
	}
	if j.fail != nil {
		if err := j.fail(w); err != nil {
			return err
		}
	}
	prev := "-"
	if w.Prev != nil {
		prev = w.Prev.VersionID()
	}
	line := fmt.Sprintf("%s %s v%d prev=%s deleted=%t", w.Method, w.Type, w.Version, prev, w.Stored.Deleted)
	j.mu.Lock()
	j.seen = append(j.seen, line)
	j.mu.Unlock()
	return nil
}

func (j *journal) take() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := j.seen
	j.seen = nil
	return out
}

func newService(t *testing.T, st *sqlstore.Store) *rest.Service {
	t.Helper()
	reg, err := registry.Load(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	return rest.New(st, reg)
}

// TestObserverSeesEveryWrite: creates, updates, patches, deletes, their
// conditional forms and the writes of a transaction all pass one commit
// path, and the observer sees each, inside its transaction.
func TestObserverSeesEveryWrite(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := auth.AsSystem(context.Background())
		svc := newService(t, st)
		j := &journal{}
		svc.Observe(j)
		check := func(step string, want ...string) {
			t.Helper()
			if diff := cmp.Diff(want, j.take()); diff != "" {
				t.Errorf("%s: writes observed (-want +got):\n%s", step, diff)
			}
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		p, _, err := svc.Create(ctx, "Patient", []byte(`{"resourceType":"Patient","identifier":[{"system":"urn:t","value":"1"}]}`), rest.CreateOptions{})
		must(err)
		check("create", "POST Patient v1 prev=- deleted=false")
		body := fmt.Sprintf(`{"resourceType":"Patient","id":%q,"identifier":[{"system":"urn:t","value":"1"}],"active":true}`, p.ID)
		_, _, err = svc.Update(ctx, "Patient", p.ID, []byte(body), 0)
		must(err)
		_, err = svc.Patch(ctx, "Patient", p.ID, rest.Patch{Kind: rest.JSONPatch, Body: []byte(`[{"op":"replace","path":"/active","value":false}]`)}, 0)
		must(err)
		_, _, err = svc.ConditionalUpdate(ctx, "Patient", "identifier=urn:t|1", []byte(`{"resourceType":"Patient","identifier":[{"system":"urn:t","value":"1"}]}`), 0)
		must(err)
		_, err = svc.ConditionalPatch(ctx, "Patient", "identifier=urn:t|1", rest.Patch{Kind: rest.JSONPatch, Body: []byte(`[{"op":"add","path":"/active","value":true}]`)}, 0)
		must(err)
		_, created, err := svc.Create(ctx, "Patient", []byte(`{"resourceType":"Patient"}`), rest.CreateOptions{IfNoneExist: "identifier=urn:t|1"})
		must(err)
		if created {
			t.Fatal("the conditional create did not find its match")
		}
		check("update, patch, conditional update and patch; a conditional create that matched writes nothing",
			"PUT Patient v2 prev=1 deleted=false", "PATCH Patient v3 prev=2 deleted=false",
			"PUT Patient v4 prev=3 deleted=false", "PATCH Patient v5 prev=4 deleted=false")

		_, err = svc.Delete(ctx, "Patient", p.ID, 0)
		must(err)
		_, err = svc.Delete(ctx, "Patient", p.ID, 0) // already deleted: nothing written
		must(err)
		_, _, err = svc.Update(ctx, "Patient", p.ID, []byte(body), 0) // back from the dead
		must(err)
		_, _, err = svc.ConditionalDelete(ctx, "Patient", "identifier=urn:t|1", 0)
		must(err)
		check("delete, update-as-create after it, conditional delete",
			"DELETE Patient v6 prev=5 deleted=true", "PUT Patient v7 prev=- deleted=false", "DELETE Patient v8 prev=7 deleted=true")

		must(svc.InTx(ctx, func(tx *rest.Service) error {
			if _, _, err := tx.Create(ctx, "Patient", []byte(`{"resourceType":"Patient"}`), rest.CreateOptions{}); err != nil {
				return err
			}
			_, _, err := tx.Create(ctx, "Organization", []byte(`{"resourceType":"Organization","name":"GP"}`), rest.CreateOptions{})
			return err
		}))
		check("transaction", "POST Patient v1 prev=- deleted=false", "POST Organization v1 prev=- deleted=false")
	})
}

// TestObserverErrorRollsBack: an observer's error undoes the write it saw,
// deletes included, and the whole transaction it is part of.
func TestObserverErrorRollsBack(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := auth.AsSystem(context.Background())
		svc := newService(t, st)
		refuse := errors.New("the audit store is down")
		j := &journal{fail: func(w rest.Write) error {
			if w.Type == "Organization" || w.Deleted() {
				return refuse
			}
			return nil
		}}
		svc.Observe(j)
		if _, _, err := svc.Create(ctx, "Organization", []byte(`{"resourceType":"Organization"}`), rest.CreateOptions{ID: "org"}); !errors.Is(err, refuse) {
			t.Fatalf("create with a failing observer: %v, want its error", err)
		}
		if _, err := svc.Read(ctx, "Organization", "org"); !fhirerr.Is(err, fhirerr.NotFound) {
			t.Errorf("the refused create was stored: %v", err)
		}
		p, _, err := svc.Create(ctx, "Patient", []byte(`{"resourceType":"Patient"}`), rest.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Delete(ctx, "Patient", p.ID, 0); !errors.Is(err, refuse) {
			t.Fatalf("delete with a failing observer: %v, want its error", err)
		}
		if _, err := svc.Read(ctx, "Patient", p.ID); err != nil {
			t.Errorf("the refused delete took effect: %v", err)
		}
		err = svc.InTx(ctx, func(tx *rest.Service) error {
			if _, _, err := tx.Create(ctx, "Patient", []byte(`{"resourceType":"Patient"}`), rest.CreateOptions{ID: "in-tx"}); err != nil {
				return err
			}
			_, _, err := tx.Create(ctx, "Organization", []byte(`{"resourceType":"Organization"}`), rest.CreateOptions{})
			return err
		})
		if !errors.Is(err, refuse) {
			t.Fatalf("transaction with a failing observer: %v, want its error", err)
		}
		if _, err := svc.Read(ctx, "Patient", "in-tx"); !fhirerr.Is(err, fhirerr.NotFound) {
			t.Errorf("the refused transaction's first write was stored: %v", err)
		}
	})
}

// noDelete is a hook refusing every delete of its type.
type noDelete struct{}

func (noDelete) BeforeWrite(context.Context, *rest.Service, *fhir.Resource, *fhir.Document) error {
	return nil
}
func (noDelete) AfterWrite(context.Context, *rest.Service, *fhir.Resource, *fhir.Resource, *fhir.Document) error {
	return nil
}
func (noDelete) BeforeDelete(_ context.Context, tx *rest.Service, prev *fhir.Resource) error {
	if tx == nil || prev == nil {
		return errors.New("BeforeDelete without its transaction or the version being deleted")
	}
	return fhirerr.New(fhirerr.Conflict, "business-rule", "", "%s/%s is kept", prev.Type, prev.ID)
}

// TestDeleteHook: a type's hooks rule on its deletes too, plain and
// conditional, through the same commit path as other writes.
func TestDeleteHook(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) {
		ctx := auth.AsSystem(context.Background())
		svc := newService(t, st)
		svc.Hook("Patient", noDelete{})
		p, _, err := svc.Create(ctx, "Patient", []byte(`{"resourceType":"Patient","identifier":[{"system":"urn:t","value":"1"}]}`), rest.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Delete(ctx, "Patient", p.ID, 0); !fhirerr.Is(err, fhirerr.Conflict) {
			t.Errorf("delete: %v, want the hook's refusal", err)
		}
		if _, _, err := svc.ConditionalDelete(ctx, "Patient", "identifier=urn:t|1", 0); !fhirerr.Is(err, fhirerr.Conflict) {
			t.Errorf("conditional delete: %v, want the hook's refusal", err)
		}
		if _, err := svc.Read(ctx, "Patient", p.ID); err != nil {
			t.Errorf("the refused deletes took effect: %v", err)
		}
	})
}
