package questionnaire

// Extension URLs of the R4 core minValue and maxValue extensions.
const (
	minValueURL = "http://hl7.org/fhir/StructureDefinition/minValue"
	maxValueURL = "http://hl7.org/fhir/StructureDefinition/maxValue"
)

// operators are the R4 QuestionnaireItemOperator codes.
var operators = map[string]bool{"exists": true, "=": true, "!=": true, ">": true, "<": true, ">=": true, "<=": true}

// item is one Questionnaire item, read once and defensively: members of the
// wrong JSON type are treated as absent, because a broken Questionnaire is
// not the response's fault.
type item struct {
	linkID     string
	typ        string
	text       string
	code       []any // Questionnaire.item.code as given
	required   bool
	repeats    bool
	maxLength  int // 0 when there is no limit
	options    []value
	enableWhen []condition
	enableAny  bool // enableBehavior "any"; "all" is the default
	minValue   *value
	maxValue   *value
	parent     *item
	children   []*item
}

// condition is one enableWhen.
type condition struct {
	question string
	operator string
	answer   value
}

// index is a Questionnaire's item tree and its items by linkId.
type index struct {
	top    []*item
	byLink map[string]*item
	order  []*item // every item, depth first, as the Questionnaire lists them
}

func newIndex(q map[string]any) *index {
	ix := &index{byLink: map[string]*item{}}
	ix.top = ix.items(q["item"], nil)
	return ix
}

// items reads a Questionnaire item array. Items without a linkId cannot be
// answered, and a linkId used twice (que-2) keeps its first item, so that
// lookups are deterministic.
func (ix *index) items(raw any, parent *item) []*item {
	list, _ := raw.([]any)
	var out []*item
	for _, r := range list {
		m, _ := r.(map[string]any)
		link := str(m, "linkId")
		if link == "" || ix.byLink[link] != nil {
			continue
		}
		it := &item{linkID: link, typ: str(m, "type"), text: str(m, "text"), parent: parent}
		it.code, _ = m["code"].([]any)
		it.required, _ = m["required"].(bool)
		it.repeats, _ = m["repeats"].(bool)
		if n, ok := integer(m["maxLength"]); ok && n > 0 {
			it.maxLength = n
		}
		options, _ := m["answerOption"].([]any)
		for _, o := range options {
			om, _ := o.(map[string]any)
			if v, found, problem := valueOf(om, "value"); found && problem == "" && badShape(v) == "" {
				it.options = append(it.options, v)
			}
		}
		it.enableWhen = conditions(m["enableWhen"])
		it.enableAny = str(m, "enableBehavior") == "any"
		extensions, _ := m["extension"].([]any)
		for _, e := range extensions {
			em, _ := e.(map[string]any)
			v, found, problem := valueOf(em, "value")
			if !found || problem != "" || badShape(v) != "" {
				continue
			}
			switch str(em, "url") {
			case minValueURL:
				it.minValue = &v
			case maxValueURL:
				it.maxValue = &v
			}
		}
		ix.byLink[link] = it
		ix.order = append(ix.order, it)
		it.children = ix.items(m["item"], it)
		out = append(out, it)
	}
	return out
}

// conditions reads enableWhen. A condition that cannot be evaluated (no
// question, unknown operator, no usable answer[x]) is dropped rather than
// held against the response.
func conditions(raw any) []condition {
	list, _ := raw.([]any)
	var out []condition
	for _, r := range list {
		m, _ := r.(map[string]any)
		c := condition{question: str(m, "question"), operator: str(m, "operator")}
		v, found, problem := valueOf(m, "answer")
		if c.question == "" || !operators[c.operator] || !found || problem != "" || badShape(v) != "" {
			continue
		}
		c.answer = v
		out = append(out, c)
	}
	return out
}

// isQuestion reports whether answers belong on the item: everything but
// group and display.
func (it *item) isQuestion() bool { return it.typ != "group" && it.typ != "display" }

// answerKinds are the answer.value[x] types each item type takes (R4
// questionnaireresponse.html, "Questionnaire item types and answer types").
var answerKinds = map[string][]string{
	"boolean": {"Boolean"}, "decimal": {"Decimal"}, "integer": {"Integer"}, "date": {"Date"},
	"dateTime": {"DateTime"}, "time": {"Time"}, "string": {"String"}, "text": {"String"}, "url": {"Uri"},
	"choice": {"Coding"}, "open-choice": {"Coding", "String"}, "attachment": {"Attachment"},
	"reference": {"Reference"}, "quantity": {"Quantity"},
}

// takes reports whether the item accepts an answer of the given kind, and
// whether its type is known at all (an unknown type is not checked). Choice
// items also take the value type of their answerOptions (R4 lets them be
// integer, date, time, string or Reference).
func (it *item) takes(kind string) (ok, known bool) {
	allowed, known := answerKinds[it.typ]
	if !known {
		return true, false
	}
	for _, k := range allowed {
		if k == kind {
			return true, true
		}
	}
	if it.typ == "choice" || it.typ == "open-choice" {
		for _, o := range it.options {
			if o.Kind == kind {
				return true, true
			}
		}
	}
	return false, true
}

// where names the item's place in the Questionnaire for a diagnostic.
func (it *item) where() string {
	if it.parent == nil {
		return "at the top level"
	}
	return "under " + it.parent.linkID
}
