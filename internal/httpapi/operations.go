package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
)

// operation routes the shared-care $operations: [base]/$handover,
// [base]/Task/$overdue, [base]/QuestionnaireResponse/{id}/$extract and
// [base]/Patient/{id}/$shared-care-summary.
func (a *API) operation(segments []string, req *request) (*route, error) {
	n := len(segments)
	name := segments[n-1]
	unknown := fhirerr.New(fhirerr.NotFound, "not-supported", "", "operation %s is not known here (see %s/metadata)",
		strings.Join(segments, "/"), FHIRBase)
	if a.opts.Workflow == nil {
		return nil, unknown
	}
	switch {
	case n == 1 && name == "$handover":
		return &route{shape: "/$handover", methods: map[string]handler{http.MethodPost: a.handover}}, nil
	case n == 2 && segments[0] == "Task" && name == "$overdue":
		req.typ = "Task"
		return &route{shape: "/Task/$overdue", methods: map[string]handler{http.MethodGet: a.overdue}}, nil
	case n == 3 && segments[0] == "QuestionnaireResponse" && name == "$extract":
		req.typ, req.id = segments[0], segments[1]
		return &route{shape: "/QuestionnaireResponse/{id}/$extract", methods: map[string]handler{
			http.MethodPost: a.extract, http.MethodGet: a.extract}}, nil
	case n == 3 && segments[0] == "Patient" && name == "$shared-care-summary":
		req.typ, req.id = segments[0], segments[1]
		return &route{shape: "/Patient/{id}/$shared-care-summary", methods: map[string]handler{http.MethodGet: a.sharedCareSummary}}, nil
	}
	return nil, unknown
}

// handover stores a treatment summary and follow-up plan once the
// shared-care rules hold, and once only: a retry with the same
// Bundle.identifier gets the first answer again.
func (a *API) handover(ctx context.Context, r *request) (*response, error) {
	var b bundleRequest
	if err := json.Unmarshal(r.body, &b); err != nil || b.ResourceType != "Bundle" || b.Type != "transaction" {
		return nil, fhirerr.Invalidf("Bundle", "$handover takes a Bundle of type transaction")
	}
	if len(b.Entry) > a.opts.MaxBundleEntries {
		return nil, fhirerr.New(fhirerr.TooLarge, "too-costly", "Bundle.entry", "the Bundle has %d entries; the limit is %d", len(b.Entry), a.opts.MaxBundleEntries)
	}
	once, ok, err := a.opts.Workflow.HandoverRequest(r.body)
	if err != nil {
		return nil, err
	}
	if !ok { // no identifier: refused with every other broken rule
		if _, err := a.opts.Workflow.CheckHandover(ctx, r.body); err != nil {
			return nil, err
		}
		return nil, fhirerr.New(fhirerr.Unprocessable, "required", "Bundle.identifier", "a handover needs Bundle.identifier (system and value)")
	}
	status, body, _, err := r.svc.Once(ctx, once, func(tx *rest.Service) (int, []byte, error) {
		body, err := a.handOver(ctx, r, tx, &b)
		return http.StatusOK, body, err
	})
	if err != nil {
		return nil, err
	}
	return &response{status: status, body: body}, nil
}

// handOver checks and stores a handover in the transaction tx is bound to,
// and renders the answer.
func (a *API) handOver(ctx context.Context, r *request, tx *rest.Service, b *bundleRequest) ([]byte, error) {
	summary, err := a.opts.Workflow.CheckHandover(ctx, r.body)
	if err != nil {
		return nil, err
	}
	in := *r
	in.svc = tx
	outcome, answers, err := a.runTransaction(ctx, &in, b)
	if err != nil {
		return nil, err
	}
	params := []any{map[string]any{"name": "outcome", "resource": json.RawMessage(outcome.body)}}
	for _, t := range summary.Tasks {
		loc := answers[t.Entry].header.Get("Location")
		ref := strings.TrimPrefix(loc, r.base+"/")
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
func (a *API) extract(ctx context.Context, r *request) (*response, error) {
	body, err := a.opts.Workflow.Extract(ctx, r.id)
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: body}, nil
}

// sharedCareSummary assembles the shared record of a patient.
func (a *API) sharedCareSummary(ctx context.Context, r *request) (*response, error) {
	body, err := a.opts.Workflow.Summary(ctx, r.id)
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: body}, nil
}

// overdue lists the Tasks at risk of falling through the gap.
func (a *API) overdue(ctx context.Context, r *request) (*response, error) {
	body, err := a.opts.Workflow.Overdue(ctx, r.query.Get("owner"))
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, body: body}, nil
}
