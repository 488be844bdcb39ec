package workflow

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/authz"
	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/rest"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/workflow/handover"
	"github.com/sharedcare/sharedcare/internal/workflow/questionnaire"
	"github.com/sharedcare/sharedcare/internal/workflow/taskflow"
)

// checkHandover applies the shared-care rules to a handover Bundle, reading
// what it refers to through rs (bound to the transaction that is about to
// store the Bundle, so the rules see that transaction's view): a 422 with
// one issue per broken rule, or the Bundle's summary (which entries are the
// Tasks now waiting for the GP).
func checkHandover(ctx context.Context, rs Records, body []byte) (handover.Summary, error) {
	bundle := decode(body)
	if bundle == nil {
		return handover.Summary{}, fhirerr.Invalidf("Bundle", "the body is not a JSON object")
	}
	issues, err := handover.Check(ctx, bundle, resolver{rs})
	if err != nil {
		return handover.Summary{}, err
	}
	if len(issues) > 0 {
		return handover.Summary{}, fhirerr.WithIssues(fhirerr.Unprocessable, issues)
	}
	return handover.Summarize(bundle), nil
}

// HandoverRequest identifies a handover, so that it takes effect once
// (rest.Service.Once): its Bundle.identifier and the fingerprint of the
// Bundle as sent. ok is false when the Bundle has no complete identifier;
// checkHandover then refuses it.
func handoverRequest(body []byte) (req rest.Request, ok bool, err error) {
	bundle := decode(body)
	if bundle == nil {
		return rest.Request{}, false, fhirerr.Invalidf("Bundle", "the body is not a JSON object")
	}
	key := handover.Key(bundle)
	if key == "" {
		return rest.Request{}, false, nil
	}
	hash, err := handover.Fingerprint(body)
	if err != nil {
		return rest.Request{}, false, fhirerr.Invalidf("Bundle", "the body is not JSON: %v", err)
	}
	return rest.Request{Operation: "$handover", Key: key, KeyPath: "Bundle.identifier", Hash: hash}, true, nil
}

// resolver finds references a handover makes outside its Bundle.
type resolver struct{ r Records }

// It reads as the caller: a reference to a type the caller may not search
// (conditional) or read is refused with 403, not answered.
func (rv resolver) Resolve(ctx context.Context, ref string) (map[string]any, bool, error) {
	p := auth.PrincipalFrom(ctx)
	if typ, criteria, ok := strings.Cut(ref, "?"); ok && !strings.Contains(typ, ":") {
		values, err := search.ParseQuery(criteria)
		if err != nil {
			return nil, false, nil
		}
		if err := authz.Need(p, typ, scope.Search); err != nil {
			return nil, false, err
		}
		_, page, err := rv.r.Search(ctx, typ, values, true)
		if err != nil || len(page.Resources) != 1 {
			return nil, false, nil // a bad or ambiguous condition resolves to nothing
		}
		return decode(page.Resources[0].Body), true, nil
	}
	typ, id := fhir.LocalTarget(ref, rest.Base(ctx))
	if typ == "" {
		return nil, false, nil
	}
	if err := authz.Need(p, typ, scope.Read); err != nil {
		return nil, false, err
	}
	res, err := rv.r.Read(ctx, typ, id)
	switch {
	case err == nil:
		return decode(res.Body), true, nil
	case fhirerr.Is(err, fhirerr.NotFound), fhirerr.Is(err, fhirerr.Gone), fhirerr.Is(err, fhirerr.Invalid):
		return nil, false, nil
	}
	return nil, false, err
}

// Extract drafts (without storing) a CarePlan from a completed holistic
// needs assessment: one activity per concern rated at or above the
// configured threshold.
func (w *Workflow) Extract(ctx context.Context, responseID string) ([]byte, error) {
	if err := w.records.CheckCare(ctx, "QuestionnaireResponse", responseID); err != nil {
		return nil, err
	}
	res, err := w.records.Read(ctx, "QuestionnaireResponse", responseID)
	if err != nil {
		return nil, err
	}
	qr := decode(res.Body)
	canonical, version := questionnaire.Canonical(qr)
	if canonical == "" {
		return nil, fhirerr.New(fhirerr.Unprocessable, "required", "QuestionnaireResponse.questionnaire",
			"the response names no Questionnaire to read its concerns from")
	}
	q, err := findQuestionnaire(ctx, w.records, canonical, version)
	if err != nil {
		return nil, err
	}
	plan, err := questionnaire.Extract(q, qr, "QuestionnaireResponse/"+responseID, w.cfg.ExtractThreshold)
	if err != nil {
		return nil, err
	}
	plan["created"] = fhir.Instant(w.now())
	return fhir.DocumentOf(plan).Marshal()
}

// nonTerminal are the Task statuses in which work is still owed.
var nonTerminal = func() []string {
	var out []string
	for _, s := range taskflow.Statuses {
		if !taskflow.Terminal(s) && s != "entered-in-error" {
			out = append(out, s)
		}
	}
	return out
}()

// atRisk is a Task $overdue lists, and why.
type atRisk struct {
	res    *fhir.Resource
	since  time.Time // when it became a risk
	reason string
}

// OverdueQuery asks for one page of the Tasks at risk.
type OverdueQuery struct {
	Owner string // only this owner's Tasks, when not ""
	// Count is the page size; negative means every Task at risk on one page.
	Count int
	// Cursor is the position after which the page starts (the next cursor
	// of the page before), "" for the first page.
	Cursor string
}

