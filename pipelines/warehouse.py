"""The DuckDB warehouse: connections that always release the file lock, schema setup and partition rebuilds."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).parent / "sql"
SCHEMAS = ("raw", "staging", "core", "marts")
# Tables the daily run refills from staging: an upgrade may drop and recreate them. Every other table (the ledger,
# staging, every catalogue version's rates, the re-price log) holds what cannot be rebuilt and only gains columns.
REBUILT_TABLES = ("core.model_aliases", "core.usage_events", "core.usage_priced", "core.contract_terms",
                  "core.gpu_deployments", "core.gpu_allocation", "marts.daily_model_spend",
                  "marts.daily_project_spend", "marts.selfhosted_daily", "marts.savings_opportunities")
_PROBE = "meterline_ddl_probe"
log = logging.getLogger(__name__)
_PID = re.compile(r"PID (\d+)")


class WarehouseSchemaError(RuntimeError):
    """The warehouse holds data in a shape this version cannot upgrade in place."""


class WarehouseLocked(RuntimeError):
    """Another process holds the DuckDB write lock."""


# Warehouses held open by a run in this process (`held`), by resolved path.
_HELD: dict[str, duckdb.DuckDBPyConnection] = {}


@contextmanager
def held(path: str | Path) -> Iterator[None]:
    """Keep the warehouse open for a whole run: every `connect` in this process meanwhile is a new connection to
    the open database instead of opening the file again, which reads its catalogue each time (27 ms a time on the
    recorded-payloads test, 250 times in one run). The file stays locked for the run, as the run's own lock
    file already keeps every other writer out."""
    key = str(Path(path).resolve())
    conn = _open(path, False)
    _HELD[key] = conn
    try:
        yield
    finally:
        del _HELD[key]
        conn.close()


def _open(path: str | Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    keeper = _HELD.get(str(Path(path).resolve())) if _HELD and str(path) != ":memory:" else None
    if keeper is not None:
        return keeper.cursor()
    limit = os.environ.get("METERLINE_DUCKDB_MEMORY")
    try:
        return duckdb.connect(str(path), read_only=read_only, config={"memory_limit": limit} if limit else {})
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            holder = _PID.search(str(exc))
            who = f" (held by PID {holder.group(1)})" if holder else ""
            raise WarehouseLocked(f"warehouse {path} is locked by another process{who}") from exc
        raise


@contextmanager
def connect(path: str | Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse and close it however the block ends, so a failed step never keeps the lock.

    METERLINE_DUCKDB_MEMORY (e.g. `1GB`) caps DuckDB's memory, which otherwise may use up to 80% of RAM; DuckDB
    spills to disk beyond it. Pricing a month of 1M requests peaks at about 2.2 GiB uncapped, 1 GiB capped at 1GB,
    for about 20% more time on that step (measured on the benchmark's 1M-request month).
    """
    conn = _open(path, read_only)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def connect_waiting(path: str | Path, wait_seconds: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """`connect` for writing, retrying for up to `wait_seconds` while another process holds the file: the alert
    sensor's short writes must not fail a run's step, nor a step the sensor's record of a send."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            conn = _open(path, False)
            break
        except WarehouseLocked:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
    try:
        yield conn
    finally:
        conn.close()


def sql_text(name: str) -> str:
    """The text of pipelines/sql/<name>.sql, e.g. `core/usage_events.build`."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the schemas and tables, and refresh the column comments, unless this DDL is already in place.

    Every asset and check opens its own connection; rerunning the DDL (the comments are writes) each time cost
    about 0.1 s per connection on a large warehouse. A warehouse made by an older meterline is brought up to date
    by `_upgrade_table`.
    """
    # <table>.sql is the DDL; <table>.<purpose>.sql files are the queries that fill or read it.
    paths = [path for path in sorted(SQL_DIR.glob("*/*.sql")) if "." not in path.stem]
    ddl = [path.read_text(encoding="utf-8") for path in paths]
    # Views read tables of any schema, so every table exists before the first view is created.
    order = sorted(range(len(paths)), key=lambda i: "CREATE OR REPLACE VIEW" in ddl[i])
    paths, ddl = [paths[i] for i in order], [ddl[i] for i in order]
    digest = hashlib.sha256("\n".join(ddl).encode()).hexdigest()
    try:
        if conn.execute("SELECT ddl_sha256 FROM raw.schema_state").fetchall() == [(digest,)]:
            return
    except duckdb.CatalogException:
        pass
    for schema in SCHEMAS:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for path, text in zip(paths, ddl, strict=True):
        _upgrade_table(conn, path.parent.name, path.stem, text)
        conn.execute(text)
    conn.execute("DELETE FROM raw.schema_state")
    conn.execute("INSERT INTO raw.schema_state VALUES (?)", [digest])


def _columns(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str, bool, str | None]]:
    return [
        (str(name), str(kind), bool(nullable), default)
        for name, kind, nullable, default in conn.execute(
            "SELECT column_name, data_type, is_nullable, column_default FROM duckdb_columns()"
            " WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, table],
        ).fetchall()
    ]


def _upgrade_table(conn: duckdb.DuckDBPyConnection, schema: str, table: str, text: str) -> None:
    """Make an existing table match its DDL file.

    Tables in REBUILT_TABLES are dropped and recreated: `meterline run` rebuilds every day present. The others only
    gain columns that have a default or allow NULL; anything else stops with a message, because dropping them
    would lose data.
    """
    if "CREATE OR REPLACE VIEW" in text:
        return
    existing = _columns(conn, schema, table)
    if not existing:
        return
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_PROBE}")
    conn.execute(f"DROP TABLE IF EXISTS {_PROBE}.{table}")
    conn.execute(text.replace(f"{schema}.{table}", f"{_PROBE}.{table}"))
    wanted = _columns(conn, _PROBE, table)
    conn.execute(f"DROP SCHEMA {_PROBE} CASCADE")
    if [column[:2] for column in wanted] == [column[:2] for column in existing]:
        return
    if f"{schema}.{table}" in REBUILT_TABLES:
        log.warning("%s.%s changed shape in this meterline version: recreated, rebuild the days to fill it",
                    schema, table)
        conn.execute(f"DROP TABLE {schema}.{table}")
        return
    have = {name: kind for name, kind, _, _ in existing}
    for name, kind, nullable, default in wanted:
        if name in have:
            if have[name] != kind:
                raise WarehouseSchemaError(f"{schema}.{table}.{name} is {have[name]} but this meterline needs {kind}:"
                                           " move the warehouse aside and run again to rebuild it from the logs")
            continue
        if default is None and not nullable:
            raise WarehouseSchemaError(f"{schema}.{table} lacks {name} and it has no default: move the warehouse"
                                       " aside and run again to rebuild it from the logs")
        clause = f" DEFAULT {default}" if default is not None else ""
        conn.execute(f"ALTER TABLE {schema}.{table} ADD COLUMN {name} {kind}{clause}")


def rebuild_days(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    date_from: date,
    date_to: date,
    variables: dict[str, str] | None = None,
) -> int:
    """Delete the days of `table` in [date_from, date_to] and insert them again, in one transaction.

    Returns the number of rows the days hold afterwards.
    """
    schema, name = table.split(".")
    build = sql_text(f"{schema}/{name}.build")
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("SET VARIABLE date_from = ?::DATE", [date_from])
        conn.execute("SET VARIABLE date_to = ?::DATE", [date_to])
        for key, value in (variables or {}).items():
            conn.execute(f"SET VARIABLE {key} = ?", [value])
        conn.execute(f"DELETE FROM {table} WHERE usage_date BETWEEN ? AND ?", [date_from, date_to])
        conn.execute(build)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    row = conn.execute(f"SELECT count(*) FROM {table} WHERE usage_date BETWEEN ? AND ?", [date_from, date_to])
    result = row.fetchone()
    return int(result[0]) if result else 0
