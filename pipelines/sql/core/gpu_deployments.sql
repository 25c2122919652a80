-- The self-hosted deployments file, one row per deployment x model pattern in file order: the first that matches an
-- event's model (and platform, where given) on its day served it. Refreshed from the file on every rebuild.
CREATE TABLE IF NOT EXISTS core.gpu_deployments (
    priority           INTEGER NOT NULL,
    deployment         VARCHAR NOT NULL,
    model_glob         VARCHAR NOT NULL,
    platform           VARCHAR,
    gpu_type           VARCHAR NOT NULL,
    gpus               INTEGER NOT NULL,
    usd_per_gpu_hour   DECIMAL(18, 6) NOT NULL,
    hours              DECIMAL(8, 4)[] NOT NULL,   -- hours up on each weekday, Monday first
    tokens_per_second  DECIMAL(18, 4),
    effective_from     DATE,
    effective_to       DATE,                       -- exclusive
    input_weight       DECIMAL(9, 4) NOT NULL,
    output_weight      DECIMAL(9, 4) NOT NULL,
    PRIMARY KEY (priority, model_glob)
);
