"""Asset checks: contract checks block downstream assets; the unpriced share only warns."""


import dagster as dg

from pipelines.assets.daily import daily_model_spend, daily_project_spend, gpu_allocation, usage_events
from pipelines.resources import SourcesResource, WarehouseResource

_TOKENS = ("input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
           "output_tokens", "reasoning_tokens", "web_search_requests")


def _scalar(warehouse: WarehouseResource, sql: str) -> int:
    with warehouse.connection() as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0] or 0) if row else 0


@dg.asset_check(asset=usage_events, blocking=True, description="No token or call count is negative.")
def usage_events_non_negative_tokens(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    condition = " OR ".join(f"{c} < 0" for c in _TOKENS) + " OR reasoning_tokens > output_tokens"
    bad = _scalar(warehouse, f"SELECT count(*) FROM core.usage_events WHERE {condition}")
    return dg.AssetCheckResult(passed=bad == 0, metadata={"bad_rows": bad})


@dg.asset_check(asset=usage_events, blocking=True, description="event_id is unique: each request counts once.")
def usage_events_unique_event_id(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    dupes = _scalar(warehouse, "SELECT count(*) - count(DISTINCT event_id) FROM core.usage_events")
    return dg.AssetCheckResult(passed=dupes == 0, metadata={"duplicate_rows": dupes})


@dg.asset_check(asset=usage_events, blocking=False,
                description="Warns when a provider's day has both aggregate report buckets and per-request logs.")
def usage_events_aggregates_beside_requests(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """A usage report (admin API, dashboard export) carries no request ids, so nothing can tell which of its
    requests a per-request log also holds: both are counted. Feed one or the other per provider."""
    with warehouse.connection() as conn:
        overlaps = conn.execute(
            "SELECT provider || ' ' || usage_date::VARCHAR FROM core.usage_events GROUP BY provider, usage_date"
            " HAVING count(DISTINCT record_grain = 'bucket') = 2 ORDER BY 1"
        ).fetchall()
    return dg.AssetCheckResult(
        passed=not overlaps,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"overlapping_days": len(overlaps),
                  "examples": ", ".join(row[0] for row in overlaps[:5]) or "none"},
    )


def _grain_check(asset: dg.AssetsDefinition, table: str, grain: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset, blocking=True, name=f"{table.split('.')[1]}_unique_grain",
                    description=f"One row per {grain.replace(', ', ' x ')}.")
    def check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        dupes = _scalar(
            warehouse, f"SELECT count(*) FROM (SELECT {grain} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
        )
        return dg.AssetCheckResult(passed=dupes == 0, metadata={"duplicate_keys": dupes})

    return check


daily_model_spend_unique_grain = _grain_check(daily_model_spend, "marts.daily_model_spend",
                                              "usage_date, provider, model, hardware")
daily_project_spend_unique_grain = _grain_check(daily_project_spend, "marts.daily_project_spend",
                                                "usage_date, provider, project, api_key_id, model, hardware")


# On the allocation, not the pricing: a self-hosted request has no list price but does have its GPU cost.
@dg.asset_check(asset=gpu_allocation, blocking=False,
                description="Warns when more than the configured share of requests has no price (nor a self-hosted "
                "GPU cost), or any seconds of hardware have none.")
def usage_priced_unpriced_share(warehouse: WarehouseResource, sources: SourcesResource) -> dg.AssetCheckResult:
    with warehouse.connection() as conn:
        total, unpriced, seconds = conn.execute(
            "SELECT coalesce(sum(requests), 0), coalesce(sum(requests) FILTER (WHERE cost_status <> 'priced'"
            " AND event_id NOT IN (SELECT event_id FROM core.gpu_allocation)), 0),"
            " coalesce(sum(compute_seconds) FILTER (WHERE cost_status <> 'priced' AND billed_by = 'seconds'), 0)"
            " FROM core.usage_priced"
        ).fetchone() or (0, 0, 0)
        worst = conn.execute(
            "SELECT provider || '/' || model || ' (' || cost_status || ')', sum(requests) FROM core.usage_priced"
            " WHERE cost_status <> 'priced' AND event_id NOT IN (SELECT event_id FROM core.gpu_allocation)"
            " GROUP BY ALL ORDER BY 2 DESC LIMIT 5"
        ).fetchall()
    share = unpriced / total if total else 0.0
    return dg.AssetCheckResult(
        passed=share <= sources.unpriced_share_warn and not seconds,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"unpriced_requests": int(unpriced), "share": round(share, 6),
                  "unpriced_hardware_seconds": float(seconds),
                  "threshold": sources.unpriced_share_warn,
                  "top_unpriced": ", ".join(f"{name}: {int(n)}" for name, n in worst) or "none"},
    )


@dg.asset_check(asset=daily_model_spend, blocking=False,
                description="Warns when computed cost drifts from the cost the provider or gateway reported by more "
                "than the configured percentage (marts.cost_reconciliation).")
def cost_reconciliation_drift(warehouse: WarehouseResource, sources: SourcesResource) -> dg.AssetCheckResult:
    """Drift means the catalogue or the contract overlay is wrong, or usage is missing from the landing folder.
    Cents of rounding on a tiny day are not drift: a row must also differ by a cent or more."""
    with warehouse.connection() as conn:
        drifting = conn.execute(
            "SELECT usage_date::VARCHAR || ' ' || provider || CASE WHEN model = '*' THEN '' ELSE '/' || model END"
            " || ' ' || source || ': computed $' || round(contracted_cost_usd, 2)::VARCHAR || ' vs reported $'"
            " || round(reported_cost_usd, 2)::VARCHAR || ' (' || difference_pct::VARCHAR || '%)'"
            " FROM marts.cost_reconciliation WHERE abs(difference_usd) >= 0.01"
            " AND (difference_pct IS NULL OR abs(difference_pct) > ?) ORDER BY abs(difference_usd) DESC",
            [sources.reconciliation_drift_pct]).fetchall()
    return dg.AssetCheckResult(
        passed=not drifting, severity=dg.AssetCheckSeverity.WARN,
        metadata={"drifting_rows": len(drifting), "threshold_pct": sources.reconciliation_drift_pct,
                  "worst": "; ".join(row[0] for row in drifting[:5]) or "none"},
    )


ALL_CHECKS = [
    usage_events_non_negative_tokens,
    usage_events_unique_event_id,
    usage_events_aggregates_beside_requests,
    daily_model_spend_unique_grain,
    daily_project_spend_unique_grain,
    usage_priced_unpriced_share,
    cost_reconciliation_drift,
]
