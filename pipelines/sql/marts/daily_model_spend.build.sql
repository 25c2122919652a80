-- Aggregate the days getvariable('date_from') .. getvariable('date_to') of core.usage_costed: the priced events
-- with their self-hosted GPU cost.
INSERT INTO marts.daily_model_spend
SELECT usage_date, price_provider AS provider, model,
       sum(requests) AS requests,
       sum(input_tokens) AS input_tokens,
       sum(cache_read_tokens) AS cache_read_tokens,
       sum(cache_write_5m_tokens) AS cache_write_5m_tokens,
       sum(cache_write_1h_tokens) AS cache_write_1h_tokens,
       sum(output_tokens) AS output_tokens,
       sum(reasoning_tokens) AS reasoning_tokens,
       sum(web_search_requests) AS web_search_requests,
       sum(input_audio_tokens) AS input_audio_tokens,
       sum(output_audio_tokens) AS output_audio_tokens,
       sum(input_image_tokens) AS input_image_tokens,
       sum(output_image_tokens) AS output_image_tokens,
       coalesce(sum(input_cost_usd) FILTER (WHERE cost_status = 'priced'), 0) AS input_cost_usd,
       coalesce(sum(cache_read_cost_usd) FILTER (WHERE cost_status = 'priced'), 0) AS cache_read_cost_usd,
       coalesce(sum(cache_write_5m_cost_usd) FILTER (WHERE cost_status = 'priced'), 0) AS cache_write_5m_cost_usd,
       coalesce(sum(cache_write_1h_cost_usd) FILTER (WHERE cost_status = 'priced'), 0) AS cache_write_1h_cost_usd,
       coalesce(sum(output_cost_usd) FILTER (WHERE cost_status = 'priced'), 0) AS output_cost_usd,
       coalesce(sum(web_search_cost_usd) FILTER (WHERE cost_status = 'priced'), 0) AS web_search_cost_usd,
       coalesce(sum(audio_cost_usd) FILTER (WHERE cost_status = 'priced'), 0) AS audio_cost_usd,
       coalesce(sum(image_cost_usd) FILTER (WHERE cost_status = 'priced'), 0) AS image_cost_usd,
       coalesce(sum(cache_storage_cost_usd) FILTER (WHERE cost_status = 'priced'), 0) AS cache_storage_cost_usd,
       coalesce(sum(list_cost_usd), 0) AS list_cost_usd,
       coalesce(sum(contracted_cost_usd), 0) AS contracted_cost_usd,
       coalesce(sum(cache_savings_usd), 0) AS cache_savings_usd,
       coalesce(sum(requests) FILTER (WHERE cost_status <> 'priced' AND selfhosted_cost_usd IS NULL), 0)
           AS unpriced_requests,
       sum(reported_cost_usd) AS reported_cost_usd,
       coalesce(sum(selfhosted_cost_usd), 0) AS selfhosted_cost_usd,
       hardware,
       coalesce(sum(compute_seconds) FILTER (WHERE billed_by = 'seconds'), 0) AS compute_seconds,
       coalesce(sum(compute_cost_usd) FILTER (WHERE cost_status = 'priced'), 0) AS compute_cost_usd
FROM core.usage_costed
WHERE usage_date BETWEEN getvariable('date_from') AND getvariable('date_to')
GROUP BY usage_date, price_provider, model, hardware;
