"""What a run must rebuild: the days new or changed files touched, the days built with other inputs, and the
monitoring step when its inputs changed. A run with nothing new rebuilds nothing and says so."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from pipelines.ingest.files import sha256_of
from pipelines.ingest.loader import scan
from pipelines.settings import Settings
from pipelines.warehouse import SQL_DIR

MONITORING = "monitoring"


def _digest(parts: Iterable[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, content in parts:
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()[:16]


def _file(path: Path | None) -> list[tuple[str, bytes]]:
    return [(str(path), path.read_bytes())] if path is not None and path.is_file() else [("", b"")]


def day_inputs(settings: Settings) -> str:
    """A fingerprint of everything a day's core and mart rows are built from besides its staging rows: the
    catalogue folder (and the maps kept in it), contracts, Azure deployments, hardware map, self-hosted
    deployments and meterline's own SQL."""
    parts = [(path.name, path.read_bytes()) for path in sorted(settings.pricing.glob("*.yaml"))]
    for path in (settings.contracts, settings.azure_deployments, settings.hardware, settings.selfhosted):
        parts += _file(path)
    parts += [(str(path.relative_to(SQL_DIR)), path.read_bytes()) for path in sorted(SQL_DIR.glob("*/*.sql"))]
    return _digest(parts)


def monitoring_inputs(settings: Settings, days: str) -> str:
    """The monitoring step's inputs besides the marts: its files, the day it runs for, and the days' inputs."""
    today = settings.today or datetime.now(UTC).date()
    return _digest([*_file(settings.alerts), *_file(settings.savings), ("today", today.isoformat().encode()),
                    ("days", days.encode())])


def pending_files(conn: duckdb.DuckDBPyConnection, landing: Path) -> int:
    """Landing files the ledger does not know at their path with their content: what an ingest has to look at
    (it reads those whose content is new, and records a moved or copied one as the same as its original)."""
    by_path = dict(conn.execute("SELECT source_file, sha256 FROM raw.file_ledger").fetchall())
    files, unreadable = scan(landing)
    rejected = {row[0] for row in conn.execute(
        "SELECT DISTINCT source_file FROM raw.rejects WHERE source_line IS NULL").fetchall()}
    # An unreadable entry is new until an ingest has recorded it as rejected.
    return (sum(_changed(by_path.get(str(path)), path) for path in files)
            + sum(str(path) not in rejected for path, _ in unreadable))


def _changed(known: str | None, path: Path) -> bool:
    try:
        return known != sha256_of(path)
    except OSError:
        # Gone or unreadable since the folder was listed: the ingest step reports it.
        return True


def stale_days(conn: duckdb.DuckDBPyConnection, inputs: str) -> list[date]:
    """Days with staged or built rows that are not built from what they hold now with these inputs."""
    rows = conn.execute(
        "SELECT usage_date FROM (SELECT DISTINCT usage_date FROM staging.usage_records"
        " UNION SELECT DISTINCT usage_date FROM core.usage_events)"
        " ANTI JOIN (SELECT usage_date FROM raw.day_state WHERE inputs = ?) USING (usage_date) ORDER BY 1",
        [inputs],
    ).fetchall()
    return [row[0] for row in rows]


def mark_built(conn: duckdb.DuckDBPyConnection, first: date, last: date, inputs: str) -> None:
    """Record [first, last] as built with `inputs`; days without rows are recorded too and cost nothing."""
    conn.execute(
        "INSERT OR REPLACE INTO raw.day_state SELECT CAST(day AS DATE), ?, now()::TIMESTAMP"
        " FROM range(?::DATE, ?::DATE + 1, INTERVAL 1 DAY) AS t(day)",
        [inputs, first, last],
    )


def monitoring_current(conn: duckdb.DuckDBPyConnection, inputs: str) -> bool:
    row = conn.execute("SELECT inputs FROM raw.run_state WHERE step = ?", [MONITORING]).fetchone()
    return row is not None and row[0] == inputs


def mark_monitored(conn: duckdb.DuckDBPyConnection, inputs: str) -> None:
    conn.execute("INSERT OR REPLACE INTO raw.run_state VALUES (?, ?, now()::TIMESTAMP)", [MONITORING, inputs])
