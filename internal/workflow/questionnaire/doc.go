// Package questionnaire is sharedcare's questionnaire workflow: it checks a
// QuestionnaireResponse against the Questionnaire it answers (the R4 rules a
// server can check without a terminology service), and turns a completed
// holistic needs assessment (HNA) into a draft CarePlan for the patient's
// hospital team and GP to agree.
//
// Everything here is a pure function over JSON trees as encoding/json decodes
// them with UseNumber (map[string]any, []any, string, json.Number, bool), so
// the HTTP and storage layers decide when to call it and what to do with the
// result. Inputs may be hostile: odd shapes are reported or ignored, never a
// panic.
//
// The HNA itself is api/questionnaire-hna.json, coded with
// api/codesystem-hna-concern.json; both were written for this project.
package questionnaire

// HNAURL is the canonical URL of sharedcare's holistic needs assessment.
const HNAURL = "https://sharedcare.dev/fhir/Questionnaire/holistic-needs-assessment"

// ConcernSystem is the code system of the HNA's areas and concerns. Extract
// and Concerns recognise a concern by an item code from this system.
const ConcernSystem = "https://sharedcare.dev/fhir/CodeSystem/hna-concern"

// distressLinkID is the HNA item holding the overall distress score.
const distressLinkID = "distress"
