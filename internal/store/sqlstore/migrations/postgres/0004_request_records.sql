-- Requests that must take effect once, such as a $handover keyed by its
-- Bundle.identifier: a hash of the request as sent and the response as first
-- given, written in the same transaction as the resources the request stored,
-- so a record exists exactly when its resources do. A retry with the same key
-- and hash gets the response again; another request under the key is refused.
CREATE TABLE request_records (
    operation   text    NOT NULL,  -- e.g. "$handover"
    key         text    NOT NULL,  -- e.g. Bundle.identifier as system|value
    hash        text    NOT NULL,  -- hex SHA-256 of the request in canonical form
    status      integer NOT NULL,
    response    bytea   NOT NULL,
    recorded_at bigint  NOT NULL,  -- microseconds since the epoch
    PRIMARY KEY (operation, key)
);
