package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/sharedcare/sharedcare/internal/testdb"
	"github.com/sharedcare/sharedcare/pkg/smartauth"
)

// clientsCLI runs `sharedcare clients args... -database-url db` and returns
// what it printed.
func clientsCLI(t *testing.T, db string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	noEnv := func(string) string { return "" }
	err := clientsCmd(context.Background(), append(args, "-database-url", db, "-log-level", "error"), noEnv, &out, &errOut)
	return out.String(), err
}

func mustCLI(t *testing.T, db string, args ...string) string {
	t.Helper()
	out, err := clientsCLI(t, db, args...)
	if err != nil {
		t.Fatalf("clients %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// databases are a fresh SQLite file and a fresh PostgreSQL database, each
// migrated by the first command run on it.
func databases(t *testing.T) map[string]string {
	return map[string]string{
		"sqlite":   "sqlite:" + filepath.Join(t.TempDir(), "sc.db"),
		"postgres": testdb.PostgresDatabaseURL(t),
	}
}

// writeFile writes v (JSON unless a string) to a new file in dir.
func writeFile(t *testing.T, dir, name string, v any) string {
	t.Helper()
	b, ok := v.(string)
	if !ok {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b = string(j)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClientsCommand(t *testing.T) {
	t.Parallel()
	for dialect, db := range databases(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// --demo: a private key file, and its public half registered.
			keyFile := filepath.Join(dir, "demo-key.json")
			demo := strings.TrimSpace(mustCLI(t, db, "add", "--demo", "--key-out", keyFile))
			if demo == "" || strings.ContainsAny(demo, " \n/+=") {
				t.Fatalf("add --demo printed %q; want one URL-safe client id", demo)
			}
			if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
			}
			key, err := smartauth.LoadKey(keyFile)
			if err != nil || key.Algorithm != "ES384" || key.KeyID == "" {
				t.Fatalf("the demo key: %s %q, %v; want a private ES384 JWK with a kid", key.Algorithm, key.KeyID, err)
			}
			before, _ := os.ReadFile(keyFile)
			if _, err := clientsCLI(t, db, "add", "--demo", "--key-out", keyFile); err == nil || !strings.Contains(err.Error(), "exists") {
				t.Errorf("add --demo over an existing key file: %v; want a refusal", err)
			}
			if after, _ := os.ReadFile(keyFile); !bytes.Equal(before, after) {
				t.Error("a refused add --demo changed the existing key file")
			}

			// --jwks FILE --json, with permissions (--all-patients is one).
			other, _ := smartauth.NewKey(jose.RS384)
			pub := writeFile(t, dir, "jwks.json", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{other.Public()}})
			var added clientJSON
			out := mustCLI(t, db, "add", "--name", "Valley Surgery EPR", "--org", "Organization/valley",
				"--scope", "system/Patient.rs system/Task.cruds", "--jwks", pub, "--permission", "break-glass", "--all-patients", "--permission", "all-patients", "--json") // all-patients once
			if err := json.Unmarshal([]byte(out), &added); err != nil || added.ClientID == "" {
				t.Fatalf("add --json printed %q (%v); want one object with client_id", out, err)
			}
			// --jwks URL.
			remote := strings.TrimSpace(mustCLI(t, db, "add", "--name", "Trust EPR", "--org", "Organization/trust",
				"--scope", "system/*.read", "--jwks", "https://trust.example/.well-known/jwks.json"))

			var list []clientJSON
			if err := json.Unmarshal([]byte(mustCLI(t, db, "list", "--json")), &list); err != nil {
				t.Fatal(err)
			}
			byID := map[string]clientJSON{}
			for i, c := range list {
				byID[c.ClientID] = c
				if i > 0 && list[i-1].ClientID >= c.ClientID {
					t.Errorf("list --json is not by id: %q before %q", list[i-1].ClientID, c.ClientID)
				}
			}
			if len(list) != 3 {
				t.Fatalf("list --json holds %d clients; want 3", len(list))
			}
			want := clientJSON{ClientID: added.ClientID, Name: "Valley Surgery EPR", Organization: "Organization/valley",
				Scope: "system/Patient.rs system/Task.cruds", Permissions: []string{"break-glass", "all-patients"}, Created: added.Created}
			got := byID[added.ClientID]
			if !bytes.Contains(got.JWKS, []byte(other.KeyID)) {
				t.Errorf("the registered JWKS %s lacks the key %s", got.JWKS, other.KeyID)
			}
			got.JWKS = nil
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("list --json entry (-want +got):\n%s", diff)
			}
			d := byID[demo]
			if d.Name != "demo" || d.Organization != "Organization/demo" || d.Scope != "system/*.cruds" {
				t.Errorf("demo client = %+v; want demo, Organization/demo, system/*.cruds", d)
			}
			var set jose.JSONWebKeySet
			if err := json.Unmarshal(d.JWKS, &set); err != nil || len(set.Keys) != 1 || !set.Keys[0].IsPublic() || set.Keys[0].KeyID != key.KeyID {
				t.Errorf("demo client's JWKS %s (%v): want the public half of %s only", d.JWKS, err, key.KeyID)
			}
			if r := byID[remote]; r.JWKSURI != "https://trust.example/.well-known/jwks.json" || r.JWKS != nil {
				t.Errorf("remote client = %+v; want its jwks_uri only", r)
			}

			// disable, enable, remove: each on one client.
			mustCLI(t, db, "disable", demo)
			table := mustCLI(t, db, "list")
			if !strings.HasPrefix(table, "CLIENT_ID") || !lineHas(table, demo, "disabled") || !lineHas(table, remote, "enabled") {
				t.Errorf("list after disable:\n%s", table)
			}
			mustCLI(t, db, "enable", demo)
			if table := mustCLI(t, db, "list"); !lineHas(table, demo, "enabled") {
				t.Errorf("list after enable:\n%s", table)
			}
			if out := mustCLI(t, db, "remove", remote); out != "removed "+remote+"\n" {
				t.Errorf("remove printed %q", out)
			}
			if table := mustCLI(t, db, "list"); strings.Contains(table, remote) || !strings.Contains(table, demo) {
				t.Errorf("list after remove:\n%s", table)
			}
			for _, action := range []string{"remove", "disable", "enable"} {
				if _, err := clientsCLI(t, db, action, remote); err == nil || !strings.Contains(err.Error(), "no client") {
					t.Errorf("%s of an unknown client: %v; want not found", action, err)
				}
			}
		})
	}
}

