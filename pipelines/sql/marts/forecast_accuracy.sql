-- Rolling-origin backtest of each forecast series against a seasonal-naive baseline, one set per backtest day (every
-- `forecast.backtest_every_days`, 7 by default: the backtest refits every series once per window).
-- Grain: generated_on x level x provider x model.
CREATE TABLE IF NOT EXISTS marts.forecast_accuracy (
    generated_on      DATE NOT NULL,
    level             VARCHAR NOT NULL,
    provider          VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    method            VARCHAR,
    status            VARCHAR NOT NULL,
    history_days      INTEGER NOT NULL,
    windows           INTEGER NOT NULL,
    horizon_days      INTEGER NOT NULL,
    mase              DOUBLE,
    wape              DOUBLE,
    coverage_80       DOUBLE,
    coverage_95       DOUBLE,
    baseline_mase     DOUBLE,
    baseline_wape     DOUBLE,
    skill             DOUBLE,
    PRIMARY KEY (generated_on, level, provider, model)
);
COMMENT ON TABLE marts.forecast_accuracy IS 'How well each forecast series did in a rolling-origin backtest, against a seasonal-naive baseline (same weekday last week).';
COMMENT ON COLUMN marts.forecast_accuracy.generated_on IS 'UTC day of the run that backtested (weekly by default).';
COMMENT ON COLUMN marts.forecast_accuracy.level IS 'model, provider or total.';
COMMENT ON COLUMN marts.forecast_accuracy.provider IS 'Provider; * on the total.';
COMMENT ON COLUMN marts.forecast_accuracy.model IS 'Canonical model id; * on provider and total rows.';
COMMENT ON COLUMN marts.forecast_accuracy.method IS 'The forecasting model of the series (NULL when it was not forecast).';
COMMENT ON COLUMN marts.forecast_accuracy.status IS 'As in marts.spend_forecast: ok, low_history, or insufficient_history (under 7 days: not forecast, no anomaly scoring).';
COMMENT ON COLUMN marts.forecast_accuracy.history_days IS 'Days from the first day with spend to trained_through.';
COMMENT ON COLUMN marts.forecast_accuracy.windows IS 'Backtest origins (cutoffs) evaluated, one a week; 0 when the history is too short to backtest (the scores are then NULL).';
COMMENT ON COLUMN marts.forecast_accuracy.horizon_days IS 'Days forecast from each origin.';
COMMENT ON COLUMN marts.forecast_accuracy.mase IS 'Mean absolute error over the in-sample mean absolute weekly change (MASE, m=7); below 1 beats a same-weekday-last-week guess.';
COMMENT ON COLUMN marts.forecast_accuracy.wape IS 'Sum of absolute errors over the sum of actual spend.';
COMMENT ON COLUMN marts.forecast_accuracy.coverage_80 IS 'Share of actual days inside the 80% interval (about 0.8 when the interval is right).';
COMMENT ON COLUMN marts.forecast_accuracy.coverage_95 IS 'Share of actual days inside the 95% interval.';
COMMENT ON COLUMN marts.forecast_accuracy.baseline_mase IS 'MASE of the seasonal-naive baseline on the same windows.';
COMMENT ON COLUMN marts.forecast_accuracy.baseline_wape IS 'WAPE of the seasonal-naive baseline.';
COMMENT ON COLUMN marts.forecast_accuracy.skill IS '1 - mase / baseline_mase: above 0 means the model beats the baseline.';
