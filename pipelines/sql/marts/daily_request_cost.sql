-- What one request costs, per day x provider x project x model: mean, median and 95th percentile of the list cost
-- of single priced requests, always current (a view over core.usage_priced). Usage-report buckets aggregate many
-- requests and have no per-request cost, so they are counted apart and left out of the statistics.
CREATE OR REPLACE VIEW marts.daily_request_cost AS
SELECT usage_date, price_provider AS provider, coalesce(project, '(none)') AS project, model,
       count(*) FILTER (WHERE cost_status = 'priced' AND record_grain <> 'bucket') AS priced_requests,
       coalesce(sum(requests) FILTER (WHERE cost_status <> 'priced' OR record_grain = 'bucket'), 0)::BIGINT
           AS requests_not_measured,
       CAST(avg(list_cost_usd) FILTER (WHERE record_grain <> 'bucket') AS DECIMAL(24, 12)) AS mean_cost_usd,
       -- Interpolated in DOUBLE: DuckDB's DECIMAL interpolation truncates ($80.80 came out $80.799999999999).
       CAST(quantile_cont(list_cost_usd::DOUBLE, 0.5) FILTER (WHERE record_grain <> 'bucket') AS DECIMAL(24, 12))
           AS p50_cost_usd,
       CAST(quantile_cont(list_cost_usd::DOUBLE, 0.95) FILTER (WHERE record_grain <> 'bucket') AS DECIMAL(24, 12))
           AS p95_cost_usd,
       CAST(max(list_cost_usd) FILTER (WHERE record_grain <> 'bucket') AS DECIMAL(24, 12)) AS max_cost_usd,
       CAST(avg(contracted_cost_usd) FILTER (WHERE cost_status = 'priced' AND record_grain <> 'bucket')
            AS DECIMAL(24, 12)) AS mean_contracted_cost_usd
FROM core.usage_priced
GROUP BY usage_date, price_provider, coalesce(project, '(none)'), model;
COMMENT ON VIEW marts.daily_request_cost IS 'What one request costs: mean, p50 and p95 list cost of single priced requests per day, provider, project and model.';
COMMENT ON COLUMN marts.daily_request_cost.usage_date IS 'UTC day of the requests.';
COMMENT ON COLUMN marts.daily_request_cost.provider IS 'Who bills the requests and whose catalogue priced them (as in daily_model_spend).';
COMMENT ON COLUMN marts.daily_request_cost.project IS 'Project, workspace or tag; (none) when the log names none.';
COMMENT ON COLUMN marts.daily_request_cost.model IS 'Canonical model id.';
COMMENT ON COLUMN marts.daily_request_cost.priced_requests IS 'Single requests with a list price: the population of the statistics.';
COMMENT ON COLUMN marts.daily_request_cost.requests_not_measured IS 'Requests left out: unpriced ones, and those only known inside usage-report buckets.';
COMMENT ON COLUMN marts.daily_request_cost.mean_cost_usd IS 'Mean list cost of one request, USD.';
COMMENT ON COLUMN marts.daily_request_cost.p50_cost_usd IS 'Median list cost of one request, USD (interpolated).';
COMMENT ON COLUMN marts.daily_request_cost.p95_cost_usd IS '95th percentile list cost of one request, USD (interpolated): what the expensive requests cost.';
COMMENT ON COLUMN marts.daily_request_cost.max_cost_usd IS 'Most expensive single request, USD.';
COMMENT ON COLUMN marts.daily_request_cost.mean_contracted_cost_usd IS 'Mean cost of one request under the contract overlay, USD.';
