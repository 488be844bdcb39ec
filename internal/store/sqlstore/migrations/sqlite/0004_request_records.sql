-- See the PostgreSQL migration of the same number for what each column means.
CREATE TABLE request_records (
    operation   TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    response    BLOB    NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (operation, key)
) WITHOUT ROWID;
