package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharedcare/sharedcare/internal/auth"
	"github.com/sharedcare/sharedcare/internal/auth/scope"
	"github.com/sharedcare/sharedcare/internal/config"
	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/pkg/smartauth"
)

// `sharedcare clients ...` manages the registered SMART Backend Services
// clients in the configured database, beside a running server: the server
// reads the registry on every token request.

const clientsUsage = `Usage:
  sharedcare clients add --name NAME --org Organization/ID --scope "SCOPES" --jwks FILE_OR_HTTPS_URL [--all-patients] [--permission P]... [--json]
  sharedcare clients add --demo --key-out FILE [--name demo] [--org Organization/demo] [--scope "system/*.cruds"] [--json]
  sharedcare clients list [--json]
  sharedcare clients disable|enable|remove ID

add prints the new client id (with --json, one JSON object with client_id).
--jwks is a file holding the client's public keys as a JWK Set, or the https
URL it publishes them at. --demo generates an ES384 key pair, writes the
private key as a JWK to the --key-out file (mode 0600, never overwritten) and
registers its public key, with every scope and --all-patients.

A client sees only the records of the patients its organization has a care
relationship with (it is their GP, on one of their CareTeams, manages one of
their EpisodesOfCare, or requested or owns one of their Tasks), unless it is
registered with --all-patients (the permission all-patients): an integration
engine or the trust's own EPR.

The configuration flags (e.g. -database-url) are those of ` + "`sharedcare -h`."

// Demo client defaults: a client of its own organization with every scope.
const (
	demoName  = "demo"
	demoOrg   = "Organization/demo"
	demoScope = "system/*.cruds"
)

// clientsCmd runs `sharedcare clients ACTION ...`; args follow "clients".
func clientsCmd(ctx context.Context, args []string, getenv func(string) string, out, errOut io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(errOut, clientsUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return flag.ErrHelp
		}
		return errors.New("clients: want add, list, disable, enable or remove")
	}
	action, args := args[0], args[1:]
	var reg registration
	fs := flag.NewFlagSet("sharedcare clients "+action, flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() { fmt.Fprintln(errOut, clientsUsage+"\n\nFlags of "+action+":"); fs.PrintDefaults() }
	asJSON := fs.Bool("json", false, "print JSON")
	var id string
	switch action {
	case "add":
		reg.flags(fs)
	case "list":
	case "disable", "enable", "remove":
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return fmt.Errorf("clients %s: which client? (sharedcare clients %s ID)", action, action)
		}
		id, args = args[0], args[1:]
	default:
		fmt.Fprintln(errOut, clientsUsage)
		return fmt.Errorf("clients: unknown action %q (want add, list, disable, enable or remove)", action)
	}
	rest, err := splitFlags(fs, args)
	if err != nil {
		return err
	}
	var c store.Client
	if action == "add" { // check everything before touching the database
		if c, err = reg.client(); err != nil {
			return fmt.Errorf("clients add: %w", err)
		}
	}
	cfg, err := config.Load(rest, getenv)
	if err != nil {
		return err
	}
	// The CLI's output is its answer: only warnings and worse are logged.
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: max(cfg.LogLevel, slog.LevelWarn)}))
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	switch action {
	case "add":
		return reg.add(ctx, st, c, *asJSON, out)
	case "list":
		return listClients(ctx, st, *asJSON, out)
	case "remove":
		if err := st.DeleteClient(ctx, id); err != nil {
			return fmt.Errorf("clients remove: %w", err)
		}
	default:
		if err := st.SetClientDisabled(ctx, id, action == "disable"); err != nil {
			return fmt.Errorf("clients %s: %w", action, err)
		}
	}
	fmt.Fprintf(out, "%sd %s\n", action, id) // disabled, enabled, removed
	return nil
}

// registration is what `clients add` was given.
type registration struct {
	name, org, scope, jwks, keyOut string
	permissions                    repeated
	demo, allPatients              bool
	key                            jose.JSONWebKey // --demo's private key
}

