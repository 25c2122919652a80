-- Every catalogue version loaded into the warehouse; the one marked current prices new runs.
CREATE TABLE IF NOT EXISTS core.catalogue_versions (
    catalogue_version  VARCHAR PRIMARY KEY,
    first_loaded_at    TIMESTAMP NOT NULL,
    last_loaded_at     TIMESTAMP NOT NULL,
    providers          INTEGER NOT NULL,
    models             INTEGER NOT NULL,
    rate_rows          INTEGER NOT NULL,
    is_current         BOOLEAN NOT NULL
);
