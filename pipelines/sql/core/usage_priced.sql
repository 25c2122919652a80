-- Each usage event with its cost per token class at the list rate in force at event_time, converted to USD at the
-- exchange rate of that time, and its contracted cost under the user's contract overlay.
CREATE TABLE IF NOT EXISTS core.usage_priced (
    event_id                   VARCHAR NOT NULL,
    event_time                 TIMESTAMP NOT NULL,
    usage_date                 DATE NOT NULL,
    provider                   VARCHAR NOT NULL,
    platform                   VARCHAR NOT NULL,
    price_provider             VARCHAR NOT NULL,
    model                      VARCHAR NOT NULL,
    model_raw                  VARCHAR NOT NULL,
    project                    VARCHAR,
    api_key_id                 VARCHAR,
    user_id                    VARCHAR,
    service_tier               VARCHAR NOT NULL,
    is_batch                   BOOLEAN NOT NULL,
    endpoint_scope             VARCHAR NOT NULL,
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
    web_search_billable        BIGINT,             -- calls left after the free quota; NULL when unpriced
    requests                   BIGINT NOT NULL,
    record_grain               VARCHAR NOT NULL,   -- request | chunk | bucket (an aggregate of many requests)
    context_tier               VARCHAR,            -- base | long when an aggregate says; NULL: from the tokens
    input_unknown              BOOLEAN NOT NULL,   -- the source omitted the input count: cost_status incomplete_usage
    reported_cost_usd          DECIMAL(24, 12),    -- the source's own cost, beside meterline's; never merged
    source_file                VARCHAR NOT NULL,
    source_line                BIGINT NOT NULL,
    rate_id                    VARCHAR,            -- with catalogue_version, the core.price_rates row used
    billed_by                  VARCHAR NOT NULL,   -- tokens, or seconds when the request names its `hardware`
    time_window                VARCHAR,            -- the price window the event fell in (e.g. off_peak)
    quota_group                VARCHAR,            -- the free web-search allowance it drew on
    catalogue_version          VARCHAR NOT NULL,
    currency                   VARCHAR,            -- of the catalogue rate
    usd_per_unit               DECIMAL(20, 10),    -- exchange rate applied (1 for USD)
    input_cost_usd             DECIMAL(38, 12),
    cache_read_cost_usd        DECIMAL(38, 12),
    cache_write_5m_cost_usd    DECIMAL(38, 12),
    cache_write_1h_cost_usd    DECIMAL(38, 12),
    output_cost_usd            DECIMAL(38, 12),
    audio_cost_usd             DECIMAL(38, 12),
    image_cost_usd             DECIMAL(38, 12),
    cache_storage_cost_usd     DECIMAL(38, 12),
    web_search_cost_usd        DECIMAL(38, 12),
    compute_cost_usd           DECIMAL(38, 12),    -- hardware seconds x the SKU's rate; 0 when billed by tokens
    list_cost_usd              DECIMAL(38, 12),    -- NULL unless cost_status = 'priced': never a silent $0
    list_cost_original         DECIMAL(38, 12),    -- the same in the catalogue currency
    cache_savings_usd          DECIMAL(38, 12),
    contract_name              VARCHAR,
    contracts_version          VARCHAR NOT NULL,
    contracted_cost_usd        DECIMAL(38, 12),    -- list cost under the contract overlay; list cost when none applies
    cost_status                VARCHAR NOT NULL    -- priced | unpriced_model | unpriced_variant | unpriced_unit | unpriced_fx | incomplete_usage
);
