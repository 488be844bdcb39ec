package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBatch(t *testing.T) {
	t.Parallel()
	forEachServer(t, func(t *testing.T, s *server) {
		s.do("PUT", "/Patient/p1", `{"resourceType":"Patient","id":"p1"}`).mustStatus(t, 201)
		s.do("PUT", "/Goal/old", `{"resourceType":"Goal","id":"old","lifecycleStatus":"active","description":{"text":"x"},"subject":{"reference":"Patient/p1"}}`).mustStatus(t, 201)
		body := `{"resourceType":"Bundle","type":"batch","entry":[
		  {"resource":{"resourceType":"Organization","name":"Valley Surgery"},"request":{"method":"POST","url":"Organization"}},
		  {"request":{"method":"GET","url":"Patient/p1"}},
		  {"resource":{"resourceType":"Patient","id":"p1","active":true},"request":{"method":"PUT","url":"Patient/p1","ifMatch":"W/\"1\""}},
		  {"resource":{"resourceType":"Patient","id":"p1","active":false},"request":{"method":"PUT","url":"Patient/p1","ifMatch":"W/\"1\""}},
		  {"resource":{"resourceType":"Patient","birthDate":"not a date"},"request":{"method":"POST","url":"Patient"}},
		  {"request":{"method":"DELETE","url":"Goal/old"}},
		  {"request":{"method":"GET","url":"Goal?_id=old"}},
		  {"request":{"method":"GET","url":"Nonsense/1"}},
		  {"resource":{"resourceType":"Patient"}}
		]}`
		b := s.do("POST", "", body).mustStatus(t, http.StatusOK).json(t)
		if b["resourceType"] != "Bundle" || b["type"] != "batch-response" {
			t.Fatalf("not a batch-response: %v", b)
		}
		var statuses []string
		for _, e := range b["entry"].([]any) {
			statuses = append(statuses, e.(map[string]any)["response"].(map[string]any)["status"].(string))
		}
		want := []string{"201 Created", "200 OK", "200 OK", "412 Precondition Failed", "400 Bad Request", "200 OK", "200 OK", "404 Not Found", "400 Bad Request"}
		if diff := cmp.Diff(want, statuses); diff != "" {
			t.Errorf("entry statuses (-want +got):\n%s", diff)
		}
		entries := b["entry"].([]any)
		first := entries[0].(map[string]any)
		if loc := first["response"].(map[string]any)["location"].(string); !strings.Contains(loc, "/Organization/") || first["resource"] == nil {
			t.Errorf("create entry: %v", first)
		}
		bad := entries[4].(map[string]any)["response"].(map[string]any)["outcome"]
		if !strings.Contains(fmt.Sprint(bad), "Patient.birthDate") {
			t.Errorf("invalid entry outcome does not point at Patient.birthDate: %v", bad)
		}
		if del := entries[5].(map[string]any); del["resource"] != nil || del["response"].(map[string]any)["outcome"] == nil {
			t.Errorf("the DELETE entry's OperationOutcome belongs in response.outcome: %v", del)
		}
		if search := entries[6].(map[string]any)["resource"].(map[string]any); search["type"] != "searchset" || search["entry"] != nil {
			t.Errorf("search after delete in the same batch: %v", search)
		}
		// The batch's writes happened: p1 is at version 2, the Goal is gone.
		if got := s.do("GET", "/Patient/p1", "").header.Get("ETag"); got != `W/"2"` {
			t.Errorf("p1 ETag = %s, want W/\"2\"", got)
		}
		s.do("GET", "/Goal/old", "").mustStatus(t, http.StatusGone)

		for _, tt := range []struct {
			name, body string
			status     int
		}{
			{"not a Bundle", `{"resourceType":"Patient"}`, 400},
			{"wrong type", `{"resourceType":"Bundle","type":"collection"}`, 400},
			{"not JSON", `{"resourceType":`, 400},
		} {
			t.Run(tt.name, func(t *testing.T) { s.do("POST", "", tt.body).mustStatus(t, tt.status).outcome(t) })
		}
	})
}

func TestBatchEntryLimit(t *testing.T) {
	t.Parallel()
	forEachSmallServer(t, 0, func(t *testing.T, s *server) {
		entries := strings.TrimSuffix(strings.Repeat(`{"request":{"method":"GET","url":"Patient/x"}},`, 10001), ",")
		s.do("POST", "", `{"resourceType":"Bundle","type":"batch","entry":[`+entries+`]}`).mustStatus(t, http.StatusRequestEntityTooLarge).outcome(t)
	})
}
