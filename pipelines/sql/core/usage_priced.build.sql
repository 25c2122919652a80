-- Price the days getvariable('date_from') .. getvariable('date_to') against the current catalogue version.
-- A class with usage but no rate leaves its cost NULL and the event 'unpriced_unit'; audio and image classes
-- without their own rate are billed at the text rate, reasoning without its own rate at the output rate.
-- Hardware seconds are billed at the SKU's per-second rate (see the `events` CTE).
INSERT INTO core.usage_priced
WITH rates AS (
    SELECT * FROM core.price_rates WHERE catalogue_version = getvariable('catalogue_version')
),
events AS (
    -- A request that ran on named hardware (Replicate, Modal, a dedicated endpoint) is billed for its seconds, at
    -- the rate of that hardware id; any other request is billed by its tokens.
    SELECT e.*,
           e.input_tokens + e.input_audio_tokens + e.input_image_tokens AS input_uncached,
           e.input_tokens + e.input_audio_tokens + e.input_image_tokens
             + e.cache_read_tokens + e.cache_write_5m_tokens + e.cache_write_1h_tokens AS input_total,
           CASE WHEN e.hardware IS NOT NULL THEN 'seconds' ELSE 'tokens' END AS billed_by,
           coalesce(e.hardware, e.model) AS rate_model
    FROM core.usage_events AS e
    WHERE e.usage_date BETWEEN getvariable('date_from') AND getvariable('date_to')
),
candidates AS (
    SELECT e.event_id, e.event_time, r.rate_id, r.endpoint_scope, r.window_id, r.catalogue_version
    FROM events AS e
    JOIN rates AS r
      ON r.provider = e.price_provider
     AND r.model = e.rate_model
     AND r.billed_by = e.billed_by
     AND e.event_time >= r.effective_from
     AND (r.effective_to IS NULL OR e.event_time < r.effective_to)
     AND r.service_tier = e.service_tier
     AND r.is_batch = e.is_batch
     AND (r.endpoint_scope = '*' OR r.endpoint_scope = e.endpoint_scope)
     -- An aggregate cannot be measured per request: it is in the band its report names, else the base band.
     AND (CASE WHEN e.record_grain = 'bucket' OR e.context_tier IS NOT NULL
               THEN (r.context_above > 0) = (coalesce(e.context_tier, 'base') = 'long')
               ELSE (r.context_above = 0
                     OR (CASE r.context_measure WHEN 'input_uncached' THEN e.input_uncached ELSE e.input_total END)
                        > r.context_above)
                AND (r.context_up_to IS NULL
                     OR (CASE r.context_measure WHEN 'input_uncached' THEN e.input_uncached ELSE e.input_total END)
                        <= r.context_up_to) END)
),
in_window AS (
    SELECT DISTINCT c.event_id, c.window_id
    FROM candidates AS c
    JOIN core.price_windows AS w
      ON w.catalogue_version = c.catalogue_version AND w.window_id = c.window_id
    CROSS JOIN LATERAL (
        SELECT isodow(t)::INTEGER AS day, (isodow(t) + 5) % 7 + 1 AS previous_day,
               hour(t) * 60 + minute(t) AS minute_of_day
        FROM (SELECT timezone(w.timezone, timezone('UTC', c.event_time)) AS t)
    ) AS l
    -- Past midnight, a window that wraps is the one that opened the evening before: its weekday is yesterday's.
    WHERE (w.start_minute = w.end_minute AND list_contains(w.weekdays, l.day))
       OR (w.start_minute < w.end_minute AND list_contains(w.weekdays, l.day)
           AND l.minute_of_day >= w.start_minute AND l.minute_of_day < w.end_minute)
       OR (w.start_minute > w.end_minute
           AND ((l.minute_of_day >= w.start_minute AND list_contains(w.weekdays, l.day))
                OR (l.minute_of_day < w.end_minute AND list_contains(w.weekdays, l.previous_day))))
),
special AS (
    -- The most specific rate among the scope-specific and time-window rows that apply: a scope over the any-scope
    -- row, a window over the default. Every such row has a default sibling, so most events never get here.
    SELECT c.event_id,
           arg_max(c.rate_id, ((c.endpoint_scope <> '*')::INTEGER * 2 + (c.window_id IS NOT NULL)::INTEGER,
                               c.rate_id)) AS rate_id
    FROM candidates AS c
    LEFT JOIN in_window AS iw ON iw.event_id = c.event_id AND iw.window_id = c.window_id
    WHERE (c.endpoint_scope <> '*' OR c.window_id IS NOT NULL)
      AND (c.window_id IS NULL OR iw.event_id IS NOT NULL)
    GROUP BY c.event_id
),
chosen AS (
    -- One default row per event (periods, bands, tiers and the batch flag do not overlap), unless a special wins.
    SELECT c.event_id, coalesce(s.rate_id, c.rate_id) AS rate_id
    FROM candidates AS c
    LEFT JOIN special AS s ON s.event_id = c.event_id
    WHERE c.endpoint_scope = '*' AND c.window_id IS NULL
),
fx AS (
    SELECT * FROM core.fx_rates WHERE catalogue_version = getvariable('catalogue_version')
),
known_models AS (
    SELECT DISTINCT provider, model, billed_by FROM rates
),
matched AS (
    SELECT e.*,
           r.rate_id, r.currency, r.window_id,
           r.input AS r_input, r.cache_read AS r_cache_read, r.cache_write_5m AS r_cache_write_5m,
           r.cache_write_1h AS r_cache_write_1h, r.output AS r_output,
           coalesce(r.output_reasoning, r.output) AS r_reasoning,
           coalesce(r.input_audio, r.input) AS r_input_audio, coalesce(r.output_audio, r.output) AS r_output_audio,
           coalesce(r.input_image, r.input) AS r_input_image, coalesce(r.output_image, r.output) AS r_output_image,
           r.cache_storage AS r_cache_storage, r.web_search AS r_web_search, r.compute_second AS r_compute,
           r.web_search_free_calls, r.web_search_free_period,
           CASE WHEN r.web_search_free_calls IS NOT NULL
                THEN r.provider || '/' || r.web_search_free_group || '/'
                     || CASE r.web_search_free_period WHEN 'month' THEN strftime(e.usage_date, '%Y-%m')
                        ELSE strftime(e.usage_date, '%Y-%m-%d') END END AS quota_group,
           CASE WHEN r.currency = 'USD' THEN 1::DECIMAL(20, 10) ELSE fx.usd_per_unit END AS usd_per_unit,
           k.model IS NOT NULL AS model_known
    FROM events AS e
    LEFT JOIN chosen AS ch ON ch.event_id = e.event_id
    LEFT JOIN rates AS r ON r.rate_id = ch.rate_id
    LEFT JOIN fx
      ON fx.currency = r.currency
     AND e.event_time >= fx.effective_from
     AND (fx.effective_to IS NULL OR e.event_time < fx.effective_to)
    LEFT JOIN known_models AS k
      ON k.provider = e.price_provider AND k.model = e.rate_model AND k.billed_by = e.billed_by
),
quota_before AS (
    -- Free calls already drawn on earlier days of a monthly allowance, from the rows priced before.
    SELECT quota_group, sum(web_search_requests) AS calls_before
    FROM core.usage_priced
    WHERE quota_group IS NOT NULL
      AND usage_date >= date_trunc('month', getvariable('date_from'))
      AND usage_date < getvariable('date_from')
    GROUP BY quota_group
),
quota_use AS (
    -- Running count of web-search calls within each free allowance, in event order; only events that have one.
    SELECT m.event_id, m.web_search_requests, m.web_search_free_calls,
           coalesce(q.calls_before, 0)
           + sum(m.web_search_requests) OVER (
                 PARTITION BY m.quota_group ORDER BY m.event_time, m.event_id ROWS UNBOUNDED PRECEDING) AS calls_so_far
    FROM matched AS m
    LEFT JOIN quota_before AS q USING (quota_group)
    WHERE m.quota_group IS NOT NULL
),
billable AS (
    SELECT m.*,
           CASE WHEN m.rate_id IS NULL THEN NULL
                WHEN m.quota_group IS NULL THEN m.web_search_requests
                ELSE greatest(0, least(m.web_search_requests, u.calls_so_far - u.web_search_free_calls))
           END AS web_search_billable
    FROM matched AS m
    LEFT JOIN quota_use AS u ON u.event_id = m.event_id
),
costed AS (
    -- Class costs in the catalogue currency: NULL when the class has usage but no rate.
    SELECT b.*,
           CASE WHEN b.input_tokens = 0 THEN 0 ELSE b.input_tokens::DECIMAL(18, 0) * b.r_input END AS c_input,
           CASE WHEN b.cache_read_tokens = 0 THEN 0
                ELSE b.cache_read_tokens::DECIMAL(18, 0) * b.r_cache_read END AS c_cache_read,
           CASE WHEN b.cache_write_5m_tokens = 0 THEN 0
                ELSE b.cache_write_5m_tokens::DECIMAL(18, 0) * b.r_cache_write_5m END AS c_cache_write_5m,
           CASE WHEN b.cache_write_1h_tokens = 0 THEN 0
                ELSE b.cache_write_1h_tokens::DECIMAL(18, 0) * b.r_cache_write_1h END AS c_cache_write_1h,
           CASE WHEN b.output_tokens = 0 THEN 0
                ELSE (b.output_tokens - b.reasoning_tokens)::DECIMAL(18, 0) * b.r_output
                     + b.reasoning_tokens::DECIMAL(18, 0) * b.r_reasoning END AS c_output,
           CASE WHEN b.input_audio_tokens = 0 AND b.output_audio_tokens = 0 THEN 0
                ELSE b.input_audio_tokens::DECIMAL(18, 0) * b.r_input_audio
                     + b.output_audio_tokens::DECIMAL(18, 0) * b.r_output_audio END AS c_audio,
           CASE WHEN b.input_image_tokens = 0 AND b.output_image_tokens = 0 THEN 0
                ELSE b.input_image_tokens::DECIMAL(18, 0) * b.r_input_image
                     + b.output_image_tokens::DECIMAL(18, 0) * b.r_output_image END AS c_image,
           CASE WHEN b.cache_storage_token_hours = 0 THEN 0
                ELSE b.cache_storage_token_hours * b.r_cache_storage END AS c_cache_storage,
           CASE WHEN b.web_search_billable = 0 THEN 0
                ELSE b.web_search_billable::DECIMAL(18, 0) * b.r_web_search END AS c_web_search,
           CASE WHEN b.billed_by = 'tokens' OR b.compute_seconds = 0 THEN 0
                ELSE b.compute_seconds * b.r_compute END AS c_compute
    FROM billable AS b
),
usd AS (
    SELECT c.*,
           CASE WHEN c.usd_per_unit = 1 THEN c.c_input
                ELSE CAST(c.c_input * c.usd_per_unit AS DECIMAL(38, 12)) END AS input_cost_usd,
           CASE WHEN c.usd_per_unit = 1 THEN c.c_cache_read
                ELSE CAST(c.c_cache_read * c.usd_per_unit AS DECIMAL(38, 12)) END AS cache_read_cost_usd,
           CASE WHEN c.usd_per_unit = 1 THEN c.c_cache_write_5m
                ELSE CAST(c.c_cache_write_5m * c.usd_per_unit AS DECIMAL(38, 12)) END AS cache_write_5m_cost_usd,
           CASE WHEN c.usd_per_unit = 1 THEN c.c_cache_write_1h
                ELSE CAST(c.c_cache_write_1h * c.usd_per_unit AS DECIMAL(38, 12)) END AS cache_write_1h_cost_usd,
           CASE WHEN c.usd_per_unit = 1 THEN c.c_output
                ELSE CAST(c.c_output * c.usd_per_unit AS DECIMAL(38, 12)) END AS output_cost_usd,
           CASE WHEN c.usd_per_unit = 1 THEN c.c_audio
                ELSE CAST(c.c_audio * c.usd_per_unit AS DECIMAL(38, 12)) END AS audio_cost_usd,
           CASE WHEN c.usd_per_unit = 1 THEN c.c_image
                ELSE CAST(c.c_image * c.usd_per_unit AS DECIMAL(38, 12)) END AS image_cost_usd,
           CASE WHEN c.usd_per_unit = 1 THEN c.c_cache_storage
                ELSE CAST(c.c_cache_storage * c.usd_per_unit AS DECIMAL(38, 12)) END AS cache_storage_cost_usd,
           CASE WHEN c.usd_per_unit = 1 THEN c.c_web_search
                ELSE CAST(c.c_web_search * c.usd_per_unit AS DECIMAL(38, 12)) END AS web_search_cost_usd,
           CASE WHEN c.usd_per_unit = 1 THEN c.c_compute
                ELSE CAST(c.c_compute * c.usd_per_unit AS DECIMAL(38, 12)) END AS compute_cost_usd,
           CASE WHEN NOT c.model_known THEN 'unpriced_model'
                WHEN c.rate_id IS NULL THEN 'unpriced_variant'
                WHEN c.usd_per_unit IS NULL THEN 'unpriced_fx'
                WHEN c.input_unknown AND c.billed_by = 'tokens' THEN 'incomplete_usage'
                WHEN c.c_input IS NULL OR c.c_cache_read IS NULL OR c.c_cache_write_5m IS NULL
                  OR c.c_cache_write_1h IS NULL OR c.c_output IS NULL OR c.c_audio IS NULL OR c.c_image IS NULL
                  OR c.c_cache_storage IS NULL OR c.c_web_search IS NULL OR c.c_compute IS NULL THEN 'unpriced_unit'
                ELSE 'priced' END AS cost_status
    FROM costed AS c
),
contract AS (
    -- The first contract term, in file order, that covers the event.
    SELECT e.event_id, t.*
    FROM events AS e
    JOIN core.contract_terms AS t
      ON t.provider = e.price_provider
     AND e.model GLOB t.model_glob
     AND e.event_time >= t.effective_from
     AND (t.effective_to IS NULL OR e.event_time < t.effective_to)
    WHERE t.discount_factor IS NOT NULL
       OR coalesce(t.input, t.cache_read, t.cache_write_5m, t.cache_write_1h, t.output, t.output_reasoning,
                   t.input_audio, t.output_audio, t.input_image, t.output_image, t.cache_storage,
                   t.web_search) IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY e.event_id ORDER BY t.priority) = 1
),
contracted AS (
    -- A class with a contract rate costs usage x that rate; any other class costs its list cost x the discount.
    -- Contract rates are per token: time on hardware takes the discount only.
    SELECT u.*, t.contract_name,
           CASE WHEN t.event_id IS NULL THEN NULL
                WHEN u.billed_by = 'seconds' AND u.cost_status <> 'priced' THEN NULL
                WHEN u.billed_by = 'seconds'
                THEN (u.input_cost_usd + u.cache_read_cost_usd + u.cache_write_5m_cost_usd + u.cache_write_1h_cost_usd
                      + u.output_cost_usd + u.audio_cost_usd + u.image_cost_usd + u.cache_storage_cost_usd
                      + u.web_search_cost_usd + u.compute_cost_usd) * coalesce(t.discount_factor, 1)
                ELSE
           (CASE WHEN u.input_tokens = 0 THEN 0 WHEN t.input IS NOT NULL THEN u.input_tokens * t.input
                 ELSE u.input_cost_usd * coalesce(t.discount_factor, 1) END)
         + (CASE WHEN u.cache_read_tokens = 0 THEN 0 WHEN t.cache_read IS NOT NULL
                 THEN u.cache_read_tokens * t.cache_read
                 ELSE u.cache_read_cost_usd * coalesce(t.discount_factor, 1) END)
         + (CASE WHEN u.cache_write_5m_tokens = 0 THEN 0 WHEN t.cache_write_5m IS NOT NULL
                 THEN u.cache_write_5m_tokens * t.cache_write_5m
                 ELSE u.cache_write_5m_cost_usd * coalesce(t.discount_factor, 1) END)
         + (CASE WHEN u.cache_write_1h_tokens = 0 THEN 0 WHEN t.cache_write_1h IS NOT NULL
                 THEN u.cache_write_1h_tokens * t.cache_write_1h
                 ELSE u.cache_write_1h_cost_usd * coalesce(t.discount_factor, 1) END)
         + (CASE WHEN u.output_tokens = 0 THEN 0
                 WHEN (u.output_tokens = u.reasoning_tokens OR t.output IS NOT NULL)
                  AND (u.reasoning_tokens = 0 OR coalesce(t.output_reasoning, t.output) IS NOT NULL)
                 THEN (u.output_tokens - u.reasoning_tokens) * coalesce(t.output, 0)
                      + u.reasoning_tokens * coalesce(t.output_reasoning, t.output, 0)
                 ELSE u.output_cost_usd * coalesce(t.discount_factor, 1) END)
         + (CASE WHEN u.input_audio_tokens = 0 AND u.output_audio_tokens = 0 THEN 0
                 WHEN (u.input_audio_tokens = 0 OR t.input_audio IS NOT NULL)
                  AND (u.output_audio_tokens = 0 OR t.output_audio IS NOT NULL)
                 THEN u.input_audio_tokens * coalesce(t.input_audio, 0)
                      + u.output_audio_tokens * coalesce(t.output_audio, 0)
                 ELSE u.audio_cost_usd * coalesce(t.discount_factor, 1) END)
         + (CASE WHEN u.input_image_tokens = 0 AND u.output_image_tokens = 0 THEN 0
                 WHEN (u.input_image_tokens = 0 OR t.input_image IS NOT NULL)
                  AND (u.output_image_tokens = 0 OR t.output_image IS NOT NULL)
                 THEN u.input_image_tokens * coalesce(t.input_image, 0)
                      + u.output_image_tokens * coalesce(t.output_image, 0)
                 ELSE u.image_cost_usd * coalesce(t.discount_factor, 1) END)
         + (CASE WHEN u.cache_storage_token_hours = 0 THEN 0 WHEN t.cache_storage IS NOT NULL
                 THEN u.cache_storage_token_hours * t.cache_storage
                 ELSE u.cache_storage_cost_usd * coalesce(t.discount_factor, 1) END)
         + (CASE WHEN coalesce(u.web_search_billable, u.web_search_requests) = 0 THEN 0
                 WHEN t.web_search IS NOT NULL
                 THEN coalesce(u.web_search_billable, u.web_search_requests) * t.web_search
                 ELSE u.web_search_cost_usd * coalesce(t.discount_factor, 1) END)
           END AS contract_cost
    FROM usd AS u
    LEFT JOIN contract AS t ON t.event_id = u.event_id
)
SELECT s.event_id, s.event_time, s.usage_date, s.provider, s.platform, s.price_provider, s.model, s.model_raw,
       s.project, s.api_key_id, s.user_id, s.service_tier, s.is_batch, s.endpoint_scope,
       s.input_tokens, s.cache_read_tokens, s.cache_write_5m_tokens, s.cache_write_1h_tokens,
       s.output_tokens, s.reasoning_tokens, s.input_audio_tokens, s.output_audio_tokens,
       s.input_image_tokens, s.output_image_tokens, s.cache_storage_token_hours, s.hardware, s.compute_seconds,
       s.web_search_requests, s.web_search_billable, s.requests, s.record_grain, s.context_tier, s.input_unknown,
       s.reported_cost_usd,
       s.source_file, s.source_line,
       s.rate_id, s.billed_by, split_part(s.window_id, '/', -1) AS time_window, s.quota_group,
       getvariable('catalogue_version') AS catalogue_version, s.currency, s.usd_per_unit,
       s.input_cost_usd, s.cache_read_cost_usd, s.cache_write_5m_cost_usd, s.cache_write_1h_cost_usd,
       s.output_cost_usd, s.audio_cost_usd, s.image_cost_usd, s.cache_storage_cost_usd, s.web_search_cost_usd,
       s.compute_cost_usd,
       CASE WHEN s.cost_status = 'priced'
            THEN s.input_cost_usd + s.cache_read_cost_usd + s.cache_write_5m_cost_usd + s.cache_write_1h_cost_usd
                 + s.output_cost_usd + s.audio_cost_usd + s.image_cost_usd + s.cache_storage_cost_usd
                 + s.web_search_cost_usd + s.compute_cost_usd END AS list_cost_usd,
       CASE WHEN s.cost_status = 'priced'
            THEN s.c_input + s.c_cache_read + s.c_cache_write_5m + s.c_cache_write_1h + s.c_output + s.c_audio
                 + s.c_image + s.c_cache_storage + s.c_web_search + s.c_compute END AS list_cost_original,
       CASE WHEN s.cost_status = 'priced' AND s.cache_read_tokens > 0
            THEN CAST(s.cache_read_tokens::DECIMAL(18, 0) * (s.r_input - s.r_cache_read) * s.usd_per_unit
                      AS DECIMAL(38, 12))
            WHEN s.cost_status = 'priced' THEN 0::DECIMAL(38, 12) END AS cache_savings_usd,
       s.contract_name,
       getvariable('contracts_version') AS contracts_version,
       CASE WHEN s.contract_name IS NOT NULL THEN s.contract_cost
            WHEN s.cost_status = 'priced'
            THEN s.input_cost_usd + s.cache_read_cost_usd + s.cache_write_5m_cost_usd + s.cache_write_1h_cost_usd
                 + s.output_cost_usd + s.audio_cost_usd + s.image_cost_usd + s.cache_storage_cost_usd
                 + s.web_search_cost_usd + s.compute_cost_usd END AS contracted_cost_usd,
       s.cost_status
FROM contracted AS s;
