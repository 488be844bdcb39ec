package handover

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sharedcare/sharedcare/internal/fhirerr"
)

const (
	urnGPPractice = "urn:uuid:6a0e2f4c-1d3b-4c8e-9f21-000000000002"
	urnCondition  = "urn:uuid:6a0e2f4c-1d3b-4c8e-9f21-000000000007"
)

func ref(s string) map[string]any { return map[string]any{"reference": s} }

// removeEntries drops entries of the Bundle; later entries move up.
func removeEntries(b map[string]any, indexes ...int) {
	drop := map[int]bool{}
	for _, i := range indexes {
		drop[i] = true
	}
	var kept []any
	for i, e := range b["entry"].([]any) {
		if !drop[i] {
			kept = append(kept, e)
		}
	}
	b["entry"] = kept
}

// moveToServer makes the handover's patient one already on the server:
// CarePlan.subject and every Task.for become Patient/123.
func moveToServer(b map[string]any) {
	res(b, eCarePlan)["subject"] = ref("Patient/123")
	for _, i := range []int{eTask1, eTask2, eTask3} {
		res(b, i)["for"] = ref("Patient/123")
	}
}

func patientWithGP(gp string) map[string]any {
	return map[string]any{"resourceType": "Patient", "id": "123", "generalPractitioner": []any{ref(gp)}}
}