// lineHas reports whether a line of table holds every word.
func lineHas(table string, words ...string) bool {
	for _, line := range strings.Split(table, "\n") {
		fields := " " + strings.Join(strings.Fields(line), " ") + " "
		all := true
		for _, w := range words {
			all = all && strings.Contains(fields, " "+w+" ")
		}
		if all {
			return true
		}
	}
	return false
}

func TestClientsAddRefuses(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sc.db")
	dir := t.TempDir()
	priv, _ := smartauth.NewKey(jose.ES384)
	rsa, _ := smartauth.NewKey(jose.RS384)
	pubSet := writeFile(t, dir, "pub.json", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{priv.Public()}})
	privSet := writeFile(t, dir, "priv.json", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{priv.Public(), rsa}})
	noKid := priv.Public()
	noKid.KeyID = ""
	noKidSet := writeFile(t, dir, "nokid.json", jose.JSONWebKeySet{Keys: []jose.JSONWebKey{noKid}})
	secret := writeFile(t, dir, "secret.json", `{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]}`)
	single := writeFile(t, dir, "single.json", priv.Public())
	existing := writeFile(t, dir, "existing.json", "{}")
	ok := []string{"--name", "EPR", "--org", "Organization/valley", "--scope", "system/Patient.rs", "--jwks", pubSet}
	with := func(flag, value string) []string {
		args := append([]string{"add"}, ok...)
		for i := range args {
			if args[i] == flag {
				args[i+1] = value
				return args
			}
		}
		return append(args, flag, value)
	}
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"malformed scope", with("--scope", "system/Patient.rx"), "--scope"},
		{"scope granting no data", with("--scope", "openid"), "no resource access"},
		{"private key in the JWKS", with("--jwks", privSet), "private key material"},
		{"secret key in the JWKS", with("--jwks", secret), "private key material"},
		{"key without kid", with("--jwks", noKidSet), "no key with a kid"},
		{"a JWK, not a set", with("--jwks", single), "not a JWK Set"},
		{"http URL", with("--jwks", "http://trust.example/jwks.json"), "https"},
		{"missing file", with("--jwks", filepath.Join(dir, "nothing.json")), "--jwks"},
		{"org not a reference", with("--org", "valley"), "Organization/ID"},
		{"org of another type", with("--org", "Practitioner/p1"), "Organization/ID"},
		{"no name", with("--name", " "), "--name"},
		{"no keys", []string{"add", "--name", "EPR", "--org", "Organization/valley", "--scope", "system/Patient.rs"}, "--jwks is required"},
		{"demo over an existing file", []string{"add", "--demo", "--key-out", existing}, "exists"},
		{"demo without key-out", []string{"add", "--demo"}, "--key-out"},
		{"demo with jwks", []string{"add", "--demo", "--key-out", filepath.Join(dir, "k.json"), "--jwks", pubSet}, "not both"},
		{"key-out without demo", with("--key-out", filepath.Join(dir, "k2.json")), "--demo only"},
		{"unknown action", []string{"frob"}, "unknown action"},
		{"no id", []string{"disable"}, "which client"},
	}
	for _, tt := range tests {
		out, err := clientsCLI(t, db, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v; want one naming %q", tt.name, err, tt.want)
		}
		if out != "" {
			t.Errorf("%s: printed %q", tt.name, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "k.json")); err == nil {
		t.Error("a refused --demo wrote its key file")
	}
	if list := mustCLI(t, db, "list", "--json"); list != "[]\n" {
		t.Errorf("after refusals, list --json = %s; want []", list)
	}
	// And the good registration they were variations of is accepted.
	mustCLI(t, db, append([]string{"add"}, ok...)...)
}

