"""`meterline export focus`: the FOCUS 1.2 rows as one CSV or Parquet file, for FinOps tools that import a file."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb

from pipelines.publish import sql_literal

FORMATS = ("csv", "parquet")


def export_focus(analytics: Path, out: Path, fmt: str, first: date | None = None, last: date | None = None) -> int:
    """Write marts.focus_v1_2 of the published copy (charge periods from `first` to `last`, inclusive) to `out`.

    Read from the published copy, so an export never waits for a run nor blocks one. Written aside and renamed, so
    a reader never sees half a file. Returns the rows written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if not analytics.is_file():
        raise FileNotFoundError(f"no published copy at {analytics}: run `meterline run` first")
    out.parent.mkdir(parents=True, exist_ok=True)
    aside = out.with_name(f".{out.name}.{os.getpid()}.building")
    where = ["true"]
    params: list[object] = []
    if first is not None:
        where.append("ChargePeriodStart >= ?::TIMESTAMPTZ")
        params.append(f"{first.isoformat()} 00:00:00+00")
    if last is not None:
        where.append("ChargePeriodStart < ?::TIMESTAMPTZ + INTERVAL 1 DAY")
        params.append(f"{last.isoformat()} 00:00:00+00")
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
    select = f"SELECT * FROM marts.focus_v1_2 WHERE {' AND '.join(where)} ORDER BY ALL"
    try:
        with duckdb.connect(str(analytics), read_only=True) as conn:
            # Timestamps in UTC whatever the reader's zone, as FOCUS asks.
            conn.execute("SET TimeZone = 'UTC'")
            # COPY answers with the number of rows it wrote.
            (rows,), = conn.execute(f"COPY ({select}) TO {sql_literal(str(aside))} ({options})", params).fetchall()
        os.replace(aside, out)
    finally:
        aside.unlink(missing_ok=True)
    return int(rows)