func TestCheckRules(t *testing.T) {
	t.Parallel()
	const (
		plan = "Bundle.entry[10].resource."
		doc  = "Bundle.entry[15].resource."
	)
	issue := func(code, expression, diagnostics string) fhirerr.Issue {
		return fhirerr.Issue{Code: code, Expression: expression, Diagnostics: diagnostics}
	}
	tests := []struct {
		name   string
		mutate func(b map[string]any)
		held   map[string]map[string]any // what the server holds
		want   []fhirerr.Issue
	}{
		// The Bundle and what it holds.
		{"not a transaction", func(b map[string]any) { b["type"] = "batch" }, nil, []fhirerr.Issue{issue("business-rule", "Bundle.type",
			`a handover is a transaction Bundle, so that it is applied whole or not at all; this one is a "batch"`)}},
		{"no CarePlan", func(b map[string]any) { removeEntries(b, eCarePlan) }, nil, []fhirerr.Issue{issue("required", "Bundle.entry",
			"a handover holds one CarePlan; this Bundle has none")}},
		{"two CarePlans", func(b map[string]any) {
			b["entry"] = append(b["entry"].([]any), map[string]any{"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001",
				"resource": res(b, eCarePlan), "request": map[string]any{"method": "POST", "url": "CarePlan"}})
		}, nil, []fhirerr.Issue{issue("business-rule", "Bundle.entry[16].resource",
			"a handover holds one CarePlan; this is another, beside Bundle.entry[10]")}},
		{"no Tasks", func(b map[string]any) { removeEntries(b, eTask1, eTask2, eTask3) }, nil, []fhirerr.Issue{
			issue("required", "Bundle.entry", "a handover holds at least one Task; this Bundle has none"),
			// The CarePlan's activities still point at the Tasks that are gone.
			issue("not-found", plan+"activity[0].reference",
				"CarePlan activity 0 refers to urn:uuid:6a0e2f4c-1d3b-4c8e-9f21-00000000000c, which is neither in the Bundle nor on this server"),
			issue("not-found", plan+"activity[1].reference",
				"CarePlan activity 1 refers to urn:uuid:6a0e2f4c-1d3b-4c8e-9f21-00000000000d, which is neither in the Bundle nor on this server")}},
		{"no Communication", func(b map[string]any) { removeEntries(b, eCommunication) }, nil, []fhirerr.Issue{issue("required", "Bundle.entry",
			"a handover holds at least one Communication; this Bundle has none")}},
		{"no Composition", func(b map[string]any) { removeEntries(b, eComposition) }, nil, []fhirerr.Issue{issue("required", "Bundle.entry",
			"a handover holds one Composition; this Bundle has none")}},

		// The CarePlan.
		{"CarePlan without category", func(b map[string]any) { delete(res(b, eCarePlan), "category") }, nil, []fhirerr.Issue{issue("required", plan+"category",
			"the CarePlan must have category: the GP needs to know whose plan it is, who wrote it, for how long and what kind of plan it is")}},
		{"CarePlan with an empty period", func(b map[string]any) { res(b, eCarePlan)["period"] = map[string]any{} }, nil, []fhirerr.Issue{issue("required", plan+"period",
			"the CarePlan must have period: the GP needs to know whose plan it is, who wrote it, for how long and what kind of plan it is")}},
		{"CarePlan without activities", func(b map[string]any) { delete(res(b, eCarePlan), "activity") }, nil, []fhirerr.Issue{issue("required", plan+"activity",
			"the CarePlan must have at least one activity: a follow-up plan with nothing to do hands nothing over")}},
		{"activity without performer", func(b map[string]any) {
			delete(res(b, eCarePlan)["activity"].([]any)[2].(map[string]any)["detail"].(map[string]any), "performer")
		}, nil, []fhirerr.Issue{issue("required", plan+"activity[2].detail.performer",
			"CarePlan activity 2 names nobody responsible for it: give detail.performer, or a reference to a Task that has an owner")}},
		{"activity refers to a Task that is nowhere", func(b map[string]any) {
			res(b, eCarePlan)["activity"].([]any)[0] = map[string]any{"reference": ref("Task/missing")}
		}, nil, []fhirerr.Issue{issue("not-found", plan+"activity[0].reference",
			"CarePlan activity 0 refers to Task/missing, which is neither in the Bundle nor on this server")}},
		{"activity refers to a server Task without owner", func(b map[string]any) {
			res(b, eCarePlan)["activity"].([]any)[0] = map[string]any{"reference": ref("Task/7")}
		}, map[string]map[string]any{"Task/7": {"resourceType": "Task", "id": "7"}}, []fhirerr.Issue{issue("business-rule", plan+"activity[0].reference",
			"CarePlan activity 0 refers to Task/7, a Task that names nobody responsible for it (a Task needs an owner, a ServiceRequest a performer)")}},
		{"activity refers to a server Task with an owner", func(b map[string]any) {
			res(b, eCarePlan)["activity"].([]any)[0] = map[string]any{"reference": ref("Task/7")}
		}, map[string]map[string]any{"Task/7": {"resourceType": "Task", "id": "7", "owner": ref("Organization/gp-practice-a")}}, nil},
		{"activity refers to a ServiceRequest with a performer", func(b map[string]any) {
			res(b, eCarePlan)["activity"].([]any)[0] = map[string]any{"reference": ref("ServiceRequest/8")}
		}, map[string]map[string]any{"ServiceRequest/8": {"resourceType": "ServiceRequest", "performer": []any{ref("Organization/riverside-hospital")}}}, nil},

		// The Tasks.
		{"Task without owner", func(b map[string]any) { delete(res(b, eTask1), "owner") }, nil, []fhirerr.Issue{issue("required", "Bundle.entry[11].resource.owner",
			"the Task must have an owner: the GP practice or clinician who is to do it")}},
		{"Task owner nowhere", func(b map[string]any) { res(b, eTask2)["owner"] = ref("Organization/nowhere") }, nil, []fhirerr.Issue{issue("not-found",
			"Bundle.entry[12].resource.owner", "Organization/nowhere is neither in the Bundle nor on this server")}},
		{"Task owner on the server", func(b map[string]any) { res(b, eTask2)["owner"] = ref("PractitionerRole/gp-1") },
			map[string]map[string]any{"PractitionerRole/gp-1": {"resourceType": "PractitionerRole", "id": "gp-1"}}, nil},
		{"Task owner by the urn of a later entry's fullUrl", func(b map[string]any) { res(b, eTask3)["owner"] = ref(urnGPPractice) }, nil, nil},
		{"missing due date", func(b map[string]any) { delete(res(b, eTask3), "restriction") }, nil, []fhirerr.Issue{issue("required",
			"Bundle.entry[13].resource.restriction.period.end", "the Task must have a due date in restriction.period.end")}},
		{"Task not based on the CarePlan", func(b map[string]any) { res(b, eTask1)["basedOn"] = []any{ref("CarePlan/other")} }, nil, []fhirerr.Issue{issue("business-rule",
			"Bundle.entry[11].resource.basedOn", "the Task must be based on the handover's CarePlan (Bundle.entry[10])")}},
		{"Task without basedOn", func(b map[string]any) { delete(res(b, eTask1), "basedOn") }, nil, []fhirerr.Issue{issue("required",
			"Bundle.entry[11].resource.basedOn", "the Task must be based on the handover's CarePlan")}},
		{"Task for another patient", func(b map[string]any) { res(b, eTask2)["for"] = ref("Patient/someone-else") }, nil, []fhirerr.Issue{issue("business-rule",
			"Bundle.entry[12].resource.for", "the Task is for Patient/someone-else, but the CarePlan is for urn:uuid:6a0e2f4c-1d3b-4c8e-9f21-000000000006")}},
		{"Task for the patient by conditional reference", func(b map[string]any) {
			res(b, eTask2)["for"] = ref("Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009")
		}, nil, nil},
		{"Task a plan, not an order", func(b map[string]any) { res(b, eTask1)["intent"] = "plan" }, nil, []fhirerr.Issue{issue("business-rule",
			"Bundle.entry[11].resource.intent", `the Task must have intent "order", not "plan": the hospital is asking the GP to do it`)}},
		{"Task already accepted", func(b map[string]any) { res(b, eTask1)["status"] = "accepted" }, nil, []fhirerr.Issue{issue("business-rule",
			"Bundle.entry[11].resource.status", `the Task must have status "requested", not "accepted": the GP has yet to accept it`)}},

		// The Communication and the patient's GP.
		{"GP not a recipient", func(b map[string]any) {
			res(b, eCommunication)["recipient"] = []any{ref("Practitioner/dr-sunil-patel")}
		}, nil, []fhirerr.Issue{issue("business-rule", "Bundle.entry[14].resource.recipient",
			"the patient's GP (Organization/gp-practice-a) is not among the recipients of the covering Communication")}},
		{"GP a recipient by fullUrl", func(b map[string]any) { res(b, eCommunication)["recipient"] = []any{ref(urnGPPractice)} }, nil, nil},
		{"recipient nowhere", func(b map[string]any) {
			c := res(b, eCommunication)
			c["recipient"] = append(c["recipient"].([]any), ref("PractitionerRole/unknown"))
		}, nil, []fhirerr.Issue{issue("not-found", "Bundle.entry[14].resource.recipient[2]",
			"PractitionerRole/unknown is neither in the Bundle nor on this server")}},
		{"patient without GP", func(b map[string]any) { delete(res(b, ePatient), "generalPractitioner") }, nil, []fhirerr.Issue{issue("required",
			"Bundle.entry[5].resource.generalPractitioner", "the patient has no generalPractitioner, so the handover cannot be addressed to their GP")}},
		{"patient on the server, GP a recipient", moveToServer,
			map[string]map[string]any{"Patient/123": patientWithGP("Organization/gp-practice-a")}, nil},
		{"patient on the server, another GP", moveToServer,
			map[string]map[string]any{"Patient/123": patientWithGP("Organization/other-practice")}, []fhirerr.Issue{issue("business-rule",
				"Bundle.entry[14].resource.recipient", "the patient's GP (Organization/other-practice) is not among the recipients of the covering Communication")}},
		{"patient on the server without GP", moveToServer,
			map[string]map[string]any{"Patient/123": {"resourceType": "Patient", "id": "123"}}, []fhirerr.Issue{issue("required",
				plan+"subject", "the patient has no generalPractitioner, so the handover cannot be addressed to their GP")}},
		{"patient nowhere", moveToServer, nil, []fhirerr.Issue{issue("not-found", plan+"subject",
			"the CarePlan's subject Patient/123 is neither in the Bundle nor on this server")}},

		// The treatment summary.
		{"Composition not final", func(b map[string]any) { res(b, eComposition)["status"] = "preliminary" }, nil, []fhirerr.Issue{issue("business-rule",
			doc+"status", `the Composition must have status "final", not "preliminary": the GP acts on a treatment summary, not a draft of one`)}},
		{"Composition without custodian", func(b map[string]any) { delete(res(b, eComposition), "custodian") }, nil, []fhirerr.Issue{issue("required",
			doc+"custodian", "the Composition must have custodian: a treatment summary says whose it is, who wrote it and which organisation answers for it")}},
		{"drop a section", func(b map[string]any) {
			d := res(b, eComposition)
			s := d["section"].([]any)
			d["section"] = append(s[:3:3], s[4:]...)
		}, nil, []fhirerr.Issue{issue("required", doc+"section",
			"the treatment summary has no red-flags section (code https://sharedcare.dev/fhir/CodeSystem/treatment-summary-section#red-flags)")}},
		{"section coded in another system", func(b map[string]any) {
			section(b, 1)["code"] = map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "treatment"}}}
		}, nil, []fhirerr.Issue{issue("required", doc+"section",
			"the treatment summary has no treatment section (code https://sharedcare.dev/fhir/CodeSystem/treatment-summary-section#treatment)")}},
		{"empty section", func(b map[string]any) { delete(section(b, 0), "text"); delete(section(b, 0), "entry") }, nil, []fhirerr.Issue{issue("required",
			doc+"section[0]", "the diagnosis section is empty: give it text or entries")}},
		{"section with text only", func(b map[string]any) { delete(section(b, 0), "entry") }, nil, nil},
		{"follow-up plan without the CarePlan", func(b map[string]any) { section(b, 4)["entry"] = []any{ref(urnCondition)} }, nil, []fhirerr.Issue{issue("business-rule",
			doc+"section[4].entry", "the follow-up-plan section must list the CarePlan (Bundle.entry[10])")}},
		{"GP actions leave out a Task", func(b map[string]any) {
			s := section(b, 5)
			s["entry"] = s["entry"].([]any)[:1]
		}, nil, []fhirerr.Issue{
			issue("business-rule", doc+"section[5].entry", "the gp-actions section must list every Task; it leaves out Bundle.entry[12]"),
			issue("business-rule", doc+"section[5].entry", "the gp-actions section must list every Task; it leaves out Bundle.entry[13]")}},
		{"GP actions list a Task by Type/id", func(b map[string]any) {
			b["entry"].([]any)[eTask2].(map[string]any)["request"] = map[string]any{"method": "PUT", "url": "Task/bone-health"}
			res(b, eTask2)["id"] = "bone-health"
			s := section(b, 5)
			s["entry"].([]any)[1] = ref("Task/bone-health")
		}, nil, nil},
		{"key contacts without a CareTeam", func(b map[string]any) { section(b, 6)["entry"] = []any{ref("Practitioner/cns-helen-marsh")} }, nil,
			[]fhirerr.Issue{issue("business-rule", doc+"section[6].entry", "the key-contacts section must list a CareTeam: who the GP and the patient can call")}},
		{"key contacts CareTeam on the server", func(b map[string]any) { section(b, 6)["entry"] = []any{ref("CareTeam/breast-team")} },
			map[string]map[string]any{"CareTeam/breast-team": {"resourceType": "CareTeam", "id": "breast-team"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fixture(t)
			tt.mutate(b)
			got, err := Check(context.Background(), b, &resolver{held: tt.held})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("issues (-want +got):\n%s", diff)
			}
		})
	}
}
