-- The standard list rate of each token class per provider, model and day, getvariable('date_from') ..
-- getvariable('date_to'), from the current catalogue version: what a dated price change does to a forecast.
-- Standard means the standard tier, not batch, the base context band, no time window, any or the global scope.
WITH days AS (
    SELECT unnest(generate_series(getvariable('date_from')::TIMESTAMP, getvariable('date_to')::TIMESTAMP,
                                  INTERVAL 1 DAY)) AS day
),
standard AS (
    SELECT *
    FROM core.price_rates
    WHERE catalogue_version = getvariable('catalogue_version')
      AND service_tier = 'standard' AND NOT is_batch AND context_above = 0 AND window_id IS NULL
      AND endpoint_scope IN ('*', 'global') AND billed_by = 'tokens'
)
SELECT r.provider, r.model, d.day::DATE AS day,
       arg_max(r.input, r.endpoint_scope)::DOUBLE AS r_input,
       arg_max(r.cache_read, r.endpoint_scope)::DOUBLE AS r_cache_read,
       arg_max(r.cache_write_5m, r.endpoint_scope)::DOUBLE AS r_cache_write_5m,
       arg_max(r.cache_write_1h, r.endpoint_scope)::DOUBLE AS r_cache_write_1h,
       arg_max(r.output, r.endpoint_scope)::DOUBLE AS r_output,
       arg_max(r.web_search, r.endpoint_scope)::DOUBLE AS r_web_search,
       arg_max(coalesce(r.input_audio, r.input), r.endpoint_scope)::DOUBLE AS r_audio,
       arg_max(coalesce(r.input_image, r.input), r.endpoint_scope)::DOUBLE AS r_image,
       arg_max(r.cache_storage, r.endpoint_scope)::DOUBLE AS r_cache_storage,
       -- Seconds are priced by hardware, which is not the model's key here: no dated change is applied to them.
       NULL::DOUBLE AS r_compute
FROM standard AS r
JOIN days AS d ON r.effective_from <= d.day AND (r.effective_to IS NULL OR d.day < r.effective_to)
GROUP BY r.provider, r.model, d.day
