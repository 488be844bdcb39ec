package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sharedcare/sharedcare/internal/store"
)

var (
	_ store.SigningKeys     = (*Store)(nil)
	_ store.AssertionReplay = (*Store)(nil)
)

// micros is t in microseconds since the epoch; the zero time is 0 (never).
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// SigningKeys returns the keys that still verify at now, newest first.
func (s *Store) SigningKeys(ctx context.Context, now time.Time) (_ []store.SigningKey, err error) {
	defer s.edge(ctx, &err)
	rows, err := s.conn(ctx).Raw(`SELECT kid, private_jwk, created_at, expires_at FROM signing_keys
		WHERE expires_at = 0 OR expires_at > ? ORDER BY created_at DESC, kid DESC`, now.UnixMicro()).Rows()
	if err != nil {
		return nil, fmt.Errorf("sqlstore.SigningKeys: %w", err)
	}
	defer rows.Close()
	var keys []store.SigningKey
	for rows.Next() {
		var k store.SigningKey
		var created, expires int64
		if err := rows.Scan(&k.ID, &k.Private, &created, &expires); err != nil {
			return nil, fmt.Errorf("sqlstore.SigningKeys: %w", err)
		}
		k.Created, k.Expires = fromMicros(created), fromMicros(expires)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore.SigningKeys: %w", err)
	}
	return keys, nil
}

// RotateSigningKey stores next as the signing key and retires every other
// key at retireAt (unless it expires earlier already), in one transaction.
func (s *Store) RotateSigningKey(ctx context.Context, next store.SigningKey, retireAt time.Time) error {
	return s.InTx(ctx, func(tx store.Store) (err error) {
		t := tx.(*Store)
		defer t.edge(ctx, &err)
		db := t.conn(ctx)
		if err := db.Exec(`UPDATE signing_keys SET expires_at = ? WHERE kid <> ? AND (expires_at = 0 OR expires_at > ?)`,
			retireAt.UnixMicro(), next.ID, retireAt.UnixMicro()).Error; err != nil {
			return fmt.Errorf("sqlstore.RotateSigningKey: %w", err)
		}
		if err := db.Exec(`INSERT INTO signing_keys (kid, private_jwk, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			next.ID, next.Private, next.Created.UnixMicro(), micros(next.Expires)).Error; err != nil {
			return fmt.Errorf("sqlstore.RotateSigningKey %s: %w", next.ID, err)
		}
		return nil
	})
}

// ClaimAssertion records (clientID, jti) until expires, atomically: the
// insert wins only when no unexpired record of the pair exists, so two
// replicas racing with the same assertion cannot both succeed.
func (s *Store) ClaimAssertion(ctx context.Context, clientID, jti string, expires time.Time) (_ bool, err error) {
	defer s.edge(ctx, &err)
	now := time.Now().UnixMicro()
	db := s.conn(ctx)
	// Prune what has expired; the index on expires_at keeps this cheap.
	if err := db.Exec(`DELETE FROM assertion_replay WHERE expires_at <= ?`, now).Error; err != nil {
		return false, fmt.Errorf("sqlstore.ClaimAssertion: %w", err)
	}
	// A row that expired since the prune may be taken over; a live one may not.
	res := db.Exec(`INSERT INTO assertion_replay (client_id, jti, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
		WHERE assertion_replay.expires_at <= ?`, clientID, jti, expires.UnixMicro(), now)
	if res.Error != nil {
		return false, fmt.Errorf("sqlstore.ClaimAssertion %s: %w", clientID, res.Error)
	}
	return res.RowsAffected == 1, nil
}
