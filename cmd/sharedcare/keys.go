package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/sharedcare/sharedcare/internal/auth/token"
	"github.com/sharedcare/sharedcare/internal/config"
)

// `sharedcare keys rotate` adds a new signing key for access tokens in the
// configured database, beside running servers: they sign with it within a
// minute, and the old key verifies until the tokens it signed have expired.

const keysUsage = `Usage:
  sharedcare keys rotate

rotate adds a new server signing key and prints its kid.
The configuration flags (e.g. -database-url) are those of ` + "`sharedcare -h`."

// keysCmd runs `sharedcare keys ACTION ...`; args follow "keys".
func keysCmd(ctx context.Context, args []string, getenv func(string) string, out, errOut io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprintln(errOut, keysUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return flag.ErrHelp
		}
		return errors.New("keys: want rotate")
	}
	cfg, err := config.Load(args[1:], getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(errOut, &slog.HandlerOptions{Level: cfg.LogLevel}))
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	kid, err := token.Rotate(ctx, st, token.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, kid)
	return nil
}
