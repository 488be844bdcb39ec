package httpapi_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/pkg/fhirjson"
)

// allowedModifier is the one modifierExtension the hostile-body servers know.
const allowedModifier = "https://sharedcare.dev/fhir/StructureDefinition/test-modifier"

// forEachLimitedServer is forEachServer with allowedModifier allowed.
func forEachLimitedServer(t *testing.T, fn func(t *testing.T, s *server)) {
	testdb.ForEach(t, func(t *testing.T, st *sqlstore.Store) { fn(t, newLimitedServer(t, st)) })
}

func newLimitedServer(t testing.TB, st *sqlstore.Store) *server {
	return newServer(t, st, 0, func(s *setup) { s.modifiers = []string{allowedModifier} })
}

// words is n distinct random lower-case words of length k, as JSON strings.
func words(rnd *rand.Rand, n, k int) []string {
	out := make([]string, n)
	for i := range out {
		b := make([]byte, k)
		for j := range b {
			b[j] = "abcdefghijklmnopqrstuvwxyz"[rnd.IntN(26)]
		}
		out[i] = `"` + string(b) + `"`
	}
	return out
}

// patientWithGiven is a Patient with the given names (JSON strings).
func patientWithGiven(given []string) string {
	return `{"resourceType":"Patient","name":[{"family":"Limit","given":[` + strings.Join(given, ",") + `]}]}`
}

// hostileCase is one request and the status and expression it must get.
type hostileCase struct {
	name, method, path, body string
	status                   int
	expression               string // "" when any (or none) will do
}

// hostileBodies are the bodies item 5 and item 10 of issue 9 found: each
// refused before it costs much, naming the limit or rule and where.
func hostileBodies() []hostileCase {
	rnd := rand.New(rand.NewPCG(9, 9))
	limit := fhirjson.DefaultLimits
	deep := `{"resourceType":"Patient","extension":` + strings.Repeat(`[{"url":"http://x","extension":`, 100) + `[]` + strings.Repeat(`}]`, 100) + `}`
	manyValues := `{"resourceType":"Patient","name":[` + strings.TrimSuffix(strings.Repeat(`{"given":[`+strings.TrimSuffix(strings.Repeat(`"a",`, 100), ",")+`]},`, 250), ",") + `]}`
	return []hostileCase{
		{"200,000 given names (0.8 MB)", "POST", "/Patient", patientWithGiven(strings.Split(strings.Repeat(`"a",`, 199999)+`"a"`, ",")), 413, "Patient.name[0].given"},
		{"one given name over the array limit", "POST", "/Patient", patientWithGiven(words(rnd, limit.MaxArray+1, 8)), 413, "Patient.name[0].given"},
		{"15 MB Patient", "POST", "/Patient", `{"resourceType":"Patient","name":[{"family":"` + strings.Repeat("x", 15<<20) + `"}]}`, 413, ""},
		{"string over the limit", "POST", "/Patient", `{"resourceType":"Patient","name":[{"family":"` + strings.Repeat("x", limit.MaxString+1) + `"}]}`, 413, "Patient.name[0].family"},
		{"25,000 JSON values", "POST", "/Patient", manyValues, 413, ""},
		{"nested 200 deep", "POST", "/Patient", deep, 400, ""},
		{"transaction entry over the array limit", "POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":` +
			patientWithGiven(words(rnd, limit.MaxArray+1, 3)) + `}]}`, 413, "Bundle.entry[0].resource.name[0].given"},
		{"batch over the entry limit", "POST", "", `{"resourceType":"Bundle","type":"batch","entry":[` + strings.TrimSuffix(strings.Repeat(`{"request":{"method":"GET","url":"metadata"}},`, 10001), ",") + `]}`, 413, "Bundle.entry"},
		{"JSON Patch over the array limit", "PATCH", "/Patient/x", "[" + strings.TrimSuffix(strings.Repeat(`{"op":"test","path":"/id","value":"x"},`, limit.MaxArray+1), ",") + "]", 413, ""},
		{"empty element", "POST", "/Patient", `{"resourceType":"Patient","maritalStatus":{}}`, 400, "Patient.maritalStatus"},
		{"empty object in an array", "POST", "/Patient", `{"resourceType":"Patient","name":[{"family":"A"},{}]}`, 400, "Patient.name[1]"},
		{"empty object in an extension", "POST", "/Patient", `{"resourceType":"Patient","extension":[{"url":"http://x","valueCodeableConcept":{}}]}`, 400, "Patient.extension[0].valueCodeableConcept"},
		{"contained id not an id", "POST", "/Patient", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"not valid!"}],"generalPractitioner":[{"reference":"#not valid!"}]}`, 400, "Patient.contained[0].id"},
		{"unknown modifierExtension", "POST", "/Patient", `{"resourceType":"Patient","modifierExtension":[{"url":"http://example.org/no-really","valueBoolean":true}]}`, 400, "Patient.modifierExtension[0]"},
		{"unknown modifierExtension on a backbone element", "POST", "/Patient", `{"resourceType":"Patient","contact":[{"name":{"family":"B"},"modifierExtension":[{"url":"http://example.org/x","valueBoolean":true}]}]}`, 400, "Patient.contact[0].modifierExtension[0]"},
		{"unknown modifierExtension in a contained resource", "POST", "/Patient", `{"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"p","modifierExtension":[{"url":"http://example.org/x","valueBoolean":true}]}],"generalPractitioner":[{"reference":"#p"}]}`, 400, "Patient.contained[0].modifierExtension[0]"},
		{"unknown modifierExtension in a transaction", "POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","modifierExtension":[{"url":"http://example.org/x","valueBoolean":true}]}}]}`, 400, "Bundle.entry[0].resource.modifierExtension[0]"},
		{"NHS number failing modulus 11", "POST", "/Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000010"}]}`, 400, "Patient.identifier[0].value"},
		{"NHS number with spaces", "POST", "/Patient", `{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"1"},{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}]}`, 400, "Patient.identifier[1].value"},
		{"NHS number in a reference", "POST", "/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"1234567890"}}}`, 400, "Observation.subject.identifier.value"},
		{"Questionnaire breaking que-12", "POST", "/Questionnaire", `{"resourceType":"Questionnaire","status":"active","item":[{"linkId":"a","type":"boolean"},{"linkId":"b","type":"boolean"},
			{"linkId":"c","type":"string","enableWhen":[{"question":"a","operator":"=","answerBoolean":true},{"question":"b","operator":"=","answerBoolean":true}]}]}`, 400, "Questionnaire.item[2]"},
		{"Questionnaire breaking que-1", "POST", "/Questionnaire", `{"resourceType":"Questionnaire","status":"active","item":[{"linkId":"g","type":"group"}]}`, 400, "Questionnaire.item[0]"},
	}
}

