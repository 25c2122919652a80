-- Every alert meterline has raised: one row per event (an anomaly episode opened, escalated or closed; a budget
-- threshold crossed in a month), keyed so the same event is never raised twice. Deliveries are in
-- raw.alert_deliveries, written in the same transaction.
CREATE TABLE IF NOT EXISTS raw.alerts (
    alert_id      VARCHAR NOT NULL PRIMARY KEY,
    kind          VARCHAR NOT NULL,    -- anomaly | budget
    subject       VARCHAR NOT NULL,    -- the anomaly_id, or budget/month
    event         VARCHAR NOT NULL,    -- opened | escalated | closed | actual | forecast
    severity      VARCHAR NOT NULL,
    title         VARCHAR NOT NULL,
    text          VARCHAR NOT NULL,
    details       VARCHAR NOT NULL,    -- JSON
    created_at    TIMESTAMP NOT NULL   -- UTC
);
