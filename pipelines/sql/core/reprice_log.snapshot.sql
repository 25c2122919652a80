-- The priced figures of the days getvariable('date_from') .. getvariable('date_to') per day, provider and model,
-- with the catalogue and contract versions behind them: taken before and after a re-price.
SELECT usage_date, price_provider AS provider, model,
       string_agg(DISTINCT catalogue_version, ',' ORDER BY catalogue_version) AS catalogue_version,
       string_agg(DISTINCT contracts_version, ',' ORDER BY contracts_version) AS contracts_version,
       sum(requests) AS requests,
       sum(list_cost_usd) AS list_cost_usd,
       sum(contracted_cost_usd) AS contracted_cost_usd,
       count(*) FILTER (WHERE cost_status <> 'priced') AS unpriced_requests
FROM core.usage_priced
WHERE usage_date BETWEEN getvariable('date_from') AND getvariable('date_to')
GROUP BY ALL
