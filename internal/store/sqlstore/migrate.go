package sqlstore

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

//go:embed migrations
var migrations embed.FS

// migration is one numbered schema change, NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(dialect string) ([]migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore.loadMigrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("sqlstore.loadMigrations: %s is not NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrations, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("sqlstore.loadMigrations: %w", err)
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlstore.loadMigrations: %s: expected version %d, found %d", dialect, i+1, m.version)
		}
	}
	return out, nil
}

// MigrationsDigest identifies the migrations of a dialect ("postgres" or
// "sqlite") this binary carries: it changes whenever one is added or edited,
// so a migrated database kept by that name (the tests' PostgreSQL template)
// is never reused for another schema.
func MigrationsDigest(dialect string) (string, error) {
	ms, err := loadMigrations(dialect)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%d %s %d\n%s\n", m.version, m.name, len(m.sql), m.sql)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Migrate brings the schema up to date. It is safe to run from several
// replicas at once: on PostgreSQL an advisory lock serialises them, and
// SQLite's immediate transactions do the same.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.dialect)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7152331)").Error; err != nil {
				return fmt.Errorf("sqlstore.Migrate: lock: %w", err)
			}
		}
		if err := tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`).Error; err != nil {
			return fmt.Errorf("sqlstore.Migrate: %w", err)
		}
		var current int
		if err := tx.Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current).Error; err != nil {
			return fmt.Errorf("sqlstore.Migrate: %w", err)
		}
		if current > len(ms) {
			return fmt.Errorf("sqlstore.Migrate: the database is at schema version %d, newer than this binary's %d", current, len(ms))
		}
		for _, m := range ms[current:] {
			if err := tx.Exec(m.sql).Error; err != nil {
				return fmt.Errorf("sqlstore.Migrate %04d_%s: %w", m.version, m.name, err)
			}
			if err := tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, time.Now().UnixMicro()).Error; err != nil {
				return fmt.Errorf("sqlstore.Migrate: %w", err)
			}
		}
		return nil
	})
}

// SchemaVersion returns the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.WithContext(ctx).Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v).Error
	if err != nil {
		return 0, fmt.Errorf("sqlstore.SchemaVersion: %w", err)
	}
	return v, nil
}
