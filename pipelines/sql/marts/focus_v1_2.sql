-- LLM usage as FinOps FOCUS 1.2 cost and usage rows, always current: a view over core.usage_priced. One row per
-- day x provider x model x token class x project (the sub-account), split further only where more than one price
-- applied that day (a dated price change, a long-context band, a time window, a tier): each row has one SKU price,
-- so ListCost = ListUnitPrice x PricingQuantity and ContractedCost = ContractedUnitPrice x PricingQuantity exactly.
-- Only priced requests: a request with no list price has no FOCUS cost and stays in core.usage_priced with its
-- cost_status. A cache read is its own, cheaper SKU, not a discount; what it saved is in x_CacheSavings.
CREATE OR REPLACE VIEW marts.focus_v1_2 AS
WITH parties (party, display_name, service_name) AS (
    -- Who invoices, by platform (a cloud or a gateway) or, for direct API calls, by the vendor.
    VALUES ('bedrock', 'AWS', 'Amazon Bedrock'),
           ('azure', 'Microsoft', 'Azure OpenAI'),
           ('vertex', 'Google', 'Vertex AI'),
           ('openrouter', 'OpenRouter', 'OpenRouter'),
           ('openai', 'OpenAI', 'OpenAI API'),
           ('anthropic', 'Anthropic', 'Claude API'),
           ('google', 'Google', 'Gemini API'),
           ('mistral', 'Mistral AI', 'Mistral AI API'),
           ('groq', 'Groq', 'GroqCloud'),
           ('together', 'Together AI', 'Together AI Inference'),
           ('fireworks', 'Fireworks AI', 'Fireworks AI Inference'),
           ('cerebras', 'Cerebras', 'Cerebras Inference'),
           ('sambanova', 'SambaNova', 'SambaNova Cloud'),
           ('deepseek', 'DeepSeek', 'DeepSeek API'),
           ('cohere', 'Cohere', 'Cohere API'),
           ('xai', 'xAI', 'xAI API'),
           ('zhipuai', 'Zhipu AI', 'Zhipu AI API'),
           ('meta', 'Meta', 'Llama API'),
           ('replicate', 'Replicate', 'Replicate'),
           ('modal', 'Modal', 'Modal')
),
priced AS (
    SELECT p.event_id, p.usage_date, p.price_provider, p.provider AS vendor, p.platform, p.model, p.project,
           p.service_tier, p.is_batch, p.rate_id, p.catalogue_version, p.time_window, p.contract_name,
           p.usd_per_unit, p.input_tokens, p.cache_read_tokens, p.cache_write_5m_tokens, p.cache_write_1h_tokens,
           p.output_tokens, p.reasoning_tokens, p.input_audio_tokens, p.output_audio_tokens, p.input_image_tokens,
           p.output_image_tokens, p.cache_storage_token_hours, p.web_search_requests, p.web_search_billable,
           p.hardware, p.compute_seconds, p.billed_by, r.compute_second AS r_compute,
           r.input AS r_input, r.cache_read AS r_cache_read, r.cache_write_5m AS r_cache_write_5m,
           r.cache_write_1h AS r_cache_write_1h, r.output AS r_output,
           coalesce(r.output_reasoning, r.output) AS r_reasoning,
           coalesce(r.input_audio, r.input) AS r_input_audio, coalesce(r.output_audio, r.output) AS r_output_audio,
           coalesce(r.input_image, r.input) AS r_input_image, coalesce(r.output_image, r.output) AS r_output_image,
           r.cache_storage AS r_cache_storage, r.web_search AS r_web_search,
           CASE WHEN r.context_above = 0 THEN 'base' ELSE 'above ' || r.context_above END AS context_band,
           t.discount_factor, t.input AS t_input, t.cache_read AS t_cache_read, t.cache_write_5m AS t_cache_write_5m,
           t.cache_write_1h AS t_cache_write_1h, t.cache_storage AS t_cache_storage, t.web_search AS t_web_search,
           -- The contract rates of a class pair (output and reasoning, audio or image in and out) apply only when
           -- every class of the pair with usage has one; otherwise the pair is list x discount, as when priced.
           CASE WHEN (p.output_tokens = p.reasoning_tokens OR t.output IS NOT NULL)
                 AND (p.reasoning_tokens = 0 OR coalesce(t.output_reasoning, t.output) IS NOT NULL)
                THEN true ELSE false END AS t_output_rates,
           t.output AS t_output, coalesce(t.output_reasoning, t.output) AS t_reasoning,
           CASE WHEN (p.input_audio_tokens = 0 OR t.input_audio IS NOT NULL)
                 AND (p.output_audio_tokens = 0 OR t.output_audio IS NOT NULL)
                THEN true ELSE false END AS t_audio_rates,
           t.input_audio AS t_input_audio, t.output_audio AS t_output_audio,
           CASE WHEN (p.input_image_tokens = 0 OR t.input_image IS NOT NULL)
                 AND (p.output_image_tokens = 0 OR t.output_image IS NOT NULL)
                THEN true ELSE false END AS t_image_rates,
           t.input_image AS t_input_image, t.output_image AS t_output_image,
           t.priority IS NOT NULL AS term_found,
           -- Where the terms have changed since the event was priced, its own contracted-to-list ratio stands in.
           CASE WHEN p.list_cost_usd > 0 THEN p.contracted_cost_usd / p.list_cost_usd END AS event_factor
    FROM core.usage_priced AS p
    JOIN core.price_rates AS r ON r.catalogue_version = p.catalogue_version AND r.rate_id = p.rate_id
    -- The contract term that set the contracted cost: the first of its contract, in file order, covering the event,
    -- from the contracts version the event was priced with (a newer file applies once the days are rebuilt).
    LEFT JOIN core.contract_terms AS t
      ON t.contracts_version = p.contracts_version
     AND t.contract_name = p.contract_name
     AND t.provider = p.price_provider
     AND p.model GLOB t.model_glob
     AND p.event_time >= t.effective_from
     AND (t.effective_to IS NULL OR p.event_time < t.effective_to)
    WHERE p.cost_status = 'priced'
    QUALIFY row_number() OVER (PARTITION BY p.event_id ORDER BY t.priority) = 1
),
summed AS (
    -- Events that share every price input (rates, contract term, pair rules) sum before they are split into token
    -- classes: a million requests become a few thousand groups.
    SELECT * EXCLUDE (event_id, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
                      output_tokens, reasoning_tokens, input_audio_tokens, output_audio_tokens, input_image_tokens,
                      output_image_tokens, cache_storage_token_hours, web_search_requests, web_search_billable,
                      compute_seconds, event_factor),
           CASE WHEN NOT term_found THEN event_factor END AS event_factor,
           sum(input_tokens) AS input_tokens, sum(cache_read_tokens) AS cache_read_tokens,
           sum(cache_write_5m_tokens) AS cache_write_5m_tokens, sum(cache_write_1h_tokens) AS cache_write_1h_tokens,
           sum(output_tokens) AS output_tokens, sum(reasoning_tokens) AS reasoning_tokens,
           sum(input_audio_tokens) AS input_audio_tokens, sum(output_audio_tokens) AS output_audio_tokens,
           sum(input_image_tokens) AS input_image_tokens, sum(output_image_tokens) AS output_image_tokens,
           sum(cache_storage_token_hours) AS cache_storage_token_hours,
           sum(web_search_requests) AS web_search_requests, sum(web_search_billable) AS web_search_billable,
           sum(compute_seconds) AS compute_seconds
    FROM priced
    GROUP BY ALL
),
lines AS (
    SELECT p.usage_date, p.price_provider, p.vendor, p.platform, p.model, p.project, p.service_tier, p.is_batch,
           p.rate_id, p.catalogue_version, p.time_window, p.contract_name, p.context_band, p.usd_per_unit,
           p.discount_factor, p.term_found, p.event_factor, p.hardware, p.billed_by,
           unnest([
               {'token_class': 'input', 'quantity': p.input_tokens, 'consumed': p.input_tokens,
                'list_rate': p.r_input, 'contract_rate': p.t_input, 'uncached_rate': NULL},
               {'token_class': 'cache_read', 'quantity': p.cache_read_tokens, 'consumed': p.cache_read_tokens,
                'list_rate': p.r_cache_read, 'contract_rate': p.t_cache_read, 'uncached_rate': p.r_input},
               {'token_class': 'cache_write_5m', 'quantity': p.cache_write_5m_tokens,
                'consumed': p.cache_write_5m_tokens, 'list_rate': p.r_cache_write_5m,
                'contract_rate': p.t_cache_write_5m, 'uncached_rate': NULL},
               {'token_class': 'cache_write_1h', 'quantity': p.cache_write_1h_tokens,
                'consumed': p.cache_write_1h_tokens, 'list_rate': p.r_cache_write_1h,
                'contract_rate': p.t_cache_write_1h, 'uncached_rate': NULL},
               {'token_class': 'output', 'quantity': p.output_tokens - p.reasoning_tokens,
                'consumed': p.output_tokens - p.reasoning_tokens, 'list_rate': p.r_output,
                'contract_rate': CASE WHEN p.t_output_rates THEN coalesce(p.t_output, 0) END, 'uncached_rate': NULL},
               {'token_class': 'reasoning', 'quantity': p.reasoning_tokens, 'consumed': p.reasoning_tokens,
                'list_rate': p.r_reasoning,
                'contract_rate': CASE WHEN p.t_output_rates THEN coalesce(p.t_reasoning, 0) END,
                'uncached_rate': NULL},
               {'token_class': 'input_audio', 'quantity': p.input_audio_tokens, 'consumed': p.input_audio_tokens,
                'list_rate': p.r_input_audio,
                'contract_rate': CASE WHEN p.t_audio_rates THEN coalesce(p.t_input_audio, 0) END,
                'uncached_rate': NULL},
               {'token_class': 'output_audio', 'quantity': p.output_audio_tokens, 'consumed': p.output_audio_tokens,
                'list_rate': p.r_output_audio,
                'contract_rate': CASE WHEN p.t_audio_rates THEN coalesce(p.t_output_audio, 0) END,
                'uncached_rate': NULL},
               {'token_class': 'input_image', 'quantity': p.input_image_tokens, 'consumed': p.input_image_tokens,
                'list_rate': p.r_input_image,
                'contract_rate': CASE WHEN p.t_image_rates THEN coalesce(p.t_input_image, 0) END,
                'uncached_rate': NULL},
               {'token_class': 'output_image', 'quantity': p.output_image_tokens, 'consumed': p.output_image_tokens,
                'list_rate': p.r_output_image,
                'contract_rate': CASE WHEN p.t_image_rates THEN coalesce(p.t_output_image, 0) END,
                'uncached_rate': NULL},
               {'token_class': 'cache_storage', 'quantity': p.cache_storage_token_hours,
                'consumed': p.cache_storage_token_hours, 'list_rate': p.r_cache_storage,
                'contract_rate': p.t_cache_storage, 'uncached_rate': NULL},
               -- Calls within a free allowance are consumed but not priced.
               {'token_class': 'web_search', 'quantity': p.web_search_billable, 'consumed': p.web_search_requests,
                'list_rate': p.r_web_search, 'contract_rate': p.t_web_search, 'uncached_rate': NULL},
               -- Seconds on a hardware SKU; contract rates are per token, so only the discount applies.
               {'token_class': 'compute', 'quantity': p.compute_seconds, 'consumed': p.compute_seconds,
                'list_rate': p.r_compute, 'contract_rate': NULL, 'uncached_rate': NULL}
           ], recursive := true)
    FROM summed AS p
),
units AS (
    SELECT l.*,
           CAST(l.list_rate * l.usd_per_unit AS DECIMAL(38, 18)) AS list_unit_price,
           CAST(l.uncached_rate * l.usd_per_unit AS DECIMAL(38, 18)) AS uncached_unit_price,
           CASE WHEN l.contract_name IS NULL THEN CAST(l.list_rate * l.usd_per_unit AS DECIMAL(38, 18))
                WHEN NOT l.term_found
                THEN CAST(l.list_rate * l.usd_per_unit * coalesce(l.event_factor, 1) AS DECIMAL(38, 18))
                WHEN l.contract_rate IS NOT NULL THEN CAST(l.contract_rate AS DECIMAL(38, 18))
                ELSE CAST(l.list_rate * l.usd_per_unit * coalesce(l.discount_factor, 1) AS DECIMAL(38, 18))
           END AS contracted_unit_price
    FROM lines AS l
    -- A request billed by time has its seconds as its one SKU; one billed by tokens, its token classes.
    WHERE l.consumed > 0 AND (l.billed_by = 'seconds') = (l.token_class = 'compute')
),
grouped AS (
    SELECT usage_date, price_provider, vendor, platform, model, project, token_class, hardware, service_tier,
           is_batch, rate_id, catalogue_version, time_window, contract_name, context_band,
           list_unit_price, contracted_unit_price, uncached_unit_price,
           -- The account that invoices: the cloud or gateway in between, else the vendor itself.
           CASE WHEN platform = 'direct' THEN price_provider ELSE platform END AS billing_party,
           CAST(sum(quantity) AS DECIMAL(20, 6)) AS pricing_quantity,
           CAST(sum(consumed) AS DECIMAL(20, 6)) AS consumed_quantity
    FROM units
    GROUP BY ALL
)
SELECT
    CAST(g.contracted_unit_price * g.pricing_quantity AS DECIMAL(38, 24)) AS BilledCost,
    g.billing_party AS BillingAccountId,
    NULL::VARCHAR AS BillingAccountName,
    'USD' AS BillingCurrency,
    timezone('UTC', (date_trunc('month', g.usage_date) + INTERVAL 1 MONTH)::TIMESTAMP) AS BillingPeriodEnd,
    timezone('UTC', date_trunc('month', g.usage_date)::TIMESTAMP) AS BillingPeriodStart,
    'Usage' AS ChargeCategory,
    NULL::VARCHAR AS ChargeClass,
    g.model || ' ' || meter.label
        || CASE WHEN g.is_batch THEN ', batch' ELSE '' END
        || CASE WHEN g.service_tier <> 'standard' THEN ', ' || g.service_tier || ' tier' ELSE '' END
        || CASE WHEN g.context_band <> 'base' THEN ', context ' || g.context_band || ' tokens' ELSE '' END
        || CASE WHEN g.time_window IS NOT NULL THEN ', ' || g.time_window ELSE '' END
        || CASE WHEN g.token_class = 'compute' THEN ' on ' || g.hardware ELSE '' END AS ChargeDescription,
    'Usage-Based' AS ChargeFrequency,
    timezone('UTC', (g.usage_date + INTERVAL 1 DAY)::TIMESTAMP) AS ChargePeriodEnd,
    timezone('UTC', g.usage_date::TIMESTAMP) AS ChargePeriodStart,
    g.consumed_quantity AS ConsumedQuantity,
    meter.unit AS ConsumedUnit,
    CAST(g.contracted_unit_price * g.pricing_quantity AS DECIMAL(38, 24)) AS ContractedCost,
    g.contracted_unit_price AS ContractedUnitPrice,
    CAST(g.contracted_unit_price * g.pricing_quantity AS DECIMAL(38, 24)) AS EffectiveCost,
    NULL::VARCHAR AS InvoiceId,
    coalesce(issuer.display_name, g.billing_party) AS InvoiceIssuerName,
    CAST(g.list_unit_price * g.pricing_quantity AS DECIMAL(38, 24)) AS ListCost,
    g.list_unit_price AS ListUnitPrice,
    'Standard' AS PricingCategory,
    g.pricing_quantity AS PricingQuantity,
    meter.unit AS PricingUnit,
    coalesce(issuer.display_name, g.billing_party) AS ProviderName,
    coalesce(publisher.display_name, g.vendor) AS PublisherName,
    'AI and Machine Learning' AS ServiceCategory,
    coalesce(issuer.service_name, g.billing_party) AS ServiceName,
    'Generative AI' AS ServiceSubcategory,
    CASE WHEN g.token_class = 'compute' THEN g.price_provider || '/hardware/' || g.hardware
         ELSE g.price_provider || '/' || g.model || '/' || g.token_class END AS SkuId,
    meter.meter AS SkuMeter,
    CASE WHEN g.token_class = 'compute'
         THEN to_json({'x_TokenClass': g.token_class, 'x_Hardware': g.hardware})
         ELSE to_json({'x_TokenClass': g.token_class, 'x_ServiceTier': g.service_tier, 'x_Batch': g.is_batch,
                       'x_ContextBand': g.context_band, 'x_TimeWindow': g.time_window})
    END::VARCHAR AS SkuPriceDetails,
    g.rate_id || '/' || g.token_class AS SkuPriceId,
    g.project AS SubAccountId,
    g.project AS SubAccountName,
    CASE WHEN g.project IS NOT NULL THEN 'Project' END AS SubAccountType,
    g.token_class AS x_TokenClass,
    g.platform AS x_Platform,
    g.model AS x_Model,
    g.service_tier AS x_ServiceTier,
    g.is_batch AS x_Batch,
    g.context_band AS x_ContextBand,
    g.time_window AS x_TimeWindow,
    CASE WHEN g.token_class = 'compute' THEN g.hardware END AS x_Hardware,
    g.contract_name AS x_ContractName,
    g.catalogue_version AS x_CatalogueVersion,
    CAST(g.uncached_unit_price * g.pricing_quantity AS DECIMAL(38, 24)) AS x_UncachedEquivalentCost,
    CAST(g.uncached_unit_price * g.pricing_quantity - g.list_unit_price * g.pricing_quantity AS DECIMAL(38, 24))
        AS x_CacheSavings
