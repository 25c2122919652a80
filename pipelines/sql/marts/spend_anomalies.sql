-- Spend anomaly episodes: consecutive anomalous days of one series (total, a provider, or a provider's model) form
-- one episode, kept across runs so it is alerted once. Grain: anomaly_id.
CREATE TABLE IF NOT EXISTS marts.spend_anomalies (
    anomaly_id            VARCHAR NOT NULL PRIMARY KEY,
    level                 VARCHAR NOT NULL,
    provider              VARCHAR NOT NULL,
    model                 VARCHAR NOT NULL,
    start_date            DATE NOT NULL,
    end_date              DATE NOT NULL,
    status                VARCHAR NOT NULL,
    anomalous_days        INTEGER NOT NULL,
    actual_usd            DECIMAL(18, 6) NOT NULL,
    expected_usd          DECIMAL(18, 6) NOT NULL,
    impact_usd            DECIMAL(18, 6) NOT NULL,
    impact_pct            DECIMAL(18, 2) NOT NULL,
    max_daily_impact_usd  DECIMAL(18, 6) NOT NULL,
    score_max             DOUBLE NOT NULL,
    severity              VARCHAR NOT NULL,
    root_causes           VARCHAR NOT NULL,
    explanation           VARCHAR NOT NULL,
    covered_by            VARCHAR,
    first_detected_on     DATE NOT NULL,
    last_evaluated        DATE NOT NULL
);
COMMENT ON TABLE marts.spend_anomalies IS 'Spend anomaly episodes with expected and actual spend, impact and root causes; open, ongoing or closed.';
COMMENT ON COLUMN marts.spend_anomalies.anomaly_id IS 'Stable id of the episode (kept while it continues, so it alerts once).';
COMMENT ON COLUMN marts.spend_anomalies.level IS 'total, provider or model: the series the episode was found in.';
COMMENT ON COLUMN marts.spend_anomalies.provider IS 'Provider; * on the total.';
COMMENT ON COLUMN marts.spend_anomalies.model IS 'Canonical model id; * on provider and total rows.';
COMMENT ON COLUMN marts.spend_anomalies.start_date IS 'First anomalous day.';
COMMENT ON COLUMN marts.spend_anomalies.end_date IS 'Last anomalous day so far.';
COMMENT ON COLUMN marts.spend_anomalies.status IS 'open (began on the last day evaluated), ongoing, or closed (enough normal days since end_date).';
COMMENT ON COLUMN marts.spend_anomalies.anomalous_days IS 'Days of the episode that met every anomaly condition.';
COMMENT ON COLUMN marts.spend_anomalies.actual_usd IS 'Actual list spend on the anomalous days, USD.';
COMMENT ON COLUMN marts.spend_anomalies.expected_usd IS 'Spend the forecast expected on those days, USD.';
COMMENT ON COLUMN marts.spend_anomalies.impact_usd IS 'actual_usd - expected_usd.';
COMMENT ON COLUMN marts.spend_anomalies.impact_pct IS 'impact_usd as a percentage of expected_usd.';
COMMENT ON COLUMN marts.spend_anomalies.max_daily_impact_usd IS 'Largest single-day impact, USD.';
COMMENT ON COLUMN marts.spend_anomalies.score_max IS 'Largest robust residual score (0.6745 x (residual - median) / MAD) of the episode.';
COMMENT ON COLUMN marts.spend_anomalies.severity IS 'minor (impact under 50%), major (50-200%) or critical (200% or more).';
COMMENT ON COLUMN marts.spend_anomalies.root_causes IS 'JSON list of the top contributors by model, project, API key and token class: value, actual and baseline spend, contribution in USD.';
COMMENT ON COLUMN marts.spend_anomalies.explanation IS 'One line for people, e.g. the cache hit rate that fell on a project.';
COMMENT ON COLUMN marts.spend_anomalies.covered_by IS 'anomaly_id of a higher-level episode over the same days: only that one is alerted.';
COMMENT ON COLUMN marts.spend_anomalies.first_detected_on IS 'Run day that first found the episode.';
COMMENT ON COLUMN marts.spend_anomalies.last_evaluated IS 'Last day of spend the latest run scored.';
