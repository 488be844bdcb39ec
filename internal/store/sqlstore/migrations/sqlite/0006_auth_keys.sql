-- See the PostgreSQL migration of the same number for what each column means.
CREATE TABLE signing_keys (
    kid         TEXT    PRIMARY KEY,
    private_jwk BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE assertion_replay (
    client_id  TEXT    NOT NULL,
    jti        TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
) WITHOUT ROWID;
CREATE INDEX assertion_replay_expires ON assertion_replay (expires_at);
