-- Canonical metering fields of every usable record, as read, before deduplication (see models/usage.py).
CREATE TABLE IF NOT EXISTS staging.usage_records (
    event_id               VARCHAR NOT NULL,
    event_time             TIMESTAMP NOT NULL,
    usage_date             DATE NOT NULL,
    provider               VARCHAR NOT NULL,
    platform               VARCHAR NOT NULL,
    model_raw              VARCHAR NOT NULL,
    project                VARCHAR,
    api_key_id             VARCHAR,
    user_id                VARCHAR,
    service_tier           VARCHAR NOT NULL,
    is_batch               BOOLEAN NOT NULL,
    endpoint_scope         VARCHAR,              -- global | geo | in_region when the log says; NULL otherwise
    input_tokens           BIGINT NOT NULL,
    cache_read_tokens      BIGINT NOT NULL,
    cache_write_5m_tokens  BIGINT NOT NULL,
    cache_write_1h_tokens  BIGINT NOT NULL,
    output_tokens          BIGINT NOT NULL,
    reasoning_tokens       BIGINT NOT NULL,
    input_audio_tokens     BIGINT NOT NULL DEFAULT 0,
    output_audio_tokens    BIGINT NOT NULL DEFAULT 0,
    input_image_tokens     BIGINT NOT NULL DEFAULT 0,
    output_image_tokens    BIGINT NOT NULL DEFAULT 0,
    cache_storage_token_hours DECIMAL(24, 6) NOT NULL DEFAULT 0,
    hardware               VARCHAR,              -- the SKU billed by time (Replicate, Modal), lower case
    compute_seconds        DECIMAL(24, 6) NOT NULL DEFAULT 0,  -- seconds of one unit of that SKU
    web_search_requests    BIGINT NOT NULL,
    requests               BIGINT NOT NULL,      -- 1 per request; an aggregate's count; 0 when the source has none
    record_grain           VARCHAR NOT NULL DEFAULT 'request',  -- request | chunk | bucket
    context_tier           VARCHAR,              -- base | long when an aggregate says; NULL: from the token counts
    input_unknown          BOOLEAN NOT NULL DEFAULT false,
    reported_cost_usd      DECIMAL(24, 12),      -- what the source itself charged or computed, if it says
    source_format          VARCHAR NOT NULL,
    source_file            VARCHAR NOT NULL,
    source_line            BIGINT NOT NULL
);
