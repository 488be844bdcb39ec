-- See the PostgreSQL migration of the same number for what each table holds.
-- Prefix searches are range comparisons (value >= x AND value < x||U+10FFFF),
-- which both databases answer from these indexes.
CREATE TABLE idx_string (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    value    TEXT NOT NULL, -- lower case, accents removed
    exact    TEXT NOT NULL  -- as written, for :exact
);
CREATE INDEX idx_string_search ON idx_string (res_type, param, value);
CREATE INDEX idx_string_owner ON idx_string (res_type, res_id);

CREATE TABLE idx_token (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    system   TEXT NOT NULL DEFAULT '',
    code     TEXT NOT NULL DEFAULT '',
    text     TEXT NOT NULL DEFAULT ''  -- display / CodeableConcept.text, normalised, for :text
);
CREATE INDEX idx_token_search ON idx_token (res_type, param, code, system);
CREATE INDEX idx_token_owner ON idx_token (res_type, res_id);

CREATE TABLE idx_reference (
    res_type    TEXT NOT NULL,
    res_id      TEXT NOT NULL,
    param       TEXT NOT NULL,
    target_type TEXT NOT NULL DEFAULT '',
    target_id   TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT ''  -- canonical or absolute references
);
CREATE INDEX idx_reference_search ON idx_reference (res_type, param, target_id, target_type);
CREATE INDEX idx_reference_target ON idx_reference (target_type, target_id);
CREATE INDEX idx_reference_owner ON idx_reference (res_type, res_id);

CREATE TABLE idx_date (
    res_type TEXT   NOT NULL,
    res_id   TEXT   NOT NULL,
    param    TEXT   NOT NULL,
    low      INTEGER NOT NULL,  -- microseconds since the epoch, inclusive
    high     INTEGER NOT NULL   -- exclusive
);
CREATE INDEX idx_date_search ON idx_date (res_type, param, low, high);
CREATE INDEX idx_date_owner ON idx_date (res_type, res_id);

CREATE TABLE idx_number (
    res_type TEXT             NOT NULL,
    res_id   TEXT             NOT NULL,
    param    TEXT             NOT NULL,
    value    REAL NOT NULL,
    low      REAL NOT NULL,
    high     REAL NOT NULL,
    system   TEXT             NOT NULL DEFAULT '',  -- quantities
    code     TEXT             NOT NULL DEFAULT ''
);
CREATE INDEX idx_number_search ON idx_number (res_type, param, value);
CREATE INDEX idx_number_owner ON idx_number (res_type, res_id);

CREATE TABLE idx_uri (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    uri      TEXT NOT NULL
);
CREATE INDEX idx_uri_search ON idx_uri (res_type, param, uri);
CREATE INDEX idx_uri_owner ON idx_uri (res_type, res_id);

-- Sorting and default paging of searches walk this.
CREATE INDEX resources_type_updated ON resources (type, last_updated, id);
