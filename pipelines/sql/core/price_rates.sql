-- The rate card flattened from pricing/*.yaml: absolute USD per token (web_search: per call).
CREATE TABLE IF NOT EXISTS core.price_rates (
    rate_id            VARCHAR PRIMARY KEY,
    catalogue_version  VARCHAR NOT NULL,
    provider           VARCHAR NOT NULL,
    model              VARCHAR NOT NULL,
    effective_from     TIMESTAMP NOT NULL,
    effective_to       TIMESTAMP,          -- exclusive; NULL while in force
    service_tier       VARCHAR NOT NULL,
    is_batch           BOOLEAN NOT NULL,
    context_above      BIGINT NOT NULL,    -- band applies when input_total > context_above (0: from the start)
    context_up_to      BIGINT,             -- and input_total <= context_up_to (NULL: no limit)
    input              DECIMAL(20, 12),
    cache_read         DECIMAL(20, 12),
    cache_write_5m     DECIMAL(20, 12),
    cache_write_1h     DECIMAL(20, 12),
    output             DECIMAL(20, 12),
    web_search         DECIMAL(20, 12),
    source             VARCHAR NOT NULL,
    checked            DATE NOT NULL
);
