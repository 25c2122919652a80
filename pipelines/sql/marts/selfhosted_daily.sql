-- Self-hosted deployments per day: what the GPUs cost, what they served, and what that made a million tokens cost.
-- Grain: usage_date x deployment, for every day the deployment was up (a day with no requests is all idle).
CREATE TABLE IF NOT EXISTS marts.selfhosted_daily (
    usage_date             DATE NOT NULL,
    deployment             VARCHAR NOT NULL,
    gpu_type               VARCHAR NOT NULL,
    gpus                   INTEGER NOT NULL,
    gpu_hours              DECIMAL(18, 4) NOT NULL,
    gpu_cost_usd           DECIMAL(24, 12) NOT NULL,
    requests               BIGINT NOT NULL,
    input_tokens           BIGINT NOT NULL,
    output_tokens          BIGINT NOT NULL,
    allocated_cost_usd     DECIMAL(24, 12) NOT NULL,
    cost_per_1m_tokens_usd DECIMAL(24, 6),
    utilisation            DECIMAL(12, 6),
    idle_cost_usd          DECIMAL(24, 12)
);
COMMENT ON TABLE marts.selfhosted_daily IS 'Self-hosted GPU deployments per day: GPU cost, requests and tokens served, effective cost per 1M tokens, utilisation and idle cost.';
COMMENT ON COLUMN marts.selfhosted_daily.usage_date IS 'UTC day.';
COMMENT ON COLUMN marts.selfhosted_daily.deployment IS 'Deployment name from the self-hosted deployments file.';
COMMENT ON COLUMN marts.selfhosted_daily.gpu_type IS 'GPU model, as the file names it.';
COMMENT ON COLUMN marts.selfhosted_daily.gpus IS 'GPUs in the deployment.';
COMMENT ON COLUMN marts.selfhosted_daily.gpu_hours IS 'GPUs x hours up that day.';
COMMENT ON COLUMN marts.selfhosted_daily.gpu_cost_usd IS 'GPU hours x price per GPU-hour, USD.';
COMMENT ON COLUMN marts.selfhosted_daily.requests IS 'Requests it served that day.';
COMMENT ON COLUMN marts.selfhosted_daily.input_tokens IS 'Input tokens served, cached included.';
COMMENT ON COLUMN marts.selfhosted_daily.output_tokens IS 'Output tokens generated.';
COMMENT ON COLUMN marts.selfhosted_daily.allocated_cost_usd IS 'GPU cost allocated to those requests: all of gpu_cost_usd (to within rounding) when any request carried weighted tokens, else 0.';
COMMENT ON COLUMN marts.selfhosted_daily.cost_per_1m_tokens_usd IS 'gpu_cost_usd per million tokens served (input and output), USD: the effective price of self-hosting, idle time included.';
COMMENT ON COLUMN marts.selfhosted_daily.utilisation IS 'Tokens served over capacity (tokens_per_second x hours up); NULL when the file states no throughput.';
COMMENT ON COLUMN marts.selfhosted_daily.idle_cost_usd IS 'GPU cost not used: gpu_cost_usd x (1 - utilisation); all of it on a day nothing was allocated; NULL when utilisation is unknown.';
