-- Composite search parameters (code-value-quantity, component-code-value-quantity, ...)
-- index each component under "param$n"; grp numbers the node they came from, so
-- a search can require all components to match within one node.
ALTER TABLE idx_string ADD COLUMN grp integer NOT NULL DEFAULT 0;
ALTER TABLE idx_token ADD COLUMN grp integer NOT NULL DEFAULT 0;
ALTER TABLE idx_reference ADD COLUMN grp integer NOT NULL DEFAULT 0;
ALTER TABLE idx_date ADD COLUMN grp integer NOT NULL DEFAULT 0;
ALTER TABLE idx_number ADD COLUMN grp integer NOT NULL DEFAULT 0;
ALTER TABLE idx_uri ADD COLUMN grp integer NOT NULL DEFAULT 0;
