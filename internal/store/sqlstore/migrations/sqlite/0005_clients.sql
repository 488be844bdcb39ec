-- See the PostgreSQL migration of the same number for what each column means.
CREATE TABLE clients (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    organization TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    jwks         TEXT,
    jwks_uri     TEXT    NOT NULL DEFAULT '',
    permissions  TEXT    NOT NULL DEFAULT '[]',
    disabled     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
) WITHOUT ROWID;
