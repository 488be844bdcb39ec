-- See the PostgreSQL migration of the same number for what each column means.
CREATE TABLE resources (
    type         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    body         TEXT,
    PRIMARY KEY (type, id)
) WITHOUT ROWID;

CREATE TABLE resource_history (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    type         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    method       TEXT    NOT NULL,
    body         TEXT,
    UNIQUE (type, id, version)
);
CREATE INDEX resource_history_type_seq ON resource_history (type, seq);
