package storetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sharedcare/sharedcare/api"
	"github.com/sharedcare/sharedcare/internal/search"
	"github.com/sharedcare/sharedcare/internal/store"
)

// testLargeIndexes: a resource with more index values than one statement
// can bind (SQLite allows 32766 parameters, PostgreSQL 65535), and values
// longer than a PostgreSQL btree entry (about 2700 bytes), stores and is
// found on every backend alike.
func testLargeIndexes(t *testing.T, s store.Store) {
	ps, err := search.LoadParams(api.FS)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdefghijklmnopqrstuvwxyz"[rnd.IntN(26)]
		}
		return string(b)
	}
	given := make([]string, 6000) // 2-3 index rows of 6 columns each: over 32766 parameters
	for i := range given {
		given[i] = word(8)
	}
	family := strings.Repeat("é", 10) + word(6000) // incompressible, multibyte at the start
	mrn := word(4000)
	patient := map[string]any{"resourceType": "Patient", "id": "big",
		"name":       []any{map[string]any{"family": family, "given": given}},
		"identifier": []any{map[string]any{"system": "urn:trust:mrn", "value": mrn}}}
	body, err := json.Marshal(patient)
	if err != nil {
		t.Fatal(err)
	}
	writeIndexed(t, s, ps, string(body), 1, t0)
	for _, q := range []string{
		"given=" + given[0], "given=" + given[len(given)-1],
		"family=" + family[:100], "family=" + family[:1500], "family:exact=" + family,
		"family:contains=" + family[200:260],
		"identifier=urn:trust:mrn|" + mrn, "identifier=" + mrn,
	} {
		if got := searchIDs(t, s, ps, "Patient", q); !sameIDs(got, []string{"big"}) {
			t.Errorf("Patient?%.60s… = %v, want [big]", q, got)
		}
	}
	if got := searchIDs(t, s, ps, "Patient", "identifier="+mrn[:3999]+"x"); len(got) > 0 {
		// Values are indexed by their first 1000 bytes, so this may match
		// by design; documented in the README, asserted here so that a
		// change of the cut is a conscious one.
		t.Logf("a 4000-byte identifier differing in its last byte matches: %v", got)
	}
	// Updating replaces every row, however many statements they took.
	writeIndexed(t, s, ps, fmt.Sprintf(`{"resourceType":"Patient","id":"big","name":[{"family":"Small"}]}`), 2, t0.Add(1))
	if got := searchIDs(t, s, ps, "Patient", "given="+given[4000]); len(got) != 0 {
		t.Errorf("after update, given=%s = %v, want none", given[4000], got)
	}
	if got := searchIDs(t, s, ps, "Patient", "family=small"); !sameIDs(got, []string{"big"}) {
		t.Errorf("after update, family=small = %v, want [big]", got)
	}
}
