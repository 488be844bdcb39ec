package questionnaire

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// Validate checks a QuestionnaireResponse against its Questionnaire (both JSON trees as decoded by
// encoding/json with UseNumber: map[string]any, []any, string, json.Number, bool) and returns one
// issue per violation (nil when it conforms).
//
// It applies the rules of R4 questionnaire.html and questionnaireresponse.html
// that need no terminology service: linkIds and nesting, answer types,
// required items (when the response is completed or amended), repeats,
// answerOption, enableWhen, minValue/maxValue and maxLength. Each issue's
// Expression is the FHIRPath of the offending element in the response; a
// missing required item is reported on the element it should be in.
func Validate(q, qr map[string]any) []fhirerr.Issue {
	r := analyse(q, qr)
	r.checkCanonical(q, qr)
	r.checkEnabled()
	if status := str(qr, "status"); status == "completed" || status == "amended" {
		// amended is a completed response changed afterwards: still complete.
		r.checkRequired()
	}
	return r.issues
}

// Canonical splits QuestionnaireResponse.questionnaire, a canonical
// "url|version", into its URL and (possibly empty) version.
func Canonical(qr map[string]any) (url, version string) {
	url, version, _ = strings.Cut(str(qr, "questionnaire"), "|")
	return url, version
}

// node is one response item matched to its Questionnaire item. Nodes are
// kept in document order so that enableWhen can find the nearest answer
// to a question the way R4 defines it.
type node struct {
	idx, end  int   // position in response.nodes, and the end of this node's subtree
	parent    *node // nil at the top level
	item      *item
	path      string
	answered  bool    // has at least one answer with a value
	hasAnswer bool    // has an answer array at all, valued or not
	answers   []value // the well-formed answer values, for enableWhen
}

// container is a place items live in: the response itself, a group, or one
// answer of a question. Required items are checked per container.
type container struct {
	owner    *node // nil for the response itself
	path     string
	parent   *item // the Questionnaire item whose children belong here; nil for the top level
	children []*node
	end      int // response.nodes index just after the container's content
}

// expect is the Questionnaire items that belong in c.
func (r *response) expect(c *container) []*item {
	if c.parent == nil {
		return r.ix.top
	}
	return c.parent.children
}

// response is one QuestionnaireResponse being checked.
type response struct {
	ix         *index
	nodes      []*node
	byLink     map[string][]*node // nodes of each linkId, in document order
	containers []*container
	issues     []fhirerr.Issue
	enabled    map[*node]enableState
}

func (r *response) issue(code, path, format string, args ...any) {
	r.issues = append(r.issues, fhirerr.Issue{Severity: "error", Code: code, Expression: path, Diagnostics: fmt.Sprintf(format, args...)})
}

// analyse matches the response's items to the Questionnaire's, reporting
// what is wrong with each item and answer on its own. Checks that need the
// whole response (enableWhen, required) come after, in checkEnabled and
// checkRequired.
func analyse(q, qr map[string]any) *response {
	r := &response{ix: newIndex(q), byLink: map[string][]*node{}, enabled: map[*node]enableState{}}
	root := &container{path: "QuestionnaireResponse"}
	r.items(qr["item"], root)
	return r
}

// items walks an item array into container c.
func (r *response) items(raw any, c *container) {
	r.containers = append(r.containers, c)
	defer func() { c.end = len(r.nodes) }()
	if raw == nil {
		return
	}
	list, ok := raw.([]any)
	if !ok {
		r.issue("structure", c.path+".item", "item must be an array")
		return
	}
	seen := map[*item]bool{}
	for i, raw := range list {
		path := fmt.Sprintf("%s.item[%d]", c.path, i)
		m, ok := raw.(map[string]any)
		if !ok {
			r.issue("structure", path, "an item must be an object")
			continue
		}
		link, ok := m["linkId"].(string)
		if !ok || link == "" {
			r.issue("structure", path+".linkId", "the item has no linkId")
			continue
		}
		it := r.ix.byLink[link] // linkIds are unique in a Questionnaire (que-2)
		if it == nil {
			r.issue("structure", path, "the Questionnaire has no item %q", link)
			continue
		}
		if it.parent != c.parent {
			r.issue("structure", path, "item %q is not expected here: the Questionnaire has it %s", link, it.where())
			continue
		}
		if seen[it] && !(it.typ == "group" && it.repeats) {
			// A repeating question keeps all its answers in one item; only
			// repeating groups appear more than once (R4 qrs rules).
			r.issue("business-rule", path, "item %q appears more than once here; it does not repeat", link)
		}
		seen[it] = true
		n := &node{idx: len(r.nodes), item: it, path: path, parent: c.owner}
		r.nodes = append(r.nodes, n)
		r.byLink[link] = append(r.byLink[link], n)
		c.children = append(c.children, n)
		r.item(m, n)
		n.end = len(r.nodes)
	}
}

// item checks one matched response item and walks what it contains.
func (r *response) item(m map[string]any, n *node) {
	it := n.item
	_, hasItems := m["item"]
	_, hasAnswers := m["answer"]
	switch {
	case it.typ == "group":
		if hasAnswers {
			r.issue("structure", n.path+".answer", "item %q is a group: groups have no answers", it.linkID)
		}
		r.items(m["item"], &container{owner: n, path: n.path, parent: it})
	case it.typ == "display":
		if hasAnswers {
			r.issue("structure", n.path+".answer", "item %q is display text: it has no answers", it.linkID)
		}
		if hasItems {
			r.issue("structure", n.path+".item", "item %q is display text: it has no nested items", it.linkID)
		}
	default:
		if hasItems {
			// R4: items nested under a question go in each answer's item.
			r.issue("structure", n.path+".item", "items nested under question %q belong in answer.item", it.linkID)
		}
		if hasAnswers {
			r.answers(m["answer"], n)
		}
	}
}

