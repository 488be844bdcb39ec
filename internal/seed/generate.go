// Package seed generates a realistic shared-care population (hospital
// trusts, GP practices, clinicians, and for each patient their cancer
// diagnosis, treatment, follow-up plan, Tasks handed to the GP, messages,
// results and holistic needs assessment) and loads it into a store, for
// scale tests and benchmarks of search. Output is deterministic for a seed.
package seed

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Sizes of the fixed cast around the patients.
const (
	hospitals   = 10
	practices   = 500
	oncologists = 200
	gps         = 1500
)

// Resource is one generated resource: its type, id and JSON.
type Resource struct {
	Type, ID string
	JSON     map[string]any
}

// Generator makes resources. It is not safe for concurrent use.
type Generator struct {
	rnd  *rand.Rand
	base time.Time
}

// NewGenerator returns a generator whose output depends only on seed.
func NewGenerator(seed uint64) *Generator {
	return &Generator{rnd: rand.New(rand.NewPCG(seed, seed^0x5eed)), base: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
}

func ref(typ, id string) map[string]any { return map[string]any{"reference": typ + "/" + id} }

func coding(system, code, display string) map[string]any {
	return map[string]any{"coding": []any{map[string]any{"system": system, "code": code, "display": display}}, "text": display}
}

const snomed, loinc = "http://snomed.info/sct", "http://loinc.org"

// Cast returns the organisations and clinicians every patient refers to.
func (g *Generator) Cast() []Resource {
	var out []Resource
	for i := 0; i < hospitals; i++ {
		out = append(out, Resource{"Organization", fmt.Sprintf("trust-%d", i), map[string]any{
			"resourceType": "Organization", "id": fmt.Sprintf("trust-%d", i), "active": true,
			"name": fmt.Sprintf("%s NHS Foundation Trust", pick(g.rnd, towns)),
			"type": []any{coding("http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider")}}})
	}
	for i := 0; i < practices; i++ {
		out = append(out, Resource{"Organization", fmt.Sprintf("gp-%d", i), map[string]any{
			"resourceType": "Organization", "id": fmt.Sprintf("gp-%d", i), "active": true,
			"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": fmt.Sprintf("Y%05d", i)}},
			"name":       fmt.Sprintf("%s %s", pick(g.rnd, towns), pick(g.rnd, []string{"Surgery", "Medical Centre", "Health Centre", "Practice"}))}})
	}
	for i := 0; i < oncologists+gps; i++ {
		id := fmt.Sprintf("pr-%d", i)
		out = append(out, Resource{"Practitioner", id, map[string]any{"resourceType": "Practitioner", "id": id, "active": true,
			"name": []any{map[string]any{"family": pick(g.rnd, families), "given": []any{pick(g.rnd, givens)}, "prefix": []any{"Dr"}}}}})
		org := fmt.Sprintf("trust-%d", i%hospitals)
		role := coding(snomed, "309295000", "Clinical oncologist")
		if i >= oncologists {
			org, role = fmt.Sprintf("gp-%d", (i-oncologists)%practices), coding(snomed, "62247001", "General practitioner")
		}
		out = append(out, Resource{"PractitionerRole", "role-" + id, map[string]any{"resourceType": "PractitionerRole", "id": "role-" + id,
			"active": true, "practitioner": ref("Practitioner", id), "organization": ref("Organization", org), "code": []any{role}}})
	}
	return out
}

// cancers are diagnoses with a treatment and a follow-up plan.
var cancers = []struct{ code, name, procedure, medicine string }{
	{"254837009", "Malignant neoplasm of breast", "Wide local excision of breast lesion", "Letrozole 2.5mg tablets"},
	{"399068003", "Malignant tumour of prostate", "Radical prostatectomy", "Bicalutamide 50mg tablets"},
	{"363406005", "Malignant tumour of colon", "Right hemicolectomy", ""},
	{"363358000", "Malignant tumour of lung", "Lobectomy of lung", ""},
	{"93761005", "Primary malignant neoplasm of colon", "Sigmoid colectomy", "Capecitabine 500mg tablets"},
}

