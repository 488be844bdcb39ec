package fhir

import (
	"os"
	"testing"
	"time"
)

// BenchmarkDocument measures the write path's JSON work on one resource:
// decode, stamp, find references, render. Set SHAREDCARE_BENCH_RESOURCE to a
// resource file to measure another; the default is a small CarePlan.
func BenchmarkDocument(b *testing.B) {
	body := []byte(`{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/p"},
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
		doc, err := ParseDocument(body)
		if err != nil {
			b.Fatal(err)
		}
		doc.SetID("x")
		doc.SetVersion(1, time.Now())
		_ = doc.References("")
		if _, err := doc.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
