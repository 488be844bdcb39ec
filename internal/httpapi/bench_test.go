package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/internal/testdb"
)

// carePlan is an oncology follow-up plan of about 1.5 KB.
func carePlan(patient, id string) string {
	idPart := ""
	if id != "" {
		idPart = `"id":"` + id + `",`
	}
	return `{"resourceType":"CarePlan",` + idPart + `"status":"active","intent":"plan",
		"title":"Breast cancer follow-up after adjuvant treatment","subject":{"reference":"Patient/` + patient + `"},
		"period":{"start":"2026-01-05","end":"2031-01-05"},
		"category":[{"coding":[{"system":"http://snomed.info/sct","code":"736373009","display":"Oncology care plan"}]}],
		"description":"Open-access follow-up with annual mammography for five years; GP continues endocrine therapy.",
		"activity":[
		 {"detail":{"kind":"ServiceRequest","code":{"text":"Annual mammogram"},"status":"scheduled",
		  "scheduledTiming":{"repeat":{"frequency":1,"period":1,"periodUnit":"a"}},"description":"Bilateral mammogram every year for 5 years"}},
		 {"detail":{"kind":"MedicationRequest","code":{"text":"Letrozole 2.5 mg daily"},"status":"in-progress",
		  "description":"Continue aromatase inhibitor for 5 years; review bone health"}},
		 {"detail":{"kind":"Task","code":{"text":"Holistic needs assessment"},"status":"not-started",
		  "description":"Offer HNA at end of treatment and at 12 months"}}]}`
}

// call sends one request from a benchmark goroutine and panics on an
// unexpected status (b.Fatal may not be called off the benchmark goroutine).
func call(c *http.Client, method, url, body string, want int) []byte {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	resp, err := c.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		panic(fmt.Sprintf("%s %s: %d\n%s", method, url, resp.StatusCode, b))
	}
	return b
}

// seedServer starts a server on the dialect with one Patient and n CarePlans.
func seedServer(b *testing.B, dialect string, n int) (s *server, patient string, plans []string) {
	s = newServer(b, testdb.Open(b, dialect), 0)
	c := s.client()
	var p struct{ ID string }
	_ = json.Unmarshal(call(c, "POST", s.url+"/Patient", `{"resourceType":"Patient"}`, 201), &p)
	for i := 0; i < n; i++ {
		var cp struct{ ID string }
		_ = json.Unmarshal(call(c, "POST", s.url+"/CarePlan", carePlan(p.ID, ""), 201), &cp)
		plans = append(plans, cp.ID)
	}
	return s, p.ID, plans
}

func BenchmarkCreate(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(d, func(b *testing.B) {
			s, pid, _ := seedServer(b, d, 0)
			body := carePlan(pid, "")
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := s.client()
				for pb.Next() {
					call(c, "POST", s.url+"/CarePlan", body, 201)
				}
			})
		})
	}
}

func BenchmarkRead(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(d, func(b *testing.B) {
			s, _, plans := seedServer(b, d, 200)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := s.client()
				for i := 0; pb.Next(); i++ {
					call(c, "GET", s.url+"/CarePlan/"+plans[i%len(plans)], "", 200)
				}
			})
		})
	}
}

func BenchmarkUpdate(b *testing.B) {
	for _, d := range testdb.Dialects {
		b.Run(d, func(b *testing.B) {
			s, pid, plans := seedServer(b, d, 200)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := s.client()
				for i := 0; pb.Next(); i++ {
					id := plans[i%len(plans)]
					call(c, "PUT", s.url+"/CarePlan/"+id, carePlan(pid, id), 200)
				}
			})
		})
	}
}
