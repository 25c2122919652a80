-- One row per landing file version loaded: a file whose sha256 is unchanged is skipped on the next run, and so is a
-- file whose content is already loaded from another path (a moved or copied landing folder): status duplicate.
CREATE TABLE IF NOT EXISTS raw.file_ledger (
    source_file     VARCHAR PRIMARY KEY,
    sha256          VARCHAR NOT NULL,
    size_bytes      BIGINT NOT NULL,
    compression     VARCHAR NOT NULL,
    format          VARCHAR,
    status          VARCHAR NOT NULL,   -- loaded | partial | rejected | duplicate
    rows_loaded     BIGINT NOT NULL,
    rows_rejected   BIGINT NOT NULL,
    min_usage_date  DATE,
    max_usage_date  DATE,
    loaded_at       TIMESTAMP NOT NULL,
    records_skipped BIGINT NOT NULL DEFAULT 0,  -- records that are not usage by design (stream chunks, failed calls)
    cost_rows       BIGINT NOT NULL DEFAULT 0,  -- rows of provider cost reports, in staging.reported_costs
    same_as         VARCHAR                     -- a duplicate: the file whose rows hold this content
);
