package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const jsonPatch = "application/json-patch+json"

func fhirPathPatch(ops string) string {
	return `{"resourceType":"Parameters","parameter":[` + ops + `]}`
}

func fpOp(typ, path, name, value string) string {
	op := `{"name":"operation","part":[{"name":"type","valueCode":"` + typ + `"},{"name":"path","valueString":"` + path + `"}`
	if name != "" {
		op += `,{"name":"name","valueString":"` + name + `"}`
	}
	if value != "" {
		op += `,{"name":"value",` + value + `}`
	}
	return op + `]}`
}

func TestPatch(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(`{"resourceType":"Patient","name":[{"family":"Hart","given":["Alison"]}],"gender":"female"}`)
		url := "/Patient/" + id

		for _, tt := range []struct {
			name, body, contentType string
			headers                 []string
			status                  int
			check                   func(t *testing.T, p map[string]any)
			expression              string
		}{
			{name: "JSON Patch replace", body: `[{"op":"replace","path":"/gender","value":"other"}]`, contentType: jsonPatch, status: 200,
				check: func(t *testing.T, p map[string]any) { equal(t, "other", p["gender"]) }},
			{name: "JSON Patch add to a list", body: `[{"op":"add","path":"/name/0/given/-","value":"Jane"}]`, contentType: jsonPatch, status: 200,
				check: func(t *testing.T, p map[string]any) {
					equal(t, []any{"Alison", "Jane"}, p["name"].([]any)[0].(map[string]any)["given"])
				}},
			{name: "JSON Patch sent as application/json", body: `[{"op":"replace","path":"/gender","value":"female"}]`, contentType: "application/json", status: 200,
				check: func(t *testing.T, p map[string]any) { equal(t, "female", p["gender"]) }},
			{name: "JSON Patch honours If-Match", body: `[{"op":"remove","path":"/gender"}]`, contentType: jsonPatch,
				headers: []string{"If-Match", `W/"1"`}, status: 412},
			{name: "JSON Patch failed test", body: `[{"op":"test","path":"/gender","value":"male"},{"op":"remove","path":"/gender"}]`,
				contentType: jsonPatch, status: 422},
			{name: "JSON Patch on a missing path", body: `[{"op":"replace","path":"/birthDate","value":"1961-04-12"}]`, contentType: jsonPatch, status: 422},
			{name: "malformed JSON Patch", body: `{"op":"replace"}`, contentType: jsonPatch, status: 400},
			{name: "JSON Patch making an invalid resource", body: `[{"op":"replace","path":"/gender","value":"sometimes"}]`,
				contentType: jsonPatch, status: 400, expression: "Patient.gender"},
			{name: "JSON Patch changing the id", body: `[{"op":"replace","path":"/id","value":"another"}]`, contentType: jsonPatch, status: 422},
			{name: "FHIRPath Patch add", body: fhirPathPatch(fpOp("add", "Patient", "birthDate", `"valueDate":"1961-04-12"`)), status: 200,
				check: func(t *testing.T, p map[string]any) { equal(t, "1961-04-12", p["birthDate"]) }},
			{name: "FHIRPath Patch add the first of a list", body: fhirPathPatch(fpOp("add", "Patient", "identifier",
				`"valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}`)), status: 200,
				check: func(t *testing.T, p map[string]any) { equal(t, 1, len(p["identifier"].([]any))) }},
			{name: "FHIRPath Patch add to a choice", body: fhirPathPatch(fpOp("add", "Patient", "deceased", `"valueBoolean":false`)), status: 200,
				check: func(t *testing.T, p map[string]any) { equal(t, false, p["deceasedBoolean"]) }},
			{name: "FHIRPath Patch replace with where", body: fhirPathPatch(fpOp("replace", "Patient.name.where(family='Hart').family", "", `"valueString":"Hart-Jones"`)), status: 200,
				check: func(t *testing.T, p map[string]any) {
					equal(t, "Hart-Jones", p["name"].([]any)[0].(map[string]any)["family"])
				}},
			{name: "FHIRPath Patch delete", body: fhirPathPatch(fpOp("delete", "Patient.deceased", "", "")), status: 200,
				check: func(t *testing.T, p map[string]any) { equal(t, nil, p["deceasedBoolean"]) }},
			{name: "FHIRPath Patch add a contained resource", body: fhirPathPatch(fpOp("add", "Patient", "contained",
				`"resource":{"resourceType":"Organization","id":"gp","name":"Riverside"}`)), status: 200,
				check: func(t *testing.T, p map[string]any) {
					equal(t, "Riverside", p["contained"].([]any)[0].(map[string]any)["name"])
				}},
			{name: "FHIRPath Patch replacing nothing", body: fhirPathPatch(fpOp("replace", "Patient.maritalStatus", "", `"valueCodeableConcept":{"text":"x"}`)), status: 422},
			{name: "FHIRPath Patch not a Parameters", body: `{"resourceType":"Patient"}`, status: 400},
			{name: "FHIRPath Patch with an invalid Parameters", body: `{"resourceType":"Parameters","parameter":[{"name":"operation","valueNope":1}]}`, status: 400},
			{name: "FHIRPath Patch making an invalid resource", body: fhirPathPatch(fpOp("replace", "Patient.gender", "", `"valueCode":"sometimes"`)),
				status: 400, expression: "Patient.gender"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				before := s.do("GET", url, "").header.Get("ETag")
				headers := tt.headers
				if tt.contentType != "" {
					headers = append(headers, "Content-Type", tt.contentType)
				}
				r := s.do("PATCH", url, tt.body, headers...).mustStatus(t, tt.status)
				if tt.status != http.StatusOK {
					if _, exprs := r.outcome(t); tt.expression != "" && !contains(exprs, tt.expression) {
						t.Errorf("expressions %q lack %q", exprs, tt.expression)
					}
					if after := s.do("GET", url, "").header.Get("ETag"); after != before {
						t.Errorf("a refused patch changed the resource: %s → %s", before, after)
					}
					return
				}
				tt.check(t, r.json(t))
			})
		}
		s.do("PATCH", "/Patient/nobody", `[]`, "Content-Type", jsonPatch).mustStatus(t, http.StatusNotFound)
		s.do("DELETE", url, "").mustStatus(t, http.StatusOK)
		s.do("PATCH", url, `[]`, "Content-Type", jsonPatch).mustStatus(t, http.StatusGone)
		s.do("PATCH", url, `[]`, "Content-Type", "text/plain").mustStatus(t, http.StatusUnsupportedMediaType)
	})
}

