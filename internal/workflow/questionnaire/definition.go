package questionnaire

import (
	"fmt"
	"strconv"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// CheckDefinition checks a Questionnaire against the R4 invariants on its
// items (questionnaire.html, que-1 to que-13) that response validation
// relies on: unique linkIds, groups that group, display items that ask
// nothing, answer options only where an answer can be chosen, and
// enableWhen conditions that can be evaluated. A Questionnaire breaking
// them would make every response to it fail, or pass, for the wrong
// reason. Each broken invariant is one issue of code "invariant" at the
// item, e.g. Questionnaire.item[2].item[0].
func CheckDefinition(q map[string]any) []fhirerr.Issue {
	c := &definitionCheck{links: map[string]string{}}
	c.items(q["item"], "Questionnaire")
	return c.issues
}

type definitionCheck struct {
	links  map[string]string // linkId → the path of the item that has it first
	issues []fhirerr.Issue
}

func (c *definitionCheck) fail(path, key, format string, args ...any) {
	c.issues = append(c.issues, fhirerr.Issue{Code: "invariant", Expression: path,
		Diagnostics: key + ": " + fmt.Sprintf(format, args...)})
}

// optionTypes may carry answerOption or answerValueSet (que-5 as R4 4.0.1
// evaluates it).
var optionTypes = map[string]bool{"choice": true, "open-choice": true, "decimal": true, "integer": true,
	"date": true, "dateTime": true, "time": true, "string": true, "quantity": true}

// maxLengthTypes may declare maxLength (que-10).
var maxLengthTypes = map[string]bool{"boolean": true, "decimal": true, "integer": true, "string": true,
	"text": true, "url": true, "open-choice": true}

func (c *definitionCheck) items(raw any, parent string) {
	list, _ := raw.([]any)
	for i, r := range list {
		m, _ := r.(map[string]any)
		path := parent + ".item[" + strconv.Itoa(i) + "]"
		c.item(m, path)
		c.items(m["item"], path)
	}
}

func (c *definitionCheck) item(m map[string]any, path string) {
	typ := str(m, "type")
	has := func(key string) bool { _, ok := m[key]; return ok }
	children, _ := m["item"].([]any)
	initial, _ := m["initial"].([]any)
	conditions, _ := m["enableWhen"].([]any)

	if link := str(m, "linkId"); link != "" {
		if first, dup := c.links[link]; dup {
			c.fail(path, "que-2", "linkId %q is already used by %s; linkIds must be unique", fhirerr.Clip(link, fhirerr.MaxQuoted), first)
		} else {
			c.links[link] = path
		}
	}
	switch typ {
	case "group":
		if len(children) == 0 {
			c.fail(path, "que-1", "a group item must contain items")
		}
	case "display":
		if len(children) > 0 {
			c.fail(path, "que-1", "a display item cannot contain items")
		}
		if has("code") {
			c.fail(path, "que-3", "a display item cannot have a code")
		}
		if has("required") || has("repeats") {
			c.fail(path, "que-6", "a display item cannot be required or repeat")
		}
		if has("readOnly") {
			c.fail(path, "que-9", "a display item cannot be readOnly")
		}
	}
	if has("answerOption") && has("answerValueSet") {
		c.fail(path, "que-4", "an item cannot have both answerOption and answerValueSet")
	}
	if (has("answerOption") || has("answerValueSet")) && !optionTypes[typ] {
		c.fail(path, "que-5", "a %s item cannot have answerOption or answerValueSet", typ)
	}
	if (typ == "group" || typ == "display") && len(initial) > 0 {
		c.fail(path, "que-8", "a %s item cannot have an initial value", typ)
	}
	if has("maxLength") && !maxLengthTypes[typ] {
		c.fail(path, "que-10", "a %s item cannot declare maxLength", typ)
	}
	if has("answerOption") && len(initial) > 0 {
		c.fail(path, "que-11", "an item with answerOption cannot have initial: use answerOption.initialSelected")
	}
	// R4's FHIRPath for que-12 says count() > 2; its text, followed here,
	// says more than one: with two conditions "all" and "any" differ.
	if len(conditions) > 1 && !has("enableBehavior") {
		c.fail(path, "que-12", "an item with more than one enableWhen must say enableBehavior (all or any)")
	}
	if len(initial) > 1 && m["repeats"] != true {
		c.fail(path, "que-13", "only a repeating item can have more than one initial value")
	}
	for j, raw := range conditions {
		w, _ := raw.(map[string]any)
		if str(w, "operator") != "exists" {
			continue
		}
		if _, ok := w["answerBoolean"].(bool); !ok {
			c.fail(path+".enableWhen["+strconv.Itoa(j)+"]", "que-7", "an enableWhen with operator exists must have answerBoolean")
		}
	}
}
