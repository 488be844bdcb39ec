package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/store"
)

// testSigningKeys proves the optional store.SigningKeys: the newest key
// first, rotation retires older keys at the time given (never later than
// they already expire), and expired keys are no longer returned.
func testSigningKeys(t *testing.T, s store.Store) {
	sk, ok := s.(store.SigningKeys)
	if !ok {
		t.Skip("the store does not keep signing keys")
	}
	ctx := context.Background()
	keys, err := sk.SigningKeys(ctx, t0)
	if err != nil || len(keys) != 0 {
		t.Fatalf("empty store: %v, %v; want none", keys, err)
	}
	k1 := store.SigningKey{ID: "k1", Private: []byte(`{"kty":"one"}`), Created: t0}
	if err := sk.RotateSigningKey(ctx, k1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	k2 := store.SigningKey{ID: "k2", Private: []byte(`{"kty":"two"}`), Created: t0.Add(time.Minute)}
	if err := sk.RotateSigningKey(ctx, k2, t0.Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A later rotation does not extend k1's life; it retires k2.
	k3 := store.SigningKey{ID: "k3", Private: []byte(`{"kty":"three"}`), Created: t0.Add(2 * time.Minute)}
	if err := sk.RotateSigningKey(ctx, k3, t0.Add(7*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := sk.RotateSigningKey(ctx, k3, t0.Add(8*time.Minute)); err == nil {
		t.Error("a second key with the same kid was stored")
	}
	retired1, retired2 := k1, k2
	retired1.Expires, retired2.Expires = t0.Add(6*time.Minute), t0.Add(7*time.Minute)
	for _, tc := range []struct {
		at   time.Time
		want []store.SigningKey
	}{
		{t0.Add(3 * time.Minute), []store.SigningKey{k3, retired2, retired1}},
		{t0.Add(6 * time.Minute), []store.SigningKey{k3, retired2}},
		{t0.Add(time.Hour), []store.SigningKey{k3}},
	} {
		got, err := sk.SigningKeys(ctx, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("SigningKeys(%v) (-want +got):\n%s", tc.at, diff)
		}
	}
}

// testAssertionReplay proves the optional store.AssertionReplay: a pair is
// fresh once while it lives, again after it expired, and of racers
// claiming the same pair exactly one wins.
func testAssertionReplay(t *testing.T, s store.Store) {
	ar, ok := s.(store.AssertionReplay)
	if !ok {
		t.Skip("the store does not record assertions")
	}
	ctx := context.Background()
	later := time.Now().Add(5 * time.Minute)
	claim := func(client, jti string, exp time.Time) bool {
		t.Helper()
		fresh, err := ar.ClaimAssertion(ctx, client, jti, exp)
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	if !claim("app", "j1", later) {
		t.Error("first claim of (app, j1) is not fresh")
	}
	if claim("app", "j1", later) {
		t.Error("second claim of (app, j1) is fresh: a replay passed")
	}
	if !claim("other", "j1", later) {
		t.Error("the same jti from another client is not fresh")
	}
	// An expired record no longer stands in the way.
	if !claim("app", "old", time.Now().Add(-time.Second)) {
		t.Error("first claim of (app, old) is not fresh")
	}
	if !claim("app", "old", later) {
		t.Error("a claim after the record expired is not fresh")
	}

	const racers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, errs := 0, []error{}
	for i := 0; i < racers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fresh, err := ar.ClaimAssertion(ctx, "app", "race", later)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if fresh {
				wins++
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 || wins != 1 {
		t.Errorf("%d racers claiming one assertion: %d won, errors %v; want exactly 1", racers, wins, fmt.Sprint(errs))
	}
}
