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
//
//	@Summary		Treatment-summary handover
//	@Description	The hospital submits one transaction Bundle: the follow-up CarePlan, the Tasks handed to primary care, a covering Communication and the treatment-summary Composition (with Patient, Condition, Procedure, MedicationStatement, CareTeam as needed), and a Bundle.identifier (system and value) unique to this handover. The shared-care rules are checked before anything is stored: each broken rule is one issue of a 422 OperationOutcome naming the entry and element. On success everything is stored atomically, with a record of the identifier, and the answer is a Parameters resource: "outcome" (the transaction-response Bundle) and one "waitingTask" per Task now waiting for the GP. The same Bundle sent again under the same identifier (a retry after a timeout) stores nothing and gets the first answer again; a different Bundle under a used identifier gets 409.
//	@Tags			shared care
//	@Accept			json
//	@Produce		json
//	@Param			body	body		object	true	"Bundle of type transaction, with identifier"
//	@Success		200		{object}	object	"Parameters: outcome, waitingTask (a retry: the first answer, unchanged)"
//	@Failure		400		{object}	object	"OperationOutcome: not a valid transaction"
//	@Failure		409		{object}	object	"OperationOutcome: Bundle.identifier was already used by a different handover"
//	@Failure		422		{object}	object	"OperationOutcome: one issue per broken shared-care rule (Bundle.identifier missing among them)"
//	@Router			/$handover [post]
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
//
//	@Summary		Draft a care plan from an HNA
//	@Description	Returns (does not store) a draft CarePlan (status draft, intent proposal, supportingInfo the response) with one activity per concern rated at or above the configured threshold, highest first, for the clinician to edit and POST.
//	@Tags			shared care
//	@Produce		json
//	@Param			id	path		string	true	"QuestionnaireResponse id"
//	@Success		200	{object}	object	"CarePlan (draft, not stored)"
//	@Failure		404	{object}	object	"OperationOutcome: no such response"
//	@Failure		422	{object}	object	"OperationOutcome: the response is not a completed, valid assessment"
//	@Router			/QuestionnaireResponse/{id}/$extract [post]
func (w *Workflow) extract(ctx context.Context, r *router.Request) (*router.Response, error) {
	body, err := w.Extract(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return &router.Response{Status: http.StatusOK, Body: body}, nil
}

// sharedCareSummary assembles the shared record of a patient.
//
//	@Summary		Shared-care summary
//	@Description	One collection Bundle a GP system can render directly: a Composition narrating the patient's active CarePlans, open Tasks grouped by owner with due dates, the CareTeam with each participant's role, the latest completed holistic needs assessment with its distress score and the last 20 Communications in thread order; then those resources.
//	@Tags			shared care
//	@Produce		json
//	@Param			id	path		string	true	"Patient id"
//	@Success		200	{object}	object	"Bundle of type collection"
//	@Failure		404	{object}	object	"OperationOutcome: no such patient"
//	@Router			/Patient/{id}/$shared-care-summary [get]
func (w *Workflow) sharedCareSummary(ctx context.Context, r *router.Request) (*router.Response, error) {
	body, err := w.Summary(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	return &router.Response{Status: http.StatusOK, Body: body}, nil
}

// overdue lists the Tasks at risk of falling through the gap.
//
//	@Summary		Overdue and unacknowledged Tasks
//	@Description	Non-terminal Tasks past their due date (restriction.period.end, searchable as "due"), and handed-over Tasks still "requested" after the configured number of days, newest risk first; the outcome entry says why each Task of the page is listed. Paged like search: _count (default 20, at most 1000) and a next link; Bundle.total counts every Task at risk.
//	@Tags			shared care
//	@Produce		json
//	@Param			owner	query		string	false	"Only Tasks of this owner, e.g. Organization/gp-practice-a"
//	@Param			_count	query		int		false	"Page size (default 20, at most 1000)"
//	@Success		200		{object}	object	"Bundle of type searchset"
//	@Failure		400		{object}	object	"OperationOutcome: a malformed _count or a _cursor not from this list's next link"
//	@Router			/Task/$overdue [get]
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
