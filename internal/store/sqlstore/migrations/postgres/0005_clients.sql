-- Registered SMART Backend Services clients (store.Clients), managed with
-- `sharedcare clients`. The server reads them on every token request, so the
-- CLI's changes take effect without a restart.
CREATE TABLE clients (
    id           text    PRIMARY KEY,  -- the client_id, random and URL-safe
    name         text    NOT NULL,
    organization text    NOT NULL,     -- Organization/{id} the client acts for
    scope        text    NOT NULL,     -- the scopes it may be granted, space-separated
    jwks         text,                 -- its public keys inline, a JWK Set as JSON; or NULL
    jwks_uri     text    NOT NULL DEFAULT '',  -- or where to fetch them (https)
    permissions  text    NOT NULL DEFAULT '[]', -- a JSON array of strings
    disabled     boolean NOT NULL DEFAULT false,
    created_at   bigint  NOT NULL      -- microseconds since the epoch
);