func (r *registration) flags(fs *flag.FlagSet) {
	fs.StringVar(&r.name, "name", "", "the client's name, e.g. the system and its owner (--demo: "+demoName+")")
	fs.StringVar(&r.org, "org", "", "Organization/ID the client acts for; need not be stored yet (--demo: "+demoOrg+")")
	fs.StringVar(&r.scope, "scope", "", "the SMART scopes it may be granted, space-separated (--demo: "+demoScope+")")
	fs.StringVar(&r.jwks, "jwks", "", "a file holding its public keys (a JWK Set), or the https URL it publishes them at")
	fs.BoolVar(&r.allPatients, "all-patients", false, "it sees every patient's record, not only those its organization cares for (--demo: always)")
	fs.Var(&r.permissions, "permission", "an extra grant (e.g. break-glass); may be repeated")
	fs.BoolVar(&r.demo, "demo", false, "generate an ES384 key pair, write the private key to --key-out and register the public key")
	fs.StringVar(&r.keyOut, "key-out", "", "with --demo: the file the private key (JWK) is written to; it must not exist")
}

var orgReference = regexp.MustCompile(`^Organization/[A-Za-z0-9\-.]{1,64}$`)

// client checks the registration and makes the client it registers (for
// --demo, generating the key pair).
func (r *registration) client() (store.Client, error) {
	c := store.Client{Name: r.name, Organization: r.org, Scope: r.scope, Permissions: r.permissions}
	if r.demo {
		if r.jwks != "" {
			return c, errors.New("--demo generates the key: give --jwks or --demo, not both")
		}
		if r.keyOut == "" {
			return c, errors.New("--demo needs --key-out FILE, where the private key is written")
		}
		c.Name, c.Organization, c.Scope = or(c.Name, demoName), or(c.Organization, demoOrg), or(c.Scope, demoScope)
		r.allPatients = true
	} else if r.keyOut != "" {
		return c, errors.New("--key-out is for --demo only")
	}
	switch {
	case strings.TrimSpace(c.Name) == "":
		return c, errors.New("--name is required")
	case !orgReference.MatchString(c.Organization):
		return c, fmt.Errorf("--org %q: want a reference Organization/ID", c.Organization)
	}
	set, err := scope.Parse(c.Scope)
	if err != nil {
		return c, fmt.Errorf("--scope: %w", err)
	}
	if len(set.Resources) == 0 {
		return c, fmt.Errorf("--scope %q grants no resource access (want e.g. system/Patient.rs)", c.Scope)
	}
	if r.allPatients && !slices.Contains(c.Permissions, auth.PermissionAllPatients) {
		c.Permissions = append(c.Permissions, auth.PermissionAllPatients)
	}
	for _, p := range r.permissions {
		if p == "" || strings.ContainsAny(p, " \t\n") {
			return c, fmt.Errorf("--permission %q: want one word", p)
		}
	}
	if r.demo {
		if r.key, err = smartauth.NewKey(jose.ES384); err != nil {
			return c, err
		}
		c.JWKS, err = json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{r.key.Public()}})
		return c, err
	}
	switch u, err := url.Parse(r.jwks); {
	case r.jwks == "":
		return c, errors.New("--jwks is required: a JWK Set file or https URL (or --demo)")
	case err == nil && u.Scheme == "https" && u.Host != "":
		c.JWKSURI = r.jwks
	case err == nil && u.Scheme != "" && len(u.Scheme) > 1: // a URL, not a file (nor a Windows drive)
		return c, fmt.Errorf("--jwks %s: a key set URL must be https", r.jwks)
	default:
		b, err := os.ReadFile(r.jwks)
		if err != nil {
			return c, fmt.Errorf("--jwks: %w", err)
		}
		if c.JWKS, err = checkJWKS(b); err != nil {
			return c, fmt.Errorf("--jwks %s: %w", r.jwks, err)
		}
	}
	return c, nil
}

