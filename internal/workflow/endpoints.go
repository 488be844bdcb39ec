package workflow

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/router"
)

// Operations are the Go functions of the shared-care OperationDefinitions
// under api/, by code; the router routes each where its definition says.
func (w *Workflow) Operations() []router.Operation {
	return []router.Operation{
		{Code: "handover", Methods: []string{http.MethodPost}, Handler: w.handover},
		{Code: "overdue", Methods: []string{http.MethodGet}, Handler: w.overdue},
		{Code: "extract", Methods: []string{http.MethodGet, http.MethodPost}, Handler: w.extract},
		{Code: "shared-care-summary", Methods: []string{http.MethodGet}, Handler: w.sharedCareSummary},
	}
}

// bundleHead is what $handover reads of its Bundle before the transaction
// processing reads the rest.
type bundleHead struct {
	ResourceType string            `json:"resourceType"`
	Type         string            `json:"type"`
	Entry        []json.RawMessage `json:"entry"`
}

// handover stores a treatment summary and follow-up plan once the
// shared-care rules hold, and once only: a retry with the same
// Bundle.identifier gets the first answer again.
func (w *Workflow) handover(ctx context.Context, r *router.Request) (*router.Response, error) {
	var b bundleHead
	if err := json.Unmarshal(r.Body, &b); err != nil || b.ResourceType != "Bundle" || b.Type != "transaction" {
		return nil, fhirerr.Invalidf("Bundle", "$handover takes a Bundle of type transaction")
	}
	if err := r.CheckEntries(len(b.Entry)); err != nil {
		return nil, err
	}
	once, ok, err := handoverRequest(r.Body)
	if err != nil {
		return nil, err
	}
	if !ok { // no identifier: refused with every other broken rule
		if _, err := checkHandover(ctx, r.Service, r.Body); err != nil {
			return nil, err
		}
		return nil, fhirerr.New(fhirerr.Unprocessable, "required", "Bundle.identifier", "a handover needs Bundle.identifier (system and value)")
	}
	status, body, _, err := r.Service.Once(ctx, once, func(tx *rest.Service) (int, []byte, error) {
		body, err := handOver(ctx, r, tx)
		return http.StatusOK, body, err
	})
	if err != nil {
		return nil, err
	}
	return &router.Response{Status: status, Body: body}, nil
}

// handOver checks and stores a handover in the transaction tx is bound to,
// and renders the answer. The rules read through tx: what they find (the
// owners and recipients exist, the GP is a recipient) holds when the Bundle
// is stored, since both happen in one database transaction.
func handOver(ctx context.Context, r *router.Request, tx *rest.Service) ([]byte, error) {
	summary, err := checkHandover(ctx, tx, r.Body)
	if err != nil {
		return nil, err
	}
	res, err := r.Transaction(ctx, tx, r.Body)
	if err != nil {
		return nil, err
	}
	params := []any{map[string]any{"name": "outcome", "resource": json.RawMessage(res.Response.Body)}}
	for _, t := range summary.Tasks {
		loc := res.Entries[t.Entry].Header.Get("Location")
		ref := strings.TrimPrefix(loc, r.Base+"/")
		if i := strings.Index(ref, "/_history/"); i >= 0 {
			ref = ref[:i]
		}
		display := t.Description
		if t.Due != "" {
			display += " (due " + t.Due + ")"
		}
		params = append(params, map[string]any{"name": "waitingTask",
			"valueReference": map[string]any{"reference": ref, "display": display}})
	}
	return json.Marshal(struct {
		ResourceType string `json:"resourceType"` // first, as in every body the server renders
		Parameter    []any  `json:"parameter"`
	}{"Parameters", params})
}

// extract drafts a care plan from a holistic needs assessment.
func (w *Workflow) extract(ctx context.Context, r *router.Request) (*router.Response, error) {
	body, err := w.Extract(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return &router.Response{Status: http.StatusOK, Body: body}, nil
}

// sharedCareSummary assembles the shared record of a patient.
func (w *Workflow) sharedCareSummary(ctx context.Context, r *router.Request) (*router.Response, error) {
	body, err := w.Summary(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return &router.Response{Status: http.StatusOK, Body: body}, nil
}

// overdue lists the Tasks at risk of falling through the gap.
func (w *Workflow) overdue(ctx context.Context, r *router.Request) (*router.Response, error) {
	paging, err := router.PagingOf(r)
	if err != nil {
		return nil, err
	}
	b, next, err := w.OverduePage(ctx, OverdueQuery{Owner: r.Query.Get("owner"), Count: paging.Count, Cursor: paging.Cursor})
	if err != nil {
		return nil, err
	}
	b.Links = router.PageLinks(r, next)
	body, err := b.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &router.Response{Status: http.StatusOK, Body: body}, nil
}
