-- What the last completed monitoring step (forecasts, anomalies, budgets, savings, publish) was computed from:
-- a run with no day rebuilt and the same monitoring inputs skips it.
CREATE TABLE IF NOT EXISTS raw.run_state (
    step         VARCHAR PRIMARY KEY,
    inputs       VARCHAR NOT NULL,
    built_at     TIMESTAMP NOT NULL
);
