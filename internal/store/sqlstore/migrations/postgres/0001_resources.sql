-- Current version of every resource. body is json (not jsonb) so reads return
-- the bytes that were written, key order and decimals as stored.
-- last_updated is microseconds since the Unix epoch, UTC, in both dialects.
CREATE TABLE resources (
    type         text    NOT NULL,
    id           text    NOT NULL,
    version      bigint  NOT NULL,
    last_updated bigint  NOT NULL,
    deleted      boolean NOT NULL DEFAULT false,
    body         json,
    PRIMARY KEY (type, id)
);

-- Every version ever written, never rewritten. seq orders all writes and is
-- the cursor of history paging.
CREATE TABLE resource_history (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type         text   NOT NULL,
    id           text   NOT NULL,
    version      bigint NOT NULL,
    last_updated bigint NOT NULL,
    method       text   NOT NULL,
    body         json,
    UNIQUE (type, id, version)
);
CREATE INDEX resource_history_type_seq ON resource_history (type, seq);
