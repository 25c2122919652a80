-- The days whose core and mart rows are built from the staging rows and inputs they have now: a load that adds
-- or replaces rows of a day deletes its row here, and a run rebuilds only the days missing or built with other
-- inputs (catalogue, contracts, deployment and hardware maps, self-hosted file, meterline's SQL).
CREATE TABLE IF NOT EXISTS raw.day_state (
    usage_date   DATE PRIMARY KEY,
    inputs       VARCHAR NOT NULL,   -- fingerprint of the inputs the day was built with
    built_at     TIMESTAMP NOT NULL
);
