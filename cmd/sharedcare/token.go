package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sharedcare/sharedcare/pkg/smartauth"
)

const tokenUsage = `Usage: sharedcare token --client ID --key FILE [--base URL] [--scope SCOPES]

Gets an access token from a running sharedcare the way a backend service does
(SMART Backend Services): it reads the token endpoint from
{base}/.well-known/smart-configuration, signs a client assertion with the
private key in FILE (a JWK, as ` + "`clients add --demo`" + ` writes, or PEM) and
exchanges it. It prints only the access token:

  TOKEN=$(sharedcare token --client "$CLIENT" --key demo-key.json)
  curl -H "Authorization: Bearer $TOKEN" http://localhost:8080/fhir/Patient

Flags:`

// tokenCmd runs `sharedcare token ...`; args follow "token".
func tokenCmd(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("sharedcare token", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() { fmt.Fprintln(errOut, tokenUsage); fs.PrintDefaults() }
	client := fs.String("client", "", "the registered client id")
	keyFile := fs.String("key", "", "the client's private key file (JWK or PEM)")
	base := fs.String("base", "http://localhost:8080/fhir", "the server's FHIR base URL")
	scope := fs.String("scope", "system/*.cruds", "the scopes to request (granted: these ∩ the client's registered scopes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("token: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	case *client == "" || *keyFile == "":
		fs.Usage()
		return errors.New("token: --client and --key are required")
	}
	key, err := smartauth.LoadKey(*keyFile)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tok, err := smartauth.TokenSource(ctx, smartauth.Config{ClientID: *client, Key: key, BaseURL: *base, Scope: *scope,
		HTTPClient: &http.Client{Timeout: 30 * time.Second}}).Token()
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	_, err = fmt.Fprintln(out, tok.AccessToken)
	return err
}
