package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sharedcare/sharedcare/internal/auth/token"
	"github.com/sharedcare/sharedcare/internal/store"
	"github.com/sharedcare/sharedcare/internal/store/sqlstore"
	"github.com/sharedcare/sharedcare/internal/testdb"
)

// TestKeysRotate: `sharedcare keys rotate` adds a signing key beside the
// one a server created, prints its kid, and both verify.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	urls := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "sc.db"), "postgres": testdb.PostgresDatabaseURL(t)}
	for dialect, db := range urls {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			st, err := sqlstore.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := token.New(ctx, st, token.Options{}); err != nil { // the server's first key
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			getenv := func(k string) string {
				return map[string]string{"SHAREDCARE_DATABASE_URL": db, "SHAREDCARE_LOG_LEVEL": "error"}[k]
			}
			if err := keysCmd(ctx, []string{"rotate"}, getenv, &out, &errOut); err != nil {
				t.Fatalf("keys rotate: %v (%s)", err, errOut.String())
			}
			kid := strings.TrimSpace(out.String())
			keys, err := st.SigningKeys(ctx, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 2 || keys[0].ID != kid || keys[1].Expires.IsZero() {
				t.Errorf("after keys rotate (printed %q): %v; want the new key first and the old retiring", kid, ids(keys))
			}
		})
	}
	// Through run, as the command line reaches it.
	if err := run(context.Background(), []string{"keys", "rotate", "-database-url", urls["sqlite"], "-log-level", "error"}); err != nil {
		t.Errorf("run keys rotate: %v", err)
	}
	if err := keysCmd(context.Background(), []string{"spin"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("keys spin succeeded")
	}
}

func ids(keys []store.SigningKey) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.ID+" expires "+k.Expires.String())
	}
	return out
}
