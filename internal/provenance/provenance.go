// Package provenance records who changed what: every transaction that
// writes a clinical resource (a plain create, update, patch or delete is a
// transaction of one; a transaction Bundle is one; a batch entry is its
// own) stores, in the same transaction, one Provenance targeting each
// version it wrote, naming the authenticated caller as its author, so
// that Provenance?target=CarePlan/x answers who changed the plan.
//
// Not recorded:
//   - AuditEvent and Provenance themselves: records of records would never end;
//   - writes by the server itself (the system principal: its shipped
//     content at start-up), whose origin is the release, not a caller;
//   - a version that a Provenance written in the same transaction already
//     targets: a Task transition's Provenance (workflow) says more (the
//     from→to status) than this one would, and replaces it for that write.
package provenance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/workflow/taskflow"
)

// DataOperation is the code system of Provenance.activity: CREATE, UPDATE
// or DELETE.
const DataOperation = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"

// unrecorded are the types whose writes get no Provenance.
var unrecorded = map[string]bool{"AuditEvent": true, "Provenance": true}

// operations in the order a mixed transaction's activity lists them.
var operations = []string{"CREATE", "UPDATE", "DELETE"}

// Register makes svc record a Provenance for every transaction's writes.
func Register(svc *rest.Service) { svc.ObserveTx(recorder{}) }

type recorder struct{}

func (recorder) BeforeCommit(ctx context.Context, tx *rest.Service, writes []rest.Write) error {
	if auth.PrincipalFrom(ctx).IsSystem() {
		return nil
	}
	covered := map[string]bool{}
	for _, w := range writes {
		if w.Type == "Provenance" && w.Next != nil {
			for _, t := range targets(w.Next.Tree()) {
				covered[t] = true
			}
		}
	}
	var refs []string
	var recorded time.Time
	counts := map[string]int{}
	for _, w := range writes {
		ref := w.Type + "/" + w.ID + "/_history/" + w.Stored.VersionID()
		if unrecorded[w.Type] || covered[ref] {
			continue
		}
		refs = append(refs, ref)
		counts[operation(w)]++
		if w.Stored.LastUpdated.After(recorded) {
			recorded = w.Stored.LastUpdated
		}
	}
	if len(refs) == 0 {
		return nil
	}
	who, onBehalfOf, err := Agent(ctx, tx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(taskflow.Record(refs, who, onBehalfOf, activity(counts), recorded))
	if err != nil {
		return fmt.Errorf("provenance: %w", err)
	}
	// The server stores its record of the write: the caller's scopes
	// allowed the write, and need not allow writing Provenances.
	_, err = tx.Record(auth.AsSystem(ctx), "Provenance", body)
	return err
}

// operation is the v3-DataOperation code of w: a write bringing a resource
// (back) into existence creates it.
func operation(w rest.Write) string {
	switch {
	case w.Method == http.MethodDelete:
		return "DELETE"
	case w.Prev == nil:
		return "CREATE"
	}
	return "UPDATE"
}

// activity is the coded operation when the writes share one; a
// transaction mixing them has the counts as text, since a Provenance has
// one activity.
func activity(counts map[string]int) map[string]any {
	var parts []string
	for _, op := range operations {
		switch {
		case counts[op] > 0 && len(counts) == 1:
			return map[string]any{"coding": []any{map[string]any{"system": DataOperation, "code": op}}}
		case counts[op] > 0:
			parts = append(parts, fmt.Sprintf("%s %d", op, counts[op]))
		}
	}
	return map[string]any{"text": "transaction: " + strings.Join(parts, ", ")}
}

// targets are a Provenance's target references.
func targets(tree map[string]any) []string {
	list, _ := tree["target"].([]any)
	out := make([]string, 0, len(list))
	for _, t := range list {
		m, _ := t.(map[string]any)
		if ref, ok := m["reference"].(string); ok {
			out = append(out, ref)
		}
	}
	return out
}

// Agent is Provenance.agent.who and .onBehalfOf (nil for none) for the
// caller of ctx (taskflow.Agent), with references to resources of this
// server that are not stored here turned into displays saying so: a
// client's organization or user need not be on the server (their records
// may come later), and a Provenance may not refer to what does not exist.
func Agent(ctx context.Context, tx *rest.Service) (who, onBehalfOf map[string]any, err error) {
	who, onBehalfOf = taskflow.Agent(auth.PrincipalFrom(ctx))
	for _, ref := range []map[string]any{who, onBehalfOf} {
		if err := unstored(ctx, tx, ref); err != nil {
			return nil, nil, err
		}
	}
	return who, onBehalfOf, nil
}

// unstored replaces ref's reference (nil ref: none) by a type and a display
// when it names a resource of this server that is not stored.
func unstored(ctx context.Context, tx *rest.Service, ref map[string]any) error {
	target, _ := ref["reference"].(string)
	typ, id := fhir.LocalTarget(target, rest.Base(ctx))
	if typ == "" {
		return nil
	}
	// Whether it exists is the server's question, asked for its own
	// record, not one the caller's scopes must allow.
	_, err := tx.Read(auth.AsSystem(ctx), typ, id)
	switch {
	case err == nil || fhirerr.Is(err, fhirerr.NotSupported):
		return nil // stored, or of a type this server does not hold
	case fhirerr.Is(err, fhirerr.NotFound) || fhirerr.Is(err, fhirerr.Gone) || fhirerr.Is(err, fhirerr.Invalid):
		delete(ref, "reference")
		ref["type"], ref["display"] = typ, target+" (not on this server)"
		return nil
	}
	return err
}