// Patient generates patient number n and everything recorded about them
// (about 20 resources).
func (g *Generator) Patient(n int) []Resource {
	r := g.rnd
	pid := fmt.Sprintf("pat-%d", n)
	practice := fmt.Sprintf("gp-%d", r.IntN(practices))
	trust := fmt.Sprintf("trust-%d", r.IntN(hospitals))
	oncologist := fmt.Sprintf("pr-%d", r.IntN(oncologists))
	gp := fmt.Sprintf("pr-%d", oncologists+r.IntN(gps))
	cancer := cancers[r.IntN(len(cancers))]
	diagnosed := g.base.AddDate(0, 0, -30-r.IntN(5*365))
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	instant := func(t time.Time) string { return t.Format(time.RFC3339) }
	gender := pick(r, []string{"female", "male"})
	out := []Resource{{"Patient", pid, map[string]any{"resourceType": "Patient", "id": pid, "active": true,
		"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHSNumber(n)}},
		"name":       []any{map[string]any{"family": pick(r, families), "given": []any{pick(r, givens)}}},
		"gender":     gender, "birthDate": day(g.base.AddDate(-40-r.IntN(45), 0, -r.IntN(365))),
		"address":             []any{map[string]any{"city": pick(r, towns), "postalCode": fmt.Sprintf("%s%d %d%s", "LS", 1+r.IntN(28), r.IntN(10), "AB")}},
		"telecom":             []any{map[string]any{"system": "phone", "value": fmt.Sprintf("07700 9%05d", n%100000)}},
		"generalPractitioner": []any{ref("Organization", practice)}, "managingOrganization": ref("Organization", trust)}}}
	add := func(typ, id string, m map[string]any) {
		m["resourceType"], m["id"] = typ, id
		out = append(out, Resource{typ, id, m})
	}
	add("Condition", pid+"-dx", map[string]any{"clinicalStatus": coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
		"verificationStatus": coding("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
		"category":           []any{coding("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis")},
		"code":               coding(snomed, cancer.code, cancer.name), "subject": ref("Patient", pid), "onsetDateTime": day(diagnosed),
		"stage": []any{map[string]any{"summary": map[string]any{"text": fmt.Sprintf("Stage %s", pick(r, []string{"I", "IIA", "IIB", "IIIA", "IIIB"}))}}}})
	add("EpisodeOfCare", pid+"-eoc", map[string]any{"status": "active", "patient": ref("Patient", pid), "managingOrganization": ref("Organization", trust),
		"period": map[string]any{"start": day(diagnosed)}, "careManager": ref("Practitioner", oncologist)})
	add("CareTeam", pid+"-team", map[string]any{"status": "active", "name": "Shared care team", "subject": ref("Patient", pid),
		"participant": []any{
			map[string]any{"role": []any{coding(snomed, "309295000", "Clinical oncologist")}, "member": ref("Practitioner", oncologist), "onBehalfOf": ref("Organization", trust)},
			map[string]any{"role": []any{coding(snomed, "62247001", "General practitioner")}, "member": ref("Practitioner", gp), "onBehalfOf": ref("Organization", practice)}}})
	add("Procedure", pid+"-proc", map[string]any{"status": "completed", "subject": ref("Patient", pid), "code": map[string]any{"text": cancer.procedure},
		"performedDateTime": day(diagnosed.AddDate(0, 0, 20+r.IntN(30))), "reasonReference": []any{ref("Condition", pid+"-dx")}})
	if cancer.medicine != "" {
		add("MedicationStatement", pid+"-med", map[string]any{"status": "active", "subject": ref("Patient", pid),
			"medicationCodeableConcept": map[string]any{"text": cancer.medicine}, "effectivePeriod": map[string]any{"start": day(diagnosed.AddDate(0, 2, 0))}})
	}
	planStatus := pick(r, []string{"active", "active", "active", "completed", "draft"})
	add("CarePlan", pid+"-plan", map[string]any{"status": planStatus, "intent": "plan", "subject": ref("Patient", pid),
		"title": "Follow-up after treatment for " + cancer.name, "author": ref("Practitioner", oncologist),
		"category": []any{coding(snomed, "736373009", "Oncology care plan")}, "addresses": []any{ref("Condition", pid+"-dx")},
		"period": map[string]any{"start": day(diagnosed.AddDate(0, 3, 0)), "end": day(diagnosed.AddDate(5, 3, 0))},
		"activity": []any{map[string]any{"detail": map[string]any{"status": "scheduled", "description": "Annual surveillance imaging", "performer": []any{ref("Organization", trust)}}},
			map[string]any{"detail": map[string]any{"status": "not-started", "description": "Holistic needs assessment", "performer": []any{ref("Organization", practice)}}}}})
	for t := 0; t < 4; t++ {
		status := pick(r, []string{"requested", "requested", "accepted", "in-progress", "completed", "completed", "cancelled"})
		authored := diagnosed.AddDate(0, 3+t, r.IntN(28))
		task := map[string]any{"status": status, "intent": "order", "priority": pick(r, []string{"routine", "routine", "urgent"}),
			"code": map[string]any{"text": pick(r, []string{"Review endocrine therapy side effects", "Annual bone density referral",
				"Cancer care review", "Check symptoms at 6 months", "Repeat blood tests"})},
			"for": ref("Patient", pid), "focus": ref("CarePlan", pid+"-plan"), "basedOn": []any{ref("CarePlan", pid+"-plan")},
			"requester": ref("Organization", trust), "owner": ref("Organization", practice), "authoredOn": instant(authored),
			"lastModified": instant(authored.AddDate(0, 0, r.IntN(20))),
			"restriction":  map[string]any{"period": map[string]any{"end": day(authored.AddDate(0, 1+r.IntN(3), 0))}}}
		if status == "cancelled" {
			task["statusReason"] = map[string]any{"text": "No longer required"}
		}
		add("Task", fmt.Sprintf("%s-task-%d", pid, t), task)
	}
	for c := 0; c < 6; c++ {
		sender, recipient := ref("Organization", trust), ref("Organization", practice)
		if c%2 == 1 {
			sender, recipient = recipient, sender
		}
		msg := map[string]any{"status": "completed", "subject": ref("Patient", pid), "sender": sender, "recipient": []any{recipient},
			"about": []any{ref("CarePlan", pid+"-plan")}, "sent": instant(diagnosed.AddDate(0, 3, 7*c)),
			"payload": []any{map[string]any{"contentString": pick(r, []string{"Treatment summary attached.", "Thank you, follow-up tasks accepted.",
				"Patient reports fatigue; please review.", "Bloods normal.", "Please re-refer if red-flag symptoms."})}}}
		if c > 0 {
			msg["inResponseTo"] = []any{ref("Communication", fmt.Sprintf("%s-msg-%d", pid, c-1))}
		}
		add("Communication", fmt.Sprintf("%s-msg-%d", pid, c), msg)
	}
	for o := 0; o < 3; o++ {
		add("Observation", fmt.Sprintf("%s-obs-%d", pid, o), map[string]any{"status": "final", "subject": ref("Patient", pid),
			"code": coding(loinc, "2857-1", "Prostate specific Ag"), "effectiveDateTime": instant(diagnosed.AddDate(0, 4*o+4, 0)),
			"valueQuantity": map[string]any{"value": float64(r.IntN(400)) / 10, "unit": "ng/mL", "system": "http://unitsofmeasure.org", "code": "ng/mL"}})
	}
	add("QuestionnaireResponse", pid+"-hna", map[string]any{"status": "completed", "questionnaire": HNACanonical,
		"subject": ref("Patient", pid), "authored": instant(diagnosed.AddDate(0, 6, 0)), "author": ref("Patient", pid),
		"item": g.hnaAnswers()})
	return out
}

// HNACanonical is the holistic needs assessment the server ships
// (api/questionnaire-hna.json), which generated responses answer.
const HNACanonical = "https://sharedcare.dev/fhir/Questionnaire/holistic-needs-assessment|1.0.0"

// hnaConcerns are concerns of the shipped HNA, by area, in its order.
var hnaConcerns = []struct {
	area     string
	concerns []string
}{
	{"physical", []string{"pain", "fatigue", "sleep", "breathing", "eating", "mobility"}},
	{"emotional", []string{"worry", "low-mood", "uncertainty", "body-image"}},
	{"practical", []string{"money", "work", "travel"}},
	{"family", []string{"partner", "children"}},
	{"lifestyle", []string{"activity", "diet"}},
	{"information", []string{"diagnosis", "treatment"}},
}

// hnaAnswers are the items of a completed HNA: the distress score (0-10,
// required) and a few concerns, each selected and rated 0-10, in the
// Questionnaire's order.
func (g *Generator) hnaAnswers() []any {
	r := g.rnd
	answer := func(link string, value map[string]any) map[string]any {
		return map[string]any{"linkId": link, "answer": []any{value}}
	}
	items := []any{answer("distress", map[string]any{"valueInteger": r.IntN(11)})}
	for _, a := range hnaConcerns {
		var chosen []any
		for _, c := range a.concerns {
			if r.IntN(4) != 0 {
				continue
			}
			id := a.area + "." + c
			chosen = append(chosen, map[string]any{"linkId": id, "item": []any{
				answer(id+".selected", map[string]any{"valueBoolean": true}),
				answer(id+".rating", map[string]any{"valueInteger": r.IntN(11)}),
			}})
		}
		if len(chosen) > 0 {
			items = append(items, map[string]any{"linkId": a.area, "item": chosen})
		}
	}
	return items
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// NHSNumber is the NHS number of generated patient n. Bases are 11 apart:
// one in 11 bases has no valid check digit and moves to the next, which must
// never be another patient's.
func NHSNumber(n int) string { return nhsNumber(900000000 + 11*n) }

// nhsNumber turns 9 digits into a valid 10-digit NHS number (modulus 11
// check digit); a base that has no valid check digit moves to the next.
func nhsNumber(base int) string {
	for ; ; base++ {
		s := fmt.Sprintf("%09d", base%1000000000)
		sum := 0
		for i, c := range s {
			sum += int(c-'0') * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 {
			return s + fmt.Sprint(check)
		}
	}
}

var (
	towns    = []string{"Leeds", "Harrogate", "Wakefield", "York", "Bradford", "Halifax", "Huddersfield", "Ripon", "Selby", "Skipton"}
	families = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright", "Khan", "Walker", "Müller", "O'Brien", "Nowak"}
	givens   = []string{"Ann", "Mary", "Susan", "Margaret", "John", "David", "Peter", "Aisha", "Mohammed", "Zoë", "Chloé", "James", "Linda", "Robert", "Fatima"}
)
