"""Drive the asset graph through Dagster for a run: an ingest run, a run per block of days to rebuild, then the
monitoring run when its inputs changed."""

from __future__ import annotations

from datetime import date

import dagster as dg

from pipelines.alerts.config import load_alerts
from pipelines.alerts.outbox import deliver_due
from pipelines.automation import range_tags
from pipelines.definitions import build_definitions
from pipelines.incremental import mark_built, mark_monitored, monitoring_inputs, stale_days
from pipelines.run_path import RunError, RunOutcome, dagster_home
from pipelines.settings import Settings
from pipelines.stale_runs import recover, run_tags
from pipelines.warehouse import connect, held

# The console shows the assets' own progress and warnings; Dagster's DEBUG event stream stays in the run history.
CONSOLE_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
MAX_GAP_DAYS = 7


def execute(defs: dg.Definitions, job: str, instance: dg.DagsterInstance, settings: Settings,
            tags: dict[str, str] | None = None) -> dg.ExecuteInProcessResult:
    """One job in this process, tagged with its PID and warehouse so a later run can tell if it was killed."""
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, tags={**run_tags(str(settings.warehouse)), **(tags or {})}, run_config=CONSOLE_CONFIG,
        raise_on_error=False)


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            message = error.message.strip().splitlines()[0] if error else "unknown error"
            return f"step {event.step_key} failed: {message}"
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            return f"check {evaluation.check_name} failed on {evaluation.asset_key.to_user_string()}"
    return "run failed"


def _warnings(result: dg.ExecuteInProcessResult) -> list[str]:
    notes = []
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            meta = ", ".join(f"{k}={v.value}" for k, v in evaluation.metadata.items())
            notes.append(f"check {evaluation.check_name} warns: {meta}")
    return notes


def day_blocks(days: list[date], max_gap: int = MAX_GAP_DAYS) -> list[tuple[date, date]]:
    """Group days into ranges, bridging gaps of up to `max_gap` empty days.

    Every range becomes one Dagster run. Dagster records a materialisation per partition, so a run across a year
    of empty days between two bursts of logs would cost minutes for nothing.
    """
    blocks: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if blocks and (day - blocks[-1][1]).days <= max_gap + 1:
            blocks[-1] = (blocks[-1][0], day)
        else:
            blocks.append((day, day))
    return blocks


def _blocks(settings: Settings, inputs: str, date_from: date | None, date_to: date | None) -> list[tuple[date, date]]:
    with connect(settings.warehouse, read_only=True) as conn:
        if date_from is None and date_to is None:
            return day_blocks(stale_days(conn, inputs))
        row = conn.execute(
            "SELECT min(usage_date), max(usage_date) FROM (SELECT usage_date FROM staging.usage_records"
            " UNION ALL SELECT usage_date FROM core.usage_events)").fetchone()
    low, high = row if row else (None, None)
    first = date_from or low or date_to
    last = date_to or high or date_from
    if first is None or last is None:
        raise RunError("no usage in the warehouse to bound the range; give both --from and --to")
    if first > last:
        raise RunError(f"--from {first} is after --to {last}")
    return [(first, last)]


def run_dagster(settings: Settings, inputs: str, date_from: date | None, date_to: date | None,
                monitored: bool) -> RunOutcome:
    """The Dagster part of a run (the caller holds the warehouse lock): ingest, the days to rebuild, monitoring."""
    with held(settings.warehouse):
        return _run(settings, inputs, date_from, date_to, monitored)


def _run(settings: Settings, inputs: str, date_from: date | None, date_to: date | None,
         monitored: bool) -> RunOutcome:
    defs = build_definitions(settings)
    with dg.DagsterInstance.from_config(str(dagster_home(settings))) as instance:
        recovered = recover(instance, str(settings.warehouse))
        ingest = execute(defs, "ingest_job", instance, settings)
        if not ingest.success:
            raise RunError(failure_message(ingest))
        meta = ingest.asset_materializations_for_node("raw__usage_files")[0].metadata
        blocks = _blocks(settings, inputs, date_from, date_to)
        run_ids: list[str] = []
        warnings: list[str] = []
        for first, last in blocks:
            daily = execute(defs, "daily_job", instance, settings, range_tags(first, last))
            if not daily.success:
                raise RunError(failure_message(daily))
            with connect(settings.warehouse) as conn:
                mark_built(conn, first, last, inputs)
            run_ids.append(daily.run_id)
            warnings += _warnings(daily)
        raised = 0
        watch = monitoring_inputs(settings, inputs)
        if blocks or not monitored:
            monitoring = execute(defs, "monitoring_job", instance, settings)
            if not monitoring.success:
                raise RunError(failure_message(monitoring))
            raised = int(monitoring.asset_materializations_for_node("raw__alerts")[0].metadata["new_alerts"].value)
            with connect(settings.warehouse) as conn:
                mark_monitored(conn, watch)
    # The sensor drains the outbox under `dagster dev`; a run from cron sends what is due itself.
    delivery = deliver_due(settings.warehouse, load_alerts(settings.alerts))
    return RunOutcome(
        ingest_run_id=ingest.run_id,
        daily_run_ids=tuple(run_ids),
        blocks=tuple(blocks),
        files_loaded=int(meta["files_loaded"].value),
        files_skipped=int(meta["files_skipped"].value),
        files_duplicate=int(meta["files_duplicate"].value),
        rows_loaded=int(meta["rows_loaded"].value),
        rows_rejected=int(meta["rows_rejected"].value),
        warnings=tuple(warnings),
        records_skipped=int(meta["records_skipped"].value),
        cost_rows=int(meta["cost_rows"].value),
        alerts_raised=raised,
        alerts_sent=delivery.sent,
        delivery_errors=delivery.errors,
        recovered_runs=recovered.failed_runs,
        monitored=bool(blocks) or not monitored,
    )