// answers checks a question's answers and walks the items nested in each.
func (r *response) answers(raw any, n *node) {
	it := n.item
	list, ok := raw.([]any)
	if !ok {
		r.issue("structure", n.path+".answer", "answer must be an array")
		return
	}
	n.hasAnswer = len(list) > 0
	if len(list) > 1 && !it.repeats {
		r.issue("business-rule", n.path+".answer[1]", "item %q does not repeat but has %d answers", it.linkID, len(list))
	}
	for j, raw := range list {
		path := fmt.Sprintf("%s.answer[%d]", n.path, j)
		a, ok := raw.(map[string]any)
		if !ok {
			r.issue("structure", path, "an answer must be an object")
			continue
		}
		r.answer(a, n, path)
		_, hasItems := a["item"]
		if hasItems || len(it.children) > 0 {
			r.items(a["item"], &container{owner: n, path: path, parent: it})
		}
	}
}

// answer checks one answer's value against the item's type, answerOption,
// bounds and maxLength.
func (r *response) answer(a map[string]any, n *node, path string) {
	it := n.item
	v, found, problem := valueOf(a, "value")
	switch {
	case problem != "":
		r.issue("structure", path, "the answer %s", problem)
		return
	case !found:
		return // R4 allows an answer whose value is carried only by extensions
	}
	if why := badShape(v); why != "" {
		r.issue("value", path, "value%s %s", v.Kind, why)
		return
	}
	n.answered = true
	n.answers = append(n.answers, v)
	if ok, _ := it.takes(v.Kind); !ok {
		r.issue("value", path, "item %q is of type %s and cannot take value%s", it.linkID, it.typ, v.Kind)
		return
	}
	freeText := it.typ == "open-choice" && v.Kind == "String"
	if len(it.options) > 0 && !freeText && !oneOf(v, it.options) {
		r.issue("value", path, "%s is not one of the answer options of item %q", show(v), it.linkID)
	}
	if it.minValue != nil {
		if c, ok := compare(v, *it.minValue); ok && c < 0 {
			r.issue("value", path, "%s is below the minimum %s of item %q", show(v), show(*it.minValue), it.linkID)
		}
	}
	if it.maxValue != nil {
		if c, ok := compare(v, *it.maxValue); ok && c > 0 {
			r.issue("value", path, "%s is above the maximum %s of item %q", show(v), show(*it.maxValue), it.linkID)
		}
	}
	if it.maxLength > 0 {
		if l := length(v); l > it.maxLength {
			r.issue("too-long", path, "the answer is %d characters long; item %q allows %d", l, it.linkID, it.maxLength)
		}
	}
}

func oneOf(v value, options []value) bool {
	for _, o := range options {
		if equal(v, o) {
			return true
		}
	}
	return false
}

// length is the number of characters maxLength counts: those of a string,
// URL or number as written (que-10 allows maxLength on those types only).
func length(v value) int {
	switch x := v.V.(type) {
	case string:
		return utf8.RuneCountInString(x)
	case fmt.Stringer: // json.Number
		return utf8.RuneCountInString(x.String())
	}
	return 0
}

// checkCanonical reports a response that claims to answer another
// Questionnaire (or another version of it).
func (r *response) checkCanonical(q, qr map[string]any) {
	url, version := Canonical(qr)
	if qURL := str(q, "url"); url != "" && qURL != "" && url != qURL {
		r.issue("value", "QuestionnaireResponse.questionnaire", "the response answers %s, not %s", url, qURL)
	} else if qVersion := str(q, "version"); version != "" && qVersion != "" && version != qVersion {
		r.issue("value", "QuestionnaireResponse.questionnaire", "the response answers version %s, not %s", version, qVersion)
	}
}

// checkEnabled reports answers to items that enableWhen has disabled.
func (r *response) checkEnabled() {
	for _, n := range r.nodes {
		if n.hasAnswer && !r.isEnabled(n) {
			r.issue("business-rule", n.path+".answer", "item %q is disabled by enableWhen and must not be answered", n.item.linkID)
		}
	}
}

// checkRequired reports required items left unanswered in a place that is
// itself present and enabled. A required group needs at least one nested
// item; a required question needs a valued answer.
func (r *response) checkRequired() {
	for _, c := range r.containers {
		if c.owner != nil && !r.isEnabled(c.owner) {
			continue
		}
		first := map[*item]*node{}
		done := map[*item]bool{}
		for _, n := range c.children {
			if first[n.item] == nil {
				first[n.item] = n
			}
			done[n.item] = done[n.item] || n.answered || (n.item.typ == "group" && n.end > n.idx+1)
		}
		for _, it := range r.expect(c) {
			if !it.required || it.typ == "display" {
				continue
			}
			switch n := first[it]; {
			case done[it]:
			case n != nil:
				if r.isEnabled(n) {
					r.issue("required", n.path, "item %q is required but has no answer", it.linkID)
				}
			case r.enabledAt(it, c.owner, c.end, c.end):
				r.issue("required", c.path, "required item %q is missing", it.linkID)
			}
		}
	}
}
