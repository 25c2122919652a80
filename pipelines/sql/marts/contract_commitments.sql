-- Committed spend per contract term against the contracted cost of the requests the term covers (its provider and
-- model patterns, inside the term; a request shared by two terms counts toward the first), always current: a view
-- over core.usage_priced and core.contract_terms.
CREATE OR REPLACE VIEW marts.contract_commitments AS
WITH terms AS (
    SELECT contract_name, provider, effective_from, effective_to, commitment_usd, min(priority) AS priority
    FROM core.contract_terms
    WHERE commitment_usd IS NOT NULL
    GROUP BY ALL
),
covered AS (
    -- A request draws down the first commitment (in file order) that covers it, never two.
    SELECT t.contract_name, u.usage_date, u.contracted_cost_usd, u.list_cost_usd
    FROM terms AS t
    JOIN core.usage_priced AS u
      ON u.price_provider = t.provider
     AND u.event_time >= t.effective_from
     AND u.event_time < t.effective_to
    WHERE EXISTS (SELECT 1 FROM core.contract_terms AS g
                  WHERE g.contract_name = t.contract_name AND u.model GLOB g.model_glob)
    QUALIFY row_number() OVER (PARTITION BY u.event_id ORDER BY t.priority) = 1
)
SELECT t.contract_name, t.provider,
       t.effective_from::DATE AS term_start,
       (t.effective_to - INTERVAL 1 DAY)::DATE AS term_end,
       t.commitment_usd,
       coalesce(sum(c.contracted_cost_usd), 0) AS contracted_spend_usd,
       coalesce(sum(c.list_cost_usd), 0) AS list_spend_usd,
       max(c.usage_date) AS last_usage_date,
       round(coalesce(sum(c.contracted_cost_usd), 0) / t.commitment_usd, 4) AS share_consumed,
       round(least(greatest(date_diff('day', t.effective_from::DATE, current_date), 0),
                   date_diff('day', t.effective_from::DATE, t.effective_to::DATE))
             / date_diff('day', t.effective_from::DATE, t.effective_to::DATE), 4) AS share_of_term_elapsed
FROM terms AS t
LEFT JOIN covered AS c USING (contract_name)
GROUP BY t.contract_name, t.provider, t.effective_from, t.effective_to, t.commitment_usd;
COMMENT ON VIEW marts.contract_commitments IS 'Committed spend per contract term and how much of it the covered requests have used (contracted cost).';
COMMENT ON COLUMN marts.contract_commitments.contract_name IS 'The contract, as named in your contracts file.';
COMMENT ON COLUMN marts.contract_commitments.provider IS 'The catalogue whose requests the contract covers.';
COMMENT ON COLUMN marts.contract_commitments.term_start IS 'First day of the committed term (UTC).';
COMMENT ON COLUMN marts.contract_commitments.term_end IS 'Last day of the committed term (UTC).';
COMMENT ON COLUMN marts.contract_commitments.commitment_usd IS 'Spend committed for the term, USD.';
COMMENT ON COLUMN marts.contract_commitments.contracted_spend_usd IS 'Contracted cost of the covered requests so far in the term, USD: what draws the commitment down.';
COMMENT ON COLUMN marts.contract_commitments.list_spend_usd IS 'List cost of the same requests, USD.';
COMMENT ON COLUMN marts.contract_commitments.last_usage_date IS 'Last day with a covered request.';
COMMENT ON COLUMN marts.contract_commitments.share_consumed IS 'contracted_spend_usd / commitment_usd (1 = used up).';
COMMENT ON COLUMN marts.contract_commitments.share_of_term_elapsed IS 'Share of the term''s days gone by today (compare with share_consumed to see over- or under-use).';
