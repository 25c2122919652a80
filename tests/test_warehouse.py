"""Schema setup runs the DDL once per DDL version, and a partition rebuild rolls back whole on failure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.warehouse import ensure_schema, rebuild_days

TABLES = {"raw.file_ledger", "raw.rejects", "raw.schema_state", "staging.usage_records", "core.price_rates",
          "core.price_windows", "core.fx_rates", "core.catalogue_versions", "core.contract_terms", "core.reprice_log",
          "core.model_aliases", "core.usage_events", "core.usage_priced", "marts.daily_model_spend",
          "marts.daily_project_spend"}


def _tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {f"{s}.{t}" for s, t in conn.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}


def test_ddl_runs_when_the_warehouse_lacks_this_version_of_it(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        ensure_schema(conn)
        assert _tables(conn) == TABLES
        (comment,), = conn.execute("SELECT comment FROM duckdb_columns() WHERE schema_name = 'marts'"
                                   " AND table_name = 'daily_model_spend' AND column_name = 'list_cost_usd'").fetchall()
        assert comment.startswith("Total list cost, USD")
        conn.execute("DROP TABLE marts.daily_project_spend")
        ensure_schema(conn)  # same DDL version recorded: nothing is run
        assert "marts.daily_project_spend" not in _tables(conn)
        conn.execute("UPDATE raw.schema_state SET ddl_sha256 = 'older'")
        ensure_schema(conn)
        assert _tables(conn) == TABLES
        assert conn.execute("SELECT count(*) FROM raw.schema_state").fetchall() == [(1,)]


def test_a_failed_rebuild_leaves_the_days_as_they_were(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        ensure_schema(conn)
        row = {"usage_date": date(2026, 3, 10), "provider": "openai", "model": "gpt-4o", "list_cost_usd": 1.5}
        columns = [name for (name,) in conn.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name ="
                                                    " 'marts' AND table_name = 'daily_model_spend'").fetchall()]
        conn.execute(f"INSERT INTO marts.daily_model_spend VALUES ({', '.join('?' * len(columns))})",
                     [row.get(name, 0) for name in columns])
        conn.execute("DROP TABLE core.usage_priced")  # the build now fails half-way, after its DELETE
        with pytest.raises(duckdb.CatalogException):
            rebuild_days(conn, "marts.daily_model_spend", date(2026, 3, 10), date(2026, 3, 10))
        assert conn.execute("SELECT list_cost_usd FROM marts.daily_model_spend").fetchall() == [(1.5,)]
