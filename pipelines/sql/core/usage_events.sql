-- One row per request, deduplicated by event_id; daily partitions on usage_date (UTC).
CREATE TABLE IF NOT EXISTS core.usage_events (
    event_id                   VARCHAR NOT NULL,
    event_time                 TIMESTAMP NOT NULL,
    usage_date                 DATE NOT NULL,
    provider                   VARCHAR NOT NULL,
    platform                   VARCHAR NOT NULL,
    price_provider             VARCHAR NOT NULL,   -- the catalogue that prices it: the platform's, else the vendor's
    model                      VARCHAR NOT NULL,
    model_raw                  VARCHAR NOT NULL,
    project                    VARCHAR,
    api_key_id                 VARCHAR,
    user_id                    VARCHAR,
    service_tier               VARCHAR NOT NULL,
    is_batch                   BOOLEAN NOT NULL,
    endpoint_scope             VARCHAR NOT NULL,   -- global | geo | in_region
    input_tokens               BIGINT NOT NULL,
    cache_read_tokens          BIGINT NOT NULL,
    cache_write_5m_tokens      BIGINT NOT NULL,
    cache_write_1h_tokens      BIGINT NOT NULL,
    output_tokens              BIGINT NOT NULL,
    reasoning_tokens           BIGINT NOT NULL,
    input_audio_tokens         BIGINT NOT NULL,
    output_audio_tokens        BIGINT NOT NULL,
    input_image_tokens         BIGINT NOT NULL,
    output_image_tokens        BIGINT NOT NULL,
    cache_storage_token_hours  DECIMAL(24, 6) NOT NULL,
    hardware                   VARCHAR,            -- the SKU billed by time (Replicate, Modal)
    compute_seconds            DECIMAL(24, 6) NOT NULL,  -- seconds of one unit of that SKU
    web_search_requests        BIGINT NOT NULL,
    requests                   BIGINT NOT NULL,    -- 1 per request; an aggregate's count; 0 when its source has none
    record_grain               VARCHAR NOT NULL,   -- request | chunk | bucket (an aggregate of many requests)
    context_tier               VARCHAR,            -- base | long when an aggregate says; NULL: from the tokens
    input_unknown              BOOLEAN NOT NULL,   -- the source omitted the input count: cost unknown, not lower
    reported_cost_usd          DECIMAL(24, 12),    -- the source's own cost (gateway, observability tool), if any
    source_format              VARCHAR NOT NULL,
    source_file                VARCHAR NOT NULL,
    source_line                BIGINT NOT NULL
);