FROM grouped AS g
JOIN (VALUES ('input', 'Input Tokens', 'input tokens', 'Tokens'),
             ('cache_read', 'Cache Read Input Tokens', 'cache read tokens', 'Tokens'),
             ('cache_write_5m', 'Cache Write Input Tokens (5 minutes)', 'cache write tokens (5m TTL)', 'Tokens'),
             ('cache_write_1h', 'Cache Write Input Tokens (1 hour)', 'cache write tokens (1h TTL)', 'Tokens'),
             ('output', 'Output Tokens', 'output tokens', 'Tokens'),
             ('reasoning', 'Reasoning Output Tokens', 'reasoning tokens', 'Tokens'),
             ('input_audio', 'Audio Input Tokens', 'audio input tokens', 'Tokens'),
             ('output_audio', 'Audio Output Tokens', 'audio output tokens', 'Tokens'),
             ('input_image', 'Image Input Tokens', 'image input tokens', 'Tokens'),
             ('output_image', 'Image Output Tokens', 'image output tokens', 'Tokens'),
             ('cache_storage', 'Cache Storage', 'cache storage', 'Token-Hours'),
             ('web_search', 'Web Search Calls', 'web search calls', 'Requests'),
             ('compute', 'Compute Seconds', 'compute seconds', 'Seconds'))
    AS meter (token_class, meter, label, unit) USING (token_class)
