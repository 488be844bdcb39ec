package httpapi_test

import (
	"net/http"
	"testing"
)

const nhs = "https://fhir.nhs.uk/Id/nhs-number"

func patientWithNHS(number string) string {
	return `{"resourceType":"Patient","identifier":[{"system":"` + nhs + `","value":"` + number + `"}]}`
}

func TestConditionalCreate(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		crit := "identifier=" + nhs + "|9000000009"
		first := s.do("POST", "/Patient", patientWithNHS("9000000009"), "If-None-Exist", crit).mustStatus(t, http.StatusCreated)
		id := first.json(t)["id"]
		again := s.do("POST", "/Patient", patientWithNHS("9000000009"), "If-None-Exist", crit).mustStatus(t, http.StatusOK)
		if got := again.json(t)["id"]; got != id {
			t.Errorf("the match is %v, want the first Patient %v", got, id)
		}
		if loc := again.header.Get("Location"); loc == "" {
			t.Error("a matched conditional create has no Location")
		}
		// The Type? prefix some clients send is accepted too.
		s.do("POST", "/Patient", patientWithNHS("9000000009"), "If-None-Exist", "Patient?"+crit).mustStatus(t, http.StatusOK)
		s.create(patientWithNHS("9000000017"))
		s.create(patientWithNHS("9000000017"))
		s.do("POST", "/Patient", patientWithNHS("9000000017"), "If-None-Exist", "identifier="+nhs+"|9000000017").
			mustStatus(t, http.StatusPreconditionFailed).outcome(t)
		s.do("POST", "/Patient", patientWithNHS("1"), "If-None-Exist", "shoe-size=9").mustStatus(t, http.StatusBadRequest).outcome(t)
		s.do("POST", "/Patient", patientWithNHS("1"), "If-None-Exist", "_count=1").mustStatus(t, http.StatusBadRequest).outcome(t)
		// Three Patients, each with the Provenance of its creation: the
		// matched and refused conditional creates wrote neither.
		if n := s.rowCounts()["resources"]; n != 6 {
			t.Errorf("%d resources, want 6 (3 Patients, 3 Provenances)", n)
		}
	})
}

// TestConditionalCreateRace sends the same conditional create from many
// clients at once: exactly one resource may result.
func TestConditionalCreateRace(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		const racers = 16
		count := s.race(racers, "POST", "/Patient", patientWithNHS("9000000025"), "If-None-Exist", "identifier="+nhs+"|9000000025")
		if count[http.StatusCreated] != 1 || count[http.StatusOK] != racers-1 {
			t.Errorf("statuses %v; want one 201 and %d 200", count, racers-1)
		}
		// One Patient and the Provenance of its creation.
		if n := s.rowCounts()["resources"]; n != 2 {
			t.Errorf("%d resources stored, want 2 (one Patient, its Provenance)", n)
		}
	})
}

func TestConditionalUpdate(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		url := "/Patient?identifier=" + nhs + "|9000000033"
		// No match, no id: created with a new id.
		created := s.do("PUT", url, patientWithNHS("9000000033")).mustStatus(t, http.StatusCreated).json(t)
		id := created["id"].(string)
		// One match: updated, whether or not the body names the id.
		upd := `{"resourceType":"Patient","identifier":[{"system":"` + nhs + `","value":"9000000033"}],"gender":"female"}`
		if v := s.do("PUT", url, upd).mustStatus(t, http.StatusOK).json(t); v["id"] != id || v["gender"] != "female" {
			t.Errorf("conditional update gave %v", v)
		}
		withID := `{"resourceType":"Patient","id":"` + id + `","identifier":[{"system":"` + nhs + `","value":"9000000033"}]}`
		s.do("PUT", url, withID, "If-Match", `W/"2"`).mustStatus(t, http.StatusOK)
		s.do("PUT", url, withID, "If-Match", `W/"2"`).mustStatus(t, http.StatusPreconditionFailed)
		// One match, another id in the body: refused.
		other := `{"resourceType":"Patient","id":"someone-else","identifier":[{"system":"` + nhs + `","value":"9000000033"}]}`
		s.do("PUT", url, other).mustStatus(t, http.StatusBadRequest).outcome(t)
		// No match, an id in the body: update-as-create with that id.
		s.do("PUT", "/Patient?identifier="+nhs+"|9000000041", `{"resourceType":"Patient","id":"chosen"}`).mustStatus(t, http.StatusCreated)
		s.do("GET", "/Patient/chosen", "").mustStatus(t, http.StatusOK)
		// Several matches: 412.
		s.create(patientWithNHS("9434765919"))
		s.create(patientWithNHS("9434765919"))
		s.do("PUT", "/Patient?identifier=9434765919", patientWithNHS("9434765919")).mustStatus(t, http.StatusPreconditionFailed).outcome(t)
	})
}

func TestConditionalDelete(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(patientWithNHS("9000000076"))
		s.do("DELETE", "/Patient?identifier=nothing-matches", "").mustStatus(t, http.StatusOK).outcome(t)
		s.do("DELETE", "/Patient?identifier="+nhs+"|9000000076", "").mustStatus(t, http.StatusOK)
		s.do("GET", "/Patient/"+id, "").mustStatus(t, http.StatusGone)
		s.create(patientWithNHS("9434765919"))
		s.create(patientWithNHS("9434765919"))
		s.do("DELETE", "/Patient?identifier=9434765919", "").mustStatus(t, http.StatusPreconditionFailed).outcome(t)
		if r := s.do("GET", "/Patient?identifier=9434765919", "").json(t); len(r["entry"].([]any)) != 2 {
			t.Error("a refused conditional delete deleted something")
		}
	})
}
