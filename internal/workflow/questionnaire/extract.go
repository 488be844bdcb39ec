package questionnaire

import (
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Concern is one concern the person rated in an assessment.
type Concern struct {
	LinkID  string // the concern's group item, e.g. "physical.pain"
	Domain  string // the code of the area it belongs to, e.g. "physical"; "" when none
	System  string // the concern's Coding, from the Questionnaire item's code
	Code    string
	Display string
	Text    string // the item's text as the person saw it
	Rating  int    // 0-10
}

// Concerns lists the rated concerns of a response, in Questionnaire order.
// A concern is a group item coded from ConcernSystem with an integer item
// among its children, the rating; the nearest enclosing item coded from
// ConcernSystem is its area. A concern counts only when its rating is
// answered and enabled, so a rating left behind after the person unticked
// the concern is ignored.
func Concerns(q, qr map[string]any) []Concern {
	r := analyse(q, qr)
	var out []Concern
	for _, it := range r.ix.order {
		coding := concernCoding(it)
		rating := ratingItem(it)
		if it.typ != "group" || coding == nil || rating == nil {
			continue
		}
		score, ok := r.rating(rating)
		if !ok {
			continue
		}
		c := Concern{LinkID: it.linkID, System: ConcernSystem, Code: str(coding, "code"),
			Display: str(coding, "display"), Text: it.text, Rating: score}
		for p := it.parent; p != nil; p = p.parent {
			if d := concernCoding(p); d != nil {
				c.Domain = str(d, "code")
				break
			}
		}
		out = append(out, c)
	}
	return out
}

// concernCoding is the item's first code from ConcernSystem, or nil.
func concernCoding(it *item) map[string]any {
	for _, c := range it.code {
		m, _ := c.(map[string]any)
		if str(m, "system") == ConcernSystem && str(m, "code") != "" {
			return m
		}
	}
	return nil
}

// ratingItem is the first integer child of a concern group, or nil.
func ratingItem(it *item) *item {
	for _, c := range it.children {
		if c.typ == "integer" {
			return c
		}
	}
	return nil
}

// rating is the first enabled integer answer to item it.
func (r *response) rating(it *item) (int, bool) {
	for _, n := range r.byLink[it.linkID] {
		if !r.isEnabled(n) {
			continue
		}
		for _, a := range n.answers {
			if v, ok := integer(a.V); ok && a.Kind == "Integer" {
				return v, true
			}
		}
	}
	return 0, false
}

// DistressScore is the overall distress score of an HNA response: the
// integer answer to its top-level "distress" item.
func DistressScore(qr map[string]any) (int, bool) {
	items, _ := qr["item"].([]any)
	for _, raw := range items {
		m, _ := raw.(map[string]any)
		if str(m, "linkId") != distressLinkID {
			continue
		}
		answers, _ := m["answer"].([]any)
		for _, a := range answers {
			am, _ := a.(map[string]any)
			if v, ok := integer(am["valueInteger"]); ok {
				return v, true
			}
		}
	}
	return 0, false
}

// subjectPattern is a reference a CarePlan.subject may hold: a Patient or
// Group, relative or absolute, optionally versioned.
var subjectPattern = regexp.MustCompile(`^(https?://[^\s]+/)?(Patient|Group)/[A-Za-z0-9\-.]{1,64}(/_history/[A-Za-z0-9\-.]{1,64})?$`)

// Extract builds a draft CarePlan (not stored) from a completed HNA response: one activity per concern
// whose rating is at or above threshold. qrRef is "QuestionnaireResponse/{id}".
//
// The response must be completed (or amended) and conform to q: a plan
// drafted from half an assessment, or from answers the Questionnaire does
// not allow, would mislead. Those failures, and a response without a Patient
// or Group subject, are fhirerr.Unprocessable. Activities run from the
// highest rating down, ties in Questionnaire order, so the plan opens with
// what troubles the person most. created, author and the like are left to
// the caller, which knows the time and who is asking.
func Extract(q, qr map[string]any, qrRef string, threshold int) (map[string]any, error) {
	if qrRef == "" {
		return nil, errors.New("questionnaire.Extract: no reference to the response")
	}
	if status := str(qr, "status"); status != "completed" && status != "amended" {
		return nil, fhirerr.New(fhirerr.Unprocessable, "business-rule", "QuestionnaireResponse.status",
			"a care plan is drafted from a completed assessment, not one that is %q", status)
	}
	if issues := Validate(q, qr); len(issues) > 0 {
		return nil, fhirerr.WithIssues(fhirerr.Unprocessable, issues)
	}
	subject, _ := qr["subject"].(map[string]any)
	ref := str(subject, "reference")
	if ref == "" {
		return nil, fhirerr.New(fhirerr.Unprocessable, "required", "QuestionnaireResponse.subject",
			"the response has no subject to draft a care plan for")
	}
	if !subjectPattern.MatchString(ref) {
		return nil, fhirerr.New(fhirerr.Unprocessable, "value", "QuestionnaireResponse.subject",
			"a care plan is for a Patient or Group, not %q", ref)
	}
	planSubject := map[string]any{"reference": ref}
	if d := str(subject, "display"); d != "" {
		planSubject["display"] = d
	}

	var chosen []Concern
	for _, c := range Concerns(q, qr) {
		if c.Rating >= threshold {
			chosen = append(chosen, c)
		}
	}
	sort.SliceStable(chosen, func(i, j int) bool { return chosen[i].Rating > chosen[j].Rating })

	plan := map[string]any{
		"resourceType":   "CarePlan",
		"status":         "draft",
		"intent":         "proposal",
		"title":          "Care plan from holistic needs assessment",
		"description":    describe(qr, len(chosen), threshold),
		"subject":        planSubject,
		"supportingInfo": []any{map[string]any{"reference": qrRef}},
	}
	var activities []any
	for _, c := range chosen {
		activities = append(activities, map[string]any{"detail": activity(c)})
	}
	if len(activities) > 0 { // FHIR JSON has no empty arrays
		plan["activity"] = activities
	}
	return plan, nil
}

// activity is CarePlan.activity.detail for one concern.
func activity(c Concern) map[string]any {
	label := c.Text
	if label == "" {
		label = c.Display
	}
	if label == "" {
		label = c.Code
	}
	coding := map[string]any{"system": c.System, "code": c.Code}
	if c.Display != "" {
		coding["display"] = c.Display
	}
	return map[string]any{
		"code":        map[string]any{"coding": []any{coding}, "text": label},
		"status":      "not-started",
		"description": fmt.Sprintf("%s: rated %d of 10", label, c.Rating),
	}
}

// describe summarises the assessment for CarePlan.description.
func describe(qr map[string]any, chosen, threshold int) string {
	s := "Drafted from a holistic needs assessment. "
	if score, ok := DistressScore(qr); ok {
		s += fmt.Sprintf("Overall distress score: %d of 10. ", score)
	} else {
		s += "No overall distress score was given. "
	}
	noun := "concerns"
	if chosen == 1 {
		noun = "concern"
	}
	return s + fmt.Sprintf("%d %s rated %d or more.", chosen, noun, threshold)
}
