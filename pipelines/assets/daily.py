"""The daily-partitioned tables: events, priced events and the spend marts. A run covers a range of days at once."""


from datetime import date, timedelta

import dagster as dg
import duckdb

from pipelines.assets.ingest import usage_files
from pipelines.assets.pricing import price_rates
from pipelines.partitions import daily_partitions
from pipelines.pricing.store import resolve_models
from pipelines.resources import SourcesResource, WarehouseResource
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


def _current_catalogue_version(conn: duckdb.DuckDBPyConnection) -> str:
    row = conn.execute("SELECT any_value(catalogue_version) FROM core.price_rates").fetchone()
    if not row or row[0] is None:
        raise dg.Failure("core.price_rates is empty: materialise core/price_rates (meterline run does) first")
    return str(row[0])


@dg.asset(key=["core", "usage_events"], group_name="core", deps=[usage_files, price_rates], **_DAILY,
          description="One row per request, deduplicated by event_id, with the canonical model id.")
def usage_events(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource
) -> dg.MaterializeResult:
    first, last = day_range(context)
    catalogue = sources.catalogue()
    with warehouse.connection() as conn:
        resolved = resolve_models(conn, catalogue, first, last)
        unknown = sorted({raw for _, raw, _, known in resolved if not known})
        if unknown:
            context.log.warning(f"models not in the catalogue (flagged unpriced): {', '.join(unknown)}")
        rows = rebuild_days(conn, "core.usage_events", first, last)
    context.log.info(f"core.usage_events {first} .. {last}: {rows:,} events")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "days": f"{first} .. {last}"})


@dg.asset(key=["core", "usage_priced"], group_name="core", deps=[usage_events], **_DAILY,
          description="Each event priced at the rate in force at its time; cost_status flags what has no price.")
def usage_priced(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    first, last = day_range(context)
    with warehouse.connection() as conn:
        version = _current_catalogue_version(conn)
        rows = rebuild_days(conn, "core.usage_priced", first, last, {"catalogue_version": version})
    context.log.info(f"core.usage_priced {first} .. {last}: {rows:,} events priced with catalogue {version}")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "catalogue_version": version})


@dg.asset(key=["marts", "daily_model_spend"], group_name="marts", deps=[usage_priced], freshness_policy=_FRESH,
          **_DAILY,
          description="Daily spend per provider and model.")
def daily_model_spend(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    first, last = day_range(context)
    with warehouse.connection() as conn:
        rows = rebuild_days(conn, "marts.daily_model_spend", first, last)
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})


@dg.asset(key=["marts", "daily_project_spend"], group_name="marts", deps=[usage_priced], freshness_policy=_FRESH,
          **_DAILY,
          description="Daily spend per provider, project, API key and model.")
def daily_project_spend(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    first, last = day_range(context)
    with warehouse.connection() as conn:
        rows = rebuild_days(conn, "marts.daily_project_spend", first, last)
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})
