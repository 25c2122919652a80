"""Jobs, the daily schedule and the landing sensors."""


import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

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
from pipelines.ingest.loader import discover
from pipelines.partitions import daily_partitions

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
LATE_DAYS = 3

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(usage_files, price_rates, contract_terms),
    description="Load new landing files and the pricing catalogue.",
)
catalogue_job = dg.define_asset_job(
    "catalogue_job",
    selection=dg.AssetSelection.assets(price_rates, contract_terms),
    description="Load the pricing catalogue and the contract overlay only: the first step of a re-price.",
)
daily_job = dg.define_asset_job(
    "daily_job",
    selection=dg.AssetSelection.assets(usage_events, usage_priced, gpu_allocation, selfhosted_daily,
                                       daily_model_spend, daily_project_spend),
    partitions_def=daily_partitions,
    description="Rebuild a range of days, from usage events to the spend marts, in one run.",
)
metering_job = dg.define_asset_job(
    "metering_job",
    selection=dg.AssetSelection.assets(
        provider_pulls, usage_files, price_rates, contract_terms, usage_events, usage_priced, gpu_allocation,
        selfhosted_daily, daily_model_spend, daily_project_spend,
    ),
    partitions_def=daily_partitions,
    description="Pull the providers' admin reports (when a key is set), ingest, then rebuild a range of days: what "
    "the daily schedule runs.",
)


monitoring_job = dg.define_asset_job(
    "monitoring_job",
    selection=dg.AssetSelection.assets(spend_outlook, alert_outbox, savings_opportunities, analytics_publish),
    description="Forecast spend, score anomalies, evaluate budgets and raise alerts over all of the history, then "
    "publish the marts to analytics.duckdb.",
)


def range_tags(first: date, last: date) -> dict[str, str]:
    return {RANGE_START: first.isoformat(), RANGE_END: last.isoformat()}


@dg.schedule(job=metering_job, cron_schedule="0 2 * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description=f"Yesterday, plus the {LATE_DAYS} days before it again for late files, as one run.")
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    today = context.scheduled_execution_time.date()
    last = today - timedelta(days=1)
    first = last - timedelta(days=LATE_DAYS)
    return dg.RunRequest(run_key=f"daily-{last.isoformat()}", tags=range_tags(first, last))


def _landing_state(landing: Path) -> dict[str, list[float]]:
    return {str(path): [path.stat().st_size, path.stat().st_mtime] for path in discover(landing)}


def build_landing_sensor(landing: str) -> dg.SensorDefinition:
    @dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
               description="Starts an ingest run when a file appears or changes in the landing folder.")
    def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        folder = Path(landing)
        if not folder.is_dir():
            return dg.SensorResult(skip_reason=f"landing folder {folder} does not exist")
        seen: dict[str, list[float]] = json.loads(context.cursor) if context.cursor else {}
        state = _landing_state(folder)
        changed = sorted(path for path, stamp in state.items() if seen.get(path) != stamp)
        if not changed:
            return dg.SensorResult(skip_reason="no new or changed files", cursor=json.dumps(state))
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key="landing-" + hashlib.sha256(json.dumps(
                {path: state[path] for path in changed}, sort_keys=True).encode()).hexdigest()[:16])],
            cursor=json.dumps(state),
        )

    return landing_sensor


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[ingest_job, metering_job],
                      request_job=daily_job, default_status=dg.DefaultSensorStatus.RUNNING,
                      description="After a run that ingested files, rebuilds the days they touched that the run "
                      "itself did not rebuild, as one run.")
def rebuild_after_ingest(context: dg.RunStatusSensorContext) -> dg.RunRequest | dg.SkipReason:
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=usage_files.key, storage_ids=None), limit=50
    ).records
    for record in records:
        if record.run_id != context.dagster_run.run_id:
            continue
        materialization = record.asset_materialization
        metadata = materialization.metadata if materialization else {}
        first = metadata.get("first_affected_day")
        last = metadata.get("last_affected_day")
        if first is None or last is None or not first.value:
            return dg.SkipReason("the run loaded no new rows")
        touched = (date.fromisoformat(str(first.value)), date.fromisoformat(str(last.value)))
        tags = context.dagster_run.tags
        if RANGE_START in tags and RANGE_END in tags:
            built = (date.fromisoformat(tags[RANGE_START]), date.fromisoformat(tags[RANGE_END]))
            if built[0] <= touched[0] and touched[1] <= built[1]:
                return dg.SkipReason(f"the run already rebuilt {touched[0]} .. {touched[1]}")
        return dg.RunRequest(run_key=f"rebuild-{context.dagster_run.run_id}", tags=range_tags(*touched))
    return dg.SkipReason("no usage_files materialisation in that run")


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[daily_job, metering_job],
                      request_job=monitoring_job, default_status=dg.DefaultSensorStatus.RUNNING,
                      description="After days are rebuilt, forecasts, scores anomalies and raises alerts again.")
def monitor_after_rebuild(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"monitor-{context.dagster_run.run_id}")


def build_delivery_sensor(warehouse: str, alerts: str) -> dg.SensorDefinition:
    @dg.sensor(name="alert_delivery", minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
               description="Sends the outbox's pending alert deliveries that are due; a failed one waits and is "
               "retried with backoff.")
    def alert_delivery(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        from pipelines.alerts.config import load_alerts
        from pipelines.alerts.outbox import deliver_due
        from pipelines.warehouse import WarehouseLocked

        if not Path(warehouse).is_file():
            return dg.SkipReason(f"warehouse {warehouse} does not exist yet")
        try:
            report = deliver_due(Path(warehouse), load_alerts(Path(alerts) if alerts else None))
        except WarehouseLocked:
            return dg.SkipReason("the warehouse is busy with a run; trying again next tick")
        for error in report.errors:
            context.log.warning(f"delivery failed, will retry: {error}")
        return dg.SkipReason(f"sent {report.sent}, failed {report.failed}")

    return alert_delivery