// privateMembers are the JWK members that only private or secret keys have.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// checkJWKS checks that b is a JWK Set of public keys only, at least one of
// them able to verify a SMART client assertion under its kid, and returns
// it compacted.
func checkJWKS(b []byte) (json.RawMessage, error) {
	var raw struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &raw); err != nil || raw.Keys == nil {
		return nil, errors.New(`not a JWK Set: want {"keys": [...]} holding the client's public keys`)
	}
	for i, k := range raw.Keys {
		for _, m := range privateMembers {
			if _, ok := k[m]; ok {
				return nil, fmt.Errorf("keys[%d] holds private key material (%q): register only the public key, and keep the private key with the client", i, m)
			}
		}
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	usable := 0
	for _, k := range set.Keys {
		if smartauth.Usable(k) && k.KeyID != "" {
			usable++
		}
	}
	if usable == 0 {
		return nil, fmt.Errorf("no key with a kid that can verify RS384, ES384, RS256 or ES256 signatures")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		return nil, err
	}
	return compact.Bytes(), nil
}

// add registers c under a new id (writing --demo's private key first, so
// that a client is never registered whose key was lost) and prints it.
func (r *registration) add(ctx context.Context, clients store.Clients, c store.Client, asJSON bool, out io.Writer) error {
	id := make([]byte, 15)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	// 120 random bits in [a-z2-7]: URL-safe, a FHIR id, and never read as a flag.
	c.ID, c.Created = strings.ToLower(base32.StdEncoding.EncodeToString(id)), time.Now().UTC().Truncate(time.Microsecond) // as stored
	if r.demo {
		if err := writeKey(r.keyOut, r.key); err != nil {
			return fmt.Errorf("clients add: %w", err)
		}
	}
	if err := clients.CreateClient(ctx, c); err != nil {
		if r.demo {
			os.Remove(r.keyOut)
		}
		return fmt.Errorf("clients add: %w", err)
	}
	if !asJSON {
		_, err := fmt.Fprintln(out, c.ID)
		return err
	}
	j := toJSON(c)
	j.KeyFile = r.keyOut
	return json.NewEncoder(out).Encode(j)
}

// writeKey writes a private key as a JWK to a new file only its owner reads.
func writeKey(path string, key jose.JSONWebKey) error {
	b, err := json.MarshalIndent(key, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("--key-out %s exists: a key file is never overwritten; name another, or remove it first", path)
	} else if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// clientJSON is a client as `clients add --json` and `clients list --json` print it.
type clientJSON struct {
	ClientID     string          `json:"client_id"`
	Name         string          `json:"name"`
	Organization string          `json:"organization"`
	Scope        string          `json:"scope"`
	JWKS         json.RawMessage `json:"jwks,omitempty"`
	JWKSURI      string          `json:"jwks_uri,omitempty"`
	Permissions  []string        `json:"permissions"`
	Disabled     bool            `json:"disabled"`
	Created      time.Time       `json:"created"`
	KeyFile      string          `json:"key_file,omitempty"` // --demo: where the private key was written
}

func toJSON(c store.Client) clientJSON {
	perms := c.Permissions
	if perms == nil {
		perms = []string{}
	}
	return clientJSON{ClientID: c.ID, Name: c.Name, Organization: c.Organization, Scope: c.Scope,
		JWKS: c.JWKS, JWKSURI: c.JWKSURI, Permissions: perms, Disabled: c.Disabled, Created: c.Created}
}

// listClients prints every client: a table, or a JSON array.
func listClients(ctx context.Context, clients store.Clients, asJSON bool, out io.Writer) error {
	list, err := clients.ListClients(ctx)
	if err != nil {
		return fmt.Errorf("clients list: %w", err)
	}
	if asJSON {
		all := make([]clientJSON, 0, len(list))
		for _, c := range list {
			all = append(all, toJSON(c))
		}
		return json.NewEncoder(out).Encode(all)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CLIENT_ID\tNAME\tORGANIZATION\tSTATUS\tKEYS\tSCOPE")
	for _, c := range list {
		status, keys := "enabled", "inline"
		if c.Disabled {
			status = "disabled"
		}
		if c.JWKSURI != "" {
			keys = c.JWKSURI
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.Organization, status, keys, c.Scope)
	}
	return w.Flush()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
