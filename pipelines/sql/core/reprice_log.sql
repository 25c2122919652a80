-- What each `meterline reprice` changed, per day, provider and model: the figures before and after, and the
-- catalogue and contract versions that produced them (the rates of both versions stay in core.price_rates).
CREATE TABLE IF NOT EXISTS core.reprice_log (
    reprice_id                  VARCHAR NOT NULL,
    repriced_at                 TIMESTAMP NOT NULL,
    usage_date                  DATE NOT NULL,
    provider                    VARCHAR NOT NULL,
    model                       VARCHAR NOT NULL,
    old_catalogue_versions      VARCHAR,           -- comma-separated when the day mixed versions; NULL if new
    new_catalogue_version       VARCHAR,
    old_contracts_versions      VARCHAR,
    new_contracts_version       VARCHAR,
    requests                    BIGINT NOT NULL,
    old_list_cost_usd           DECIMAL(38, 12),
    new_list_cost_usd           DECIMAL(38, 12),
    old_contracted_cost_usd     DECIMAL(38, 12),
    new_contracted_cost_usd     DECIMAL(38, 12),
    old_unpriced_requests       BIGINT,
    new_unpriced_requests       BIGINT
);
