"""The first quick-start command: `meterline demo` writes sample logs, runs everything and summarises."""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.demo.generate import generate

METERLINE = str(Path(sys.executable).parent / "meterline")


def test_generator_is_deterministic_and_realistic(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", date(2026, 11, 27), days=14, scale=0.1)
    second = generate(tmp_path / "b", date(2026, 11, 27), days=14, scale=0.1)
    names = sorted(p.relative_to(tmp_path / "a") for p in first.files)
    assert names == sorted(p.relative_to(tmp_path / "b") for p in second.files)
    assert all((tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes() for n in names)
    assert (first.first_day, first.last_day) == (date(2026, 11, 14), date(2026, 11, 27))
    assert first.malformed_lines == 3
    suffixes = {p.name.split(".", 1)[1] for p in first.files}
    assert suffixes == {"jsonl", "jsonl.gz"}


def test_demo_runs_end_to_end_and_says_where_everything_is(tmp_path: Path) -> None:
    result = subprocess.run([METERLINE, "demo", "--dir", str(tmp_path), "--days", "7", "--end", "2026-11-27"],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Spend 2026-11-21 .. 2026-11-27 (7 days)" in out
    assert "anthropic/claude-sonnet-4-5" in out and "google/gemini-2.5-pro" in out
    assert "Unpriced:" in out and "unpriced_model" in out
    assert "Rejected: 3 lines in 1 files" in out
    assert f"Warehouse: {tmp_path / 'meterline.duckdb'}" in out
    assert f"DAGSTER_HOME={tmp_path / 'dagster_home'}" in out and "dagster dev" in out
    with duckdb.connect(str(tmp_path / "meterline.duckdb"), read_only=True) as conn:
        days, requests = conn.execute(
            "SELECT count(DISTINCT usage_date), sum(requests) FROM marts.daily_model_spend").fetchone() or (0, 0)
    assert days == 7 and requests > 1000
    # The demo's example contract (15% off gpt-4.1* and gpt-5*) shows beside the list price, never instead of it.
    assert "under your contracts" in out
    assert "Commitment openai-enterprise-example: $" in out and "of $2,000.00 used" in out
    with duckdb.connect(str(tmp_path / "meterline.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT model LIKE 'gpt-4.1%' OR model LIKE 'gpt-5%', sum(list_cost_usd),"
                            " sum(contracted_cost_usd) FROM marts.daily_model_spend WHERE provider = 'openai'"
                            " GROUP BY ALL").fetchall()
    for discounted, list_cost, contracted in rows:
        assert contracted == (list_cost * Decimal("0.85") if discounted else list_cost)
    # The runs are in the instance the UI opens: the ingest run, one run for the whole range of days, and the
    # forecasts, anomalies and alerts over all of it.
    instance = dg.DagsterInstance.from_config(str(tmp_path / "dagster_home"))
    try:
        runs = instance.get_runs()
        assert sorted(run.job_name for run in runs) == ["daily_job", "ingest_job", "monitoring_job"]
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
    finally:
        instance.dispose()


def test_generator_copes_with_tiny_volumes(tmp_path: Path) -> None:
    files = generate(tmp_path, date(2026, 11, 27), days=2, scale=0.01)
    lines = sum(len((gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()).splitlines())
                for p in files.files)
    # every request, the three malformed lines, and the duplicate when an Anthropic record exists to copy
    assert files.malformed_lines == 3
    assert lines - files.requests - files.malformed_lines in (0, 1)
