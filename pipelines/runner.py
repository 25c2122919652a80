"""Drive the asset graph through Dagster for the CLI: an ingest run, then one run for the whole range of days."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.alerts.config import load_alerts
from pipelines.alerts.outbox import deliver_due
from pipelines.automation import range_tags
from pipelines.definitions import build_definitions
from pipelines.incremental import (
    day_inputs,
    mark_built,
    mark_monitored,
    monitoring_current,
    monitoring_inputs,
    pending_files,
    stale_days,
)
from pipelines.pricing.catalogue import load_catalogue
from pipelines.pricing.deployments import load_deployments
from pipelines.pricing.hardware_map import load_hardware_map
from pipelines.run_lock import run_lock
from pipelines.selfhosted.deployments import load_selfhosted
from pipelines.settings import Settings, bundled_dagster_yaml
from pipelines.stale_runs import recover, run_tags
from pipelines.warehouse import connect, ensure_schema
from pipelines.whatif.config import load_savings

# The console shows the assets' own progress and warnings; Dagster's DEBUG event stream stays in the run history.
CONSOLE_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


class RunError(RuntimeError):
    """The run cannot start or did not succeed; the message is one line for the user."""


MAX_GAP_DAYS = 7


@dataclass(frozen=True)
class RunOutcome:
    ingest_run_id: str
    daily_run_ids: tuple[str, ...]
    blocks: tuple[tuple[date, date], ...]
    files_loaded: int
    files_skipped: int
    rows_loaded: int
    rows_rejected: int
    warnings: tuple[str, ...]
    records_skipped: int = 0
    cost_rows: int = 0
    alerts_raised: int = 0
    alerts_sent: int = 0
    delivery_errors: tuple[str, ...] = ()
    recovered_runs: tuple[str, ...] = ()
    # No file new, no day built with other inputs, monitoring current: no Dagster run was needed.
    nothing_new: bool = False
    files_duplicate: int = 0
    monitored: bool = True


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME if set, else a folder beside the warehouse, so `dagster dev` can show the same runs."""
    env = os.environ.get("DAGSTER_HOME")
    home = Path(env) if env else settings.warehouse.parent / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(bundled_dagster_yaml(), config)
    return home


def preflight(settings: Settings) -> None:
    """Fail fast, with one line, on a bad path, a bad catalogue or a locked warehouse."""
    if not settings.landing.is_dir():
        raise RunError(f"landing folder {settings.landing} does not exist")
    load_catalogue(settings.pricing)
    load_deployments(settings.azure_deployments)
    load_hardware_map(settings.hardware)
    load_alerts(settings.alerts)
    load_savings(settings.savings)
    load_selfhosted(settings.selfhosted)
    if settings.warehouse.exists() and settings.warehouse.is_dir():
        raise RunError(f"warehouse {settings.warehouse} is a directory; give a .duckdb file path")
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with connect(settings.warehouse) as conn:
        ensure_schema(conn)


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


def run_pipeline(settings: Settings, date_from: date | None = None, date_to: date | None = None) -> RunOutcome:
    """One run over the warehouse, holding its lock from before anything is read to the end."""
    with run_lock(settings.warehouse):
        return _run_locked(settings, date_from, date_to)


def _stale(settings: Settings, inputs: str) -> tuple[int, list[date], bool]:
    """(files to read, days to rebuild, whether monitoring is current), read before any Dagster run starts."""
    with connect(settings.warehouse, read_only=True) as conn:
        return (pending_files(conn, settings.landing), stale_days(conn, inputs),
                monitoring_current(conn, monitoring_inputs(settings, inputs)))


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


def _nothing_new(settings: Settings) -> RunOutcome:
    delivery = deliver_due(settings.warehouse, load_alerts(settings.alerts))
    with connect(settings.warehouse, read_only=True) as conn:
        row = conn.execute("SELECT count(*) FROM raw.file_ledger").fetchone()
    return RunOutcome(ingest_run_id="", daily_run_ids=(), blocks=(), files_loaded=0,
                      files_skipped=int(row[0]) if row else 0, rows_loaded=0, rows_rejected=0, warnings=(),
                      alerts_sent=delivery.sent, delivery_errors=delivery.errors, nothing_new=True)


def _run_locked(settings: Settings, date_from: date | None, date_to: date | None) -> RunOutcome:
    preflight(settings)
    inputs = day_inputs(settings)
    pending, stale, monitored = _stale(settings, inputs)
    if date_from is None and date_to is None and not pending and not stale and monitored:
        return _nothing_new(settings)
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
