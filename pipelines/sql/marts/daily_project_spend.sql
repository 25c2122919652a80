-- Daily spend per project, API key and model. Grain: usage_date x provider x project x api_key_id x model x
-- hardware.
CREATE TABLE IF NOT EXISTS marts.daily_project_spend (
    usage_date               DATE NOT NULL,
    provider                 VARCHAR NOT NULL,
    project                  VARCHAR NOT NULL,
    api_key_id               VARCHAR NOT NULL,
    model                    VARCHAR NOT NULL,
    requests                 BIGINT NOT NULL,
    input_tokens             BIGINT NOT NULL,
    cache_read_tokens        BIGINT NOT NULL,
    cache_write_5m_tokens    BIGINT NOT NULL,
    cache_write_1h_tokens    BIGINT NOT NULL,
    output_tokens            BIGINT NOT NULL,
    reasoning_tokens         BIGINT NOT NULL,
    web_search_requests      BIGINT NOT NULL,
    input_audio_tokens       BIGINT NOT NULL,
    output_audio_tokens      BIGINT NOT NULL,
    input_image_tokens       BIGINT NOT NULL,
    output_image_tokens      BIGINT NOT NULL,
    input_cost_usd           DECIMAL(38, 12) NOT NULL,
    cache_read_cost_usd      DECIMAL(38, 12) NOT NULL,
    cache_write_5m_cost_usd  DECIMAL(38, 12) NOT NULL,
    cache_write_1h_cost_usd  DECIMAL(38, 12) NOT NULL,
    output_cost_usd          DECIMAL(38, 12) NOT NULL,
    web_search_cost_usd      DECIMAL(38, 12) NOT NULL,
    audio_cost_usd           DECIMAL(38, 12) NOT NULL,
    image_cost_usd           DECIMAL(38, 12) NOT NULL,
    cache_storage_cost_usd   DECIMAL(38, 12) NOT NULL,
    list_cost_usd            DECIMAL(38, 12) NOT NULL,
    contracted_cost_usd      DECIMAL(38, 12) NOT NULL,
    cache_savings_usd        DECIMAL(38, 12) NOT NULL,
    unpriced_requests        BIGINT NOT NULL,
    reported_cost_usd        DECIMAL(38, 12),
    selfhosted_cost_usd      DECIMAL(38, 12) NOT NULL,
    hardware                 VARCHAR,
    compute_seconds          DECIMAL(24, 6) NOT NULL,
    compute_cost_usd         DECIMAL(38, 12) NOT NULL
);
COMMENT ON TABLE marts.daily_project_spend IS 'Daily LLM spend per project, API key and model (UTC days, list prices).';
COMMENT ON COLUMN marts.daily_project_spend.usage_date IS 'UTC day of the requests.';
COMMENT ON COLUMN marts.daily_project_spend.provider IS 'Who bills the requests and whose catalogue priced them: bedrock, vertex or azure for those platforms, else the model vendor (openai, anthropic, google ...).';
COMMENT ON COLUMN marts.daily_project_spend.project IS 'Project or workspace from the log envelope; (none) when not logged.';
COMMENT ON COLUMN marts.daily_project_spend.api_key_id IS 'API key id from the log envelope; (none) when not logged.';
COMMENT ON COLUMN marts.daily_project_spend.model IS 'Canonical model id from the pricing catalogue (raw id when unknown).';
COMMENT ON COLUMN marts.daily_project_spend.requests IS 'Requests (one per logged response).';
COMMENT ON COLUMN marts.daily_project_spend.input_tokens IS 'Uncached input tokens (cache reads and writes excluded).';
COMMENT ON COLUMN marts.daily_project_spend.cache_read_tokens IS 'Input tokens read from the prompt cache.';
COMMENT ON COLUMN marts.daily_project_spend.cache_write_5m_tokens IS 'Input tokens written to the cache with a 5-minute TTL.';
COMMENT ON COLUMN marts.daily_project_spend.cache_write_1h_tokens IS 'Input tokens written to the cache with a 1-hour TTL.';
COMMENT ON COLUMN marts.daily_project_spend.output_tokens IS 'Output tokens, reasoning included.';
COMMENT ON COLUMN marts.daily_project_spend.reasoning_tokens IS 'Reasoning/thinking tokens (a subset of output_tokens).';
COMMENT ON COLUMN marts.daily_project_spend.web_search_requests IS 'Server-side web-search calls.';
COMMENT ON COLUMN marts.daily_project_spend.input_cost_usd IS 'List cost of uncached input, USD, priced requests only.';
COMMENT ON COLUMN marts.daily_project_spend.cache_read_cost_usd IS 'List cost of cache reads, USD.';
COMMENT ON COLUMN marts.daily_project_spend.cache_write_5m_cost_usd IS 'List cost of 5-minute cache writes, USD.';
COMMENT ON COLUMN marts.daily_project_spend.cache_write_1h_cost_usd IS 'List cost of 1-hour cache writes, USD.';
COMMENT ON COLUMN marts.daily_project_spend.output_cost_usd IS 'List cost of output tokens, USD.';
COMMENT ON COLUMN marts.daily_project_spend.web_search_cost_usd IS 'List cost of web-search calls, USD.';
COMMENT ON COLUMN marts.daily_project_spend.input_audio_tokens IS 'Uncached audio input tokens (not in input_tokens).';
COMMENT ON COLUMN marts.daily_project_spend.output_audio_tokens IS 'Audio output tokens (not in output_tokens).';
COMMENT ON COLUMN marts.daily_project_spend.input_image_tokens IS 'Image input tokens billed as their own class (not in input_tokens).';
COMMENT ON COLUMN marts.daily_project_spend.output_image_tokens IS 'Image output tokens (not in output_tokens).';
COMMENT ON COLUMN marts.daily_project_spend.audio_cost_usd IS 'List cost of audio input and output, USD.';
COMMENT ON COLUMN marts.daily_project_spend.image_cost_usd IS 'List cost of image input and output billed as images, USD.';
COMMENT ON COLUMN marts.daily_project_spend.cache_storage_cost_usd IS 'List cost of holding explicit caches (token-hours), USD.';
COMMENT ON COLUMN marts.daily_project_spend.contracted_cost_usd IS 'Cost under the contract overlay (negotiated discounts and rates); equals list_cost_usd where no contract applies. Priced requests only, plus requests priced by contract rates alone.';
COMMENT ON COLUMN marts.daily_project_spend.list_cost_usd IS 'Total list cost, USD, at the public catalogue rate in force at each request (priced requests only).';
COMMENT ON COLUMN marts.daily_project_spend.cache_savings_usd IS 'What cache reads would have cost at the uncached input rate, minus what they cost, USD.';
COMMENT ON COLUMN marts.daily_project_spend.unpriced_requests IS 'Requests with no list price (unknown model, tier or unit) and no self-hosted GPU cost: not in list_cost_usd (contracted_cost_usd holds those a contract rate prices).';
COMMENT ON COLUMN marts.daily_project_spend.selfhosted_cost_usd IS 'GPU cost of self-hosted deployments allocated to these requests by weighted tokens, USD; not in list_cost_usd (marts.selfhosted_daily has the deployments).';
COMMENT ON COLUMN marts.daily_project_spend.reported_cost_usd IS 'Cost the source itself reported (OpenRouter, LiteLLM, Langfuse, OpenAI inline cost), summed over the requests that carry one; NULL when none does. Kept beside list_cost_usd, never merged into it.';
COMMENT ON COLUMN marts.daily_project_spend.hardware IS 'The SKU the requests ran on when the platform bills time (Replicate, Modal: gpu-a100-large, h100 ...); NULL for requests billed by tokens alone. Part of the grain.';
COMMENT ON COLUMN marts.daily_project_spend.compute_seconds IS 'Seconds of one unit of that SKU (GPU-seconds on Modal, instance-seconds on Replicate).';
COMMENT ON COLUMN marts.daily_project_spend.compute_cost_usd IS 'List cost of that time at the SKU''s per-second rate, USD (included in list_cost_usd); 0 for requests billed by tokens.';
