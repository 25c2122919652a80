"""The one Definitions object of the meterline code location."""


import dagster as dg

from pipelines.assets.daily import (
    daily_model_spend,
    daily_project_spend,
    gpu_allocation,
    selfhosted_daily,
    usage_events,
    usage_priced,
)
from pipelines.assets.ingest import usage_files
from pipelines.assets.monitoring import alert_outbox, analytics_publish, savings_opportunities, spend_outlook
from pipelines.assets.pricing import contract_terms, price_rates
from pipelines.assets.pull import provider_pulls
from pipelines.automation import (
    build_delivery_sensor,
    build_landing_sensor,
    catalogue_job,
    daily_job,
    daily_schedule,
    ingest_job,
    metering_job,
    monitor_after_rebuild,
    monitoring_job,
    rebuild_after_ingest,
)
from pipelines.checks import ALL_CHECKS
from pipelines.resources import SourcesResource, WarehouseResource
from pipelines.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[provider_pulls, usage_files, price_rates, contract_terms, usage_events, usage_priced, gpu_allocation,
                selfhosted_daily, daily_model_spend, daily_project_spend, spend_outlook, alert_outbox,
                savings_opportunities, analytics_publish],
        asset_checks=ALL_CHECKS,
        jobs=[ingest_job, catalogue_job, daily_job, metering_job, monitoring_job],
        schedules=[daily_schedule],
        sensors=[build_landing_sensor(str(settings.landing)), rebuild_after_ingest, monitor_after_rebuild,
                 build_delivery_sensor(str(settings.warehouse), str(settings.alerts or ""))],
        resources={
            "warehouse": WarehouseResource(path=str(settings.warehouse)),
            "sources": SourcesResource(landing=str(settings.landing), pricing=str(settings.pricing),
                                       contracts=str(settings.contracts or ""),
                                       unpriced_share_warn=settings.unpriced_share_warn,
                                       azure_deployments=str(settings.azure_deployments or ""),
                                       hardware=str(settings.hardware or ""),
                                       alerts=str(settings.alerts or ""),
                                       savings=str(settings.savings or ""),
                                       selfhosted=str(settings.selfhosted or ""),
                                       today=settings.today.isoformat() if settings.today else "",
                                       reconciliation_drift_pct=settings.reconciliation_drift_pct),
        },
        # One process per run, steps in sequence: DuckDB allows a single writer per file.
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.resolve())
