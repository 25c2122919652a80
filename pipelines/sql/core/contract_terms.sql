-- The user's contract overlay (contracts.yaml), one row per contract x model pattern, in file order: the first
-- term that matches an event's provider, model and time sets its contracted cost. Custom rates are USD per token.
CREATE TABLE IF NOT EXISTS core.contract_terms (
    contracts_version  VARCHAR NOT NULL,
    priority           INTEGER NOT NULL,
    contract_name      VARCHAR NOT NULL,
    provider           VARCHAR NOT NULL,
    model_glob         VARCHAR NOT NULL,
    effective_from     TIMESTAMP NOT NULL,
    effective_to       TIMESTAMP,
    discount_factor    DECIMAL(9, 6),       -- 1 - discount_percent / 100 on list-priced classes
    input              DECIMAL(20, 12),
    cache_read         DECIMAL(20, 12),
    cache_write_5m     DECIMAL(20, 12),
    cache_write_1h     DECIMAL(20, 12),
    output             DECIMAL(20, 12),
    output_reasoning   DECIMAL(20, 12),
    input_audio        DECIMAL(20, 12),
    output_audio       DECIMAL(20, 12),
    input_image        DECIMAL(20, 12),
    output_image       DECIMAL(20, 12),
    cache_storage      DECIMAL(20, 12),
    web_search         DECIMAL(20, 12),
    commitment_usd     DECIMAL(20, 2),
    PRIMARY KEY (priority, model_glob)
);
