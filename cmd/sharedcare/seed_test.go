package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sharedcare/sharedcare/internal/seed"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
)

// checkSeededHNA: the seeded responses answer the shipped HNA, which seed
// stores too, so the database is whole before the server first starts.
func checkSeededHNA(t *testing.T, st *sqlstore.Store) {
	t.Helper()
	q, err := st.Read(context.Background(), "Questionnaire", "holistic-needs-assessment")
	if err != nil {
		t.Fatalf("the HNA Questionnaire was not stored: %v", err)
	}
	qr, err := st.Read(context.Background(), "QuestionnaireResponse", "pat-0-hna")
	if err != nil {
		t.Fatal(err)
	}
	var hna, response struct{ URL, Version, Questionnaire string }
	if err := json.Unmarshal(q.Body, &hna); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(qr.Body, &response); err != nil {
		t.Fatal(err)
	}
	if want := hna.URL + "|" + hna.Version; response.Questionnaire != want || want != seed.HNACanonical {
		t.Errorf("the seeded response answers %q; the stored HNA is %q", response.Questionnaire, want)
	}
}
