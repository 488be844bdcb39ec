package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sharedcare/sharedcare/internal/fhirerr"
	"github.com/sharedcare/sharedcare/internal/store"
)

var _ store.Clients = (*Store)(nil)

const clientColumns = "id, name, organization, scope, jwks, jwks_uri, permissions, disabled, created_at"

// CreateClient stores c; an ID already taken fails with ErrVersionConflict
// (the primary key's unique violation, classified at the edge).
func (s *Store) CreateClient(ctx context.Context, c store.Client) (err error) {
	defer s.edge(ctx, &err)
	perms, err := json.Marshal(nonNil(c.Permissions))
	if err != nil {
		return fmt.Errorf("sqlstore.CreateClient %q: %w", c.ID, err)
	}
	var jwks sql.NullString
	if len(c.JWKS) > 0 {
		jwks = sql.NullString{String: string(c.JWKS), Valid: true}
	}
	err = s.conn(ctx).Exec("INSERT INTO clients ("+clientColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		c.ID, c.Name, c.Organization, c.Scope, jwks, c.JWKSURI, string(perms), c.Disabled, c.Created.UnixMicro()).Error
	if err != nil {
		return fmt.Errorf("sqlstore.CreateClient %q: %w", c.ID, err)
	}
	return nil
}

// Client returns the client with id; NotFound when there is none.
func (s *Store) Client(ctx context.Context, id string) (_ store.Client, err error) {
	defer s.edge(ctx, &err)
	c, err := scanClient(s.conn(ctx).Raw("SELECT "+clientColumns+" FROM clients WHERE id = ?", id).Row())
	if isNoRows(err) {
		return store.Client{}, clientNotFound(id)
	} else if err != nil {
		return store.Client{}, fmt.Errorf("sqlstore.Client %q: %w", id, err)
	}
	return c, nil
}

// ListClients returns every client, by ID.
func (s *Store) ListClients(ctx context.Context) (_ []store.Client, err error) {
	defer s.edge(ctx, &err)
	rows, err := s.conn(ctx).Raw("SELECT " + clientColumns + " FROM clients ORDER BY id").Rows()
	if err != nil {
		return nil, fmt.Errorf("sqlstore.ListClients: %w", err)
	}
	defer rows.Close()
	var out []store.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore.ListClients: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore.ListClients: %w", err)
	}
	return out, nil
}

// SetClientDisabled disables or enables a client; NotFound when there is none.
func (s *Store) SetClientDisabled(ctx context.Context, id string, disabled bool) (err error) {
	defer s.edge(ctx, &err)
	res := s.conn(ctx).Exec("UPDATE clients SET disabled = ? WHERE id = ?", disabled, id)
	if res.Error != nil {
		return fmt.Errorf("sqlstore.SetClientDisabled %q: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return clientNotFound(id)
	}
	return nil
}

// DeleteClient removes a client; NotFound when there is none.
func (s *Store) DeleteClient(ctx context.Context, id string) (err error) {
	defer s.edge(ctx, &err)
	res := s.conn(ctx).Exec("DELETE FROM clients WHERE id = ?", id)
	if res.Error != nil {
		return fmt.Errorf("sqlstore.DeleteClient %q: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return clientNotFound(id)
	}
	return nil
}

func clientNotFound(id string) error {
	return fhirerr.NotFoundf("no client is registered with id %q", id)
}

// scanClient reads one row of clientColumns.
func scanClient(row interface{ Scan(...any) error }) (store.Client, error) {
	var (
		c       store.Client
		jwks    sql.NullString
		perms   string
		created int64
	)
	if err := row.Scan(&c.ID, &c.Name, &c.Organization, &c.Scope, &jwks, &c.JWKSURI, &perms, &c.Disabled, &created); err != nil {
		return c, err
	}
	if jwks.Valid {
		c.JWKS = json.RawMessage(jwks.String)
	}
	if err := json.Unmarshal([]byte(perms), &c.Permissions); err != nil {
		return c, fmt.Errorf("client %q: permissions: %w", c.ID, err)
	}
	if len(c.Permissions) == 0 {
		c.Permissions = nil // none reads back as it is written: nil
	}
	c.Created = time.UnixMicro(created).UTC()
	return c, nil
}

// nonNil stores no permissions as [] rather than null.
func nonNil(p []string) []string {
	if p == nil {
		return []string{}
	}
	return p
}
