-- Allocate the GPU cost of the days getvariable('date_from') .. getvariable('date_to'): each request without a list
-- price goes to the first deployment (file order) whose model pattern and platform match it and that was up on its
-- day; the day's cost is shared out by input_weight x input tokens (cached included) + output_weight x output tokens.
INSERT INTO core.gpu_allocation
WITH served AS (
    SELECT e.event_id, e.usage_date, d.deployment,
           d.input_weight * (e.input_tokens + e.cache_read_tokens + e.cache_write_5m_tokens + e.cache_write_1h_tokens
                             + e.input_audio_tokens + e.input_image_tokens)
           + d.output_weight * (e.output_tokens + e.output_audio_tokens + e.output_image_tokens) AS weighted_tokens
    FROM core.usage_priced AS e
    JOIN core.gpu_deployments AS d
      ON (lower(e.model) GLOB d.model_glob OR lower(e.model_raw) GLOB d.model_glob)
     AND (d.platform IS NULL OR d.platform = e.platform)
     AND (d.effective_from IS NULL OR e.usage_date >= d.effective_from)
     AND (d.effective_to IS NULL OR e.usage_date < d.effective_to)
    -- A request a catalogue priced was paid per token to a host: it never ran on these GPUs.
    WHERE e.usage_date BETWEEN getvariable('date_from') AND getvariable('date_to') AND e.cost_status <> 'priced'
    QUALIFY row_number() OVER (PARTITION BY e.event_id ORDER BY d.priority) = 1
),
days AS (
    SELECT s.usage_date, s.deployment, sum(s.weighted_tokens) AS day_weight,
           any_value(d.gpus * d.usd_per_gpu_hour * d.hours[isodow(s.usage_date)]) AS gpu_cost_usd
    FROM served AS s
    JOIN (SELECT DISTINCT deployment, gpus, usd_per_gpu_hour, hours FROM core.gpu_deployments) AS d
      ON d.deployment = s.deployment
    GROUP BY s.usage_date, s.deployment
)
SELECT s.event_id, s.usage_date, s.deployment, s.weighted_tokens,
       CASE WHEN d.day_weight = 0 THEN 0
            ELSE CAST(d.gpu_cost_usd * s.weighted_tokens / d.day_weight AS DECIMAL(24, 12)) END
FROM served AS s
JOIN days AS d USING (usage_date, deployment);
