package httpapi_test

import (
	"strings"
	"testing"
)

// TestHostileBundlesAndPatches throws malformed transactions, patches and
// operation calls at the server: each must get a 4xx with an
// OperationOutcome (or succeed), never a 500.
func TestHostileBundlesAndPatches(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		id := s.create(`{"resourceType":"Patient"}`)
		cases := []struct {
			method, path, body string
			h                  []string
		}{
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":null}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[null]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":null}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":[],"request":{"method":"POST","url":"Patient"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":null,"request":{"method":"PUT","url":"Patient/1"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"/Patient"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient?x=%zz"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"PUT","url":"Patient?identifier=%zz"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"?x=1"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"metadata"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"$handover"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"$handover"},"resource":{"resourceType":"Bundle"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PATCH","url":"Patient/` + id + `"},"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"!!!"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PATCH","url":"Patient/` + id + `"},"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"W10="}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PATCH","url":"Patient/` + id + `"},"resource":{"resourceType":"Patient"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","link":[{"other":{"reference":"urn:uuid:1"},"type":"seealso"}]}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","request":{"method":"POST","url":"Patient","ifNoneExist":"link=urn:uuid:1"},"resource":{"resourceType":"Patient"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","generalPractitioner":[{"reference":"Organization?"}]}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","generalPractitioner":[{"reference":"Organization?name=a&name=b&_has:x=1"}]}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"Patient?_id=` + id + `"}},{"request":{"method":"DELETE","url":"Patient/` + id + `"}}]}`, nil},
			{"POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"urn:uuid:zz\">x</a></div>"}}}]}`, nil},
			{"PATCH", "/Patient/" + id, `[{"op":"add","path":"/meta/tag","value":[{"code":"x"}]}]`, []string{"Content-Type", "application/json-patch+json"}},
			{"PATCH", "/Patient/" + id, `[{"op":"add","path":"/a/b/c","value":1}]`, []string{"Content-Type", "application/json-patch+json"}},
			{"PATCH", "/Patient/" + id, `[{"op":"move","from":"/id","path":"/x"}]`, []string{"Content-Type", "application/json-patch+json"}},
			{"PATCH", "/Patient/" + id, `[{"op":"add","path":"/name","value":[{"family":"` + strings.Repeat("a", 10) + `"}]}]`, []string{"Content-Type", "application/json-patch+json"}},
			{"PATCH", "/Patient/" + id, `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"` + strings.Repeat("Patient.name.", 300) + `"},{"name":"name","valueString":"x"},{"name":"value","valueString":"y"}]}]}`, nil},
			{"PATCH", "/Patient/" + id, `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient.where(((((((((((("},{"name":"name","valueString":"x"},{"name":"value","valueString":"y"}]}]}`, nil},
			{"PATCH", "/Patient/" + id, `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"contained"},{"name":"value","resource":{"resourceType":"Patient","id":"c"}}]}]}`, nil},
			{"PATCH", "/Patient/" + id, ``, []string{"Content-Type", "application/json-patch+json"}},
			{"PATCH", "/Patient/" + id, `null`, nil},
			{"POST", "/$handover", `null`, nil},
			{"POST", "/$handover", `{"resourceType":"Bundle","type":"transaction","entry":[{}]}`, nil},
			{"POST", "/$handover", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Task"},"request":{"method":"POST","url":"Task"}}]}`, nil},
			{"POST", "/$handover", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":"x","request":{"method":"POST","url":"Task"}}]}`, nil},
			{"GET", "/Task/$overdue?owner=%zz", ``, nil},
			{"GET", "/Task/$overdue?owner=Organization/x,Organization/y", ``, nil},
			{"GET", "/Patient/" + strings.Repeat("x", 100) + "/$shared-care-summary", ``, nil},
			{"POST", "/QuestionnaireResponse/" + strings.Repeat("x", 100) + "/$extract", ``, nil},
			{"POST", "/QuestionnaireResponse", `{"resourceType":"QuestionnaireResponse","status":"completed","questionnaire":"Questionnaire/` + id + `"}`, nil},
			{"POST", "/QuestionnaireResponse", `{"resourceType":"QuestionnaireResponse","status":"completed","questionnaire":"|"}`, nil},
			{"PUT", "/Task?", `{"resourceType":"Task","status":"requested","intent":"order"}`, nil},
			{"PUT", "/Task?status=requested&status=", `{"resourceType":"Task","status":"requested","intent":"order"}`, nil},
			{"DELETE", "/Task?_count=1", ``, nil},
		}
		for _, c := range cases {
			r := s.do(c.method, c.path, c.body, c.h...)
			switch {
			case r.status >= 500:
				t.Errorf("%s %s %.200s: %d\n%s", c.method, c.path, c.body, r.status, r.body)
			case r.status >= 400:
				r.outcome(t)
			}
		}
	})
}
