"""Schema setup runs the DDL once per DDL version, upgrades an older warehouse without losing staged data, and a
partition rebuild rolls back whole on failure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.warehouse import WarehouseSchemaError, ensure_schema, rebuild_days, sql_text

TABLES = {"raw.file_ledger", "raw.day_state", "raw.run_state",
          "raw.rejects", "raw.schema_state", "raw.pull_state", "raw.alerts", "raw.alert_deliveries",
          "staging.usage_records", "marts.spend_forecast", "marts.month_end_projection", "marts.forecast_accuracy",
          "marts.spend_anomalies", "marts.budget_status",
          "staging.reported_costs", "core.price_rates",
          "core.price_windows", "core.fx_rates", "core.catalogue_versions", "core.contract_terms", "core.reprice_log",
          "core.model_aliases", "core.usage_events", "core.usage_priced", "marts.daily_model_spend",
          "marts.daily_project_spend", "marts.savings_opportunities", "core.gpu_deployments", "core.gpu_allocation",
          "marts.selfhosted_daily"}


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
        conn.execute("DROP TABLE marts.daily_project_spend")  # the build now fails half-way, after its DELETE
        with pytest.raises(duckdb.CatalogException):
            rebuild_days(conn, "marts.daily_model_spend", date(2026, 3, 10), date(2026, 3, 10))
        assert conn.execute("SELECT list_cost_usd FROM marts.daily_model_spend").fetchall() == [(1.5,)]


def test_an_older_warehouse_keeps_its_staged_rows_and_gets_the_new_shape(tmp_path: Path) -> None:
    # The previous release's staging table lacked the scope, audio, image and cache-storage columns, and its
    # priced table had no contracted cost.
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        for schema in ("raw", "staging", "core"):
            conn.execute(f"CREATE SCHEMA {schema}")
        new = ("endpoint_scope", "audio_tokens", "image_tokens", "cache_storage_token_hours")
        old_ddl = "\n".join(line for line in sql_text("staging/usage_records").splitlines()
                            if not any(name in line for name in new))
        conn.execute(old_ddl)
        conn.execute("INSERT INTO staging.usage_records BY NAME SELECT 'openai:a' AS event_id, TIMESTAMP"
                     " '2026-03-10 12:00' AS event_time, DATE '2026-03-10' AS usage_date, 'openai' AS provider,"
                     " 'direct' AS platform, 'gpt-4o' AS model_raw, 'standard' AS service_tier, false AS is_batch,"
                     " 7 AS input_tokens, 0 AS cache_read_tokens, 0 AS cache_write_5m_tokens,"
                     " 0 AS cache_write_1h_tokens, 0 AS output_tokens, 0 AS reasoning_tokens,"
                     " 0 AS web_search_requests, 1 AS requests, 'openai_chat' AS source_format, 'f' AS source_file,"
                     " 1 AS source_line")
        conn.execute("CREATE TABLE core.usage_priced (event_id VARCHAR NOT NULL, list_cost_usd DECIMAL(38, 12))")
        conn.execute("INSERT INTO core.usage_priced VALUES ('openai:a', 1)")
        ensure_schema(conn)
        staged = conn.execute("SELECT event_id, input_tokens, input_audio_tokens, cache_storage_token_hours,"
                              " endpoint_scope FROM staging.usage_records").fetchall()
        assert staged == [("openai:a", 7, 0, 0, None)]
        # Every catalogue version's rates are audit history: an older rate card gains the new columns, keeps its rows.
        old_rates = "\n".join(line for line in sql_text("core/price_rates").splitlines()
                               if "web_search_free_group" not in line)
        conn.execute("DROP TABLE core.price_rates")
        conn.execute(old_rates)
        conn.execute("INSERT INTO core.price_rates (catalogue_version, rate_id, provider, model, currency,"
                     " effective_from, service_tier, is_batch, endpoint_scope, context_measure, context_above,"
                     " source, checked) VALUES ('v1', 'r', 'openai', 'gpt-4o', 'USD', DATE '2025-01-01', 'standard',"
                     " false, '*', 'input_total', 0, 's', DATE '2026-11-28')")
        conn.execute("UPDATE raw.schema_state SET ddl_sha256 = 'older'")
        ensure_schema(conn)
        assert conn.execute("SELECT catalogue_version, web_search_free_group FROM core.price_rates").fetchall() == [
            ("v1", None)]
        # Tables the run refills from staging are simply recreated.
        assert conn.execute("SELECT count(*) FROM core.usage_priced").fetchall() == [(0,)]
        assert "contracted_cost_usd" in {c for (c,) in conn.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'usage_priced'").fetchall()}


def test_an_incompatible_staging_column_stops_with_a_message_instead_of_losing_data(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        conn.execute("CREATE SCHEMA staging")
        conn.execute(sql_text("staging/usage_records").replace("input_tokens           BIGINT",
                                                               "input_tokens           VARCHAR"))
        with pytest.raises(WarehouseSchemaError, match=r"staging\.usage_records\.input_tokens is VARCHAR but"
                                                       r" this meterline needs BIGINT"):
            ensure_schema(conn)


def test_duckdb_memory_can_be_capped_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.warehouse import connect

    monkeypatch.setenv("METERLINE_DUCKDB_MEMORY", "512MB")
    with connect(tmp_path / "w.duckdb") as conn:
        (limit,) = conn.execute("SELECT current_setting('memory_limit')").fetchone() or ("",)
    assert limit in ("488.2 MiB", "512.0 MB")