// TestClientsBesideServer: the CLI manages clients in the database a
// running server (another process) has open.
func TestClientsBesideServer(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sc.db")
	startProcess(t, db)
	id := strings.TrimSpace(mustCLI(t, db, "add", "--demo", "--key-out", filepath.Join(t.TempDir(), "k.json")))
	mustCLI(t, db, "disable", id)
	if table := mustCLI(t, db, "list"); !lineHas(table, id, "disabled") {
		t.Errorf("list:\n%s", table)
	}
}

// TestClientsReadsTheEnvironment: SHAREDCARE_DATABASE_URL names the
// database, as for the server.
func TestClientsReadsTheEnvironment(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "sc.db")
	env := func(k string) string {
		if k == "SHAREDCARE_DATABASE_URL" {
			return db
		}
		return ""
	}
	var out bytes.Buffer
	keyFile := filepath.Join(t.TempDir(), "k.json")
	if err := clientsCmd(context.Background(), []string{"add", "--demo", "--key-out", keyFile, "--json"}, env, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var added clientJSON
	if err := json.Unmarshal(out.Bytes(), &added); err != nil || added.ClientID == "" || added.KeyFile != keyFile {
		t.Fatalf("add --demo --json printed %s (%v); want an object with client_id and key_file", out.String(), err)
	}
	if list := mustCLI(t, db, "list"); !strings.Contains(list, added.ClientID) {
		t.Errorf("the client added through SHAREDCARE_DATABASE_URL is not in %s:\n%s", db, list)
	}
}
