-- The priced traffic of the basis days ($basis_from .. $basis_to) summed per project, model and price variant: the
-- token volumes the what-if levers re-price. The long-context band is the one the requests were priced in. Time on
-- hardware (Replicate, Modal) is billed by the second, which no token lever changes.
SELECT coalesce(p.project, '(none)') AS project, p.price_provider AS provider, p.model, p.service_tier, p.is_batch,
       p.endpoint_scope, CASE WHEN r.context_above > 0 THEN 'long' ELSE 'base' END AS context_tier,
       max(p.event_time) AS last_seen,
       sum(p.requests) AS requests,
       sum(p.input_tokens) AS input_tokens,
       sum(p.cache_read_tokens) AS cache_read_tokens,
       sum(p.cache_write_5m_tokens) AS cache_write_5m_tokens,
       sum(p.cache_write_1h_tokens) AS cache_write_1h_tokens,
       sum(p.output_tokens) AS output_tokens,
       sum(p.reasoning_tokens) AS reasoning_tokens,
       sum(p.input_audio_tokens) AS input_audio_tokens,
       sum(p.output_audio_tokens) AS output_audio_tokens,
       sum(p.input_image_tokens) AS input_image_tokens,
       sum(p.output_image_tokens) AS output_image_tokens
FROM core.usage_priced AS p
JOIN core.price_rates AS r ON r.catalogue_version = p.catalogue_version AND r.rate_id = p.rate_id
WHERE p.cost_status = 'priced' AND p.billed_by = 'tokens' AND p.usage_date BETWEEN $basis_from AND $basis_to
  AND ($project IS NULL OR coalesce(p.project, '(none)') = $project)
GROUP BY ALL
ORDER BY ALL
