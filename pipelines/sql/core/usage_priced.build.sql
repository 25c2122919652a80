-- Price the days getvariable('date_from') .. getvariable('date_to') against core.price_rates.
-- A class with tokens but no rate leaves its cost NULL and the event 'unpriced_unit'.
INSERT INTO core.usage_priced
WITH events AS (
    SELECT e.*,
           e.input_tokens + e.cache_read_tokens + e.cache_write_5m_tokens + e.cache_write_1h_tokens AS input_total
    FROM core.usage_events AS e
    WHERE e.usage_date BETWEEN getvariable('date_from') AND getvariable('date_to')
),
known_models AS (
    SELECT DISTINCT provider, model FROM core.price_rates
),
matched AS (
    SELECT e.*, r.rate_id, r.input AS r_input, r.cache_read AS r_cache_read, r.cache_write_5m AS r_cache_write_5m,
           r.cache_write_1h AS r_cache_write_1h, r.output AS r_output, r.web_search AS r_web_search,
           k.model IS NOT NULL AS model_known
    FROM events AS e
    LEFT JOIN core.price_rates AS r
      ON r.provider = e.provider
     AND r.model = e.model
     AND e.event_time >= r.effective_from
     AND (r.effective_to IS NULL OR e.event_time < r.effective_to)
     AND r.service_tier = e.service_tier
     AND r.is_batch = e.is_batch
     AND (r.context_above = 0 OR e.input_total > r.context_above)
     AND (r.context_up_to IS NULL OR e.input_total <= r.context_up_to)
    LEFT JOIN known_models AS k ON k.provider = e.provider AND k.model = e.model
),
costed AS (
    SELECT m.*,
           CASE WHEN m.rate_id IS NULL THEN NULL WHEN m.input_tokens = 0 THEN 0::DECIMAL(38, 12)
                ELSE CAST(m.input_tokens AS DECIMAL(18, 0)) * m.r_input END AS input_cost_usd,
           CASE WHEN m.rate_id IS NULL THEN NULL WHEN m.cache_read_tokens = 0 THEN 0::DECIMAL(38, 12)
                ELSE CAST(m.cache_read_tokens AS DECIMAL(18, 0)) * m.r_cache_read END AS cache_read_cost_usd,
           CASE WHEN m.rate_id IS NULL THEN NULL WHEN m.cache_write_5m_tokens = 0 THEN 0::DECIMAL(38, 12)
                ELSE CAST(m.cache_write_5m_tokens AS DECIMAL(18, 0)) * m.r_cache_write_5m END AS cache_write_5m_cost_usd,
           CASE WHEN m.rate_id IS NULL THEN NULL WHEN m.cache_write_1h_tokens = 0 THEN 0::DECIMAL(38, 12)
                ELSE CAST(m.cache_write_1h_tokens AS DECIMAL(18, 0)) * m.r_cache_write_1h END AS cache_write_1h_cost_usd,
           CASE WHEN m.rate_id IS NULL THEN NULL WHEN m.output_tokens = 0 THEN 0::DECIMAL(38, 12)
                ELSE CAST(m.output_tokens AS DECIMAL(18, 0)) * m.r_output END AS output_cost_usd,
           CASE WHEN m.rate_id IS NULL THEN NULL WHEN m.web_search_requests = 0 THEN 0::DECIMAL(38, 12)
                ELSE CAST(m.web_search_requests AS DECIMAL(18, 0)) * m.r_web_search END AS web_search_cost_usd
    FROM matched AS m
),
statused AS (
    SELECT c.*,
           CASE WHEN NOT c.model_known THEN 'unpriced_model'
                WHEN c.rate_id IS NULL THEN 'unpriced_variant'
                WHEN c.input_cost_usd IS NULL OR c.cache_read_cost_usd IS NULL
                  OR c.cache_write_5m_cost_usd IS NULL OR c.cache_write_1h_cost_usd IS NULL
                  OR c.output_cost_usd IS NULL OR c.web_search_cost_usd IS NULL THEN 'unpriced_unit'
                ELSE 'priced' END AS cost_status
    FROM costed AS c
)
SELECT s.event_id, s.event_time, s.usage_date, s.provider, s.platform, s.model, s.model_raw,
       s.project, s.api_key_id, s.user_id, s.service_tier, s.is_batch,
       s.input_tokens, s.cache_read_tokens, s.cache_write_5m_tokens, s.cache_write_1h_tokens,
       s.output_tokens, s.reasoning_tokens, s.web_search_requests, s.requests,
       s.source_file, s.source_line,
       s.rate_id, getvariable('catalogue_version') AS catalogue_version,
       s.input_cost_usd, s.cache_read_cost_usd, s.cache_write_5m_cost_usd, s.cache_write_1h_cost_usd,
       s.output_cost_usd, s.web_search_cost_usd,
       CASE WHEN s.cost_status = 'priced'
            THEN s.input_cost_usd + s.cache_read_cost_usd + s.cache_write_5m_cost_usd + s.cache_write_1h_cost_usd
                 + s.output_cost_usd + s.web_search_cost_usd END AS list_cost_usd,
       CASE WHEN s.cost_status = 'priced' AND s.cache_read_tokens > 0
            THEN CAST(s.cache_read_tokens AS DECIMAL(18, 0)) * (s.r_input - s.r_cache_read)
            WHEN s.cost_status = 'priced' THEN 0::DECIMAL(38, 12) END AS cache_savings_usd,
       s.cost_status
FROM statused AS s;
