-- Search index: one table per search parameter type, each row one value of
-- one parameter of the current version of one resource. Rows are replaced
-- in the same transaction as every write, and removed on delete.
CREATE TABLE idx_string (
    res_type text NOT NULL,
    res_id   text NOT NULL,
    param    text NOT NULL,
    value    text NOT NULL, -- lower case, accents removed
    exact    text NOT NULL  -- as written, for :exact
);
CREATE INDEX idx_string_search ON idx_string (res_type, param, value text_pattern_ops);
CREATE INDEX idx_string_owner ON idx_string (res_type, res_id);

CREATE TABLE idx_token (
    res_type text NOT NULL,
    res_id   text NOT NULL,
    param    text NOT NULL,
    system   text NOT NULL DEFAULT '',
    code     text NOT NULL DEFAULT '',
    text     text NOT NULL DEFAULT ''  -- display / CodeableConcept.text, normalised, for :text
);
CREATE INDEX idx_token_search ON idx_token (res_type, param, code, system);
CREATE INDEX idx_token_owner ON idx_token (res_type, res_id);

CREATE TABLE idx_reference (
    res_type    text NOT NULL,
    res_id      text NOT NULL,
    param       text NOT NULL,
    target_type text NOT NULL DEFAULT '',
    target_id   text NOT NULL DEFAULT '',
    url         text NOT NULL DEFAULT ''  -- canonical or absolute references
);
CREATE INDEX idx_reference_search ON idx_reference (res_type, param, target_id, target_type);
CREATE INDEX idx_reference_target ON idx_reference (target_type, target_id);
CREATE INDEX idx_reference_owner ON idx_reference (res_type, res_id);

CREATE TABLE idx_date (
    res_type text   NOT NULL,
    res_id   text   NOT NULL,
    param    text   NOT NULL,
    low      bigint NOT NULL,  -- microseconds since the epoch, inclusive
    high     bigint NOT NULL   -- exclusive
);
CREATE INDEX idx_date_search ON idx_date (res_type, param, low, high);
CREATE INDEX idx_date_owner ON idx_date (res_type, res_id);

CREATE TABLE idx_number (
    res_type text             NOT NULL,
    res_id   text             NOT NULL,
    param    text             NOT NULL,
    value    double precision NOT NULL,
    low      double precision NOT NULL,
    high     double precision NOT NULL,
    system   text             NOT NULL DEFAULT '',  -- quantities
    code     text             NOT NULL DEFAULT ''
);
CREATE INDEX idx_number_search ON idx_number (res_type, param, value);
CREATE INDEX idx_number_owner ON idx_number (res_type, res_id);

CREATE TABLE idx_uri (
    res_type text NOT NULL,
    res_id   text NOT NULL,
    param    text NOT NULL,
    uri      text NOT NULL
);
CREATE INDEX idx_uri_search ON idx_uri (res_type, param, uri text_pattern_ops);
CREATE INDEX idx_uri_owner ON idx_uri (res_type, res_id);

-- Sorting and default paging of searches walk this.
CREATE INDEX resources_type_updated ON resources (type, last_updated, id);
