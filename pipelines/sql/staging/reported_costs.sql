-- What providers say they charged (OpenAI Costs API, Anthropic Cost Report, dashboard cost exports), as read.
-- `cost_id` is the report's own key (bucket start and group dimensions): a restated bucket replaces, never adds.
CREATE TABLE IF NOT EXISTS staging.reported_costs (
    cost_id          VARCHAR NOT NULL,
    bucket_start     TIMESTAMP NOT NULL,
    bucket_end       TIMESTAMP,
    cost_date        DATE NOT NULL,
    provider         VARCHAR NOT NULL,
    project          VARCHAR,
    api_key_id       VARCHAR,
    model            VARCHAR,
    line_item        VARCHAR,
    cost_type        VARCHAR,
    token_type       VARCHAR,
    service_tier     VARCHAR,
    quantity         DECIMAL(38, 6),
    quantity_unit    VARCHAR,
    amount_original  DECIMAL(38, 12),     -- as the report states it (Anthropic: cents)
    currency         VARCHAR,
    amount_usd       DECIMAL(38, 12),     -- in dollars; NULL when the report's currency is not USD
    source_format    VARCHAR NOT NULL,
    source_file      VARCHAR NOT NULL,
    source_line      BIGINT NOT NULL
);
