-- What the root causes of anomaly episodes are computed from: daily spend per provider, project, API key and model,
-- per token class, for getvariable('date_from') .. getvariable('date_to').
SELECT usage_date, provider, project, api_key_id, model,
       input_tokens::DOUBLE AS input_tokens,
       cache_read_tokens::DOUBLE AS cache_read_tokens,
       (cache_write_5m_tokens + cache_write_1h_tokens)::DOUBLE AS cache_write_tokens,
       input_cost_usd::DOUBLE AS c_input,
       cache_read_cost_usd::DOUBLE AS c_cache_read,
       (cache_write_5m_cost_usd + cache_write_1h_cost_usd)::DOUBLE AS c_cache_write,
       output_cost_usd::DOUBLE AS c_output,
       web_search_cost_usd::DOUBLE AS c_web_search,
       (audio_cost_usd + image_cost_usd)::DOUBLE AS c_audio_image,
       cache_storage_cost_usd::DOUBLE AS c_cache_storage,
       compute_cost_usd::DOUBLE AS c_compute,
       list_cost_usd::DOUBLE AS list_cost_usd
FROM marts.daily_project_spend
WHERE usage_date BETWEEN getvariable('date_from') AND getvariable('date_to')
