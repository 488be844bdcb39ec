// Package handover holds the shared-care rules of a treatment-summary
// handover: the one transaction Bundle in which a hospital oncology team
// hands a patient's follow-up to primary care. The Bundle carries the
// follow-up CarePlan, the Tasks handed to the GP, a covering Communication
// and a treatment-summary Composition whose sections are those of the
// CodeSystem at SectionSystem (api/codesystem-treatment-summary-section.json).
//
// FHIR validation says whether each resource is well formed; Check says
// whether the Bundle as a whole is a handover the GP can act on: somebody
// responsible for every activity, a due date and an owner on every Task,
// the patient's GP among the recipients, every section of the summary
// filled in, and an identifier (Key) that makes a retry recognisable. It works on JSON trees and a Resolver, so it knows nothing of
// HTTP or storage.
package handover

import (
	"context"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

// SectionSystem is the CodeSystem of the treatment summary's section codes.
const SectionSystem = "https://sharedcare.dev/fhir/CodeSystem/treatment-summary-section"

// The section codes of SectionSystem.
const (
	SectionDiagnosis    = "diagnosis"      // diagnosis and stage
	SectionTreatment    = "treatment"      // treatment given
	SectionSideEffects  = "side-effects"   // possible side and late effects
	SectionRedFlags     = "red-flags"      // symptoms that should prompt re-referral
	SectionFollowUpPlan = "follow-up-plan" // entry: the CarePlan
	SectionGPActions    = "gp-actions"     // entries: the Tasks
	SectionKeyContacts  = "key-contacts"   // entry: a CareTeam
)

// Sections lists the section codes a treatment summary must have, in the
// order the CodeSystem gives them.
var Sections = []string{
	SectionDiagnosis, SectionTreatment, SectionSideEffects, SectionRedFlags,
	SectionFollowUpPlan, SectionGPActions, SectionKeyContacts,
}

// Resolver looks up references that point outside the Bundle: "Type/id" on
// this server, or a conditional reference "Type?search". It returns the
// resource tree, or found=false. Check passes it every other reference it
// cannot find in the Bundle too (an absolute URL, say), so a Resolver
// answers found=false for what it does not recognise.
type Resolver interface {
	Resolve(ctx context.Context, ref string) (resource map[string]any, found bool, err error)
}

// Check applies the shared-care rules to a handover transaction Bundle and
// returns one issue per violated rule (nil when all hold). Every issue's
// Expression names the entry and element, e.g.
// "Bundle.entry[4].resource.owner"; codes "required", "business-rule",
// "not-found". The error is the Resolver's, when it fails. A nil Resolver
// finds nothing.
//
// A rule that depends on something already reported missing (the Tasks'
// basedOn when there is no CarePlan, the entries of a missing section) is
// not checked, so one mistake gives one issue.
func Check(ctx context.Context, bundle map[string]any, r Resolver) ([]fhirerr.Issue, error) {
	if typ := str(bundle["resourceType"]); typ != "Bundle" {
		return []fhirerr.Issue{{Code: "business-rule",
			Diagnostics: "a handover is a transaction Bundle, not a " + typ}}, nil
	}
	c := &checker{bundleIndex: indexBundle(ctx, bundle, r)}
	c.checkIdentifier(bundle)
	if err := c.run(str(bundle["type"])); err != nil {
		return nil, err
	}
	return c.issues, nil
}

// Summary describes what a valid handover holds, for the response: which
// entries hold the CarePlan and the Composition, and the Tasks now waiting
// for primary care. Entry indexes are those of the request Bundle, which
// are those of the transaction-response too.
type Summary struct {
	Patient        string        // CarePlan.subject.reference, as written
	CarePlan       int           // entry index, -1 when there is none
	Composition    int           // entry index, -1 when there is none
	Communications []int         // entry indexes
	Tasks          []WaitingTask // in Bundle order
}

// WaitingTask is a Task handed to primary care.
type WaitingTask struct {
	Entry       int    // entry index
	FullURL     string // entry.fullUrl
	Owner       string // Task.owner.reference, as written
	OwnerName   string // Task.owner.display
	Due         string // Task.restriction.period.end
	Description string // Task.description, else Task.code.text
}

// Summarize describes a handover Bundle that Check has passed. On another
// Bundle it describes whatever it finds.
func Summarize(bundle map[string]any) Summary {
	h := indexBundle(context.Background(), bundle, nil)
	s := Summary{CarePlan: -1, Composition: -1}
	if cp := h.ofType("CarePlan"); len(cp) > 0 {
		s.CarePlan = cp[0].index
		s.Patient = refOf(cp[0].res["subject"])
	}
	if d := h.ofType("Composition"); len(d) > 0 {
		s.Composition = d[0].index
	}
	for _, m := range h.ofType("Communication") {
		s.Communications = append(s.Communications, m.index)
	}
	for _, t := range h.ofType("Task") {
		desc := str(t.res["description"])
		if desc == "" {
			desc = str(field(t.res["code"], "text"))
		}
		s.Tasks = append(s.Tasks, WaitingTask{
			Entry: t.index, FullURL: t.fullURL,
			Owner: refOf(t.res["owner"]), OwnerName: str(field(t.res["owner"], "display")),
			Due:         str(field(field(t.res["restriction"], "period"), "end")),
			Description: desc,
		})
	}
	return s
}
