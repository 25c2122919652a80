-- The outbox: one row per alert and channel. The pipeline writes it pending; the alert_delivery sensor (and the end
-- of `meterline run`) sends what is due and records the outcome. A failed send stays pending with a later
-- next_attempt_at, so nothing is lost if a channel is down or the process dies between writing and sending.
CREATE TABLE IF NOT EXISTS raw.alert_deliveries (
    alert_id         VARCHAR NOT NULL,
    channel          VARCHAR NOT NULL,
    status           VARCHAR NOT NULL,   -- pending | sent
    attempts         INTEGER NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    next_attempt_at  TIMESTAMP NOT NULL,
    last_attempt_at  TIMESTAMP,
    sent_at          TIMESTAMP,
    last_error       VARCHAR,            -- one line, never a secret
    PRIMARY KEY (alert_id, channel)
);
