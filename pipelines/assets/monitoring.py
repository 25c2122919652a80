"""Forecasts, anomalies, budgets and the alert outbox: unpartitioned assets over all of the spend history."""


from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines.alerts.outbox import utc_now
from pipelines.assets.daily import daily_model_spend, daily_project_spend
from pipelines.assets.pricing import price_rates
from pipelines.monitoring import raise_alerts, run_monitoring
from pipelines.pricing.rates import build_rate_card
from pipelines.publish import PARQUET_DIR, export_parquet, publish
from pipelines.resources import SourcesResource, WarehouseResource
from pipelines.whatif.levers import Pricer
from pipelines.whatif.opportunities import (
    find_basis,
    find_opportunities,
    load_volumes,
    unknown_targets,
    write_opportunities,
)

_TABLES = {
    "spend_forecast": "Forecast daily list spend with 80% and 95% intervals, per model, provider and in total.",
    "month_end_projection": "Month to date plus forecast to month end, per provider and in total.",
    "forecast_accuracy": "Rolling-origin backtest of every forecast series against a seasonal-naive baseline.",
    "spend_anomalies": "Spend anomaly episodes with impact, root causes and their lifecycle.",
    "budget_status": "Monthly budgets against actual and projected spend.",
}


@dg.multi_asset(
    specs=[dg.AssetSpec(key=["marts", name], description=text, group_name="monitoring",
                        deps=[daily_model_spend, daily_project_spend, price_rates], kinds={"duckdb", "python"})
           for name, text in _TABLES.items()],
    pool="duckdb_writer",
)
def spend_outlook(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                  sources: SourcesResource) -> Iterator[dg.MaterializeResult]:
    config = sources.alerts_config()
    run_day = sources.run_day()
    with warehouse.connection() as conn:
        result = run_monitoring(conn, config, run_day)
    outlook = result.outlook
    if outlook is None:
        context.log.warning("no spend in the marts before the run day: nothing to forecast")
    else:
        context.log.info(f"forecast {len(outlook.series)} series through {result.as_of}: "
                         f"{len(outlook.forecast):,} forecast rows, {len(result.anomalies)} anomaly episodes")
        if result.skipped_series:
            context.log.warning("too little history to score anomalies (skipped): " + ", ".join(result.skipped_series))
    counts = {"spend_forecast": len(outlook.forecast) if outlook else 0,
              "month_end_projection": len(outlook.projection) if outlook else 0,
              "forecast_accuracy": len(outlook.accuracy) if outlook else 0,
              "spend_anomalies": len(result.anomalies), "budget_status": len(result.budgets)}
    for name, rows in counts.items():
        yield dg.MaterializeResult(asset_key=["marts", name],
                                   metadata={"dagster/row_count": rows, "as_of": str(result.as_of)})


@dg.asset(key=["raw", "alerts"], group_name="monitoring", deps=[spend_outlook], pool="duckdb_writer",
          kinds={"duckdb"},
          description="Alerts raised by the anomaly episodes and budgets, with one pending delivery per channel "
          "(the outbox the alert_delivery sensor drains).")
def alert_outbox(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                 sources: SourcesResource) -> dg.MaterializeResult:
    config = sources.alerts_config()
    with warehouse.connection() as conn:
        new = raise_alerts(conn, config, utc_now())
    for alert in new:
        context.log.info(f"alert raised: {alert.message.title}")
    if new and not config.channels:
        context.log.warning("alerts were raised but no channel is configured in the alerts file")
    return dg.MaterializeResult(metadata={"new_alerts": len(new), "channels": len(config.channels)})


@dg.asset(key=["marts", "savings_opportunities"], group_name="monitoring",
          deps=[daily_model_spend, daily_project_spend, price_rates], pool="duckdb_writer", kinds={"duckdb", "python"},
          description="What-if savings per project and model over the last basis days: more cache hits, batch, the "
          "model swaps and self-hosted deployments of the savings file.")
def savings_opportunities(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                          sources: SourcesResource) -> dg.MaterializeResult:
    config = sources.savings_config()
    catalogue = sources.catalogue()
    pricer = Pricer(build_rate_card(catalogue), catalogue.exchange_rates)
    with warehouse.connection() as conn:
        basis = find_basis(conn, config.basis_days)
        if basis is None:
            conn.execute("DELETE FROM marts.savings_opportunities")
            context.log.warning("no priced spend yet: no savings to compute")
            return dg.MaterializeResult(metadata={"dagster/row_count": 0})
        volumes = load_volumes(conn, basis)
        found = find_opportunities(volumes, pricer, config, basis)
        rows = write_opportunities(conn, found, basis, sources.run_day())
    missing = unknown_targets(config, volumes, pricer)
    if missing:
        context.log.warning("swap targets not in the catalogue (no swap priced to them): " + ", ".join(missing))
    best = max((o.monthly_saving_usd for o in found), default=0)
    context.log.info(f"{rows} savings opportunities over {basis.first} .. {basis.last}; the largest saves "
                     f"${best:,.2f}/month")
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "basis": f"{basis.first} .. {basis.last}"})


@dg.asset(key=["published", "analytics"], group_name="monitoring", kinds={"duckdb"},
          deps=[daily_model_spend, daily_project_spend, spend_outlook, alert_outbox, savings_opportunities],
          description="Every mart copied to analytics.duckdb beside the warehouse, built aside and renamed into "
          "place: what BI tools and notebooks open, read-only, while the pipeline keeps running; the day-grain "
          "marts (by day) and the FOCUS 1.2 rows (by billing month) also as hive-partitioned Parquet under "
          "parquet/.")
def analytics_publish(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    published = publish(Path(warehouse.path))
    parquet = published.path.parent / PARQUET_DIR
    partitions = export_parquet(published.path, parquet)
    context.log.info(f"published {len(published.tables)} marts to {published.path}, partitions to {parquet}")
    return dg.MaterializeResult(metadata={"path": str(published.path), "tables": len(published.tables),
                                          "parquet": str(parquet),
                                          **{f"rows/{name}": rows for name, rows in published.tables.items()},
                                          **{f"partitions/{name}": count for name, count in partitions.items()}})