// TestHostileBodiesRefusedAlike: every hostile body gets the same status
// and expression on both databases, and nothing is stored.
func TestHostileBodiesRefusedAlike(t *testing.T) {
	t.Parallel()
	cases := hostileBodies()
	forEachLimitedServer(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Patient/x", `{"resourceType":"Patient","id":"x"}`).mustStatus(t, http.StatusCreated)
		before := s.rowCounts()
		for _, c := range cases {
			r := s.do(c.method, c.path, c.body, contentType(c)...)
			if r.status != c.status {
				t.Errorf("%s: status %d, want %d\n%.400s", c.name, r.status, c.status, r.body)
				continue
			}
			_, exprs := r.outcome(t)
			if c.expression != "" && !contains(exprs, c.expression) {
				t.Errorf("%s: expressions %q, want %s\n%.400s", c.name, exprs, c.expression, r.body)
			}
		}
		if after := s.rowCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("hostile bodies changed the database: rows %v, then %v", before, after)
		}
	})
}

func contentType(c hostileCase) []string {
	if c.method == "PATCH" && strings.HasPrefix(c.body, "[") {
		return []string{"Content-Type", "application/json-patch+json"}
	}
	return nil
}

// TestResourcesAtTheLimitsStoreAlike: a resource at every per-resource
// limit stores, reads back and is found on both databases (with its index
// rows written in several statements); an allowed modifierExtension and
// very long indexed values are stored too.
func TestResourcesAtTheLimitsStoreAlike(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(5, 5))
	given := words(rnd, fhirjson.DefaultLimits.MaxArray, 8)
	long := strings.Trim(words(rnd, 1, 5000)[0], `"`) // past PostgreSQL's btree entry size
	forEachLimitedServer(t, func(t *testing.T, s *server) {
		id := s.create(patientWithGiven(given))
		for _, g := range []string{given[0], given[len(given)-1]} {
			found := s.do("GET", "/Patient?given="+strings.Trim(g, `"`), "").mustStatus(t, http.StatusOK).json(t)
			if found["total"] != 1.0 {
				t.Errorf("given=%s: total %v, want 1", g, found["total"])
			}
		}
		got := s.do("GET", "/Patient/"+id, "").mustStatus(t, http.StatusOK).json(t)
		if n := len(got["name"].([]any)[0].(map[string]any)["given"].([]any)); n != len(given) {
			t.Errorf("read back %d given names, want %d", n, len(given))
		}
		s.create(`{"resourceType":"Patient","name":[{"family":"` + long + `"}],"identifier":[{"system":"urn:trust:mrn","value":"` + long + `"}]}`)
		if found := s.do("GET", "/Patient?identifier=urn:trust:mrn|"+long, "").mustStatus(t, http.StatusOK).json(t); found["total"] != 1.0 {
			t.Errorf("identifier of %d bytes: total %v, want 1", len(long), found["total"])
		}
		s.create(`{"resourceType":"Patient","modifierExtension":[{"url":"` + allowedModifier + `","valueBoolean":true}],
			"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]}`)
	})
}

