package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/auth/token"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/pkg/smartauth"
)

// smartServer serves the two SMART endpoints a client uses — discovery
// and the token endpoint — over the real token.Server on db, at {URL}/fhir.
func smartServer(t *testing.T, db string) (*httptest.Server, *token.Server) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ts, err := token.New(ctx, st, token.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("GET /fhir/.well-known/smart-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"token_endpoint": srv.URL + "/fhir/auth/token"})
	})
	mux.HandleFunc("POST /fhir/auth/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := r.ParseForm(); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		resp, err := ts.Exchange(r.Context(), r.PostForm, srv.URL+"/fhir/auth/token", srv.URL+"/fhir")
		var te *token.Error
		if errors.As(err, &te) {
			w.WriteHeader(te.Status)
			json.NewEncoder(w).Encode(map[string]string{"error": te.Code})
			return
		} else if err != nil {
			t.Errorf("Exchange: %v", err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(resp)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, ts
}

// tokenCLI runs `sharedcare token args...` and returns what it printed.
func tokenCLI(args ...string) (string, error) {
	var out bytes.Buffer
	err := tokenCmd(context.Background(), args, &out, &bytes.Buffer{})
	return out.String(), err
}

// TestTokenCommand: a client registered with `clients add` gets, through
// `sharedcare token`, an access token the server then accepts — on both
// databases, with an ES384 JWK (--demo) and an RS384 PEM key (--jwks).
func TestTokenCommand(t *testing.T) {
	t.Parallel()
	for dialect, db := range databases(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			srv, ts := smartServer(t, db)
			base := srv.URL + "/fhir"
			dir := t.TempDir()

			demoKey := filepath.Join(dir, "demo-key.json")
			demo := strings.TrimSpace(mustCLI(t, db, "add", "--demo", "--key-out", demoKey, "--scope", "system/Patient.rs system/Task.cruds"))
			rsa, err := smartauth.NewKey(jose.RS384)
			if err != nil {
				t.Fatal(err)
			}
			der, _ := x509.MarshalPKCS8PrivateKey(rsa.Key)
			pemKey := writeFile(t, dir, "rsa.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
			jwks := writeFile(t, dir, "jwks.json", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{rsa.Public()}})
			trust := strings.TrimSpace(mustCLI(t, db, "add", "--name", "Trust EPR", "--org", "Organization/trust",
				"--scope", "system/Patient.rs", "--jwks", jwks))

			for _, c := range []struct{ id, key, org string }{{demo, demoKey, "Organization/demo"}, {trust, pemKey, "Organization/trust"}} {
				out, err := tokenCLI("--client", c.id, "--key", c.key, "--base", base, "--scope", "system/Patient.rs")
				if err != nil {
					t.Fatalf("token for %s: %v", c.org, err)
				}
				if strings.Count(out, "\n") != 1 || strings.Count(out, ".") != 2 {
					t.Errorf("token printed %q; want the access token alone on one line", out)
				}
				p, err := ts.Authenticate(context.Background(), strings.TrimSpace(out), base)
				if err != nil {
					t.Fatalf("the server refuses the token it issued to %s: %v", c.org, err)
				}
				if p.ClientID != c.id || p.Organization != c.org || !p.Allows("Patient", scope.Read) || p.Allows("Task", scope.Read) {
					t.Errorf("principal %+v; want client %s of %s granted Patient.rs only", p, c.id, c.org)
				}
			}

			// The library's TokenSource caches: one exchange for several calls.
			key, _ := smartauth.LoadKey(demoKey)
			src := smartauth.TokenSource(context.Background(), smartauth.Config{ClientID: demo, Key: key, BaseURL: base,
				Scope: "system/Task.rs", HTTPClient: srv.Client()})
			first, err := src.Token()
			if err != nil {
				t.Fatal(err)
			}
			if again, err := src.Token(); err != nil || again.AccessToken != first.AccessToken {
				t.Errorf("a second Token() = %v; want the cached token", err)
			}
			if first.Extra("scope") != "system/Task.rs" {
				t.Errorf("granted %v; want system/Task.rs", first.Extra("scope"))
			}

			// Refusals reach stderr with the server's code, and nothing on stdout.
			mustCLI(t, db, "disable", demo)
			for _, tt := range []struct {
				name string
				args []string
				want string
			}{
				{"disabled client", []string{"--client", demo, "--key", demoKey}, "invalid_client"},
				{"another client's key", []string{"--client", trust, "--key", demoKey}, "invalid_client"},
				{"unknown client", []string{"--client", "nobody", "--key", pemKey}, "invalid_client"},
				{"scope never registered", []string{"--client", trust, "--key", pemKey, "--scope", "system/Task.rs"}, "invalid_scope"},
				{"no server at base", []string{"--client", trust, "--key", pemKey, "--base", srv.URL + "/elsewhere"}, "404"},
				{"no key file", []string{"--client", trust, "--key", filepath.Join(dir, "none")}, "no such file"},
				{"no client", []string{"--key", pemKey}, "--client and --key"},
			} {
				args := tt.args
				if !strings.Contains(strings.Join(args, " "), "--base") {
					args = append(args, "--base", base)
				}
				out, err := tokenCLI(args...)
				if err == nil || !strings.Contains(err.Error(), tt.want) || out != "" {
					t.Errorf("%s: printed %q, error %v; want nothing printed and an error naming %q", tt.name, out, err, tt.want)
				}
			}
		})
	}
}
