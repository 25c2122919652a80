-- The days getvariable('date_from') .. getvariable('date_to') of every deployment in force, from core.gpu_allocation.
INSERT INTO marts.selfhosted_daily
WITH deployments AS (
    SELECT DISTINCT deployment, gpu_type, gpus, usd_per_gpu_hour, hours, tokens_per_second, effective_from,
           effective_to
    FROM core.gpu_deployments
),
up AS (
    SELECT d.*, day::DATE AS usage_date, d.gpus * d.hours[isodow(day)] AS gpu_hours,
           d.gpus * d.usd_per_gpu_hour * d.hours[isodow(day)] AS gpu_cost_usd,
           d.tokens_per_second * 3600 * d.hours[isodow(day)] AS capacity_tokens
    FROM deployments AS d
    CROSS JOIN generate_series(getvariable('date_from')::TIMESTAMP, getvariable('date_to')::TIMESTAMP,
                               INTERVAL 1 DAY) AS days(day)
    WHERE (d.effective_from IS NULL OR day::DATE >= d.effective_from)
      AND (d.effective_to IS NULL OR day::DATE < d.effective_to)
),
served AS (
    SELECT a.usage_date, a.deployment, sum(e.requests) AS requests,
           sum(e.input_tokens + e.cache_read_tokens + e.cache_write_5m_tokens + e.cache_write_1h_tokens
               + e.input_audio_tokens + e.input_image_tokens) AS input_tokens,
           sum(e.output_tokens + e.output_audio_tokens + e.output_image_tokens) AS output_tokens,
           sum(a.allocated_cost_usd) AS allocated_cost_usd
    FROM core.gpu_allocation AS a
    JOIN core.usage_priced AS e USING (event_id)
    WHERE a.usage_date BETWEEN getvariable('date_from') AND getvariable('date_to')
    GROUP BY a.usage_date, a.deployment
)
SELECT u.usage_date, u.deployment, u.gpu_type, u.gpus, u.gpu_hours, u.gpu_cost_usd,
       coalesce(s.requests, 0), coalesce(s.input_tokens, 0), coalesce(s.output_tokens, 0),
       coalesce(s.allocated_cost_usd, 0),
       CASE WHEN coalesce(s.input_tokens, 0) + coalesce(s.output_tokens, 0) > 0
            THEN u.gpu_cost_usd * 1000000 / (s.input_tokens + s.output_tokens) END,
       CASE WHEN u.capacity_tokens > 0
            THEN (coalesce(s.input_tokens, 0) + coalesce(s.output_tokens, 0)) / u.capacity_tokens END,
       -- Nothing allocated (no requests, or none with weighted tokens): the whole day was idle.
       CASE WHEN coalesce(s.allocated_cost_usd, 0) = 0 THEN u.gpu_cost_usd
            WHEN u.capacity_tokens > 0
            THEN u.gpu_cost_usd * greatest(0, 1 - (s.input_tokens + s.output_tokens) / u.capacity_tokens) END
FROM up AS u
LEFT JOIN served AS s USING (usage_date, deployment);
