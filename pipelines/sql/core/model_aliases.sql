-- How each logged model id resolved: the catalogue that prices it (the platform's, else the vendor's), the canonical
-- model, and the endpoint scope its prefix names. `known` is false for models the catalogue lacks. `hardware` is the
-- SKU the user's hardware map says the model runs on (for records that do not name it).
CREATE TABLE IF NOT EXISTS core.model_aliases (
    provider           VARCHAR NOT NULL,
    platform           VARCHAR NOT NULL,
    model_raw          VARCHAR NOT NULL,
    price_provider     VARCHAR NOT NULL,
    model              VARCHAR NOT NULL,
    known              BOOLEAN NOT NULL,
    endpoint_scope     VARCHAR,
    catalogue_version  VARCHAR NOT NULL,
    hardware           VARCHAR,
    PRIMARY KEY (provider, platform, model_raw)
);
