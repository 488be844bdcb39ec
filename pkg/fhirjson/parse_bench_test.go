package fhirjson

import (
	"os"
	"testing"
)

// BenchmarkParse measures validation of one resource: google/fhir/go's
// decoder plus this package's lint. SHAREDCARE_BENCH_RESOURCE names another
// resource file to measure; the default is a small CarePlan with narrative.
func BenchmarkParse(b *testing.B) {
	body := []byte(`{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/p"},
		"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Annual mammogram for five years</p></div>"},
		"activity":[{"detail":{"status":"scheduled","description":"Annual mammogram","performer":[{"reference":"Practitioner/d"}]}}],
		"period":{"start":"2026-01-05"},"category":[{"coding":[{"system":"http://snomed.info/sct","code":"736373009"}]}]}`)
	if f := os.Getenv("SHAREDCARE_BENCH_RESOURCE"); f != "" {
		var err error
		if body, err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}
