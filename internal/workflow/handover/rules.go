package handover

import (
	"fmt"
	"strings"

	"github.com/sharedcare/sharedcare/internal/fhir"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// checker applies the rules to one indexed Bundle, collecting issues.
type checker struct {
	*bundleIndex
	issues []fhirerr.Issue
}

func (c *checker) add(code, expression, format string, args ...any) {
	c.issues = append(c.issues, fhirerr.Issue{Code: code, Expression: expression, Diagnostics: fmt.Sprintf(format, args...)})
}

// at is the FHIRPath of an element of an entry's resource.
func at(e *entry, element string) string {
	return fmt.Sprintf("Bundle.entry[%d].resource.%s", e.index, element)
}

func (c *checker) run(bundleType string) error {
	if bundleType != "transaction" {
		c.add("business-rule", "Bundle.type", "a handover is a transaction Bundle, so that it is applied whole or not at all; this one is a %q", bundleType)
	}
	plan := c.one("CarePlan")
	tasks := c.some("Task")
	comms := c.some("Communication")
	doc := c.one("Composition")
	if plan != nil {
		if err := c.carePlan(plan); err != nil {
			return err
		}
	}
	for _, t := range tasks {
		if err := c.task(t, plan); err != nil {
			return err
		}
	}
	if err := c.communications(comms, plan); err != nil {
		return err
	}
	if doc != nil {
		return c.composition(doc, plan, tasks)
	}
	return nil
}

// one requires exactly one resource of type typ and returns the first.
func (c *checker) one(typ string) *entry {
	es := c.ofType(typ)
	if len(es) == 0 {
		c.add("required", "Bundle.entry", "a handover holds one %s; this Bundle has none", typ)
		return nil
	}
	for _, e := range es[1:] {
		c.add("business-rule", fmt.Sprintf("Bundle.entry[%d].resource", e.index),
			"a handover holds one %s; this is another, beside Bundle.entry[%d]", typ, es[0].index)
	}
	return es[0]
}

// some requires at least one resource of type typ.
func (c *checker) some(typ string) []*entry {
	es := c.ofType(typ)
	if len(es) == 0 {
		c.add("required", "Bundle.entry", "a handover holds at least one %s; this Bundle has none", typ)
	}
	return es
}

// require reports each named element of e's resource that is absent or empty.
func (c *checker) require(e *entry, why string, elements ...string) {
	for _, name := range elements {
		if !fhir.Present(e.res[name]) {
			c.add("required", at(e, name), "the %s must have %s: %s", e.typ, name, why)
		}
	}
}

// code requires a code element to hold want.
func (c *checker) code(e *entry, element, want, why string) {
	got := str(e.res[element])
	switch {
	case got == "":
		c.add("required", at(e, element), "the %s must have %s %q: %s", e.typ, element, want, why)
	case got != want:
		c.add("business-rule", at(e, element), "the %s must have %s %q, not %q: %s", e.typ, element, want, got, why)
	}
}

// carePlan: subject, author, period, category and activities, and somebody
// responsible for every activity.
func (c *checker) carePlan(plan *entry) error {
	c.require(plan, "the GP needs to know whose plan it is, who wrote it, for how long and what kind of plan it is",
		"subject", "author", "period", "category")
	acts := list(plan.res["activity"])
	if !fhir.Present(acts) {
		c.add("required", at(plan, "activity"), "the CarePlan must have at least one activity: a follow-up plan with nothing to do hands nothing over")
	}
	for i, act := range acts {
		if err := c.activity(plan, i, act); err != nil {
			return err
		}
	}
	return nil
}

// activity requires a responsible party for a CarePlan activity. An
// activity names one either in detail.performer, or by activity.reference
// to a Task that has an owner or a ServiceRequest that has a performer (in
// the Bundle or on this server). R4 allows a reference or a detail, not both.
func (c *checker) activity(plan *entry, i int, act any) error {
	path := fmt.Sprintf("activity[%d]", i)
	if fhir.Present(field(field(act, "detail"), "performer")) {
		return nil
	}
	ref := refOf(field(act, "reference"))
	if ref == "" {
		c.add("required", at(plan, path+".detail.performer"),
			"CarePlan activity %d names nobody responsible for it: give detail.performer, or a reference to a Task that has an owner", i)
		return nil
	}
	t, err := c.resolve(ref)
	if err != nil {
		return err
	}
	switch {
	case t == nil:
		c.add("not-found", at(plan, path+".reference"), "CarePlan activity %d refers to %s, which is neither in the Bundle nor on this server", i, ref)
	case t.typ() == "Task" && (t.entry != nil || fhir.Present(t.res["owner"])):
		// A Task of the Bundle is held to the Task rules, its owner among
		// them: a missing owner is reported once, on the Task.
	case t.typ() == "ServiceRequest" && fhir.Present(t.res["performer"]):
	default:
		c.add("business-rule", at(plan, path+".reference"),
			"CarePlan activity %d refers to %s, a %s that names nobody responsible for it (a Task needs an owner, a ServiceRequest a performer)",
			i, ref, t.typ())
	}
	return nil
}

// task: a Task handed to primary care has an owner that exists, a due date,
// is based on the CarePlan, is for the plan's patient, and is a requested
// order.
func (c *checker) task(t, plan *entry) error {
	owner := t.res["owner"]
	if !fhir.Present(owner) {
		c.add("required", at(t, "owner"), "the Task must have an owner: the GP practice or clinician who is to do it")
	} else if err := c.exists(t, "owner", refOf(owner)); err != nil {
		return err
	}
	if !fhir.Present(field(field(t.res["restriction"], "period"), "end")) {
		c.add("required", at(t, "restriction.period.end"), "the Task must have a due date in restriction.period.end")
	}
	c.code(t, "intent", "order", "the hospital is asking the GP to do it")
	c.code(t, "status", "requested", "the GP has yet to accept it")
	basedOn := list(t.res["basedOn"])
	if !fhir.Present(basedOn) {
		c.add("required", at(t, "basedOn"), "the Task must be based on the handover's CarePlan")
	} else if plan != nil && !c.refersTo(basedOn, plan) {
		c.add("business-rule", at(t, "basedOn"), "the Task must be based on the handover's CarePlan (Bundle.entry[%d])", plan.index)
	}
	var subject string
	if plan != nil {
		subject = refOf(plan.res["subject"])
	}
	switch {
	case !fhir.Present(t.res["for"]):
		c.add("required", at(t, "for"), "the Task must say which patient it is for")
	case subject != "" && !c.same(refOf(t.res["for"]), subject):
		c.add("business-rule", at(t, "for"), "the Task is for %s, but the CarePlan is for %s", refOf(t.res["for"]), subject)
	}
	return nil
}

// exists reports a reference that points at nothing. A Reference with no
// reference (an identifier only) is taken as it is: there is nothing to look up.
func (c *checker) exists(e *entry, element, ref string) error {
	if ref == "" {
		return nil
	}
	t, err := c.resolve(ref)
	if err != nil {
		return err
	}
	if t == nil {
		c.add("not-found", at(e, element), "%s is neither in the Bundle nor on this server", ref)
	}
	return nil
}

// refersTo reports whether any of a list of References points at entry e.
func (c *checker) refersTo(refs []any, e *entry) bool {
	for _, r := range refs {
		if c.inBundle(refOf(r)) == e {
			return true
		}
	}
	return false
}

// communications: every recipient exists, and the patient's GP (a
// Patient.generalPractitioner of the CarePlan's subject) is literally among
// the recipients of at least one Communication: a letter to a practice does
// not reach a GP of it, nor the other way round.
func (c *checker) communications(comms []*entry, plan *entry) error {
	for _, m := range comms {
		for k, r := range list(m.res["recipient"]) {
			if err := c.exists(m, fmt.Sprintf("recipient[%d]", k), refOf(r)); err != nil {
				return err
			}
		}
	}
	if len(comms) == 0 || plan == nil || !fhir.Present(plan.res["subject"]) {
		return nil // reported already
	}
	subject := refOf(plan.res["subject"])
	p, err := c.resolve(subject)
	if err != nil {
		return err
	}
	switch {
	case p == nil:
		c.add("not-found", at(plan, "subject"), "the CarePlan's subject %s is neither in the Bundle nor on this server", subject)
		return nil
	case p.typ() != "Patient":
		c.add("business-rule", at(plan, "subject"), "the CarePlan's subject is a %s: a handover is for one Patient", p.typ())
		return nil
	}
	gps := list(p.res["generalPractitioner"])
	if !fhir.Present(gps) {
		where := at(plan, "subject")
		if p.entry != nil {
			where = at(p.entry, "generalPractitioner")
		}
		c.add("required", where, "the patient has no generalPractitioner, so the handover cannot be addressed to their GP")
		return nil
	}
	for _, m := range comms {
		for _, r := range list(m.res["recipient"]) {
			for _, gp := range gps {
				if c.sameParty(gp, r) {
					return nil
				}
			}
		}
	}
	var names []string
	for _, gp := range gps {
		if s := refOf(gp); s != "" {
			names = append(names, s)
		} else {
			names = append(names, str(field(field(gp, "identifier"), "value")))
		}
	}
	c.add("business-rule", at(comms[0], "recipient"), "the patient's GP (%s) is not among the recipients of the covering Communication",
		strings.Join(names, ", "))
	return nil
}

// composition: a final treatment summary with subject, author and
// custodian, every section present and filled in, and the sections that
// index the handover listing what they should.
func (c *checker) composition(doc, plan *entry, tasks []*entry) error {
	c.code(doc, "status", "final", "the GP acts on a treatment summary, not a draft of one")
	c.require(doc, "a treatment summary says whose it is, who wrote it and which organisation answers for it",
		"subject", "author", "custodian")
	sections := list(doc.res["section"])
	for _, code := range Sections {
		j := sectionIndex(sections, code)
		if j < 0 {
			c.add("required", at(doc, "section"), "the treatment summary has no %s section (code %s#%s)", code, SectionSystem, code)
			continue
		}
		s := sections[j]
		path := fmt.Sprintf("section[%d]", j)
		if !fhir.Present(field(field(s, "text"), "div")) && !fhir.Present(field(s, "entry")) {
			c.add("required", at(doc, path), "the %s section is empty: give it text or entries", code)
			continue
		}
		entries := list(field(s, "entry"))
		switch code {
		case SectionFollowUpPlan:
			if plan != nil && !c.refersTo(entries, plan) {
				c.add("business-rule", at(doc, path+".entry"), "the %s section must list the CarePlan (Bundle.entry[%d])", code, plan.index)
			}
		case SectionGPActions:
			for _, t := range tasks {
				if !c.refersTo(entries, t) {
					c.add("business-rule", at(doc, path+".entry"), "the %s section must list every Task; it leaves out Bundle.entry[%d]", code, t.index)
				}
			}
		case SectionKeyContacts:
			ok, err := c.listsCareTeam(entries)
			if err != nil {
				return err
			}
			if !ok {
				c.add("business-rule", at(doc, path+".entry"), "the %s section must list a CareTeam: who the GP and the patient can call", code)
			}
		}
	}
	return nil
}

// sectionIndex finds the top-level section coded code in SectionSystem, -1
// when there is none.
func sectionIndex(sections []any, code string) int {
	for j, s := range sections {
		for _, cd := range list(field(field(s, "code"), "coding")) {
			if str(field(cd, "system")) == SectionSystem && str(field(cd, "code")) == code {
				return j
			}
		}
	}
	return -1
}

// listsCareTeam reports whether any of refs points at a CareTeam, in the
// Bundle or on this server.
func (c *checker) listsCareTeam(refs []any) (bool, error) {
	for _, r := range refs {
		t, err := c.resolve(refOf(r))
		if err != nil {
			return false, err
		}
		if t != nil && t.typ() == "CareTeam" {
			return true, nil
		}
	}
	return false, nil
}
