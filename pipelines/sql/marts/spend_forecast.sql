-- Daily spend forecasts, one set per run day (generated_on), kept so past forecasts can be compared with what
-- happened. Grain: generated_on x level x provider x model x forecast_date. Usage is forecast per token class and
-- priced with the catalogue rates in force on each forecast day.
CREATE TABLE IF NOT EXISTS marts.spend_forecast (
    generated_on     DATE NOT NULL,
    trained_through  DATE NOT NULL,
    level            VARCHAR NOT NULL,
    provider         VARCHAR NOT NULL,
    model            VARCHAR NOT NULL,
    forecast_date    DATE NOT NULL,
    horizon_days     INTEGER NOT NULL,
    method           VARCHAR NOT NULL,
    status           VARCHAR NOT NULL,
    spend_usd        DECIMAL(18, 6) NOT NULL,
    lo_80_usd        DECIMAL(18, 6) NOT NULL,
    hi_80_usd        DECIMAL(18, 6) NOT NULL,
    lo_95_usd        DECIMAL(18, 6) NOT NULL,
    hi_95_usd        DECIMAL(18, 6) NOT NULL,
    price_factor     DECIMAL(18, 6) NOT NULL,
    PRIMARY KEY (generated_on, level, provider, model, forecast_date)
);
COMMENT ON TABLE marts.spend_forecast IS 'Forecast daily list spend with 80% and 95% intervals, per provider and model, per provider and in total; one set per run day.';
COMMENT ON COLUMN marts.spend_forecast.generated_on IS 'UTC day of the run that made the forecast.';
COMMENT ON COLUMN marts.spend_forecast.trained_through IS 'Last day of actual spend the models saw (the last complete UTC day).';
COMMENT ON COLUMN marts.spend_forecast.level IS 'model (one provider and model), provider (all its models) or total (all spend).';
COMMENT ON COLUMN marts.spend_forecast.provider IS 'Provider that bills the spend; * on the total.';
COMMENT ON COLUMN marts.spend_forecast.model IS 'Canonical model id; * on provider and total rows.';
COMMENT ON COLUMN marts.spend_forecast.forecast_date IS 'The UTC day forecast.';
COMMENT ON COLUMN marts.spend_forecast.horizon_days IS 'Days after trained_through (1 = the next day).';
COMMENT ON COLUMN marts.spend_forecast.method IS 'Model that made it: MSTL (weekly season, AutoETS trend) with 14+ days of history, HistoricAverage with 7-13.';
COMMENT ON COLUMN marts.spend_forecast.status IS 'ok, or low_history (7-13 days of history: a flat average with a wide interval).';
COMMENT ON COLUMN marts.spend_forecast.spend_usd IS 'Forecast list spend, USD (the mean).';
COMMENT ON COLUMN marts.spend_forecast.lo_80_usd IS 'Lower bound of the 80% prediction interval, USD.';
COMMENT ON COLUMN marts.spend_forecast.hi_80_usd IS 'Upper bound of the 80% prediction interval, USD.';
COMMENT ON COLUMN marts.spend_forecast.lo_95_usd IS 'Lower bound of the 95% prediction interval, USD.';
COMMENT ON COLUMN marts.spend_forecast.hi_95_usd IS 'Upper bound of the 95% prediction interval, USD.';
COMMENT ON COLUMN marts.spend_forecast.price_factor IS 'Catalogue price on forecast_date relative to trained_through for this usage mix: 1 unless a dated price change falls in the horizon.';
