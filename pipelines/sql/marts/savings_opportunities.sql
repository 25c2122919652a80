-- What-if savings computed from priced traffic (never message text), rebuilt on every run over the last basis days:
-- per project and model, the saving from 10 more points of cache hits, from moving to batch, from the configured
-- model swaps, and where the traffic stands against each configured self-hosted deployment.
CREATE TABLE IF NOT EXISTS marts.savings_opportunities (
    generated_on                DATE NOT NULL,
    basis_from                  DATE NOT NULL,
    basis_to                    DATE NOT NULL,
    lever                       VARCHAR NOT NULL,
    project                     VARCHAR NOT NULL,
    provider                    VARCHAR NOT NULL,
    model                       VARCHAR NOT NULL,
    target                      VARCHAR NOT NULL,
    requests                    BIGINT NOT NULL,
    tokens                      BIGINT NOT NULL,
    current_cost_usd            DECIMAL(24, 12) NOT NULL,
    whatif_cost_usd             DECIMAL(24, 12) NOT NULL,
    saving_usd                  DECIMAL(24, 12) NOT NULL,
    monthly_saving_usd          DECIMAL(18, 6) NOT NULL,
    price_ratio                 DECIMAL(12, 4),
    cache_hit_rate              DECIMAL(8, 4),
    whatif_cache_hit_rate       DECIMAL(8, 4),
    tokens_per_month            DECIMAL(24, 0),
    crossover_tokens_per_month  DECIMAL(24, 0),
    assumption                  VARCHAR NOT NULL
);
COMMENT ON TABLE marts.savings_opportunities IS 'What-if savings per project and model: more cache hits, batch, model swaps, self-hosting; from priced traffic of the last basis days.';
COMMENT ON COLUMN marts.savings_opportunities.generated_on IS 'UTC day of the run that computed it.';
COMMENT ON COLUMN marts.savings_opportunities.basis_from IS 'First day of the traffic the levers were priced on.';
COMMENT ON COLUMN marts.savings_opportunities.basis_to IS 'Last day of that traffic (the last day with priced spend).';
COMMENT ON COLUMN marts.savings_opportunities.lever IS 'cache (10 more points of cache hits), batch (the batch API), swap (another model) or self_host (a GPU deployment).';
COMMENT ON COLUMN marts.savings_opportunities.project IS 'Project, workspace or tag; (none) when the log names none; * for all projects together (self_host).';
COMMENT ON COLUMN marts.savings_opportunities.provider IS 'Provider whose catalogue priced the traffic; * when a self_host row covers several.';
COMMENT ON COLUMN marts.savings_opportunities.model IS 'Model the traffic used; * when a self_host row covers several.';
COMMENT ON COLUMN marts.savings_opportunities.target IS 'What it would move to: the cache hit rate, batch, provider/model, or the deployment name.';
COMMENT ON COLUMN marts.savings_opportunities.requests IS 'Requests in the basis days.';
COMMENT ON COLUMN marts.savings_opportunities.tokens IS 'Tokens in the basis days, input (cached and uncached), cache writes and output.';
COMMENT ON COLUMN marts.savings_opportunities.current_cost_usd IS 'List cost of the basis traffic as it is, at the rates in force when it was last seen, USD.';
COMMENT ON COLUMN marts.savings_opportunities.whatif_cost_usd IS 'List cost of the same traffic with the lever pulled (for self_host: the deployment over the basis days), USD.';
COMMENT ON COLUMN marts.savings_opportunities.saving_usd IS 'current_cost_usd - whatif_cost_usd over the basis days; negative when the lever costs more.';
COMMENT ON COLUMN marts.savings_opportunities.monthly_saving_usd IS 'saving_usd scaled to a 30-day month.';
COMMENT ON COLUMN marts.savings_opportunities.price_ratio IS 'whatif_cost_usd / current_cost_usd.';
COMMENT ON COLUMN marts.savings_opportunities.cache_hit_rate IS 'cache lever: cache reads over cache reads plus uncached text input, now.';
COMMENT ON COLUMN marts.savings_opportunities.whatif_cache_hit_rate IS 'cache lever: the hit rate priced.';
COMMENT ON COLUMN marts.savings_opportunities.tokens_per_month IS 'self_host: the traffic in tokens per 30-day month.';
COMMENT ON COLUMN marts.savings_opportunities.crossover_tokens_per_month IS 'self_host: tokens per month above which the deployment costs less than this traffic on the API.';
COMMENT ON COLUMN marts.savings_opportunities.assumption IS 'What the figure assumes, in words.';
