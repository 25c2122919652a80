-- Each budget's month: actual spend so far and projected month-end spend against its amount, one set per run day.
-- Grain: generated_on x budget x month (on the day after a month ends, that month's final row as well).
CREATE TABLE IF NOT EXISTS marts.budget_status (
    generated_on          DATE NOT NULL,
    budget                VARCHAR NOT NULL,
    month                 DATE NOT NULL,
    scope                 VARCHAR NOT NULL,
    amount_usd            DECIMAL(18, 2) NOT NULL,
    actual_usd            DECIMAL(18, 6) NOT NULL,
    projected_usd         DECIMAL(18, 6) NOT NULL,
    projected_hi_80_usd   DECIMAL(18, 6) NOT NULL,
    actual_share          DECIMAL(18, 4) NOT NULL,
    projected_share       DECIMAL(18, 4) NOT NULL,
    crossed_actual        DECIMAL(8, 4),
    crossed_forecast      DECIMAL(8, 4),
    PRIMARY KEY (generated_on, budget, month)
);
COMMENT ON TABLE marts.budget_status IS 'Monthly budgets (alerts.yaml): month-to-date and projected month-end list spend against each amount.';
COMMENT ON COLUMN marts.budget_status.generated_on IS 'UTC day of the run.';
COMMENT ON COLUMN marts.budget_status.budget IS 'Budget name.';
COMMENT ON COLUMN marts.budget_status.month IS 'First day of the month.';
COMMENT ON COLUMN marts.budget_status.scope IS 'The filters of the budget (provider, project, model pattern), or all spend.';
COMMENT ON COLUMN marts.budget_status.amount_usd IS 'The monthly budget, USD.';
COMMENT ON COLUMN marts.budget_status.actual_usd IS 'List spend in scope, month to date, USD.';
COMMENT ON COLUMN marts.budget_status.projected_usd IS 'Actual plus forecast spend to month end, USD.';
COMMENT ON COLUMN marts.budget_status.projected_hi_80_usd IS 'Upper 80% bound of the month-end spend, USD.';
COMMENT ON COLUMN marts.budget_status.actual_share IS 'actual_usd / amount_usd.';
COMMENT ON COLUMN marts.budget_status.projected_share IS 'projected_usd / amount_usd.';
COMMENT ON COLUMN marts.budget_status.crossed_actual IS 'Highest threshold share the actual spend has crossed (NULL: none).';
COMMENT ON COLUMN marts.budget_status.crossed_forecast IS 'Highest threshold share the projected spend crosses (NULL: none).';
