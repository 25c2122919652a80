"""One run per warehouse, and a run killed mid-flight does not block the next: real processes, SIGKILL, the same
Dagster home for the rerun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.demo.generate import generate
from pipelines.leftovers import sweep_building
from pipelines.run_lock import WarehouseBusy, lock_path, run_lock
from pipelines.stale_runs import PID_TAG
from tests.test_alert_channels import Hook

CLI = [str(Path(sys.executable).parent / "meterline")]
HOLD = "import sys, time; from pathlib import Path; from pipelines.run_lock import run_lock\n" \
       "with run_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(60)\n"


def _hold(warehouse: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _env(root: Path, hook: Hook | None = None) -> dict[str, str]:
    return {**os.environ, "METERLINE_LANDING": str(root / "landing"),
            "METERLINE_WAREHOUSE": str(root / "wh" / "meterline.duckdb"), "DAGSTER_HOME": str(root / "home"),
            # The run day just after the traffic, so this month's budget sees it.
            "METERLINE_TODAY": "2026-03-11", **({"CRASH_HOOK_URL": hook.url} if hook else {})}


# A budget the sample traffic crosses, alerted to a webhook: a real HTTP server on 127.0.0.1 counts the POSTs.
ALERTS = "channels:\n  - {type: webhook, name: ops, url_env: CRASH_HOOK_URL}\n" \
         "budgets:\n  - {name: all, amount_usd: 1, channels: [ops]}\n"


def _landing(root: Path) -> None:
    generate(root / "landing", date(2026, 3, 10), days=6, scale=0.2)
    (root / "wh").mkdir(exist_ok=True)
    (root / "wh" / "alerts.yaml").write_text(ALERTS, encoding="utf-8")


def test_a_second_run_on_the_same_warehouse_exits_1_at_once_naming_the_holder(tmp_path: Path) -> None:
    (tmp_path / "landing").mkdir()
    warehouse = tmp_path / "wh" / "meterline.duckdb"
    holder = _hold(warehouse)
    try:
        started = time.monotonic()
        second = subprocess.run([*CLI, "run"], env=_env(tmp_path), capture_output=True, text=True, timeout=120)
        assert second.returncode == 1
        assert f"in use by another meterline run (PID {holder.pid})" in second.stderr
        assert not warehouse.exists(), "the refused run must not have opened the warehouse"
        assert time.monotonic() - started < 60
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_of_a_killed_holder_is_taken_over_and_removed_after(tmp_path: Path) -> None:
    warehouse = tmp_path / "meterline.duckdb"
    holder = _hold(warehouse)
    with pytest.raises(WarehouseBusy, match=f"PID {holder.pid}"), run_lock(warehouse):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert lock_path(warehouse).read_text().strip() == str(holder.pid)
    with run_lock(warehouse):
        assert lock_path(warehouse).read_text().strip() == str(os.getpid())
    assert not lock_path(warehouse).exists()


def test_building_files_of_dead_processes_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".analytics.duckdb.{dead.pid}.building"
    stale_wal = tmp_path / f".analytics.duckdb.{dead.pid}.building.wal"
    stale_dir = tmp_path / f".daily_model_spend.{dead.pid}.building"
    mine = tmp_path / f".analytics.duckdb.{os.getpid()}.building"
    for path in (stale, stale_wal, mine):
        path.write_bytes(b"x")
    (stale_dir / "usage_date=2026-01-01").mkdir(parents=True)
    removed = sweep_building(tmp_path)
    assert sorted(removed) == sorted([stale, stale_wal, stale_dir])
    assert mine.exists() and not stale.exists() and not stale_wal.exists() and not stale_dir.exists()


def _marts(root: Path) -> tuple[object, ...]:
    with duckdb.connect(str(root / "wh" / "meterline.duckdb"), read_only=True) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM core.usage_events), (SELECT count(DISTINCT event_id) FROM core.usage_events),"
            " (SELECT sum(list_cost_usd) FROM marts.daily_model_spend),"
            " (SELECT sum(list_cost_usd) FROM marts.daily_project_spend), (SELECT count(*) FROM raw.alerts)").fetchone()
    assert row is not None
    with duckdb.connect(str(root / "wh" / "analytics.duckdb"), read_only=True) as conn:
        published = conn.execute("SELECT sum(list_cost_usd) FROM marts.daily_model_spend").fetchone()
    return (*row, published)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, ...]:
    root = tmp_path_factory.mktemp("clean")
    _landing(root)
    hook = Hook()
    try:
        done = subprocess.run([*CLI, "run"], env=_env(root, hook), capture_output=True, text=True, timeout=600)
    finally:
        hook.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert hook.requests, "the budget alert was not sent"
    return _marts(root)


# Log lines of a run, one at each step boundary: ingest (after the first file), the daily job (usage events
# built, pricing next), monitoring (savings priced, publish next) and after the publish; and whether the killed
# step holds a slot of the duckdb_writer pool there.
KILL_POINTS = {"file 1/": False, "core.usage_events": True, "savings opportunities": True, "published ": False}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_run_killed_at_a_step_boundary_is_completed_by_the_next_unattended(
        tmp_path: Path, clean: tuple[object, ...], point: str) -> None:
    _landing(tmp_path)
    hook = Hook()
    env = _env(tmp_path, hook)
    run = subprocess.Popen([*CLI, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert run.stdout is not None
    for line in run.stdout:
        if point in line:
            run.send_signal(signal.SIGKILL)
            break
    run.wait(timeout=120)
    assert run.returncode == -signal.SIGKILL, f"the run ended before {point!r}"

    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        open_runs = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert [r.tags[PID_TAG] for r in open_runs] == [str(run.pid)]
        killed = open_runs[0].run_id
        if KILL_POINTS[point]:
            assert killed in instance.event_log_storage.get_concurrency_run_ids()

    try:
        again = subprocess.run([*CLI, "run"], env=env, capture_output=True, text=True, timeout=600)
    finally:
        hook.close()
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"marked failed and their pool slots freed: {killed}" in " ".join(again.stdout.split())
    # Each alert reached the webhook exactly once, whatever the killed run had raised.
    with duckdb.connect(str(tmp_path / "wh" / "meterline.duckdb"), read_only=True) as conn:
        alert_ids = sorted(row[0] for row in conn.execute("SELECT alert_id FROM raw.alerts").fetchall())
    assert sorted(seen.headers["idempotency-key"] for seen in hook.requests) == alert_ids
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        record = instance.get_run_by_id(killed)
        assert record is not None and record.status == dg.DagsterRunStatus.FAILURE
        assert not instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert instance.event_log_storage.get_concurrency_run_ids() == set()
    # Totals equal a clean run's, no event twice, the published copy current, nothing left behind.
    assert _marts(tmp_path) == clean
    warehouse = tmp_path / "wh"
    assert not lock_path(warehouse / "meterline.duckdb").exists()
    left = [path for folder in (warehouse, warehouse / "parquet") for path in folder.iterdir()
            if path.name.endswith((".building", ".building.wal"))]
    assert left == []
