"""The daily run, timed against another commit side by side: nothing new, one new day, a moved landing folder.

Both versions run the real `meterline run` CLI (the older one from a `git worktree` of REV, on the same Python and
packages) over copies of the same 90-day warehouse, alternating old and new for each repeat:

Runs are dated as a daily schedule dates them (METERLINE_TODAY): the warehouse is built on the morning after its
last day, the timed runs on the morning after that, so the weekly backtest is not due in them (a second run on the
day of the backtest runs it again; `backtest_every_days`).

- nothing new: a run right after a complete run, landing unchanged;
- a new day: one file of about 30,000 requests for the day after the 90 lands, then a run;
- a moved landing folder: the landing folder copied to another path, then a run; staging rows before and after.

Usage: python benchmarks/daily_benchmark.py [--rev 3b53621] [--repeats 3] [--work benchmarks/work/daily]
Writes the table to stdout (RESULTS.md keeps the figures of the last run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from pipelines.demo.generate import generate

ROOT = Path(__file__).resolve().parent.parent
LAST = date(2026, 10, 31)
BUILT_ON = LAST + timedelta(days=1)
RUN_ON = LAST + timedelta(days=2)
NEW_DAY_SCALE = 112  # about 30,000 requests in one day of the demo's traffic mix


def _cli(code: Path, root: Path, landing: Path, today: date) -> float:
    env = {**os.environ, "PYTHONPATH": str(code), "DAGSTER_HOME": str(root / "home"),
           "METERLINE_LANDING": str(landing), "METERLINE_WAREHOUSE": str(root / "meterline.duckdb"),
           "METERLINE_TODAY": today.isoformat()}
    started = time.perf_counter()
    # cwd: `python -c` puts the working directory first on sys.path, before PYTHONPATH.
    done = subprocess.run([sys.executable, "-c", "from pipelines.cli import main; main()", "run"], env=env, cwd=root,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{code}: run failed\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


def _staged(root: Path) -> int:
    with duckdb.connect(str(root / "meterline.duckdb"), read_only=True) as conn:
        row = conn.execute("SELECT count(*) FROM staging.usage_records").fetchone()
    return int(row[0]) if row else 0


def _copy(base: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(base, target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rev", default="3b53621")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work" / "daily")
    args = parser.parse_args()
    work: Path = args.work.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    old = work / "old-code"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.rev], check=True,
                   capture_output=True)
    try:
        landing = work / "landing"
        days = generate(landing, LAST, days=90)
        extra = generate(work / "new-day", LAST + timedelta(days=1), days=1, scale=NEW_DAY_SCALE)
        print(f"warehouse: {days.requests:,} requests over 90 days; new day: {extra.requests:,} requests")
        codes = {"before": old, "after": ROOT}
        bases = {}
        for name, code in codes.items():
            bases[name] = work / f"base-{name}"
            bases[name].mkdir()
            _cli(code, bases[name], landing, BUILT_ON)
        times: dict[str, dict[str, list[float]]] = {name: {"nothing new": [], "new day": [], "moved": []}
                                                    for name in codes}
        moved_rows: dict[str, tuple[int, int]] = {}
        for repeat in range(args.repeats):
            for name, code in codes.items():
                root = _copy(bases[name], work / f"run-{name}-{repeat}")
                times[name]["nothing new"].append(_cli(code, root, landing, RUN_ON))
                shutil.copytree(work / "new-day", landing / "new-day")
                try:
                    times[name]["new day"].append(_cli(code, _copy(bases[name], work / f"day-{name}-{repeat}"),
                                                       landing, RUN_ON))
                finally:
                    shutil.rmtree(landing / "new-day")
                before = _staged(root)
                times[name]["moved"].append(_cli(code, root, _copy(landing, work / f"moved-{name}-{repeat}"), RUN_ON))
                moved_rows[name] = (before, _staged(root))
        print(f"\n| step (median of {args.repeats}, s) | before ({args.rev}) | after | ratio |")
        print("|---|---:|---:|---:|")
        for step in ("nothing new", "new day", "moved"):
            a, b = statistics.median(times["before"][step]), statistics.median(times["after"][step])
            print(f"| {step} | {a:.2f} | {b:.2f} | {a / b:.1f}x |")
        for name in codes:
            print(f"{name}: samples {times[name]}; staging rows before/after the moved folder: {moved_rows[name]}")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], capture_output=True)


if __name__ == "__main__":
    main()
