-- Rebuild the days getvariable('date_from') .. getvariable('date_to'). A response ingested twice (same event_id,
-- any file or format) keeps one copy, and stays on the day that copy belongs to: a complete response before stream
-- chunks, the chunk with the most tokens (streamed counts are cumulative: the last chunk is the whole, never a sum,
-- even when log rotation split the stream across files), the most recently loaded copy of a report bucket
-- (providers restate recent buckets; loaded together, the file whose name sorts last), a copy that names the
-- hardware it ran on (an enveloped Replicate prediction beside the bare one), else the copy in the first file by
-- name and, within it, the last line. A cost reported by any copy (a gateway export) is kept
-- beside the tokens of the copy chosen.
INSERT INTO core.usage_events
WITH touched AS (
    SELECT DISTINCT event_id
    FROM staging.usage_records
    WHERE usage_date BETWEEN getvariable('date_from') AND getvariable('date_to')
),
ranked AS (
    SELECT s.*,
           max(s.reported_cost_usd) OVER (PARTITION BY s.event_id) AS any_reported_cost,
           row_number() OVER (
               PARTITION BY s.event_id
               ORDER BY s.record_grain = 'chunk',
                        s.hardware IS NULL,
                        CASE WHEN s.record_grain = 'bucket' THEN l.loaded_at END DESC NULLS LAST,
                        CASE WHEN s.record_grain = 'bucket' THEN s.source_file END DESC NULLS LAST,
                        CASE WHEN s.record_grain = 'chunk'
                             THEN s.input_tokens + s.cache_read_tokens + s.cache_write_5m_tokens
                                  + s.cache_write_1h_tokens + s.output_tokens END DESC NULLS LAST,
                        s.source_file,
                        s.source_line DESC
           ) AS copy_rank
    FROM staging.usage_records AS s
    SEMI JOIN touched USING (event_id)
    LEFT JOIN raw.file_ledger AS l USING (source_file)
)
SELECT r.event_id, r.event_time, r.usage_date, r.provider, r.platform,
       -- Seconds of hardware are priced by the platform that ran them (the vendor for direct calls), whatever
       -- catalogue the model id is in.
       CASE WHEN coalesce(r.hardware, a.hardware) IS NULL THEN coalesce(a.price_provider, r.provider)
            WHEN r.platform = 'direct' THEN r.provider ELSE r.platform END AS price_provider,
       coalesce(a.model, r.model_raw) AS model, r.model_raw,
       r.project, r.api_key_id, r.user_id, r.service_tier, r.is_batch,
       coalesce(r.endpoint_scope, a.endpoint_scope, 'global') AS endpoint_scope,
       r.input_tokens, r.cache_read_tokens, r.cache_write_5m_tokens, r.cache_write_1h_tokens,
       r.output_tokens, r.reasoning_tokens, r.input_audio_tokens, r.output_audio_tokens,
       r.input_image_tokens, r.output_image_tokens, r.cache_storage_token_hours,
       coalesce(r.hardware, a.hardware) AS hardware, r.compute_seconds,
       r.web_search_requests, r.requests, r.record_grain, r.context_tier, r.input_unknown,
       r.any_reported_cost AS reported_cost_usd,
       r.source_format, r.source_file, r.source_line
FROM ranked AS r
LEFT JOIN core.model_aliases AS a
  ON a.provider = r.provider AND a.platform = r.platform AND a.model_raw = r.model_raw
WHERE r.copy_rank = 1
  AND r.usage_date BETWEEN getvariable('date_from') AND getvariable('date_to');