func equal(t *testing.T, want, got any) {
	t.Helper()
	if n, ok := want.(int); ok {
		want = float64(n)
		if l, ok := got.(int); ok {
			got = float64(l)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestConditionalPatch(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(patientWithNHS("9000000068"))
		s.do("PATCH", "/Patient?identifier="+nhs+"|9000000068", `[{"op":"add","path":"/gender","value":"male"}]`,
			"Content-Type", jsonPatch).mustStatus(t, http.StatusOK)
		if p := s.do("GET", "/Patient/"+id, "").json(t); p["gender"] != "male" {
			t.Errorf("conditional patch did not apply: %v", p)
		}
		s.do("PATCH", "/Patient?identifier=nobody", `[]`, "Content-Type", jsonPatch).mustStatus(t, http.StatusNotFound)
		s.create(patientWithNHS("9434765919"))
		s.create(patientWithNHS("9434765919"))
		s.do("PATCH", "/Patient?identifier=9434765919", `[]`, "Content-Type", jsonPatch).mustStatus(t, http.StatusPreconditionFailed)
	})
}

func TestTransactionPatch(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(`{"resourceType":"Patient","gender":"female"}`)
		patch := base64.StdEncoding.EncodeToString([]byte(`[{"op":"replace","path":"/gender","value":"other"}]`))
		tr := s.do("POST", "", txBundle(
			`{"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"`+patch+`"},"request":{"method":"PATCH","url":"Patient/`+id+`"}}`,
			`{"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"POST","url":"Patient"}}`,
		)).mustStatus(t, http.StatusOK).transaction(t)
		if tr.Entry[0].Response.Status != "200 OK" {
			t.Errorf("PATCH entry: %+v", tr.Entry[0].Response)
		}
		if p := s.do("GET", "/Patient/"+id, "").json(t); p["gender"] != "other" {
			t.Errorf("transaction JSON Patch did not apply: %v", p)
		}
		// A FHIRPath Patch entry; a failing one rolls the transaction back.
		s.do("POST", "", txBundle(
			`{"resource":`+fhirPathPatch(fpOp("add", "Patient", "birthDate", `"valueDate":"1961-04-12"`))+`,"request":{"method":"PATCH","url":"Patient/`+id+`"}}`,
		)).mustStatus(t, http.StatusOK)
		before := s.rowCounts()
		r := s.do("POST", "", txBundle(
			`{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}`,
			`{"resource":`+fhirPathPatch(fpOp("replace", "Patient.maritalStatus", "", `"valueCodeableConcept":{"text":"x"}`))+`,"request":{"method":"PATCH","url":"Patient/`+id+`"}}`,
		)).mustStatus(t, http.StatusUnprocessableEntity)
		if _, exprs := r.outcome(t); len(exprs) == 0 || exprs[0][:len("Bundle.entry[1]")] != "Bundle.entry[1]" {
			t.Errorf("expressions %q do not name Bundle.entry[1]", exprs)
		}
		if diff := cmp.Diff(before, s.rowCounts()); diff != "" {
			t.Errorf("rows changed (-before +after):\n%s", diff)
		}
		if p := s.do("GET", "/Patient/"+id, "").json(t); p["birthDate"] != "1961-04-12" {
			t.Errorf("FHIRPath Patch entry did not apply: %v", p)
		}
	})
}
