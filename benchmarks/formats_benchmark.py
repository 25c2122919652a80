"""Benchmark ingest over a mixed-format landing folder: every format meterline reads, side by side.

Writes `--per-format` records of each sample format (`pipelines/demo/formats.py`: responses of every provider and
host, batch outputs, stream logs, report pages, CSV exports, Bedrock invocation logs, gateway, Langfuse and OTLP
exports), then, interleaved per repeat:

* parse each file alone, in this process (`parse_file`, batches consumed, nothing written): records per second for
  each format, so a slow parser shows;
* `meterline run` on the whole mixed folder, and on a folder of the same number of plain envelope JSON lines (the
  format the main benchmark uses), each in a fresh child process with a fresh warehouse and DAGSTER_HOME.

Medians of the repeats are reported with the ratio of each to the envelope baseline measured in the same run.
Nothing asserts on timings. Results go to benchmarks/FORMATS.md.

    .venv/bin/python benchmarks/formats_benchmark.py --per-format 20000 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import orjson

from pipelines.demo.formats import openai_chat_envelope, write_format_samples
from pipelines.ingest.files import compression_of
from pipelines.ingest.parse import FileResult, parse_file

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 2, 1, 0, 0, 0)
MARKER = "benchmark text"


def parse_alone(path: Path) -> tuple[float, int, int]:
    """Seconds to parse one file, and its rows (usage + cost) and rejects."""
    result = FileResult(source_file=str(path))
    began = time.perf_counter()
    for _ in parse_file(path, compression_of(path), "ab" * 32, result):
        pass
    return time.perf_counter() - began, result.rows + result.cost_rows + result.skipped, len(result.rejects)


def meterline_run(landing: Path, work: Path) -> float:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    env = {**os.environ, "DAGSTER_HOME": str(work / "dagster_home")}
    began = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "meterline"), "run", "--landing", str(landing),
                    "--warehouse", str(work / "meterline.duckdb")], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def staged_rows(work: Path) -> tuple[int, int]:
    with duckdb.connect(str(work / "meterline.duckdb"), read_only=True) as conn:
        usage = conn.execute("SELECT count(*) FROM staging.usage_records").fetchone()
        costs = conn.execute("SELECT count(*) FROM staging.reported_costs").fetchone()
    return (usage[0] if usage else 0), (costs[0] if costs else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-format", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "FORMATS.md")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="meterline-formats-"))
    mixed = scratch / "mixed"
    files = write_format_samples(mixed, START, args.per_format, MARKER)
    total = 0
    for path in files:
        total += parse_alone(path)[1]
    baseline = scratch / "envelope"
    baseline.mkdir()
    # Over the same day as the samples, so both runs rebuild the same partitions.
    with (baseline / "envelopes.jsonl").open("wb") as handle:
        for i in range(total):
            moment = START + timedelta(seconds=i * 86_400 // total)
            handle.write(orjson.dumps(openai_chat_envelope(i, moment, MARKER)) + b"\n")

    parse_times: dict[str, list[float]] = {path.name: [] for path in files}
    counts: dict[str, tuple[int, int]] = {}
    runs: dict[str, list[float]] = {"mixed": [], "envelope": []}
    for repeat in range(args.repeats):
        for path in files:
            seconds, records, rejects = parse_alone(path)
            parse_times[path.name].append(seconds)
            counts[path.name] = (records, rejects)
        for name, landing in (("mixed", mixed), ("envelope", baseline)):
            runs[name].append(meterline_run(landing, scratch / f"run-{name}"))
        print(f"repeat {repeat + 1}/{args.repeats}: mixed {runs['mixed'][-1]:.1f} s,"
              f" envelope {runs['envelope'][-1]:.1f} s", flush=True)
    mixed_rows = staged_rows(scratch / "run-mixed")
    envelope_rows = staged_rows(scratch / "run-envelope")

    sizes = {path.name: path.stat().st_size for path in files}
    lines = [
        "# meterline benchmark: ingest of every format, side by side",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {args.repeats} repeat(s), interleaved; {args.per_format:,}"
        f" records per sample file; Python {platform.python_version()}, DuckDB {duckdb.__version__},"
        f" {os.cpu_count()} cores. Command: `.venv/bin/python benchmarks/formats_benchmark.py"
        f" --per-format {args.per_format} --repeats {args.repeats}`.",
        "",
        "## Parsing each file alone (in-process, median seconds; records = rows + cost rows + skipped)",
        "",
        "| file | bytes | records | rejects | median (s) | records/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in sorted(parse_times, key=lambda n: statistics.median(parse_times[n]), reverse=True):
        median = statistics.median(parse_times[name])
        records, rejects = counts[name]
        lines.append(f"| {name} | {sizes[name]:,} | {records:,} | {rejects} | {median:.3f} |"
                     f" {records / median:,.0f} |")
    mixed_median, envelope_median = statistics.median(runs["mixed"]), statistics.median(runs["envelope"])
    lines += [
        "",
        "## `meterline run`: the mixed folder vs the same number of envelope lines",
        "",
        "| landing | staged usage rows | cost rows | samples (s) | median (s) | ratio to envelope |",
        "|---|---:|---:|---|---:|---:|",
        f"| mixed ({len(files)} files, every format) | {mixed_rows[0]:,} | {mixed_rows[1]:,} |"
        f" {', '.join(f'{s:.1f}' for s in runs['mixed'])} | {mixed_median:.1f} |"
        f" {mixed_median / envelope_median:.2f}x |",
        f"| envelope JSON lines (1 file) | {envelope_rows[0]:,} | {envelope_rows[1]:,} |"
        f" {', '.join(f'{s:.1f}' for s in runs['envelope'])} | {envelope_median:.1f} | 1.00x |",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
