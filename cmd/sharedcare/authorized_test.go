package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/authtest"
	"github.com/sharedcare/sharedcare/internal/auth/token"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
)

// authorized returns an HTTP client (timing out after timeout) whose
// requests carry a full-access token for the server at base (http://addr)
// that keeps its records in dbURL: a client registered in that database and
// a token signed with the server's own key, as its token endpoint would.
func authorized(t *testing.T, dbURL, base string, timeout time.Duration) *http.Client {
	t.Helper()
	return &http.Client{Timeout: timeout, Transport: &oauth2.Transport{
		Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: fullAccessToken(t, dbURL, base)}),
		Base:   http.DefaultTransport,
	}}
}

// fullAccessToken is the token authorized's client sends.
func fullAccessToken(t *testing.T, dbURL, base string) string {
	t.Helper()
	ctx := auth.AsSystem(context.Background())
	st, err := sqlstore.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts, err := token.New(ctx, st, token.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return authtest.Token(t, ts, st, authtest.Organization, authtest.FullAccess, base+"/fhir")
}
