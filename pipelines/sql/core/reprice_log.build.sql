-- Log one re-price: compare the snapshots taken before and after it (reprice_before, reprice_after, registered by
-- pipelines/reprice.py from reprice_log.snapshot.sql), keeping only day x provider x model rows that changed.
INSERT INTO core.reprice_log
SELECT getvariable('reprice_id'), now()::TIMESTAMP,
       coalesce(a.usage_date, b.usage_date), coalesce(a.provider, b.provider), coalesce(a.model, b.model),
       b.catalogue_version, a.catalogue_version, b.contracts_version, a.contracts_version,
       coalesce(a.requests, b.requests),
       b.list_cost_usd, a.list_cost_usd, b.contracted_cost_usd, a.contracted_cost_usd,
       b.unpriced_requests, a.unpriced_requests
FROM reprice_after AS a
FULL JOIN reprice_before AS b USING (usage_date, provider, model)
WHERE a.list_cost_usd IS DISTINCT FROM b.list_cost_usd
   OR a.contracted_cost_usd IS DISTINCT FROM b.contracted_cost_usd
   OR a.unpriced_requests IS DISTINCT FROM b.unpriced_requests
   OR a.requests IS DISTINCT FROM b.requests;
