"""A run of the pipeline, as the CLI starts it: the warehouse lock, the preflight checks, and whether there is
anything to do, all decided before Dagster is imported; the Dagster part is `runner.run_dagster`."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.alerts.config import load_alerts
from pipelines.alerts.outbox import deliver_due
from pipelines.incremental import day_inputs, monitoring_current, monitoring_inputs, pending_files, stale_days
from pipelines.ingest.files import forget_hashes
from pipelines.pricing.catalogue import load_catalogue
from pipelines.pricing.deployments import load_deployments
from pipelines.pricing.hardware_map import load_hardware_map
from pipelines.run_lock import run_lock
from pipelines.selfhosted.deployments import load_selfhosted
from pipelines.settings import Settings, bundled_dagster_yaml
from pipelines.warehouse import connect, ensure_schema
from pipelines.whatif.config import load_savings


class RunError(RuntimeError):
    """The run cannot start or did not succeed; the message is one line for the user."""


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
    # Whether forecasts, anomalies, budgets, savings and the published copy were recomputed by this run.
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


def run_pipeline(settings: Settings, date_from: date | None = None, date_to: date | None = None) -> RunOutcome:
    """One run over the warehouse, holding its lock from before anything is read to the end."""
    with run_lock(settings.warehouse):
        forget_hashes()
        preflight(settings)
        inputs = day_inputs(settings)
        pending, stale, monitored = _stale(settings, inputs)
        if date_from is None and date_to is None and not pending and not stale and monitored:
            return _nothing_new(settings)
        # Dagster and the asset definitions take about 3 s to import: only a run with work to do pays for them.
        from pipelines.runner import run_dagster

        return run_dagster(settings, inputs, date_from, date_to, monitored)


def _stale(settings: Settings, inputs: str) -> tuple[int, list[date], bool]:
    """(files to read, days to rebuild, whether monitoring is current), read before any Dagster run starts."""
    with connect(settings.warehouse, read_only=True) as conn:
        return (pending_files(conn, settings.landing), stale_days(conn, inputs),
                monitoring_current(conn, monitoring_inputs(settings, inputs)))


def _nothing_new(settings: Settings) -> RunOutcome:
    delivery = deliver_due(settings.warehouse, load_alerts(settings.alerts))
    with connect(settings.warehouse, read_only=True) as conn:
        row = conn.execute("SELECT count(*) FROM raw.file_ledger").fetchone()
    return RunOutcome(ingest_run_id="", daily_run_ids=(), blocks=(), files_loaded=0,
                      files_skipped=int(row[0]) if row else 0, rows_loaded=0, rows_rejected=0, warnings=(),
                      alerts_sent=delivery.sent, delivery_errors=delivery.errors, nothing_new=True)