LEFT JOIN parties AS issuer ON issuer.party = g.billing_party
LEFT JOIN parties AS publisher ON publisher.party = g.vendor;
COMMENT ON VIEW marts.focus_v1_2 IS 'LLM usage and cost as FinOps FOCUS 1.2 rows: one per day x provider x model x token class x project and SKU price; priced requests only.';
COMMENT ON COLUMN marts.focus_v1_2.BilledCost IS 'FOCUS: what is invoiced, USD: the contracted cost (list cost where no contract applies).';
COMMENT ON COLUMN marts.focus_v1_2.BillingAccountId IS 'FOCUS: the account invoiced, named by its issuer (bedrock, azure, vertex, openrouter, or the vendor for direct calls); provider account ids are not in usage logs.';
COMMENT ON COLUMN marts.focus_v1_2.BillingAccountName IS 'FOCUS: NULL (usage logs do not name the billing account).';
COMMENT ON COLUMN marts.focus_v1_2.BillingCurrency IS 'FOCUS: USD (costs in other catalogue currencies are converted at the dated exchange rate).';
COMMENT ON COLUMN marts.focus_v1_2.BillingPeriodEnd IS 'FOCUS: exclusive end of the billing period, the first instant of the next calendar month (UTC).';
COMMENT ON COLUMN marts.focus_v1_2.BillingPeriodStart IS 'FOCUS: inclusive start of the billing period, the calendar month of the charge (UTC).';
COMMENT ON COLUMN marts.focus_v1_2.ChargeCategory IS 'FOCUS: Usage.';
COMMENT ON COLUMN marts.focus_v1_2.ChargeClass IS 'FOCUS: NULL (no row corrects an earlier invoice).';
COMMENT ON COLUMN marts.focus_v1_2.ChargeDescription IS 'FOCUS: model and token class, with tier, batch, context band and time window where they set the price; compute seconds name the hardware they ran on.';
COMMENT ON COLUMN marts.focus_v1_2.ChargeFrequency IS 'FOCUS: Usage-Based.';
COMMENT ON COLUMN marts.focus_v1_2.ChargePeriodEnd IS 'FOCUS: exclusive end of the charge period, midnight after the usage day (UTC).';
COMMENT ON COLUMN marts.focus_v1_2.ChargePeriodStart IS 'FOCUS: inclusive start of the charge period, midnight of the usage day (UTC).';
COMMENT ON COLUMN marts.focus_v1_2.ConsumedQuantity IS 'FOCUS: tokens (token-hours, calls, hardware seconds) used, free web-search calls included.';
COMMENT ON COLUMN marts.focus_v1_2.ConsumedUnit IS 'FOCUS: Tokens, Token-Hours (cache storage), Requests (web search) or Seconds (hardware time on Replicate, Modal).';
COMMENT ON COLUMN marts.focus_v1_2.ContractedCost IS 'FOCUS: ContractedUnitPrice x PricingQuantity, USD.';
COMMENT ON COLUMN marts.focus_v1_2.ContractedUnitPrice IS 'FOCUS: USD per unit under the contract overlay (a contract rate, or list x discount); the list price where no contract applies.';
COMMENT ON COLUMN marts.focus_v1_2.EffectiveCost IS 'FOCUS: the contracted cost, USD (commitments are not amortised into rows; see marts.contract_commitments).';
COMMENT ON COLUMN marts.focus_v1_2.InvoiceId IS 'FOCUS: NULL (usage logs do not say which invoice a charge lands on).';
COMMENT ON COLUMN marts.focus_v1_2.InvoiceIssuerName IS 'FOCUS: who invoices: AWS for Bedrock, Microsoft for Azure, Google for Vertex AI, the gateway (OpenRouter), else the vendor.';
COMMENT ON COLUMN marts.focus_v1_2.ListCost IS 'FOCUS: ListUnitPrice x PricingQuantity, USD, at the catalogue price in force at each request.';
COMMENT ON COLUMN marts.focus_v1_2.ListUnitPrice IS 'FOCUS: published USD price per unit of this SKU price (per token, token-hour, call or second).';
COMMENT ON COLUMN marts.focus_v1_2.PricingCategory IS 'FOCUS: Standard (batch and service tiers are their own published prices, not commitments).';
COMMENT ON COLUMN marts.focus_v1_2.PricingQuantity IS 'FOCUS: units priced: tokens, token-hours, seconds of hardware, or web-search calls beyond the free allowance.';
COMMENT ON COLUMN marts.focus_v1_2.PricingUnit IS 'FOCUS: Tokens, Token-Hours, Requests or Seconds.';
COMMENT ON COLUMN marts.focus_v1_2.ProviderName IS 'FOCUS: who made the service available: the cloud or gateway in between, else the vendor.';
COMMENT ON COLUMN marts.focus_v1_2.PublisherName IS 'FOCUS: who made the model (Anthropic for Claude on Bedrock).';
COMMENT ON COLUMN marts.focus_v1_2.ServiceCategory IS 'FOCUS: AI and Machine Learning.';
COMMENT ON COLUMN marts.focus_v1_2.ServiceName IS 'FOCUS: the offering: Amazon Bedrock, Azure OpenAI, Vertex AI, OpenAI API, Claude API, Gemini API ...';
COMMENT ON COLUMN marts.focus_v1_2.ServiceSubcategory IS 'FOCUS: Generative AI.';
COMMENT ON COLUMN marts.focus_v1_2.SkuId IS 'FOCUS: provider/model/token class; provider/hardware/<SKU> for seconds of hardware.';
COMMENT ON COLUMN marts.focus_v1_2.SkuMeter IS 'FOCUS: what is metered: Input Tokens, Cache Read Input Tokens, Output Tokens ...';
COMMENT ON COLUMN marts.focus_v1_2.SkuPriceDetails IS 'FOCUS: JSON of what sets the price: token class, service tier, batch, context band, time window.';
COMMENT ON COLUMN marts.focus_v1_2.SkuPriceId IS 'FOCUS: the catalogue rate (core.price_rates.rate_id) and token class.';
COMMENT ON COLUMN marts.focus_v1_2.SubAccountId IS 'FOCUS: the project (OpenAI project, Anthropic workspace, tag); NULL when the log names none.';
COMMENT ON COLUMN marts.focus_v1_2.SubAccountName IS 'FOCUS: the project name.';
COMMENT ON COLUMN marts.focus_v1_2.SubAccountType IS 'FOCUS: Project where a project is named.';
COMMENT ON COLUMN marts.focus_v1_2.x_TokenClass IS 'input, cache_read, cache_write_5m, cache_write_1h, output, reasoning, input_audio, output_audio, input_image, output_image, cache_storage, web_search or compute (hardware seconds).';
COMMENT ON COLUMN marts.focus_v1_2.x_Platform IS 'Where the requests were served: direct, bedrock, azure, vertex, openrouter ...';
COMMENT ON COLUMN marts.focus_v1_2.x_Model IS 'Canonical model id from the pricing catalogue.';
COMMENT ON COLUMN marts.focus_v1_2.x_ServiceTier IS 'Service tier that set the price (standard, flex, priority ...).';
COMMENT ON COLUMN marts.focus_v1_2.x_Batch IS 'True for batch API requests.';
COMMENT ON COLUMN marts.focus_v1_2.x_ContextBand IS 'base, or above N for a long-context price band.';
COMMENT ON COLUMN marts.focus_v1_2.x_TimeWindow IS 'Time-of-day price window (e.g. off_peak), NULL for the default price.';
COMMENT ON COLUMN marts.focus_v1_2.x_Hardware IS 'The hardware SKU of a compute row (Replicate gpu-a100-large, Modal h100 ...); NULL for token classes.';
COMMENT ON COLUMN marts.focus_v1_2.x_ContractName IS 'Contract overlay term that set ContractedUnitPrice, NULL when none applies.';
COMMENT ON COLUMN marts.focus_v1_2.x_CatalogueVersion IS 'Pricing catalogue version the requests were priced with.';
COMMENT ON COLUMN marts.focus_v1_2.x_UncachedEquivalentCost IS 'Cache-read rows: what the tokens would have cost at the uncached input price, USD.';
COMMENT ON COLUMN marts.focus_v1_2.x_CacheSavings IS 'Cache-read rows: x_UncachedEquivalentCost - ListCost, USD.';
