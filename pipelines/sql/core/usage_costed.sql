-- Each priced event with its share of a self-hosted deployment's GPU cost (NULL for everything else): what the
-- project spend mart aggregates (the model mart rolls that up), so API list cost and GPU cost sit side by side,
-- never mixed.
CREATE OR REPLACE VIEW core.usage_costed AS
SELECT p.*, a.allocated_cost_usd AS selfhosted_cost_usd
FROM core.usage_priced AS p
LEFT JOIN core.gpu_allocation AS a ON a.event_id = p.event_id;
