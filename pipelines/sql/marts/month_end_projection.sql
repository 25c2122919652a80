-- Month-to-date actual spend plus forecast spend to the end of the month, per provider and in total, one set per
-- run day. Grain: generated_on x level x provider.
CREATE TABLE IF NOT EXISTS marts.month_end_projection (
    generated_on        DATE NOT NULL,
    month               DATE NOT NULL,
    level               VARCHAR NOT NULL,
    provider            VARCHAR NOT NULL,
    actual_through      DATE NOT NULL,
    days_actual         INTEGER NOT NULL,
    days_forecast       INTEGER NOT NULL,
    mtd_actual_usd      DECIMAL(18, 6) NOT NULL,
    forecast_rest_usd   DECIMAL(18, 6) NOT NULL,
    projected_usd       DECIMAL(18, 6) NOT NULL,
    lo_80_usd           DECIMAL(18, 6) NOT NULL,
    hi_80_usd           DECIMAL(18, 6) NOT NULL,
    lo_95_usd           DECIMAL(18, 6) NOT NULL,
    hi_95_usd           DECIMAL(18, 6) NOT NULL,
    PRIMARY KEY (generated_on, level, provider)
);
COMMENT ON TABLE marts.month_end_projection IS 'Month-end list spend: actual month to date plus the forecast for the rest of the month, with intervals.';
COMMENT ON COLUMN marts.month_end_projection.generated_on IS 'UTC day of the run that made the projection.';
COMMENT ON COLUMN marts.month_end_projection.month IS 'First day of the month projected (the month of the day after actual_through).';
COMMENT ON COLUMN marts.month_end_projection.level IS 'provider or total.';
COMMENT ON COLUMN marts.month_end_projection.provider IS 'Provider that bills the spend; * on the total.';
COMMENT ON COLUMN marts.month_end_projection.actual_through IS 'Last day counted as actual spend.';
COMMENT ON COLUMN marts.month_end_projection.days_actual IS 'Days of the month with actual spend counted.';
COMMENT ON COLUMN marts.month_end_projection.days_forecast IS 'Days of the month left to forecast.';
COMMENT ON COLUMN marts.month_end_projection.mtd_actual_usd IS 'Actual list spend of the month so far, USD.';
COMMENT ON COLUMN marts.month_end_projection.forecast_rest_usd IS 'Forecast list spend of the rest of the month, USD.';
COMMENT ON COLUMN marts.month_end_projection.projected_usd IS 'mtd_actual_usd + forecast_rest_usd.';
COMMENT ON COLUMN marts.month_end_projection.lo_80_usd IS 'Lower 80% bound of the month-end spend, USD (daily bounds summed: a level error persists across days).';
COMMENT ON COLUMN marts.month_end_projection.hi_80_usd IS 'Upper 80% bound of the month-end spend, USD.';
COMMENT ON COLUMN marts.month_end_projection.lo_95_usd IS 'Lower 95% bound of the month-end spend, USD.';
COMMENT ON COLUMN marts.month_end_projection.hi_95_usd IS 'Upper 95% bound of the month-end spend, USD.';
