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
import pytest

from pipelines.demo.generate import generate
from pipelines.leftovers import sweep_building
from pipelines.run_lock import WarehouseBusy, lock_path, run_lock
from pipelines.stale_runs import PID_TAG

CLI = [str(Path(sys.executable).parent / "meterline")]
HOLD = "import sys, time; from pathlib import Path; from pipelines.run_lock import run_lock\n" \
       "with run_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(60)\n"


def _hold(warehouse: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "METERLINE_LANDING": str(root / "landing"),
            "METERLINE_WAREHOUSE": str(root / "wh" / "meterline.duckdb"), "DAGSTER_HOME": str(root / "home")}


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


def test_a_run_killed_while_it_holds_the_writer_slot_does_not_block_the_next(tmp_path: Path) -> None:
    generate(tmp_path / "landing", date(2026, 3, 10), days=6, scale=0.2)
    env = _env(tmp_path)
    run = subprocess.Popen([*CLI, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert run.stdout is not None
    for line in run.stdout:
        # The daily job has started and holds the duckdb_writer slot: kill it there.
        if "core.usage_events" in line:
            run.send_signal(signal.SIGKILL)
            break
    run.wait(timeout=120)
    assert run.returncode == -signal.SIGKILL

    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        open_runs = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert [r.tags[PID_TAG] for r in open_runs] == [str(run.pid)]
        killed = open_runs[0].run_id
        assert killed in instance.event_log_storage.get_concurrency_run_ids()

    again = subprocess.run([*CLI, "run"], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"marked failed and their pool slots freed: {killed}" in " ".join(again.stdout.split())
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        record = instance.get_run_by_id(killed)
        assert record is not None and record.status == dg.DagsterRunStatus.FAILURE
        assert not instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert instance.event_log_storage.get_concurrency_run_ids() == set()
    assert not lock_path(tmp_path / "wh" / "meterline.duckdb").exists()
