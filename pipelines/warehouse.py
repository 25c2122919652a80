"""The DuckDB warehouse: connections that always release the file lock, schema setup and partition rebuilds."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).parent / "sql"
SCHEMAS = ("raw", "staging", "core", "marts")
_PID = re.compile(r"PID (\d+)")


class WarehouseLocked(RuntimeError):
    """Another process holds the DuckDB write lock."""


@contextmanager
def connect(path: str | Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse and close it however the block ends, so a failed step never keeps the lock."""
    try:
        conn = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            holder = _PID.search(str(exc))
            who = f" (held by PID {holder.group(1)})" if holder else ""
            raise WarehouseLocked(f"warehouse {path} is locked by another process{who}") from exc
        raise
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
    about 0.1 s per connection on a large warehouse.
    """
    ddl = [path.read_text(encoding="utf-8") for path in sorted(SQL_DIR.glob("*/*.sql"))
           if not path.name.endswith(".build.sql")]
    digest = hashlib.sha256("\n".join(ddl).encode()).hexdigest()
    try:
        if conn.execute("SELECT ddl_sha256 FROM raw.schema_state").fetchall() == [(digest,)]:
            return
    except duckdb.CatalogException:
        pass
    for schema in SCHEMAS:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for text in ddl:
        conn.execute(text)
    conn.execute("DELETE FROM raw.schema_state")
    conn.execute("INSERT INTO raw.schema_state VALUES (?)", [digest])


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
