-- The digest of the DDL files the warehouse was last set up with: connections skip the DDL while it matches.
CREATE TABLE IF NOT EXISTS raw.schema_state (
    ddl_sha256  VARCHAR NOT NULL
);
