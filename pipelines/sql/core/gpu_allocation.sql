-- Each self-hosted request's share of its deployment's GPU cost that day: weighted tokens over the day's total.
CREATE TABLE IF NOT EXISTS core.gpu_allocation (
    event_id           VARCHAR NOT NULL,
    usage_date         DATE NOT NULL,
    deployment         VARCHAR NOT NULL,
    weighted_tokens    DECIMAL(24, 4) NOT NULL,
    allocated_cost_usd DECIMAL(24, 12) NOT NULL
);