// Overdue lists every Task (of owner, when not "") at risk, on one page:
// see OverduePage.
func (w *Workflow) Overdue(ctx context.Context, owner string) ([]byte, error) {
	b, _, err := w.OverduePage(ctx, OverdueQuery{Owner: owner, Count: -1})
	if err != nil {
		return nil, err
	}
	return b.MarshalJSON()
}

// OverduePage lists the Tasks (of q.Owner, when not "") that are past their
// due date and not finished, and the handed-over Tasks still "requested"
// after the configured time, newest risk first, as a page of a searchset
// Bundle whose outcome entry says why each of the page's Tasks is listed.
// Total counts every Task at risk. next is the cursor of the following page,
// "" on the last. The cursor is a keyset position (risk time, id), so a
// Task that stops or starts being at risk between pages shifts no other
// Task onto a page twice or off every page.
func (w *Workflow) OverduePage(ctx context.Context, q OverdueQuery) (b *fhir.Bundle, next string, err error) {
	owner := q.Owner
	after, err := parseOverdueCursor(owner, q.Cursor)
	if err != nil {
		return nil, "", err
	}
	now := w.now()
	flagged := map[string]*atRisk{}
	base := url.Values{}
	if owner != "" {
		base.Set("owner", owner)
	}
	pastDue := cloneValues(base)
	pastDue.Set("due", "lt"+fhir.Instant(now))
	pastDue.Set("status", strings.Join(nonTerminal, ","))
	err = w.each(ctx, "Task", pastDue, func(r *fhir.Resource) {
		task := decode(r.Body)
		due, written, ok := dueDate(task)
		if !ok || !due.Before(now) {
			return
		}
		flagged[r.ID] = &atRisk{res: r, since: due, reason: fmt.Sprintf("overdue: due %s, status %s", written, str(task["status"]))}
	})
	if err != nil {
		return nil, "", err
	}
	stale := cloneValues(base)
	stale.Set("status", "requested")
	stale.Set("_lastUpdated", "lt"+fhir.Instant(now.Add(-w.cfg.UnacknowledgedAfter)))
	err = w.each(ctx, "Task", stale, func(r *fhir.Resource) {
		since := r.LastUpdated.Add(w.cfg.UnacknowledgedAfter)
		reason := fmt.Sprintf("unacknowledged: still requested %d days after it was handed over", int(now.Sub(r.LastUpdated).Hours()/24))
		if f, ok := flagged[r.ID]; ok {
			f.reason += "; " + reason
			if since.After(f.since) {
				f.since = since
			}
			return
		}
		flagged[r.ID] = &atRisk{res: r, since: since, reason: reason}
	})
	if err != nil {
		return nil, "", err
	}
	list := make([]*atRisk, 0, len(flagged))
	for _, f := range flagged {
		list = append(list, f)
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].since.Equal(list[j].since) {
			return list[i].since.After(list[j].since)
		}
		return list[i].res.ID < list[j].res.ID
	})
	total := len(list)
	b = &fhir.Bundle{Type: "searchset", Total: &total, Timestamp: now}
	if after != nil {
		start := sort.Search(len(list), func(i int) bool { return after.before(list[i]) })
		list = list[start:]
	}
	if q.Count >= 0 && len(list) > q.Count {
		list = list[:q.Count]
		if q.Count > 0 {
			next = overdueCursorOf(owner, list[len(list)-1])
		}
	}
	var issues []fhirerr.Issue
	for i, f := range list {
		b.Entries = append(b.Entries, fhir.Entry{FullURL: rest.Base(ctx) + "/Task/" + f.res.ID, Resource: f.res.Body,
			Search: &fhir.EntrySearch{Mode: "match"}})
		issues = append(issues, fhirerr.Issue{Severity: "warning", Code: "business-rule", Expression: fmt.Sprintf("Bundle.entry[%d].resource", i),
			Diagnostics: fmt.Sprintf("Task/%s is %s (at risk since %s)", f.res.ID, f.reason, f.since.Format("2006-01-02"))})
	}
	if len(issues) > 0 {
		b.Entries = append(b.Entries, fhir.Entry{Resource: fhir.Outcome(issues...), Search: &fhir.EntrySearch{Mode: "outcome"}})
	}
	return b, next, nil
}

// dueDate is restriction.period.end (as a time, and as written); a date
// without a time is due by the end of that day (UTC).
func dueDate(task map[string]any) (due time.Time, written string, ok bool) {
	restriction, _ := task["restriction"].(map[string]any)
	period, _ := restriction["period"].(map[string]any)
	end := str(period["end"])
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, end); err == nil {
			switch layout {
			case "2006-01-02":
				t = t.AddDate(0, 0, 1)
			case "2006-01":
				t = t.AddDate(0, 1, 0)
			case "2006":
				t = t.AddDate(1, 0, 0)
			}
			return t, end, true
		}
	}
	return time.Time{}, end, false
}

// each runs fn on every resource a search matches, page by page.
func (w *Workflow) each(ctx context.Context, typ string, values url.Values, fn func(*fhir.Resource)) error {
	values = cloneValues(values)
	values.Set("_count", "500")
	for {
		_, page, err := w.records.Search(ctx, typ, values, true)
		if err != nil {
			return err
		}
		for _, r := range page.Resources {
			fn(r)
		}
		if page.Next == "" {
			return nil
		}
		values.Set("_cursor", page.Next)
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
