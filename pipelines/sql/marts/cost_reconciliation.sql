-- meterline's computed cost against what the provider or the gateway says it charged, always current: a view over
-- core.reported_costs and core.usage_priced. Two kinds of rows:
-- - cost_report: per day x provider, the provider's cost report (OpenAI Costs API, Anthropic Cost Report, cost
--   exports) against the contracted cost of the requests made to that provider directly that day;
-- - source: per day x provider x model, the cost the source put on each request (OpenRouter, LiteLLM, Langfuse,
--   inline `usage.cost`) against meterline's cost of the same requests.
CREATE OR REPLACE VIEW marts.cost_reconciliation AS
WITH reported AS (
    SELECT cost_date AS usage_date, provider, sum(amount_usd) AS reported_cost_usd
    FROM core.reported_costs
    WHERE amount_usd IS NOT NULL
    GROUP BY cost_date, provider
),
computed AS (
    -- Only what the provider bills itself: requests made to it directly, not through a gateway or a cloud.
    SELECT usage_date, provider, sum(requests) AS requests,
           coalesce(sum(requests) FILTER (WHERE cost_status <> 'priced'), 0) AS unpriced_requests,
           coalesce(sum(list_cost_usd), 0) AS list_cost_usd, coalesce(sum(contracted_cost_usd), 0)
               AS contracted_cost_usd
    FROM core.usage_priced
    WHERE platform = 'direct'
    GROUP BY usage_date, provider
),
by_report AS (
    SELECT r.usage_date, r.provider, '*' AS model, 'cost_report' AS source,
           coalesce(c.requests, 0) AS requests, coalesce(c.unpriced_requests, 0) AS unpriced_requests,
           coalesce(c.list_cost_usd, 0) AS list_cost_usd, coalesce(c.contracted_cost_usd, 0) AS contracted_cost_usd,
           r.reported_cost_usd
    FROM reported AS r
    LEFT JOIN computed AS c USING (usage_date, provider)
),
by_source AS (
    SELECT usage_date, price_provider AS provider, model, 'source' AS source,
           sum(requests) AS requests, coalesce(sum(requests) FILTER (WHERE cost_status <> 'priced'), 0)
               AS unpriced_requests,
           coalesce(sum(list_cost_usd), 0) AS list_cost_usd, coalesce(sum(contracted_cost_usd), 0)
               AS contracted_cost_usd,
           sum(reported_cost_usd) AS reported_cost_usd
    FROM core.usage_priced
    WHERE reported_cost_usd IS NOT NULL
    GROUP BY usage_date, price_provider, model
)
SELECT usage_date, provider, model, source, requests::BIGINT AS requests,
       unpriced_requests::BIGINT AS unpriced_requests, list_cost_usd, contracted_cost_usd, reported_cost_usd,
       contracted_cost_usd - reported_cost_usd AS difference_usd,
       CASE WHEN reported_cost_usd <> 0
            THEN round((contracted_cost_usd - reported_cost_usd) / reported_cost_usd * 100, 2) END AS difference_pct
FROM (SELECT * FROM by_report UNION ALL SELECT * FROM by_source);
COMMENT ON VIEW marts.cost_reconciliation IS 'Computed cost against the cost the provider or the gateway reported, per day and provider (and model for per-request reports): where a catalogue or contract is wrong shows here.';
COMMENT ON COLUMN marts.cost_reconciliation.usage_date IS 'UTC day of the requests and of the reported cost.';
COMMENT ON COLUMN marts.cost_reconciliation.provider IS 'Who reported the cost: the provider of a cost report, or the catalogue that priced the requests (OpenRouter, the vendor ...) for costs a source put on each request.';
COMMENT ON COLUMN marts.cost_reconciliation.model IS 'Canonical model id; * on cost_report rows, which a provider reports per day.';
COMMENT ON COLUMN marts.cost_reconciliation.source IS 'cost_report: a provider''s cost report against its direct requests; source: the cost OpenRouter, LiteLLM, Langfuse or an inline usage.cost put on each request.';
COMMENT ON COLUMN marts.cost_reconciliation.requests IS 'Requests meterline priced against the reported cost.';
COMMENT ON COLUMN marts.cost_reconciliation.unpriced_requests IS 'Of those, requests without a list price (their cost is missing from the computed side).';
COMMENT ON COLUMN marts.cost_reconciliation.list_cost_usd IS 'Computed list cost of those requests, USD.';
COMMENT ON COLUMN marts.cost_reconciliation.contracted_cost_usd IS 'Computed cost after your contracts, USD: what is compared.';
COMMENT ON COLUMN marts.cost_reconciliation.reported_cost_usd IS 'What the provider or the source says it charged, USD.';
COMMENT ON COLUMN marts.cost_reconciliation.difference_usd IS 'contracted_cost_usd minus reported_cost_usd, USD: positive when meterline computes more.';
COMMENT ON COLUMN marts.cost_reconciliation.difference_pct IS 'difference_usd as a percentage of reported_cost_usd (NULL when nothing was reported).';
