"""Runs a killed process left STARTED in the Dagster instance: marked failed, and their pool slots freed.

A `meterline run` executes in process, so when it is killed (SIGKILL, OOM, a reboot) nobody records the end of its
Dagster run: the run stays STARTED and keeps its slot of the `duckdb_writer` pool, and every later run waits for
that slot forever. Each run the CLI starts carries the PID of its process and the warehouse it writes; a run of
this warehouse still open while another process holds the warehouse lock, or whose process is gone, is dead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import dagster as dg
from dagster._core.storage.dagster_run import FINISHED_STATUSES, RunsFilter

from pipelines.leftovers import alive

PID_TAG = "meterline/pid"
WAREHOUSE_TAG = "meterline/warehouse"
_OPEN = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.CANCELING,
         dg.DagsterRunStatus.NOT_STARTED]


def run_tags(warehouse: str) -> dict[str, str]:
    """The tags that let a later run tell whether this one's process is still there."""
    return {PID_TAG: str(os.getpid()), WAREHOUSE_TAG: warehouse}


@dataclass(frozen=True)
class Recovered:
    failed_runs: tuple[str, ...]
    freed_runs: tuple[str, ...]


def _dead(run: dg.DagsterRun, warehouse: str | None) -> bool:
    pid = run.tags.get(PID_TAG)
    if pid is None or not pid.isdigit() or int(pid) == os.getpid():
        return False
    # The caller holds the warehouse lock: no other run of this warehouse can be alive, whatever now has that PID.
    return run.tags.get(WAREHOUSE_TAG) == warehouse or not alive(int(pid))


def recover(instance: dg.DagsterInstance, warehouse: str | None = None) -> Recovered:
    """Fail the meterline runs whose process is dead (all other runs of `warehouse`, when its lock is held) and free
    the pool slots of every finished run still holding one."""
    failed = []
    for record in instance.get_run_records(filters=RunsFilter(statuses=_OPEN)):
        run = record.dagster_run
        if _dead(run, warehouse):
            instance.report_run_failed(run, f"marked failed by a later run: its process (PID {run.tags[PID_TAG]})"
                                            " ended without finishing it")
            failed.append(run.run_id)
    freed = []
    holders = instance.event_log_storage.get_concurrency_run_ids()
    if holders:
        finished = instance.get_run_records(filters=RunsFilter(run_ids=list(holders), statuses=FINISHED_STATUSES))
        for record in finished:
            instance.event_log_storage.free_concurrency_slots_for_run(record.dagster_run.run_id)
            freed.append(record.dagster_run.run_id)
    return Recovered(tuple(failed), tuple(freed))
