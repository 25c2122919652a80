"""Incremental runs: nothing new rebuilds nothing, a file is known by its content wherever it lies, a new day
rebuilds that day only, and a catalogue change rebuilds every day."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from pipelines.demo.generate import generate
from pipelines.run_path import dagster_home, run_pipeline
from pipelines.settings import Settings, bundled_pricing_dir
from tests.conftest import envelope, make_settings, read, write_jsonl

LAST = date(2026, 4, 10)
DAYS = 8


def _runs(settings: Settings) -> int:
    with dg.DagsterInstance.from_config(str(dagster_home(settings))) as instance:
        return len(instance.get_runs())


def _totals(settings: Settings) -> list[tuple[object, ...]]:
    return read(settings, "SELECT usage_date, sum(requests), sum(list_cost_usd) FROM marts.daily_model_spend"
                          " GROUP BY 1 ORDER BY 1")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("incremental"))
    generate(settings.landing, LAST, days=DAYS, scale=0.1)
    first = run_pipeline(settings)
    assert first.blocks == ((date(2026, 4, 3), LAST),) and not first.nothing_new
    return settings


def test_a_run_with_nothing_new_starts_no_dagster_run_and_changes_nothing(built: Settings) -> None:
    runs, totals = _runs(built), _totals(built)
    again = run_pipeline(built)
    assert again.nothing_new and again.blocks == () and again.files_loaded == 0
    assert _runs(built) == runs
    assert _totals(built) == totals


def test_a_moved_landing_folder_is_read_again_in_nothing(built: Settings, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(built.landing, moved)
    files = len(list(moved.rglob("*.*")))
    staged = read(built, "SELECT count(*) FROM staging.usage_records")
    totals = _totals(built)
    outcome = run_pipeline(dataclasses.replace(built, landing=moved))
    assert (outcome.files_loaded, outcome.files_duplicate, outcome.blocks, outcome.monitored) == (0, files, (), False)
    assert read(built, "SELECT count(*) FROM staging.usage_records") == staged
    assert read(built, "SELECT count(*) FROM raw.file_ledger WHERE status = 'duplicate' AND same_as LIKE ?",
                [f"{built.landing}/%"]) == [(files,)]
    assert _totals(built) == totals
    assert run_pipeline(dataclasses.replace(built, landing=moved)).nothing_new


def test_a_file_for_one_day_rebuilds_that_day_only(built: Settings) -> None:
    before = _totals(built)
    day = date(2026, 4, 6)
    response = {"id": "msg_incremental_1", "type": "message", "model": "claude-haiku-4-5-20251001",
                "usage": {"input_tokens": 1_000_000, "output_tokens": 0}}
    write_jsonl(built.landing / "late.jsonl", [envelope(f"{day}T12:00:00Z", response, provider="anthropic")])
    outcome = run_pipeline(built)
    assert outcome.blocks == ((day, day),) and outcome.files_loaded == 1 and outcome.monitored
    after = _totals(built)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    # Claude Haiku 4.5 input: $1 per million tokens.
    assert [(new[0], new[1] - old[1], new[2] - old[2]) for old, new in changed] == [(day, 1, 1)]


def test_a_catalogue_change_rebuilds_every_day(built: Settings, tmp_path: Path) -> None:
    pricing = tmp_path / "pricing"
    shutil.copytree(bundled_pricing_dir(), pricing)
    with (pricing / "openai.yaml").open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    outcome = run_pipeline(dataclasses.replace(built, pricing=pricing))
    assert outcome.blocks == ((date(2026, 4, 3), LAST),)
    assert run_pipeline(dataclasses.replace(built, pricing=pricing)).nothing_new
