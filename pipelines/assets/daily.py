"""The daily-partitioned tables: events, priced events and the spend marts. A run covers a range of days at once."""


from datetime import date, timedelta

import dagster as dg
import duckdb

from pipelines.assets.ingest import usage_files
from pipelines.assets.pricing import contract_terms, price_rates
from pipelines.partitions import daily_partitions
from pipelines.pricing.store import current_catalogue_version, resolve_models
from pipelines.resources import SourcesResource, WarehouseResource
from pipelines.selfhosted.deployments import write_gpu_deployments
from pipelines.warehouse import rebuild_days

# The schedule runs at 02:00 UTC; a mart older than a day and a half means a run was missed.
_FRESH = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=36))
_DAILY = {
    "partitions_def": daily_partitions,
    "backfill_policy": dg.BackfillPolicy.single_run(),
    "pool": "duckdb_writer",
    "kinds": {"duckdb", "sql"},
}


def day_range(context: dg.AssetExecutionContext) -> tuple[date, date]:
    window = context.partition_key_range
    return date.fromisoformat(window.start), date.fromisoformat(window.end)


def _versions(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    catalogue = current_catalogue_version(conn)
    if catalogue is None:
        raise dg.Failure("core.price_rates is empty: materialise core/price_rates (meterline run does) first")
    row = conn.execute("SELECT any_value(contracts_version) FROM core.contract_terms").fetchone()
    return {"catalogue_version": catalogue, "contracts_version": str(row[0]) if row and row[0] else "none"}


def _later_days_on_monthly_quotas(conn: duckdb.DuckDBPyConnection, first: date, last: date) -> tuple[date, date] | None:
    """Priced days after `last` that share a monthly allowance with [first, last]: a monthly quota couples days."""
    row = conn.execute(
        "SELECT min(usage_date), max(usage_date) FROM core.usage_priced WHERE usage_date > ? AND quota_group IN ("
        " SELECT DISTINCT quota_group FROM core.usage_priced WHERE usage_date BETWEEN ? AND ?"
        " AND regexp_matches(quota_group, '/\\d{4}-\\d{2}$'))",
        [last, first, last],
    ).fetchone()
    return (row[0], row[1]) if row and row[0] is not None else None


@dg.asset(key=["core", "usage_events"], group_name="core", deps=[usage_files, price_rates], **_DAILY,
          description="One row per request, deduplicated by event_id, with the canonical model id.")
def usage_events(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource
) -> dg.MaterializeResult:
    first, last = day_range(context)
    catalogue = sources.catalogue()
    with warehouse.connection() as conn:
        resolved = resolve_models(conn, catalogue, first, last, sources.deployments(), sources.hardware_map())
        unknown = {raw for _, _, raw, resolution in resolved if not resolution.known}
        rows = rebuild_days(conn, "core.usage_events", first, last)
        if unknown:
            # A request that ran on named hardware is priced by that hardware, not by its model.
            by_tokens = {raw for (raw,) in conn.execute(
                "SELECT DISTINCT model_raw FROM core.usage_events"
                " WHERE usage_date BETWEEN ? AND ? AND hardware IS NULL", [first, last]).fetchall()}
            if unknown & by_tokens:
                context.log.warning("models not in the catalogue (flagged unpriced): "
                                    + ", ".join(sorted(unknown & by_tokens)))
    context.log.info(f"core.usage_events {first} .. {last}: {rows:,} events")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "days": f"{first} .. {last}"})


@dg.asset(key=["core", "usage_priced"], group_name="core", deps=[usage_events, contract_terms], **_DAILY,
          description="Each event priced at the rate in force at its time; cost_status flags what has no price.")
def usage_priced(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    first, last = day_range(context)
    with warehouse.connection() as conn:
        versions = _versions(conn)
        rows = rebuild_days(conn, "core.usage_priced", first, last, versions)
        later = _later_days_on_monthly_quotas(conn, first, last)
        # Seconds on hardware the catalogue lacks: an export's buckets may count no requests, so name them here.
        unknown_hardware = conn.execute(
            "SELECT price_provider || '/' || hardware, sum(compute_seconds) FROM core.usage_priced"
            " WHERE usage_date BETWEEN ? AND ? AND billed_by = 'seconds' AND cost_status <> 'priced'"
            " GROUP BY ALL ORDER BY 1", [first, last]).fetchall()
    context.log.info(f"core.usage_priced {first} .. {last}: {rows:,} events priced with catalogue "
                     f"{versions['catalogue_version']}, contracts {versions['contracts_version']}")
    if unknown_hardware:
        context.log.warning("hardware without a price (flagged unpriced): "
                            + ", ".join(f"{name} ({seconds:,} s)" for name, seconds in unknown_hardware))
    if later is not None:
        context.log.warning(
            f"{later[0]} .. {later[1]} draw on the same monthly free web-search allowance as these days and were "
            f"not rebuilt: their billable calls may be stale; run `meterline reprice --from {later[0]} --to "
            f"{later[1]}`")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, **versions})


@dg.asset(key=["core", "gpu_allocation"], group_name="core", deps=[usage_priced], **_DAILY,
          description="Each self-hosted request's share of its GPU deployment's cost that day, by weighted tokens.")
def gpu_allocation(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                   sources: SourcesResource) -> dg.MaterializeResult:
    first, last = day_range(context)
    config = sources.selfhosted_config()
    with warehouse.connection() as conn:
        write_gpu_deployments(conn, config)
        rows = rebuild_days(conn, "core.gpu_allocation", first, last)
    if config.deployments:
        context.log.info(f"core.gpu_allocation {first} .. {last}: {rows:,} requests on "
                         f"{len(config.deployments)} self-hosted deployments")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "deployments": len(config.deployments)})


@dg.asset(key=["marts", "selfhosted_daily"], group_name="marts", deps=[gpu_allocation], **_DAILY,
          description="Self-hosted deployments per day: GPU cost, tokens served, cost per 1M tokens, utilisation, "
          "idle cost.")
def selfhosted_daily(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    first, last = day_range(context)
    with warehouse.connection() as conn:
        rows = rebuild_days(conn, "marts.selfhosted_daily", first, last)
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})


@dg.asset(key=["marts", "daily_project_spend"], group_name="marts", deps=[usage_priced, gpu_allocation],
          freshness_policy=_FRESH,
          **_DAILY,
          description="Daily spend per provider, project, API key and model.")
def daily_project_spend(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    first, last = day_range(context)
    with warehouse.connection() as conn:
        rows = rebuild_days(conn, "marts.daily_project_spend", first, last)
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})


@dg.asset(key=["marts", "daily_model_spend"], group_name="marts", deps=[daily_project_spend],
          freshness_policy=_FRESH,
          **_DAILY,
          description="Daily spend per provider and model: the project mart rolled up.")
def daily_model_spend(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    first, last = day_range(context)
    with warehouse.connection() as conn:
        rows = rebuild_days(conn, "marts.daily_model_spend", first, last)
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})
