"""Publish the marts to `analytics.duckdb` for BI tools and notebooks: built aside, then renamed into place.

DuckDB allows one writer per file and no reader beside it, so a dashboard reading the working warehouse would block
the pipeline, and the pipeline the dashboard. Readers open the published copy instead. It is written to a new file
and renamed over the old one: a reader that has the old file open keeps reading it whole (the rename does not touch
an open file), and the next connection sees the new one whole. Views over core tables are published as tables, so
the copy needs nothing but itself.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.leftovers import sweep_building
from pipelines.warehouse import connect

SCHEMA = "marts"
ANALYTICS_FILE = "analytics.duckdb"
PARQUET_DIR = "parquet"
# The storage format the published copy is written in: DuckDB 1.4's (the LTS line), which the 1.4 and 1.5 CLIs,
# Python packages, duckdb-engine (SQLAlchemy, what Superset-style tools use) and the ODBC/JDBC drivers of those
# lines read. DuckDB 2.0 writes a format (storage version 69) that none of them opens yet.
STORAGE_VERSION = "v1.4.0"
# The copy's name while attached to the warehouse's connection: one no warehouse file is named (its stem names it).
_COPY = "meterline_published_copy"
# The marts exported as hive partitions, <folder>/<table>/<key>=<value>/data.parquet, with the SQL of each key: the
# day-grain marts by day, the FOCUS rows by billing month (the key is derived, so the files hold FOCUS columns only).
PARTITIONED = {
    "daily_model_spend": ("usage_date", "usage_date"),
    "daily_project_spend": ("usage_date", "usage_date"),
    "focus_v1_2": ("billing_period", "strftime(BillingPeriodStart AT TIME ZONE 'UTC', '%Y-%m')"),
}


def analytics_path(warehouse: Path) -> Path:
    """METERLINE_ANALYTICS, else analytics.duckdb beside the warehouse."""
    configured = os.environ.get("METERLINE_ANALYTICS")
    return Path(configured).expanduser().resolve() if configured else warehouse.parent / ANALYTICS_FILE


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Published:
    path: Path
    tables: dict[str, int]


def _copy(conn: duckdb.DuckDBPyConnection, source: str) -> dict[str, int]:
    """Copy the marts of database `source` into the current database (the published copy)."""
    objects = conn.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = ? AND schema_name = ?"
        " UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE database_name = ? AND schema_name = ?"
        " ORDER BY 1", [source, SCHEMA, source, SCHEMA]).fetchall()
    conn.execute(f"CREATE SCHEMA {SCHEMA}")
    counts = {}
    for name, comment in objects:
        conn.execute(f'CREATE TABLE {SCHEMA}."{name}" AS SELECT * FROM "{source}".{SCHEMA}."{name}"')
        if comment:
            conn.execute(f'COMMENT ON TABLE {SCHEMA}."{name}" IS {sql_literal(comment)}')
        row = conn.execute(f'SELECT count(*) FROM {SCHEMA}."{name}"').fetchone()
        counts[name] = int(row[0]) if row else 0
    for table, column, comment in conn.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE database_name = ?"
            " AND schema_name = ? AND comment IS NOT NULL AND comment <> ''", [source, SCHEMA]).fetchall():
        conn.execute(f'COMMENT ON COLUMN {SCHEMA}."{table}"."{column}" IS {sql_literal(comment)}')
    return counts


def publish(warehouse: Path, target: Path | None = None) -> Published:
    """Copy every table and view of the marts schema into a new file, then rename it over `target`."""
    final = target or analytics_path(warehouse)
    final.parent.mkdir(parents=True, exist_ok=True)
    sweep_building(final.parent)
    aside = final.with_name(f".{final.name}.{os.getpid()}.building")
    aside.unlink(missing_ok=True)
    try:
        # The copy is attached to the warehouse's own connection (the run's, when it holds one open): a file open
        # in this process cannot be attached a second time.
        with connect(warehouse) as conn:
            (source,), = conn.execute("SELECT current_database()").fetchall()
            conn.execute(f"ATTACH {sql_literal(str(aside))} AS {_COPY} (STORAGE_VERSION '{STORAGE_VERSION}')")
            try:
                conn.execute(f"USE {_COPY}")
                counts = _copy(conn, source)
                conn.execute(f"CHECKPOINT {_COPY}")
            finally:
                conn.execute(f'USE "{source}"')
                conn.execute(f"DETACH {_COPY}")
        os.replace(aside, final)
    finally:
        aside.unlink(missing_ok=True)
        aside.with_name(aside.name + ".wal").unlink(missing_ok=True)
    return Published(path=final, tables=counts)


def export_parquet(analytics: Path, folder: Path) -> dict[str, int]:
    """Write the partitioned marts of the published copy as hive-partitioned Parquet, one file per partition.

    Each partition's file is written aside and renamed over the old one, so a reader sees a day (or a billing
    month) whole; partitions no longer in the mart are removed. Returns the number of partitions per table.
    """
    written = {}
    folder.mkdir(parents=True, exist_ok=True)
    sweep_building(folder)
    with duckdb.connect(str(analytics), read_only=True) as conn:
        for table, (key, expression) in PARTITIONED.items():
            target = folder / table
            # Per process: a publish overlapping another (a sensor-started run beside `meterline run`) never
            # writes into, or deletes, the other's files.
            aside = folder / f".{table}.{os.getpid()}.building"
            shutil.rmtree(aside, ignore_errors=True)
            select = f"SELECT * FROM {SCHEMA}.{table}" if key == expression else \
                f"SELECT *, {expression} AS {key} FROM {SCHEMA}.{table}"
            conn.execute(f"COPY ({select} ORDER BY ALL) TO {sql_literal(str(aside))}"
                         f" (FORMAT parquet, PARTITION_BY ({key}))")
            parts = sorted(path.name for path in aside.glob(f"{key}=*"))
            for part in parts:
                (target / part).mkdir(parents=True, exist_ok=True)
                [file] = list((aside / part).glob("*.parquet"))
                os.replace(file, target / part / "data.parquet")
            for stale in set(path.name for path in target.glob(f"{key}=*")) - set(parts):
                shutil.rmtree(target / stale)
            shutil.rmtree(aside, ignore_errors=True)
            written[table] = len(parts)
    return written
