-- Daily usage per provider and model and token class, with its list cost, for the days
-- getvariable('date_from') .. getvariable('date_to') and the requests that match getvariable('scope_*') (NULL: any).
-- Audio and image classes sum input and output; cache storage has no token count here, so its quantity is its cost.
-- Compute is hardware seconds (Replicate, Modal), summed over the SKUs a model ran on.
SELECT usage_date, provider, model,
       sum(input_tokens)::DOUBLE AS q_input, sum(input_cost_usd)::DOUBLE AS c_input,
       sum(cache_read_tokens)::DOUBLE AS q_cache_read, sum(cache_read_cost_usd)::DOUBLE AS c_cache_read,
       sum(cache_write_5m_tokens)::DOUBLE AS q_cache_write_5m, sum(cache_write_5m_cost_usd)::DOUBLE AS c_cache_write_5m,
       sum(cache_write_1h_tokens)::DOUBLE AS q_cache_write_1h, sum(cache_write_1h_cost_usd)::DOUBLE AS c_cache_write_1h,
       sum(output_tokens)::DOUBLE AS q_output, sum(output_cost_usd)::DOUBLE AS c_output,
       sum(web_search_requests)::DOUBLE AS q_web_search, sum(web_search_cost_usd)::DOUBLE AS c_web_search,
       sum(input_audio_tokens + output_audio_tokens)::DOUBLE AS q_audio, sum(audio_cost_usd)::DOUBLE AS c_audio,
       sum(input_image_tokens + output_image_tokens)::DOUBLE AS q_image, sum(image_cost_usd)::DOUBLE AS c_image,
       sum(cache_storage_cost_usd)::DOUBLE AS q_cache_storage, sum(cache_storage_cost_usd)::DOUBLE AS c_cache_storage,
       sum(compute_seconds)::DOUBLE AS q_compute, sum(compute_cost_usd)::DOUBLE AS c_compute,
       sum(list_cost_usd)::DOUBLE AS list_cost_usd
FROM marts.daily_project_spend
WHERE usage_date BETWEEN getvariable('date_from') AND getvariable('date_to')
  AND (getvariable('scope_provider') IS NULL OR provider = getvariable('scope_provider'))
  AND (getvariable('scope_project') IS NULL OR project = getvariable('scope_project'))
  AND (getvariable('scope_model') IS NULL OR model GLOB getvariable('scope_model'))
GROUP BY usage_date, provider, model
ORDER BY usage_date, provider, model
