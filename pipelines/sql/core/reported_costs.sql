-- What the providers say they charged, one row per report bucket and group (`cost_id`), always current: a view over
-- staging.reported_costs. A bucket landed more than once (a later pull or export restates recent days) counts once,
-- as its most recently loaded copy (loaded together: the file whose name sorts last).
CREATE OR REPLACE VIEW core.reported_costs AS
SELECT c.cost_id, c.bucket_start, c.bucket_end, c.cost_date, c.provider, c.project, c.api_key_id, c.model,
       c.line_item, c.cost_type, c.token_type, c.service_tier, c.quantity, c.quantity_unit, c.amount_original,
       c.currency, c.amount_usd, c.source_format, c.source_file, c.source_line
FROM staging.reported_costs AS c
LEFT JOIN raw.file_ledger AS l USING (source_file)
QUALIFY row_number() OVER (PARTITION BY c.cost_id
                           ORDER BY l.loaded_at DESC NULLS LAST, c.source_file DESC, c.source_line DESC) = 1;
