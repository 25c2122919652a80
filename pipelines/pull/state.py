"""The pull cursor in raw.pull_state, and the first day the next pull asks for."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.pull.client import PullError
from pipelines.warehouse import connect, ensure_schema

# Providers restate the last few days' buckets as late usage is counted, so each pull fetches them again.
DEFAULT_RESTATE_DAYS = 3
FIRST_PULL_DAYS = 30


@dataclass(frozen=True)
class PullRecord:
    """What one report's pull did; saved as its row of raw.pull_state."""

    provider: str
    report: str
    first_day: date
    last_complete_day: date
    pulled_at: datetime
    days_fetched: int
    days_written: int
    pages: int
    rows: int
    retries: int


@contextmanager
def open_warehouse(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse outside Dagster, created and brought up to date like the assets' connections."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as conn:
        ensure_schema(conn)
        yield conn


def restate_days() -> int:
    value = os.environ.get("METERLINE_PULL_RESTATE_DAYS")
    if not value:
        return DEFAULT_RESTATE_DAYS
    if not value.isdigit():
        raise PullError(f"METERLINE_PULL_RESTATE_DAYS must be a whole number of days, got {value!r}")
    return int(value)


def cursors(conn: duckdb.DuckDBPyConnection, provider: str) -> dict[str, date]:
    """The last complete day of each report of `provider` pulled before."""
    rows = conn.execute("SELECT report, last_complete_day FROM raw.pull_state WHERE provider = ?",
                        [provider]).fetchall()
    return {str(report): day for report, day in rows}


def first_day(cursor: date | None, since: date | None, today: date, restate: int) -> date:
    """`since` when given; else the cursor less the restatement window; else FIRST_PULL_DAYS before today."""
    if since is not None:
        start = since
    elif cursor is not None:
        start = cursor - timedelta(days=restate)
    else:
        start = today - timedelta(days=FIRST_PULL_DAYS)
    if start > today:
        raise PullError(f"the first day to pull, {start}, is after today ({today}, UTC)")
    return start


def save(conn: duckdb.DuckDBPyConnection, record: PullRecord) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO raw.pull_state (provider, report, last_complete_day, last_pulled_at, first_day,"
        " days_fetched, days_written, pages, result_rows, retries) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [record.provider, record.report, record.last_complete_day, record.pulled_at, record.first_day,
         record.days_fetched, record.days_written, record.pages, record.rows, record.retries],
    )
