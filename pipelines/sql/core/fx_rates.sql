-- USD per unit of each non-USD catalogue currency, from pricing/exchange_rates.yaml.
CREATE TABLE IF NOT EXISTS core.fx_rates (
    catalogue_version  VARCHAR NOT NULL,
    currency           VARCHAR NOT NULL,
    effective_from     TIMESTAMP NOT NULL,
    effective_to       TIMESTAMP,           -- exclusive: the next rate's start
    usd_per_unit       DECIMAL(20, 10) NOT NULL,
    source             VARCHAR NOT NULL,
    PRIMARY KEY (catalogue_version, currency, effective_from)
);
