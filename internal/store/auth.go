package store

import (
	"context"
	"encoding/json"
	"time"
)

// The records of authentication: registered clients, the server's signing
// keys and the client assertions already used. Each is an optional
// capability of a Store (found by type assertion, proven by its storetest
// case), kept in the database so that every replica and the CLI see the same.

// Client is a registered SMART Backend Services client.
type Client struct {
	ID           string
	Name         string
	Organization string          // Organization/{id} the client acts for; need not be stored yet
	Scope        string          // the scopes it may be granted, SMART syntax, space-separated
	JWKS         json.RawMessage // its public keys inline (a JWK Set), or nil
	JWKSURI      string          // or where to fetch them (https)
	Permissions  []string        // extra grants made at registration (e.g. break-glass, all-patients)
	Disabled     bool
	Created      time.Time
}

// Clients is the registry of clients.
type Clients interface {
	// CreateClient stores c; an ID already taken fails with ErrVersionConflict.
	CreateClient(ctx context.Context, c Client) error
	// Client returns the client with id; NotFound when there is none.
	Client(ctx context.Context, id string) (Client, error)
	// ListClients returns every client, by ID.
	ListClients(ctx context.Context) ([]Client, error)
	// SetClientDisabled disables or enables a client; NotFound when there is none.
	SetClientDisabled(ctx context.Context, id string, disabled bool) error
	// DeleteClient removes a client; NotFound when there is none.
	DeleteClient(ctx context.Context, id string) error
}

// SigningKey is one of the server's own token-signing keys.
type SigningKey struct {
	ID      string    // the kid
	Private []byte    // the private key as a JWK (JSON)
	Created time.Time // the newest key signs; older ones only verify
	// Expires is when the key stops verifying: set on rotation to when the
	// last token it signed has expired; zero while it is the signing key.
	Expires time.Time
}

// SigningKeys keeps the server's signing keys.
type SigningKeys interface {
	// SigningKeys returns the keys that still verify at now, newest first.
	SigningKeys(ctx context.Context, now time.Time) ([]SigningKey, error)
	// RotateSigningKey stores next as the signing key and sets every older
	// key's Expires to retireAt (if not already earlier), in one transaction.
	RotateSigningKey(ctx context.Context, next SigningKey, retireAt time.Time) error
}

// AssertionReplay remembers the client assertions (by client and jti) used
// within their lifetime, so that a replayed one is refused on any replica.
type AssertionReplay interface {
	// ClaimAssertion records (clientID, jti) until expires. It returns false
	// when the pair is already recorded and not yet expired (a replay).
	// Records past their expiry may be removed.
	ClaimAssertion(ctx context.Context, clientID, jti string, expires time.Time) (fresh bool, err error)
}
