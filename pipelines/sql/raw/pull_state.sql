-- The admin-API pull cursor, one row per provider and report (`meterline pull`, the provider_pulls asset). The next
-- pull starts at last_complete_day minus the restatement window. No key or other secret is ever kept here.
CREATE TABLE IF NOT EXISTS raw.pull_state (
    provider          VARCHAR NOT NULL,    -- openai | anthropic
    report            VARCHAR NOT NULL,    -- the folder under <landing>/pulled/<provider>/
    last_complete_day DATE NOT NULL,       -- the last UTC day that had ended when it was pulled
    last_pulled_at    TIMESTAMP NOT NULL,  -- UTC
    first_day         DATE NOT NULL,       -- the first day the last pull asked for
    days_fetched      BIGINT NOT NULL,     -- days with a bucket in the last pull
    days_written      BIGINT NOT NULL,     -- day files the last pull created or changed
    pages             BIGINT NOT NULL,
    result_rows       BIGINT NOT NULL,
    retries           BIGINT NOT NULL,
    PRIMARY KEY (provider, report)
);
