-- The rate card flattened from pricing/*.yaml, one set of rows per catalogue version (older versions stay, so a
-- priced row's rate_id and catalogue_version always lead back to the rates it used). Rates are per token in the
-- catalogue currency (web_search: per call; cache_storage: per token-hour). A hardware SKU's rows (billed_by
-- 'seconds', model = the hardware id) hold its price per second and 0 for every token and call class.
CREATE TABLE IF NOT EXISTS core.price_rates (
    catalogue_version       VARCHAR NOT NULL,
    rate_id                 VARCHAR NOT NULL,
    provider                VARCHAR NOT NULL,
    model                   VARCHAR NOT NULL,
    billed_by               VARCHAR NOT NULL DEFAULT 'tokens',  -- tokens | seconds (a hardware SKU)
    currency                VARCHAR NOT NULL,
    effective_from          TIMESTAMP NOT NULL,
    effective_to            TIMESTAMP,          -- exclusive; NULL while in force
    service_tier            VARCHAR NOT NULL,
    is_batch                BOOLEAN NOT NULL,
    endpoint_scope          VARCHAR NOT NULL,   -- '*' for any scope, or global | geo | in_region
    window_id               VARCHAR,            -- a core.price_windows rule the event must fall in, or NULL
    context_measure         VARCHAR NOT NULL,   -- input_total | input_uncached
    context_above           BIGINT NOT NULL,    -- band applies when the measure > context_above (0: from the start)
    context_up_to           BIGINT,             -- and the measure <= context_up_to (NULL: no limit)
    input                   DECIMAL(20, 12),
    cache_read              DECIMAL(20, 12),
    cache_write_5m          DECIMAL(20, 12),
    cache_write_1h          DECIMAL(20, 12),
    output                  DECIMAL(20, 12),
    output_reasoning        DECIMAL(20, 12),
    input_audio             DECIMAL(20, 12),
    output_audio            DECIMAL(20, 12),
    input_image             DECIMAL(20, 12),
    output_image            DECIMAL(20, 12),
    cache_storage           DECIMAL(20, 12),
    web_search              DECIMAL(20, 12),
    compute_second          DECIMAL(20, 12),    -- per second of the hardware SKU
    web_search_free_calls   BIGINT,
    web_search_free_period  VARCHAR,            -- day | month
    web_search_free_group   VARCHAR,
    source                  VARCHAR NOT NULL,
    checked                 DATE NOT NULL,
    PRIMARY KEY (catalogue_version, rate_id)
);
