-- The server's own token-signing keys: the newest signs, older ones verify
-- the tokens they signed until expires_at (0 while a key is the signing key).
CREATE TABLE signing_keys (
    kid         text   PRIMARY KEY,
    private_jwk bytea  NOT NULL,  -- the private key as a JWK (JSON)
    created_at  bigint NOT NULL,  -- microseconds since the epoch
    expires_at  bigint NOT NULL DEFAULT 0  -- microseconds; 0: does not expire
);

-- Client assertions already used, by client and jti, kept until the
-- assertion expires so that a replay is refused on every replica.
CREATE TABLE assertion_replay (
    client_id  text   NOT NULL,
    jti        text   NOT NULL,
    expires_at bigint NOT NULL,  -- microseconds since the epoch
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX assertion_replay_expires ON assertion_replay (expires_at);
