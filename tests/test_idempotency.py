"""Run twice, same answer; re-run a day, same answer; a late file for an old day changes only that day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from pipelines.demo.generate import generate
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import envelope, make_settings, read, write_jsonl

TABLES = {
    "core.usage_events": "*",
    "core.usage_priced": "*",
    "marts.daily_model_spend": "*",
    "marts.daily_project_spend": "*",
    "staging.usage_records": "*",
    "raw.rejects": "source_file, source_line, reason",
    "raw.file_ledger": "source_file, sha256, status, rows_loaded, rows_rejected, min_usage_date, max_usage_date",
}
LATE_DAY = date(2026, 11, 3)


def snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    return {table: read(settings, f"SELECT {columns} FROM {table} ORDER BY ALL") for table, columns in TABLES.items()}


def by_day(rows: list[tuple[Any, ...]]) -> dict[date, list[tuple[Any, ...]]]:
    days: dict[date, list[tuple[Any, ...]]] = {}
    for row in rows:
        days.setdefault(row[0], []).append(row)
    return days


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("idem"))
    generate(settings.landing, date(2026, 11, 10), days=10, scale=0.15)
    return settings


def test_second_run_over_the_same_landing_changes_nothing(settings: Settings) -> None:
    first = run_pipeline(settings)
    before = snapshot(settings)
    assert before["core.usage_events"], "the sample landing produced no events"
    second = run_pipeline(settings)
    assert second.files_loaded == 0 and second.files_skipped == first.files_loaded
    assert snapshot(settings) == before


def test_rerunning_one_partition_changes_nothing(settings: Settings) -> None:
    before = snapshot(settings)
    outcome = run_pipeline(settings, date(2026, 11, 5), date(2026, 11, 5))
    assert outcome.blocks == ((date(2026, 11, 5), date(2026, 11, 5)),)
    assert snapshot(settings) == before


def test_late_file_for_an_old_day_changes_only_that_day(settings: Settings) -> None:
    before = snapshot(settings)
    late = {"id": "msg_late_0001", "type": "message", "model": "claude-haiku-4-5-20251001",
            "usage": {"input_tokens": 1000, "output_tokens": 100}}
    write_jsonl(settings.landing / "late" / "retry.jsonl",
                [envelope(f"{LATE_DAY.isoformat()}T09:30:00Z", late, provider="anthropic")])
    run_pipeline(settings)
    after = snapshot(settings)
    for table in ("marts.daily_model_spend", "marts.daily_project_spend"):
        old, new = by_day(before[table]), by_day(after[table])
        assert set(old) == set(new)
        changed = {day for day in old if old[day] != new[day]}
        assert changed == {LATE_DAY}, table
    events_before = {row[0] for row in before["core.usage_events"]}
    events_after = {row[0] for row in after["core.usage_events"]}
    assert events_after - events_before == {"anthropic:msg_late_0001"}
    assert events_before <= events_after
    # haiku-4.5: 1000 x $1 + 100 x $5 per 1M = $0.0015, added to that day's haiku row and nowhere else
    sql = ("SELECT requests, list_cost_usd FROM marts.daily_model_spend"
           " WHERE usage_date = ? AND model = 'claude-haiku-4-5'")
    (requests_after, cost_after), = read(settings, sql, [LATE_DAY])
    old_rows = [r for r in by_day(before["marts.daily_model_spend"])[LATE_DAY] if r[2] == "claude-haiku-4-5"]
    (old_row,) = old_rows
    columns = [r[0] for r in read(settings, "SELECT column_name FROM information_schema.columns"
                                  " WHERE table_name = 'daily_model_spend' ORDER BY ordinal_position")]
    assert requests_after - old_row[columns.index("requests")] == 1
    assert cost_after - old_row[columns.index("list_cost_usd")] == Decimal("0.0015")
