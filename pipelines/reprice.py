"""Re-price days after a catalogue or contract change, and record what changed per day, provider and model."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import dagster as dg
import pyarrow as pa

from pipelines.automation import range_tags
from pipelines.definitions import build_definitions
from pipelines.run_lock import run_lock
from pipelines.run_path import RunError, dagster_home
from pipelines.runner import execute, failure_message
from pipelines.settings import Settings
from pipelines.stale_runs import recover
from pipelines.warehouse import connect, ensure_schema, sql_text


@dataclass(frozen=True)
class Change:
    usage_date: date
    provider: str
    model: str
    old_version: str | None
    new_version: str | None
    requests: int
    old_list: Decimal | None
    new_list: Decimal | None
    old_contracted: Decimal | None
    new_contracted: Decimal | None


@dataclass(frozen=True)
class RepriceOutcome:
    reprice_id: str
    run_id: str
    days: int
    changes: list[Change]


def _snapshot(settings: Settings, first: date, last: date) -> pa.Table:
    with connect(settings.warehouse) as conn:
        ensure_schema(conn)
        conn.execute("SET VARIABLE date_from = ?::DATE", [first])
        conn.execute("SET VARIABLE date_to = ?::DATE", [last])
        return conn.execute(sql_text("core/reprice_log.snapshot")).to_arrow_table()


def reprice(settings: Settings, first: date, last: date) -> RepriceOutcome:
    """Reload the catalogue and contracts, rebuild [first, last] through Dagster, and log the differences."""
    with run_lock(settings.warehouse):
        return _reprice_locked(settings, first, last)


def _reprice_locked(settings: Settings, first: date, last: date) -> RepriceOutcome:
    if first > last:
        raise RunError(f"--from {first} is after --to {last}")
    if not settings.warehouse.is_file():
        raise RunError(f"warehouse {settings.warehouse} does not exist: run `meterline run` first")
    before = _snapshot(settings, first, last)
    defs = build_definitions(settings)
    with dg.DagsterInstance.from_config(str(dagster_home(settings))) as instance:
        recover(instance, str(settings.warehouse))
        for job, tags in (("catalogue_job", {}), ("daily_job", range_tags(first, last))):
            result = execute(defs, job, instance, settings, tags)
            if not result.success:
                raise RunError(failure_message(result))
    after = _snapshot(settings, first, last)
    reprice_id = uuid.uuid4().hex[:12]
    with connect(settings.warehouse) as conn:
        conn.register("reprice_before", before)
        conn.register("reprice_after", after)
        conn.execute("SET VARIABLE date_from = ?::DATE", [first])
        conn.execute("SET VARIABLE date_to = ?::DATE", [last])
        conn.execute("SET VARIABLE reprice_id = ?", [reprice_id])
        conn.execute(sql_text("core/reprice_log.build"))
        rows = conn.execute(
            "SELECT usage_date, provider, model, old_catalogue_versions, new_catalogue_version, requests,"
            " old_list_cost_usd, new_list_cost_usd, old_contracted_cost_usd, new_contracted_cost_usd"
            " FROM core.reprice_log WHERE reprice_id = ? ORDER BY usage_date, provider, model",
            [reprice_id],
        ).fetchall()
    days = (last - first).days + 1
    return RepriceOutcome(reprice_id, result.run_id, days, [Change(*row) for row in rows])