// TestOutcomesAreValidR4 sends control characters and long multibyte text
// where the server quotes input back (ids, parameters, bodies): every
// OperationOutcome must be valid R4 by the server's own validator, its
// strings free of control characters and clipped.
func TestOutcomesAreValidR4(t *testing.T) {
	t.Parallel()
	longID := strings.Repeat("é", 3000)
	requests := []struct{ method, path, body string }{
		{"GET", "/Patient/" + "bad%00id%1b%5B31m", ""},
		{"GET", "/Patient/" + longID, ""},
		{"GET", "/Patient?gender:bogus%01=" + longID, ""},
		{"GET", "/Patient?_sort=%01" + longID, ""},
		{"GET", "/Patient?birthdate=" + strings.Repeat("名", 500), ""},
		{"GET", "/Nope%00" + longID, ""},
		{"PUT", "/Patient/" + longID, `{"resourceType":"Patient"}`},
		{"POST", "/Patient", `{"resourceType":"Patient","gender":"\u0000` + longID + `"}`},
		{"POST", "/Patient", `{"resourceType":"Patient","\u0001` + longID + `":1}`},
		{"POST", "/Patient", `{"resourceType":"Patient","birthDate":"` + longID + `\u0007"}`},
		{"POST", "/Patient", `{"resourceType":"` + longID + `"}`},
		{"POST", "/Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"\u0000` + longID + `"}]}`},
		{"POST", "/Patient", `{"resourceType":"Patient","modifierExtension":[{"url":"http://x/\u0000` + longID + `","valueBoolean":true}]}`},
		{"POST", "/Patient", "{\"resourceType\":\"Patient\",\x01}"},
		{"POST", "/Patient", "{\"resourceType\":\"Patient\",\"gender\":\"\xff\xfe\"}"},
		{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient?\u0000` + longID + `"},"resource":{"resourceType":"Patient"}}]}`},
		{"POST", "", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/\u0001` + longID + `"}}]}`},
	}
	forEachServer(t, func(t *testing.T, s *server) {
		for _, rq := range requests {
			r := s.do(rq.method, rq.path, rq.body)
			checkOutcomes(t, fmt.Sprintf("%s %.40s %.40s", rq.method, rq.path, rq.body), r)
		}
	})
}

// checkOutcomes validates every OperationOutcome in a reply: the body, or
// each entry's response.outcome of a batch-response.
func checkOutcomes(t *testing.T, label string, r *reply) {
	t.Helper()
	var body struct {
		ResourceType string
		Entry        []struct {
			Response struct{ Outcome json.RawMessage }
		}
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Errorf("%s: %d, body not JSON: %v", label, r.status, err)
		return
	}
	outcomes := []json.RawMessage{}
	switch body.ResourceType {
	case "OperationOutcome":
		outcomes = append(outcomes, r.body)
	case "Bundle":
		for _, e := range body.Entry {
			if len(e.Response.Outcome) > 0 {
				outcomes = append(outcomes, e.Response.Outcome)
			}
		}
	}
	if r.status >= 400 && len(outcomes) == 0 {
		t.Errorf("%s: %d without an OperationOutcome: %.200s", label, r.status, r.body)
	}
	for _, oo := range outcomes {
		if _, err := fhirjson.Parse(oo); err != nil {
			t.Errorf("%s: OperationOutcome is not valid R4: %v\n%.600s", label, err, oo)
		}
		var parsed struct {
			Issue []struct {
				Diagnostics string
				Expression  []string
			}
		}
		if err := json.Unmarshal(oo, &parsed); err != nil {
			t.Fatal(err)
		}
		for _, is := range parsed.Issue {
			// The hostile input is runs of é and 名: each quote of it may
			// hold at most 200 bytes.
			if quoted := longestRun(is.Diagnostics, "é名"); quoted > 200 {
				t.Errorf("%s: diagnostics quote %d bytes of input at once: %.120q", label, quoted, is.Diagnostics)
			}
			for _, s := range append([]string{is.Diagnostics}, is.Expression...) {
				if !validFHIRString(s) || len(s) > 1000 {
					t.Errorf("%s: %d bytes, not a clean FHIR string: %.120q", label, len(s), s)
				}
			}
		}
	}
}

// validFHIRString: valid UTF-8 without U+FFFD-less control characters or
// surrounding white space, as the server promises for its outcomes.
func validFHIRString(s string) bool {
	if s == "" || !utf8.ValidString(s) || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\r' && r != '\n' || r == 0x7f {
			return false
		}
	}
	return true
}

// longestRun is the most bytes of s made only of the runes in set, in a row.
func longestRun(s, set string) int {
	best, run := 0, 0
	for _, r := range s {
		if strings.ContainsRune(set, r) {
			run += utf8.RuneLen(r)
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}
