"""The published analytics.duckdb opens in the BI clients people have: the DuckDB 1.5 CLI and duckdb-engine
(SQLAlchemy) over the DuckDB 1.4 Python package, from `make bi-clients`; also while a run publishes a new copy."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import envelope, make_settings, write_jsonl

CLIENTS = Path(os.environ.get("METERLINE_BI_CLIENTS") or Path(__file__).resolve().parents[1] / ".venv-bi" / "bin")
QUERY = "SELECT usage_date::VARCHAR, requests, list_cost_usd::VARCHAR FROM marts.daily_model_spend ORDER BY 1"
# duckdb-engine as Superset, Metabase's Python drivers or a notebook use it: an engine URL, read only.
ENGINE = """
import json, sys
import duckdb, sqlalchemy
path, query = sys.argv[1:3]
engine = sqlalchemy.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
with engine.connect() as conn:
    rows = [list(row) for row in conn.execute(sqlalchemy.text(query))]
print(json.dumps({"duckdb": duckdb.__version__, "rows": rows}))
"""
# A dashboard refreshing through duckdb-engine while runs publish: every read must see one whole state.
POLLER = """
import json, os, sys, time
import sqlalchemy
path, stop, out = sys.argv[1:4]
seen, errors, reads = set(), [], 0
while not os.path.exists(stop):
    try:
        engine = sqlalchemy.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
        with engine.connect() as conn:
            count, total = conn.execute(sqlalchemy.text("SELECT count(*), sum(list_cost_usd)::VARCHAR"
                                                        " FROM marts.daily_model_spend")).one()
        engine.dispose()
        seen.add(f"{count}/{total}")
        reads += 1
    except Exception as exc:
        errors.append(repr(exc))
    time.sleep(0.01)
json.dump({"seen": sorted(seen), "errors": errors, "reads": reads}, open(out, "w"))
"""


@pytest.fixture
def clients() -> Path:
    if not (CLIENTS / "duckdb").is_file():
        pytest.skip(f"the BI clients are not installed in {CLIENTS}: `make bi-clients` installs them (make test does)")
    return CLIENTS


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run's published copy: day 10, three requests."""
    settings = make_settings(tmp_path_factory.mktemp("bi"))
    _day(settings, 10, 3)
    run_pipeline(settings)
    return settings.warehouse.parent / "analytics.duckdb"


def _day(settings: Settings, day: int, requests: int) -> None:
    write_jsonl(settings.landing / f"2026-03-{day:02d}.jsonl", [
        envelope(f"2026-03-{day:02d}T0{hour}:00:00Z", {
            "id": f"msg_{day}_{hour}", "type": "message", "model": "claude-haiku-4-5-20251001",
            "usage": {"input_tokens": 1000 * day, "output_tokens": 100}}, provider="anthropic")
        for hour in range(requests)])


def test_the_duckdb_1_5_cli_reads_the_published_copy(published: Path, clients: Path) -> None:
    version = subprocess.run([str(clients / "duckdb"), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("v1.5."), version.stdout
    # The README's own query, as a user types it.
    shown = subprocess.run([str(clients / "duckdb"), "-readonly", "-csv", str(published),
                            "FROM marts.daily_model_spend SELECT usage_date, model, requests, list_cost_usd"],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    # 3 x (10,000 x $1/M + 100 x $5/M) = $0.0315
    assert shown.stdout.splitlines() == ["usage_date,model,requests,list_cost_usd",
                                         "2026-03-10,claude-haiku-4-5,3,0.031500000000"]


def test_duckdb_engine_on_duckdb_1_4_reads_it(published: Path, clients: Path) -> None:
    read = subprocess.run([str(clients / "python"), "-c", ENGINE, str(published), QUERY], capture_output=True,
                          text=True, timeout=120)
    assert read.returncode == 0, read.stderr
    answer = json.loads(read.stdout)
    assert answer["duckdb"].startswith("1.4.")
    assert answer["rows"] == [["2026-03-10", 3, "0.031500000000"]]


def test_duckdb_engine_reads_whole_states_while_runs_publish(settings: Settings, clients: Path,
                                                             tmp_path: Path) -> None:
    _day(settings, 10, 3)
    run_pipeline(settings)
    published = settings.warehouse.parent / "analytics.duckdb"
    stop, out = tmp_path / "stop", tmp_path / "poller.json"
    poller = subprocess.Popen([str(clients / "python"), "-c", POLLER, str(published), str(stop), str(out)])
    try:
        time.sleep(1.0)
        for day in (11, 12):
            _day(settings, day, 2)
            run_pipeline(settings)
        time.sleep(1.0)
    finally:
        stop.touch()
        assert poller.wait(timeout=60) == 0
    polled = json.loads(out.read_text())
    assert polled["errors"] == []
    assert polled["reads"] > 10
    # Only whole states: day 10, then days 10-11 (+ 2 x (11,000 x $1/M + 100 x $5/M) = $0.023), then days 10-12
    # (+ 2 x (12,000 x $1/M + $0.0005) = $0.025).
    assert set(polled["seen"]) <= {"1/0.031500000000", "2/0.054500000000", "3/0.079500000000"}
    assert "3/0.079500000000" in polled["seen"]


def test_the_main_venv_still_reads_its_own_copy(published: Path) -> None:
    """meterline (DuckDB 2.0) reads the copy written in the older format."""
    with duckdb.connect(str(published), read_only=True) as conn:
        (storage,), = conn.execute("SELECT tags['storage_version'] FROM duckdb_databases()"
                                   " WHERE database_name = 'analytics'").fetchall()
        assert conn.execute(QUERY).fetchall() == [("2026-03-10", 3, "0.031500000000")]
    assert storage == "v1.4.0+"
