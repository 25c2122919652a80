"""analytics.duckdb: every mart published after each run, never half-written, never blocking the pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import envelope, read, write_jsonl

READER = """
import json, os, sys, time
import duckdb
path, stop, out = sys.argv[1:4]
seen, errors, reads = set(), [], 0
while not os.path.exists(stop):
    try:
        with duckdb.connect(path, read_only=True) as conn:
            count, total = conn.execute("SELECT count(*), coalesce(sum(list_cost_usd), 0)::VARCHAR"
                                        " FROM marts.daily_model_spend").fetchone()
        seen.add(f"{count}/{total}")
        reads += 1
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.005)
json.dump({"seen": sorted(seen), "errors": errors, "reads": reads}, open(out, "w"))
"""
# A notebook left open: one connection held through every later run and publish.
HOLDER = """
import json, os, sys, time
import duckdb
path, stop, out = sys.argv[1:4]
conn = duckdb.connect(path, read_only=True)
rows = conn.execute("SELECT count(*) FROM marts.daily_model_spend").fetchone()[0]
open(out + ".ready", "w").close()
while not os.path.exists(stop):
    time.sleep(0.05)
json.dump({"rows_then": rows, "rows_now": conn.execute("SELECT count(*) FROM marts.daily_model_spend").fetchone()[0]},
          open(out, "w"))
"""


def _day(settings: Settings, day: int) -> None:
    write_jsonl(settings.landing / f"2026-03-{day:02d}.jsonl", [
        envelope(f"2026-03-{day:02d}T0{hour}:00:00Z", {
            "id": f"msg_{day}_{hour}", "type": "message", "model": "claude-haiku-4-5-20251001",
            "usage": {"input_tokens": 1000 * day, "output_tokens": 100}}, provider="anthropic")
        for hour in range(3)])


def _state(settings: Settings) -> str:
    (count, total), = read(settings, "SELECT count(*), coalesce(sum(list_cost_usd), 0)::VARCHAR"
                                     " FROM marts.daily_model_spend")
    return f"{count}/{total}"


def test_the_published_copy_has_every_mart_with_its_comments(settings: Settings) -> None:
    _day(settings, 10)
    run_pipeline(settings)
    published = settings.warehouse.parent / "analytics.duckdb"
    with duckdb.connect(str(published), read_only=True) as conn:
        tables = {row[0] for row in conn.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'")
                  .fetchall()}
        (comment,), = conn.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'daily_model_spend'"
                                   " AND column_name = 'list_cost_usd'").fetchall()
        rows = conn.execute("SELECT usage_date::VARCHAR, requests, list_cost_usd::VARCHAR"
                            " FROM marts.daily_model_spend").fetchall()
        # Every column says what it holds, and counts are BIGINT (HUGEINT, which sum() gives, trips BI drivers).
        silent = conn.execute("SELECT table_name || '.' || column_name FROM duckdb_columns() WHERE schema_name ="
                              " 'marts' AND coalesce(comment, '') = ''").fetchall()
        huge = conn.execute("SELECT table_name || '.' || column_name FROM duckdb_columns() WHERE schema_name ="
                            " 'marts' AND data_type = 'HUGEINT'").fetchall()
    assert tables == {"daily_model_spend", "daily_project_spend", "spend_forecast", "month_end_projection",
                      "forecast_accuracy", "spend_anomalies", "budget_status", "contract_commitments",
                      "cost_reconciliation", "focus_v1_2", "daily_request_cost",
                      "savings_opportunities", "selfhosted_daily"}
    assert comment.startswith("Total list cost, USD")
    assert (silent, huge) == ([], [])
    # 3 x (10,000 x $1/M + 100 x $5/M) = $0.0315
    assert rows == [("2026-03-10", 3, "0.031500000000")]
    assert not list(published.parent.glob(".analytics.duckdb.*"))  # nothing left aside


def test_a_reader_querying_all_along_never_blocks_a_run_nor_sees_half_a_publish(
        settings: Settings, tmp_path: Path) -> None:
    _day(settings, 10)
    run_pipeline(settings)
    states = {_state(settings)}
    published = settings.warehouse.parent / "analytics.duckdb"
    stop, out, held = tmp_path / "stop", tmp_path / "reader.json", tmp_path / "holder.json"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(published), str(stop), str(held)])
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published), str(stop), str(out)])
    try:
        deadline = time.monotonic() + 60
        while not Path(str(held) + ".ready").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        for day in (11, 12):
            _day(settings, day)
            run_pipeline(settings)  # fails if an open reader blocked it
            states.add(_state(settings))
        time.sleep(1.0)
    finally:
        stop.touch()
        reader.wait(timeout=60)
        holder.wait(timeout=60)
    report = json.loads(out.read_text())
    assert report["errors"] == []
    assert report["reads"] > 20
    assert set(report["seen"]) <= states  # only whole published states
    assert _state(settings) in report["seen"]  # and the last one, once published
    assert len(states) == 3
    # The connection held open all along still reads the copy it opened, whole.
    assert json.loads(held.read_text()) == {"rows_then": 1, "rows_now": 1}


def test_day_marts_are_exported_as_hive_partitions_one_file_a_day(settings: Settings) -> None:
    import pyarrow.dataset as ds

    for day in (10, 11):
        _day(settings, day)
    run_pipeline(settings)
    folder = settings.warehouse.parent / "parquet"
    files = sorted(str(path.relative_to(folder)) for path in folder.rglob("*.parquet"))
    assert files == [f"{table}/usage_date=2026-03-{day}/data.parquet"
                     for table in ("daily_model_spend", "daily_project_spend") for day in (10, 11)] + [
        "focus_v1_2/billing_period=2026-03/data.parquet"]
    # DuckDB and pyarrow read the same rows as the mart: 3 x (11,000 x $1/M + 100 x $5/M) = $0.0345 on the 11th.
    rows = duckdb.sql(f"SELECT usage_date::VARCHAR, requests, list_cost_usd::VARCHAR FROM read_parquet("
                      f"'{folder}/daily_model_spend/*/*.parquet', hive_partitioning = true) ORDER BY 1").fetchall()
    assert rows == [("2026-03-10", 3, "0.031500000000"), ("2026-03-11", 3, "0.034500000000")]
    table = ds.dataset(folder / "daily_project_spend", partitioning="hive").to_table()
    assert table.num_rows == 2 and sorted(table.column("usage_date").to_pylist()) == ["2026-03-10", "2026-03-11"]
    frame = pl.scan_parquet(folder / "daily_model_spend", hive_partitioning=True).sort("usage_date").collect()
    assert frame["usage_date"].to_list() == [date(2026, 3, 10), date(2026, 3, 11)]
    assert [str(value) for value in frame["list_cost_usd"]] == ["0.031500000000", "0.034500000000"]
    # A day no longer in the marts leaves the export on the next run that publishes; nothing is left aside.
    stale = folder / "daily_model_spend" / "usage_date=2026-03-01"
    stale.mkdir()
    (stale / "data.parquet").write_bytes((folder / "daily_model_spend/usage_date=2026-03-10/data.parquet").read_bytes())
    assert run_pipeline(settings).nothing_new and stale.exists()
    _day(settings, 12)
    run_pipeline(settings)
    assert not stale.exists()
    assert sorted(str(path.relative_to(folder)) for path in folder.rglob("*.parquet")) == sorted(
        [*files, *(f"{table}/usage_date=2026-03-12/data.parquet" for table in ("daily_model_spend",
                                                                             "daily_project_spend"))])
    assert not [path for path in folder.iterdir() if path.name.startswith(".")]
