"""Benchmark `meterline run` end to end against its own data path without Dagster and a DuckDB-only floor.

The script writes about `--events` requests with the seeded demo generator (real OpenAI chat/responses, Anthropic
messages and Gemini JSONL, gzip included), then interleaves four contenders per repeat, each in a fresh child process
and on a fresh warehouse file:

* meterline, cold instance: `meterline run --landing ... --warehouse <fresh file>` with a fresh, empty DAGSTER_HOME
  (a user's very first run);
* meterline, warm instance: the same command with a DAGSTER_HOME that already exists, created once per invocation by
  an untimed warm-up `meterline run` over a tiny separate landing folder (every later run of a user);
* data path (no Dagster): the functions the Dagster assets call, in the assets' order, called from a plain Python
  process (`run_data_path()`): contract terms, rate card, ingest, model resolution, the six daily rebuilds over the
  whole range (events, priced events, GPU allocation, three marts), then the monitoring steps (savings opportunities,
  forecast/anomalies/budgets, alerts, publishing analytics.duckdb and its Parquet export) and the alert delivery;
* floor: one DuckDB query that scans the same files, extracts the token buckets of every shape, joins an inline
  price table and writes spend per day and model into a fresh DuckDB file.

Each run is measured by a fresh launcher process (this script with `--launch`): the wall time around the contender,
`ru_maxrss` of RUSAGE_CHILDREN (the peak RSS of the largest single process of the contender's tree, since the
launcher has no other children), and, because meterline parses large loads in worker processes, the peak of the
summed PSS (proportional set size) of the whole process tree, sampled from /proc every SAMPLE_S seconds.
Nothing here asserts on timings; it reports them.

    .venv/bin/python benchmarks/run_benchmark.py --events 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
LAST_DAY = date(2026, 2, 15)  # fixed so that the same arguments write the same bytes
SEED = 7
SAMPLE_S = 0.1
# The warm-up landing: a few dozen requests, enough to create every table and the Dagster instance's storage.
WARMUP_DAYS, WARMUP_SCALE = 2, 0.05

# USD per 1M tokens (web search per 1,000 calls): standard list rates of pricing/*.yaml for the generator's models,
# the rates in force over the benchmark's days. The fine-tuned OpenAI model is deliberately absent (unpriced).
PRICES: tuple[tuple[str, str, float, float, float, float, float, float], ...] = (
    # model, provider, input, cache_read, cache_write_5m, cache_write_1h, output, web_search_per_1k
    ("claude-sonnet-4-5-20250929", "anthropic", 3.00, 0.30, 3.75, 6.00, 15.00, 10.0),
    ("claude-haiku-4-5-20251001", "anthropic", 1.00, 0.10, 1.25, 2.00, 5.00, 10.0),
    ("claude-opus-4-5-20251101", "anthropic", 5.00, 0.50, 6.25, 10.00, 25.00, 10.0),
    ("gpt-4o-mini-2024-07-18", "openai", 0.15, 0.075, 0.0, 0.0, 0.60, 0.0),
    ("gpt-4.1-2025-04-14", "openai", 2.00, 0.50, 0.0, 0.0, 8.00, 0.0),
    ("gpt-4.1-mini-2025-04-14", "openai", 0.40, 0.10, 0.0, 0.0, 1.60, 0.0),
    ("gpt-5-2025-08-07", "openai", 1.25, 0.125, 0.0, 0.0, 10.00, 0.0),
    ("gpt-5-mini-2025-08-07", "openai", 0.25, 0.025, 0.0, 0.0, 2.00, 0.0),
    ("o3-2025-04-16", "openai", 2.00, 0.50, 0.0, 0.0, 8.00, 0.0),
    ("gemini-2.5-pro", "google", 1.25, 0.125, 0.0, 0.0, 10.00, 0.0),
    ("gemini-2.5-flash", "google", 0.30, 0.03, 0.0, 0.0, 2.50, 0.0),
    ("gemini-2.5-flash-lite", "google", 0.10, 0.01, 0.0, 0.0, 0.40, 0.0),
)

_N = "BIGINT"
_USAGE = (
    f"STRUCT(prompt_tokens {_N}, completion_tokens {_N}, "
    f"prompt_tokens_details STRUCT(cached_tokens {_N}, cache_write_tokens {_N}), "
    f"input_tokens {_N}, output_tokens {_N}, input_tokens_details STRUCT(cached_tokens {_N}, cache_write_tokens {_N}), "
    f"cache_read_input_tokens {_N}, cache_creation_input_tokens {_N}, "
    f"cache_creation STRUCT(ephemeral_5m_input_tokens {_N}, ephemeral_1h_input_tokens {_N}), "
    f"server_tool_use STRUCT(web_search_requests {_N}))"
)
_GEMINI_USAGE = (
    f"STRUCT(promptTokenCount {_N}, cachedContentTokenCount {_N}, toolUsePromptTokenCount {_N}, "
    f"candidatesTokenCount {_N}, thoughtsTokenCount {_N})"
)
# Only the metering fields of a response; the same fields at top level cover bare (un-enveloped) responses.
_RESPONSE_FIELDS = {
    "object": "VARCHAR", "type": "VARCHAR", "model": "VARCHAR", "modelVersion": "VARCHAR",
    "created": _N, "created_at": "DOUBLE", "usage": _USAGE, "usageMetadata": _GEMINI_USAGE,
}
_RESPONSE = "STRUCT(" + ", ".join(f'"{name}" {kind}' for name, kind in _RESPONSE_FIELDS.items()) + ")"
FLOOR_COLUMNS = {"timestamp": "TIMESTAMPTZ", "response": _RESPONSE, **_RESPONSE_FIELDS}


def _sql_struct(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"


def floor_sql(landing: Path) -> str:
    """The floor: one scan of every landing file, shape detection, token buckets, price join, daily aggregate."""
    prices = ",\n        ".join(
        f"('{m}', '{p}', " + ", ".join(f"{rate}e0" for rate in rates) + ")" for m, p, *rates in PRICES
    )
    glob = str(landing / "**" / "*").replace("'", "''")
    return f"""
CREATE TABLE daily_model_spend AS
WITH src AS (
    SELECT
        coalesce(response.usage, usage) AS u,
        coalesce(response.usageMetadata, usageMetadata) AS g,
        coalesce(response.object, object) AS obj,
        coalesce(response.type, type) AS typ,
        coalesce(response.model, response.modelVersion, model, modelVersion) AS model,
        coalesce(to_timestamp(coalesce(response.created, created)),
                 to_timestamp(coalesce(response.created_at, created_at)),
                 "timestamp") AS event_time
    FROM read_json('{glob}', columns={_sql_struct(FLOOR_COLUMNS)}, format='newline_delimited',
                   compression='auto', ignore_errors=true)
),
shaped AS (
    SELECT *,
        CASE WHEN g IS NOT NULL THEN 'gemini'
             WHEN obj IN ('chat.completion', 'chat.completion.chunk') THEN 'chat'
             WHEN obj = 'response' THEN 'responses'
             WHEN typ = 'message' THEN 'messages' END AS fmt
    FROM src
),
events AS (
    SELECT
        event_time::DATE AS usage_date,
        CASE fmt WHEN 'gemini' THEN 'google' WHEN 'messages' THEN 'anthropic' ELSE 'openai' END AS provider,
        model,
        CASE fmt
            WHEN 'chat' THEN u.prompt_tokens - coalesce(u.prompt_tokens_details.cached_tokens, 0)
                             - coalesce(u.prompt_tokens_details.cache_write_tokens, 0)
            WHEN 'responses' THEN u.input_tokens - coalesce(u.input_tokens_details.cached_tokens, 0)
                                  - coalesce(u.input_tokens_details.cache_write_tokens, 0)
            WHEN 'messages' THEN u.input_tokens
            ELSE g.promptTokenCount - coalesce(g.cachedContentTokenCount, 0)
                 + coalesce(g.toolUsePromptTokenCount, 0) END AS input_tokens,
        coalesce(CASE fmt
            WHEN 'chat' THEN u.prompt_tokens_details.cached_tokens
            WHEN 'responses' THEN u.input_tokens_details.cached_tokens
            WHEN 'messages' THEN u.cache_read_input_tokens
            ELSE g.cachedContentTokenCount END, 0) AS cache_read_tokens,
        coalesce(CASE fmt
            WHEN 'chat' THEN u.prompt_tokens_details.cache_write_tokens
            WHEN 'responses' THEN u.input_tokens_details.cache_write_tokens
            WHEN 'messages' THEN coalesce(u.cache_creation.ephemeral_5m_input_tokens, u.cache_creation_input_tokens)
            END, 0) AS cache_write_5m_tokens,
        coalesce(CASE WHEN fmt = 'messages' THEN u.cache_creation.ephemeral_1h_input_tokens END, 0)
            AS cache_write_1h_tokens,
        CASE fmt
            WHEN 'chat' THEN u.completion_tokens
            WHEN 'gemini' THEN coalesce(g.candidatesTokenCount, 0) + coalesce(g.thoughtsTokenCount, 0)
            ELSE u.output_tokens END AS output_tokens,
        coalesce(CASE WHEN fmt = 'messages' THEN u.server_tool_use.web_search_requests END, 0)
            AS web_search_requests
    FROM shaped
    WHERE fmt IS NOT NULL AND event_time IS NOT NULL
),
daily AS (
    SELECT usage_date, provider, model, count(*) AS requests,
           sum(input_tokens) AS input_tokens, sum(cache_read_tokens) AS cache_read_tokens,
           sum(cache_write_5m_tokens) AS cache_write_5m_tokens, sum(cache_write_1h_tokens) AS cache_write_1h_tokens,
           sum(output_tokens) AS output_tokens, sum(web_search_requests) AS web_search_requests
    FROM events
    GROUP BY ALL
),
prices(model, provider, input, cache_read, cache_write_5m, cache_write_1h, output, web_search_per_1k) AS (
    VALUES
        {prices}
)
SELECT d.*,
       (d.input_tokens * p.input + d.cache_read_tokens * p.cache_read + d.cache_write_5m_tokens * p.cache_write_5m
        + d.cache_write_1h_tokens * p.cache_write_1h + d.output_tokens * p.output) / 1e6
       + d.web_search_requests * p.web_search_per_1k / 1e3 AS list_cost_usd,
       CASE WHEN p.model IS NULL THEN d.requests ELSE 0 END AS unpriced_requests
FROM daily AS d
LEFT JOIN prices AS p USING (model, provider)
ORDER BY usage_date, provider, model
"""


def run_floor(landing: Path, warehouse: Path, stats: Path) -> None:
    """Child-process entry of the floor: run the query into a fresh DuckDB file and write a few sanity figures."""
    import duckdb

    start = time.perf_counter()
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(floor_sql(landing))
        rows, requests, cost = conn.execute(
            "SELECT count(*), sum(requests), sum(list_cost_usd) FROM daily_model_spend"
        ).fetchone() or (0, 0, 0.0)
    stats.write_text(json.dumps({"query_s": time.perf_counter() - start, "out_rows": rows,
                                 "requests": int(requests or 0), "list_cost_usd": float(cost or 0.0)}))


# The in-process steps of the data path, in the order `meterline run` runs them, as reported in its stats file. Within
# a Dagster job the in-process executor starts the ready steps in the order of their step keys, so the ingest job runs
# contract_terms, price_rates, usage_files; the daily job ends daily_model_spend, daily_project_spend,
# selfhosted_daily; the monitoring job runs savings_opportunities, spend_outlook, raw/alerts, published/analytics.
DATA_STEPS = ("core/contract_terms", "core/price_rates", "raw/usage_files", "day range", "core/usage_events",
              "core/usage_priced", "core/gpu_allocation", "marts/daily_model_spend", "marts/daily_project_spend",
              "marts/selfhosted_daily", "marts/savings_opportunities", "spend_outlook (forecast, anomalies, budgets)",
              "raw/alerts", "published/analytics (publish)", "published/analytics (Parquet export)",
              "alert delivery (deliver_due)")
# The steps `meterline run` gained since the benchmark last measured only ingest, pricing and the two spend marts.
NEW_STEPS = ("core/gpu_allocation", "marts/selfhosted_daily", "marts/savings_opportunities",
             "spend_outlook (forecast, anomalies, budgets)", "raw/alerts", "published/analytics (publish)",
             "published/analytics (Parquet export)", "alert delivery (deliver_due)")
DAILY_ASSETS = ("core/usage_events", "core/usage_priced", "core/gpu_allocation", "marts/daily_model_spend",
                "marts/daily_project_spend", "marts/selfhosted_daily")
# Where each step runs in `meterline run`.
STEP_JOB = {**dict.fromkeys(DATA_STEPS[:3], "ingest_job"), "day range": "runner, between the runs",
            **dict.fromkeys(DAILY_ASSETS, "daily_job"), **dict.fromkeys(DATA_STEPS[10:15], "monitoring_job"),
            "alert delivery (deliver_due)": "runner, after the runs"}
# WarehouseResource.LOCK_WAIT_SECONDS (pipelines/resources.py, which imports Dagster, so it is not imported here).
LOCK_WAIT_SECONDS = 30.0


def run_data_path(landing: Path, warehouse: Path, stats: Path) -> None:
    """Child-process entry of the data path: what `meterline run`'s assets and runner do, without Dagster.

    Mirrors pipelines/runner.py, pipelines/assets/*.py and the resources they use: every asset opens its own
    connection through WarehouseResource.connection() (`connect_waiting` + `ensure_schema`) and loads its
    configuration through SourcesResource (`load_catalogue`, `load_contracts`, `load_deployments`, `load_selfhosted`,
    `load_savings`, `load_alerts`, each of the last four with no file, as in `meterline run` by default), so this
    does the same. The run day is today in UTC, as SourcesResource.run_day() without METERLINE_TODAY. Not done here,
    because they are not the assets' data work: `meterline run`'s preflight, its asset checks, the Dagster instance
    and run bookkeeping, and the summary the CLI prints at the end.
    """
    from pipelines.alerts.config import load_alerts
    from pipelines.alerts.outbox import deliver_due, utc_now
    from pipelines.ingest.loader import ingest_landing
    from pipelines.monitoring import raise_alerts, run_monitoring
    from pipelines.pricing.catalogue import load_catalogue
    from pipelines.pricing.contracts import load_contracts, write_contract_terms
    from pipelines.pricing.deployments import load_deployments
    from pipelines.pricing.rates import build_rate_card
    from pipelines.pricing.store import current_catalogue_version, resolve_models, write_rate_card
    from pipelines.publish import PARQUET_DIR, export_parquet, publish
    from pipelines.selfhosted.deployments import load_selfhosted, write_gpu_deployments
    from pipelines.settings import bundled_pricing_dir
    from pipelines.warehouse import connect, connect_waiting, ensure_schema, rebuild_days
    from pipelines.whatif.config import load_savings
    from pipelines.whatif.levers import Pricer
    from pipelines.whatif.opportunities import find_basis, find_opportunities, load_volumes, write_opportunities

    pricing = bundled_pricing_dir()
    steps: dict[str, float] = {}
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    clock = started

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[name] = now - clock
        clock = now

    @contextlib.contextmanager
    def connection() -> Any:  # WarehouseResource.connection()
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        with connect_waiting(warehouse, LOCK_WAIT_SECONDS) as conn:
            ensure_schema(conn)
            yield conn

    def run_day() -> date:  # SourcesResource.run_day() without METERLINE_TODAY
        return datetime.now(UTC).date()

    # ingest_job
    contracts = load_contracts(None)  # core/contract_terms: no overlay, as in `meterline run` by default
    with connection() as conn:
        write_contract_terms(conn, contracts)
    lap("core/contract_terms")

    catalogue = load_catalogue(pricing)  # core/price_rates
    card = build_rate_card(catalogue)
    with connection() as conn:
        write_rate_card(conn, catalogue, card)
    lap("core/price_rates")

    with connection() as conn:  # raw/usage_files
        report = ingest_landing(conn, landing)
    figures.update(rows_loaded=report.rows_loaded, rows_rejected=report.rows_rejected, files=report.files_loaded)
    lap("raw/usage_files")

    # runner._days_present, then one block of contiguous days (runner.day_blocks bridges gaps of up to 7 days)
    with connect(warehouse, read_only=True) as conn:
        present = sorted(row[0] for row in conn.execute(
            "SELECT DISTINCT usage_date FROM staging.usage_records"
            " UNION SELECT DISTINCT usage_date FROM core.usage_events").fetchall())
    if not present:
        raise SystemExit("data path: nothing staged")
    if any((b - a).days > 8 for a, b in itertools.pairwise(present)):
        raise SystemExit("data path: the days form more than one block; `meterline run` would run several")
    first, last = present[0], present[-1]
    figures.update(first_day=first.isoformat(), last_day=last.isoformat())
    lap("day range")

    # daily_job
    catalogue = load_catalogue(pricing)  # core/usage_events
    with connection() as conn:
        resolve_models(conn, catalogue, first, last, load_deployments(None))
        figures["usage_events"] = rebuild_days(conn, "core.usage_events", first, last)
    lap("core/usage_events")

    with connection() as conn:  # core/usage_priced, with the assets' _versions and _later_days_on_monthly_quotas
        version = current_catalogue_version(conn)
        if version is None:
            raise SystemExit("data path: core.price_rates is empty")
        row = conn.execute("SELECT any_value(contracts_version) FROM core.contract_terms").fetchone()
        versions = {"catalogue_version": version, "contracts_version": str(row[0]) if row and row[0] else "none"}
        figures["usage_priced"] = rebuild_days(conn, "core.usage_priced", first, last, versions)
        conn.execute(
            "SELECT min(usage_date), max(usage_date) FROM core.usage_priced WHERE usage_date > ? AND quota_group IN ("
            " SELECT DISTINCT quota_group FROM core.usage_priced WHERE usage_date BETWEEN ? AND ?"
            " AND regexp_matches(quota_group, '/\\d{4}-\\d{2}$'))",
            [last, first, last],
        ).fetchone()
    lap("core/usage_priced")

    selfhosted = load_selfhosted(None)  # core/gpu_allocation
    with connection() as conn:
        write_gpu_deployments(conn, selfhosted)
        figures["gpu_allocation"] = rebuild_days(conn, "core.gpu_allocation", first, last)
    lap("core/gpu_allocation")

    # The model mart rolls the project mart up, so it comes after it.
    for table in ("marts.daily_project_spend", "marts.daily_model_spend", "marts.selfhosted_daily"):
        with connection() as conn:
            figures[table] = rebuild_days(conn, table, first, last)
        lap(table.replace(".", "/"))

    # monitoring_job
    savings = load_savings(None)  # marts/savings_opportunities
    catalogue = load_catalogue(pricing)
    pricer = Pricer(build_rate_card(catalogue), catalogue.exchange_rates)
    with connection() as conn:
        basis = find_basis(conn, savings.basis_days)
        if basis is None:
            conn.execute("DELETE FROM marts.savings_opportunities")
            figures["savings_opportunities"] = 0
        else:
            found = find_opportunities(load_volumes(conn, basis), pricer, savings, basis)
            figures["savings_opportunities"] = write_opportunities(conn, found, basis, run_day())
    lap("marts/savings_opportunities")

    alerts = load_alerts(None)  # spend_outlook: the five forecast, anomaly and budget marts
    with connection() as conn:
        result = run_monitoring(conn, alerts, run_day())
    figures["spend_forecast"] = len(result.outlook.forecast) if result.outlook is not None else 0
    figures["spend_anomalies"] = len(result.anomalies)
    lap("spend_outlook (forecast, anomalies, budgets)")

    alerts = load_alerts(None)  # raw/alerts
    with connection() as conn:
        figures["new_alerts"] = len(raise_alerts(conn, alerts, utc_now()))
    lap("raw/alerts")

    published = publish(warehouse)  # published/analytics: analytics.duckdb beside the warehouse, then Parquet
    figures["published_tables"] = len(published.tables)
    lap("published/analytics (publish)")
    figures["parquet_partitions"] = export_parquet(published.path, published.path.parent / PARQUET_DIR)
    lap("published/analytics (Parquet export)")

    # After the Dagster runs, `meterline run` sends the outbox's due alerts itself (runner.run_pipeline).
    delivery = deliver_due(warehouse, load_alerts(None))
    figures["alerts_sent"] = delivery.sent
    lap("alert delivery (deliver_due)")

    if "dagster" in sys.modules:
        raise SystemExit("data path: Dagster was imported")
    stats.write_text(json.dumps({"steps_s": steps, "total_s": time.perf_counter() - started, **figures}))


# ---------------------------------------------------------------------------------------------------------------
# The launcher: runs in its own fresh process, one per measured run.


def _descendants(root: int) -> list[int]:
    """`root` and every process below it, from the parent ids in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; the parent id is the second field after it.
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, ()))
    return found


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def launch(log: Path, command: list[str]) -> int:
    """Run `command`, print one JSON line: exit code, wall seconds, largest-process peak RSS, peak tree PSS."""
    import resource
    import threading

    peak_tree = 0
    most_procs = 0
    done = threading.Event()
    with log.open("wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)

        def sample() -> None:
            nonlocal peak_tree, most_procs
            while not done.wait(SAMPLE_S):
                pids = _descendants(child.pid)
                peak_tree = max(peak_tree, sum(_pss_kib(pid) for pid in pids))
                most_procs = max(most_procs, len(pids))

        sampler = threading.Thread(target=sample, daemon=True)
        if Path("/proc/self/smaps_rollup").exists():
            sampler.start()
        rc = child.wait()
        wall = time.perf_counter() - start
        done.set()
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"rc": rc, "wall_s": wall, "peak_rss_kib": largest, "peak_tree_pss_kib": peak_tree,
                      "max_processes": most_procs}))
    return 0


# ---------------------------------------------------------------------------------------------------------------
# Generation


class _MeanRng:
    """Stands in for random.Random where only uniform() is drawn, returning its mean."""

    def uniform(self, low: float, high: float) -> float:
        return (low + high) / 2


def base_requests(last_day: date, days: int) -> float:
    """Expected requests at scale 1.0 over the window, from the generator's own streams and day factor."""
    from pipelines.demo import generate as gen

    first = last_day - timedelta(days=days - 1)
    per_day = sum(stream.per_day for stream in gen.STREAMS)
    factors = sum(gen._day_factor(first + timedelta(days=i), i, _MeanRng()) for i in range(days))  # type: ignore[arg-type]
    return per_day * factors


@dataclass
class Dataset:
    landing: Path
    scale: float
    requests: int
    malformed_lines: int
    first_day: str
    last_day: str
    files: int = 0
    bytes_on_disk: int = 0
    bytes_uncompressed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _generator_digest() -> str:
    from pipelines.demo import generate as gen

    return hashlib.sha256(Path(gen.__file__).read_bytes()).hexdigest()[:16]


def prepare_dataset(workdir: Path, events: int, days: int, regenerate: bool) -> Dataset:
    """Generate the landing folder once (reused while the arguments and the generator are unchanged)."""
    from pipelines.demo.generate import generate

    landing = workdir / "landing"
    manifest = workdir / "landing.json"
    scale = events / base_requests(LAST_DAY, days)
    key = {"events": events, "days": days, "seed": SEED, "last_day": LAST_DAY.isoformat(), "scale": scale,
           "generator": _generator_digest()}
    if not regenerate and manifest.is_file() and landing.is_dir():
        saved = json.loads(manifest.read_text())
        if saved.get("key") == key:
            print(f"Reusing {landing} ({saved['requests']:,} requests; --regenerate to rewrite)")
            return _describe(landing, scale, saved)
    shutil.rmtree(landing, ignore_errors=True)
    manifest.unlink(missing_ok=True)
    print(f"Generating ~{events:,} requests over {days} days ending {LAST_DAY} (scale {scale:.3f}) ...", flush=True)
    start = time.perf_counter()
    result = generate(landing, LAST_DAY, days=days, seed=SEED, scale=scale)
    saved = {"key": key, "requests": result.requests, "malformed_lines": result.malformed_lines,
             "first_day": result.first_day.isoformat(), "last_day": result.last_day.isoformat()}
    manifest.write_text(json.dumps(saved, indent=1))
    print(f"Generated {result.requests:,} requests (+{result.malformed_lines} malformed lines, 1 duplicate) "
          f"in {time.perf_counter() - start:.1f}s", flush=True)
    return _describe(landing, scale, saved)


def _describe(landing: Path, scale: float, saved: dict[str, Any]) -> Dataset:
    data = Dataset(landing=landing, scale=scale, requests=saved["requests"], malformed_lines=saved["malformed_lines"],
                   first_day=saved["first_day"], last_day=saved["last_day"])
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        size = path.stat().st_size
        data.files += 1
        data.bytes_on_disk += size
        kind = "gzip JSONL" if path.suffix == ".gz" else "plain JSONL"
        data.by_kind[kind] = data.by_kind.get(kind, 0) + 1
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                while block := handle.read(1 << 22):
                    data.bytes_uncompressed += len(block)
        else:
            data.bytes_uncompressed += size
    return data


# ---------------------------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Sample:
    contender: str
    repeat: int
    rc: int
    wall_s: float
    peak_rss_kib: int
    peak_tree_pss_kib: int
    max_processes: int
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)
    load_before: float = float("nan")  # 1-minute load average of the machine just before the run (shared hosts)


def _launch(command: list[str], log: Path, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run `command` under a fresh launcher process; return its exit code, wall time and memory peaks."""
    launcher = [sys.executable, str(Path(__file__).resolve()), "--launch", str(log), *command]
    out = subprocess.run(launcher, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _sample(contender: str, repeat: int, result: dict[str, Any], log: Path) -> Sample:
    return Sample(contender, repeat, result["rc"], result["wall_s"], result["peak_rss_kib"],
                  result["peak_tree_pss_kib"], result["max_processes"], log)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERLINE_", "DAGSTER_"))}
    env["PYTHONHASHSEED"] = "0"
    return env


def meterline_command() -> list[str]:
    beside = Path(sys.executable).parent / "meterline"
    found = str(beside) if beside.exists() else shutil.which("meterline")
    if not found:
        raise SystemExit("cannot find the `meterline` command; run with the project's venv python")
    return [found]


def run_meterline(data: Dataset, run_dir: Path, repeat: int, home: Path | None = None) -> Sample:
    """`meterline run` on a fresh warehouse: with a fresh DAGSTER_HOME (cold), or with the warm `home` given."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    warehouse = run_dir / "meterline.duckdb"
    env = _clean_env()
    fresh = home is None
    instance = Path(tempfile.mkdtemp(prefix="dagster_home_", dir=run_dir)) if home is None else home
    env["DAGSTER_HOME"] = str(instance)
    command = [*meterline_command(), "run", "--landing", str(data.landing), "--warehouse", str(warehouse)]
    result = _launch(command, run_dir / "run.log", env, run_dir)
    sample = _sample("meterline-cold" if fresh else "meterline-warm", repeat, result, run_dir / "run.log")
    if sample.rc == 0:
        sample.extra = _warehouse_figures(warehouse)
    if fresh:
        shutil.rmtree(instance, ignore_errors=True)
    return sample


@dataclass
class WarmUp:
    home: Path
    requests: int
    sample: Sample  # the warm-up: a cold instance over the tiny landing
    tiny_warm: Sample | None = None  # then once more over the tiny landing, warm instance, fresh warehouse


def warm_instance(workdir: Path) -> WarmUp:
    """Create the warm DAGSTER_HOME: one untimed `meterline run` over a tiny landing folder of its own."""
    from pipelines.demo.generate import generate

    root = workdir / "runs" / "warmup"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    tiny = generate(root / "landing", LAST_DAY, days=WARMUP_DAYS, seed=SEED, scale=WARMUP_SCALE)
    home = root / "dagster_home"
    home.mkdir()
    env = _clean_env()
    env["DAGSTER_HOME"] = str(home)
    command = [*meterline_command(), "run", "--landing", str(root / "landing"), "--warehouse",
               str(root / "warmup.duckdb")]
    result = _launch(command, root / "run.log", env, root)
    sample = _sample("warm-up", 0, result, root / "run.log")
    if sample.rc != 0:
        raise SystemExit(f"the warm-up run failed (exit code {sample.rc}):\n{_tail(sample.log)}")
    warm = WarmUp(home=home, requests=tiny.requests, sample=sample)
    # The same tiny landing again with the instance now warm: the fixed cost of a later run with next to no data.
    tiny_data = Dataset(landing=root / "landing", scale=WARMUP_SCALE, requests=tiny.requests, malformed_lines=0,
                        first_day=tiny.first_day.isoformat(), last_day=tiny.last_day.isoformat())
    warm.tiny_warm = run_meterline(tiny_data, root / "tiny-warm", 0, home)
    return warm


def _warehouse_figures(warehouse: Path) -> dict[str, Any]:
    """Sanity figures from a finished meterline warehouse and the analytics copy published beside it (read after
    the timing, not part of it)."""
    import duckdb

    digest = "md5(string_agg(t::VARCHAR, chr(10) ORDER BY t::VARCHAR))"
    analytics = warehouse.parent / "analytics.duckdb"  # publish's default, METERLINE_ANALYTICS being unset
    try:
        with duckdb.connect(str(warehouse), read_only=True) as conn:
            staged = conn.execute("SELECT count(*) FROM staging.usage_records").fetchone()
            spend = conn.execute(
                "SELECT count(*), sum(requests), sum(list_cost_usd)::DOUBLE, sum(list_cost_usd)::VARCHAR, "
                f"{digest} FROM marts.daily_model_spend AS t"
            ).fetchone()
            project = conn.execute(f"SELECT count(*), {digest} FROM marts.daily_project_spend AS t").fetchone()
            # FOCUS 1.2: its ListCost must add up to the list cost of the priced requests, exactly (DECIMAL).
            focus = conn.execute(
                "WITH f AS (SELECT count(*) AS n, sum(ListCost) AS list_cost FROM marts.focus_v1_2),"
                " p AS (SELECT sum(list_cost_usd) AS list_cost FROM core.usage_priced WHERE cost_status = 'priced')"
                " SELECT f.n, f.list_cost::VARCHAR, p.list_cost::VARCHAR, f.list_cost = p.list_cost,"
                " (f.list_cost - p.list_cost)::VARCHAR FROM f, p"
            ).fetchone()
        with duckdb.connect(str(analytics), read_only=True) as conn:
            published = conn.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts'").fetchone()
    except duckdb.Error as exc:
        return {"error": str(exc).splitlines()[0]}
    if not staged or not spend or not project or not focus or not published:
        return {"error": "no rows"}
    return {"staged_rows": staged[0], "out_rows": spend[0], "requests": int(spend[1] or 0),
            "list_cost_usd": float(spend[2] or 0), "list_cost_exact": spend[3], "model_mart_md5": spend[4],
            "project_rows": project[0], "project_mart_md5": project[1], "focus_rows": focus[0],
            "focus_list_cost": focus[1], "priced_list_cost": focus[2], "focus_equals_priced": bool(focus[3]),
            "focus_minus_priced": focus[4], "published_tables": published[0]}


def run_data_path_sample(data: Dataset, run_dir: Path, repeat: int) -> Sample:
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    stats = run_dir / "stats.json"
    warehouse = run_dir / "datapath.duckdb"
    command = [sys.executable, str(Path(__file__).resolve()), "--data-path-child", str(data.landing),
               str(warehouse), str(stats)]
    result = _launch(command, run_dir / "run.log", _clean_env(), run_dir)
    sample = _sample("data-path", repeat, result, run_dir / "run.log")
    if sample.rc == 0 and stats.is_file():
        sample.extra = {**json.loads(stats.read_text()), **_warehouse_figures(warehouse)}
    return sample


def run_floor_sample(data: Dataset, run_dir: Path, repeat: int) -> Sample:
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    stats = run_dir / "stats.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--floor-child", str(data.landing),
               str(run_dir / "floor.duckdb"), str(stats)]
    result = _launch(command, run_dir / "run.log", _clean_env(), run_dir)
    sample = _sample("floor", repeat, result, run_dir / "run.log")
    if sample.rc == 0 and stats.is_file():
        sample.extra = json.loads(stats.read_text())
    return sample


def time_checks_and_summary(warehouse: Path, landing: Path) -> dict[str, float]:
    """Time what `meterline run` does beyond the assets' data work but outside Dagster: its asset checks and
    the closing summary, called directly on a finished warehouse (after the timed runs; page cache warm).

    Each check opens its own connection through WarehouseResource, as in a run, so that cost is included."""
    import io
    import warnings

    from rich.console import Console

    with warnings.catch_warnings():  # Dagster's beta warnings on import
        warnings.simplefilter("ignore")
        from pipelines.checks import ALL_CHECKS
        from pipelines.resources import SourcesResource, WarehouseResource
    from pipelines.settings import bundled_pricing_dir
    from pipelines.summary import print_summary
    from pipelines.warehouse import connect

    resources = {"warehouse": WarehouseResource(path=str(warehouse)),
                 "sources": SourcesResource(landing=str(landing), pricing=str(bundled_pricing_dir()))}
    timings: dict[str, float] = {}
    # Two passes, the second one kept: the first direct invocation of a check pays about a second of Dagster's
    # own set-up, which is Dagster's cost, not the check's SQL.
    for _ in range(2):
        for check in ALL_CHECKS:
            key = next(iter(check.check_keys))
            wanted = {name: resources[name] for name in check.required_resource_keys if name in resources}
            start = time.perf_counter()
            check(**wanted)
            timings[f"check {key.name}"] = time.perf_counter() - start
    start = time.perf_counter()
    with connect(warehouse, read_only=True) as conn:
        print_summary(conn, Console(file=io.StringIO(), width=120), warehouse)
    timings["summary"] = time.perf_counter() - start
    return timings


def _load_average() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------------------------------------------------------
# Reporting


def machine() -> dict[str, str]:
    import duckdb

    mem_kib = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu or platform.processor() or "unknown",
        "ram": f"{mem_kib / 1024 / 1024:.1f} GiB" if mem_kib else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def git_state() -> str:
    """HEAD of the checkout being measured, and whether the code under test had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "pipelines", "models", "pricing",
                                "dagster.yaml", "pyproject.toml"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head} (uncommitted changes in the code under test)" if dirty else head


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "n/a"


def _mib(kib: float) -> str:
    return f"{kib / 1024:,.0f}"


def _secs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


CONTENDERS = ("meterline-cold", "meterline-warm", "data-path", "floor")
HEADERS = ("meterline run, cold instance", "meterline run, warm instance", "data path (no Dagster)", "DuckDB floor")


def _median(samples: list[Sample]) -> float:
    return statistics.median([s.wall_s for s in samples]) if samples else float("nan")


def _row(label: str, cells: list[str]) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def _mem_row(label: str, groups: dict[str, list[Sample]], attr: str, median: bool = False) -> str:
    cells = []
    for name in CONTENDERS:
        values = [getattr(s, attr) for s in groups[name]]
        if not values:
            cells.append("n/a")
        elif median:
            cells.append(_mib(statistics.median(values)))
        else:
            cells.append(", ".join(_mib(v) for v in values))
    return _row(label, cells)


def _step_medians(samples: list[Sample]) -> dict[str, float]:
    steps = [s.extra["steps_s"] for s in samples if "steps_s" in s.extra]
    return {step: statistics.median([d.get(step, 0.0) for d in steps]) for step in DATA_STEPS} if steps else {}


def _cross_check(ok: dict[str, list[Sample]]) -> list[str]:
    """Totals of every contender's last successful run, and whether meterline and the data path agree exactly."""
    last = {name: group[-1].extra if group else {} for name, group in ok.items()}
    lines = ["Cross-check (read after timing, last successful run of each):", ""]
    for name, header in zip(CONTENDERS[:3], HEADERS[:3], strict=True):
        figures = last[name]
        lines.append(f"- {header}: staged {_count(figures.get('staged_rows'))} rows, priced "
                     f"{_count(figures.get('requests'))} requests, list cost "
                     f"${figures.get('list_cost_usd', float('nan')):,.2f} (exact sum "
                     f"{figures.get('list_cost_exact', 'n/a')}); marts {_count(figures.get('out_rows'))} + "
                     f"{_count(figures.get('project_rows'))} rows; marts.focus_v1_2 "
                     f"{_count(figures.get('focus_rows'))} rows, sum(ListCost) {figures.get('focus_list_cost', 'n/a')}"
                     f" vs list cost of the priced requests {figures.get('priced_list_cost', 'n/a')}: "
                     + ("**equal**" if figures.get("focus_equals_priced") else
                        f"**NOT equal** (difference {figures.get('focus_minus_priced', 'n/a')})")
                     + f"; {_count(figures.get('published_tables'))} marts published to analytics.duckdb")
    floor = last["floor"]
    lines.append(f"- DuckDB floor: counted {_count(floor.get('requests'))} requests, list cost "
                 f"${floor.get('list_cost_usd', float('nan')):,.2f} (it keeps the duplicate and the negative line, "
                 "applies no batch, tier or long-context rates)")
    keys = ("staged_rows", "requests", "list_cost_exact", "model_mart_md5", "project_mart_md5", "focus_rows",
            "focus_list_cost", "published_tables")
    runs = [s.extra for name in CONTENDERS[:3] for s in ok[name]]
    if runs and all("list_cost_exact" in r for r in runs):
        same = all(tuple(r.get(k) for k in keys) == tuple(runs[0].get(k) for k in keys) for r in runs)
        verdict = ("**equal**" if same else "**NOT equal**")
        focus_ok = all(r.get("focus_equals_priced") for r in runs)
        lines += ["", f"Across all {len(runs)} successful meterline and data-path runs, the staged row count, the "
                  f"priced requests, the exact DECIMAL list-cost sum, an md5 of both spend marts' full contents, the "
                  f"row count of marts.focus_v1_2 and the exact sum of its ListCost, and the number of marts "
                  f"published to analytics.duckdb are {verdict}. In "
                  + ("every one of them" if focus_ok else "**not all** of them")
                  + " the FOCUS ListCost sum equals the list cost of the priced requests in core.usage_priced "
                  "exactly (DECIMAL, no rounding)."]
    else:
        lines += ["", "The data path could not be compared with meterline (a run failed or gave no figures)."]
    return lines


def render(args: argparse.Namespace, data: Dataset, samples: list[Sample], info: dict[str, str],
           code: tuple[str, str], warm: WarmUp, extras: dict[str, float]) -> str:
    by = {name: [s for s in samples if s.contender == name] for name in CONTENDERS}
    ok = {name: [s for s in group if s.rc == 0] for name, group in by.items()}
    med = {name: _median(group) for name, group in ok.items()}
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# meterline benchmark: `meterline run` vs its data path without Dagster vs a DuckDB-only floor",
        "",
        f"Run {now}, {args.repeats} repeat(s) of each contender, interleaved per repeat (meterline cold, meterline "
        "warm, data path, floor; then again).",
        "",
        "## Machine and data",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {info['nproc']} cores ({info['cpu']}) |",
        f"| RAM | {info['ram']} |",
        f"| OS | {info['os']} |",
        f"| Python / DuckDB | {info['python']} / {info['duckdb']} |",
        f"| meterline code | {code[0]}"
        + (f"; changed during the run, now {code[1]} |" if code[1] != code[0] else " |"),
        f"| requests generated (N) | {data.requests:,} (asked ~{args.events:,}; scale {data.scale:.3f}; "
        f"+{data.malformed_lines} malformed lines, 1 duplicate) |",
        f"| days | {args.days} ({data.first_day} .. {data.last_day}), seed {SEED} |",
        f"| files | {data.files} ({', '.join(f'{n} {k}' for k, n in sorted(data.by_kind.items()))}) |",
        f"| bytes on disk | {data.bytes_on_disk / 1e6:,.1f} MB "
        f"({data.bytes_uncompressed / 1e6:,.1f} MB uncompressed) |",
        "",
        "## Results (wall time of the whole contender, seconds; memory in MiB)",
        "",
        "| | " + " | ".join(HEADERS) + " |",
        "|---|" + "---:|" * len(HEADERS),
        _row("median wall time (s)", [f"{med[n]:.2f}" for n in CONTENDERS]),
        _row("samples (s)", [_secs([s.wall_s for s in by[n]]) for n in CONTENDERS]),
        _mem_row("peak memory of the process tree, median (MiB, summed PSS sampled every "
                 f"{SAMPLE_S:g} s)", ok, "peak_tree_pss_kib", median=True),
        _mem_row("peak tree PSS samples (MiB)", by, "peak_tree_pss_kib"),
        _mem_row("peak RSS of the largest single process, median (MiB, ru_maxrss)", ok, "peak_rss_kib", median=True),
        _mem_row("largest-process peak RSS samples (MiB)", by, "peak_rss_kib"),
        _row("processes in the tree (max seen)", [str(max((s.max_processes for s in by[n]), default=0))
                                                  for n in CONTENDERS]),
        _row("1-minute load average of the machine just before each run",
             [", ".join(f"{s.load_before:.2f}" for s in by[n]) for n in CONTENDERS]),
        _row("throughput at the median (requests/s)", [f"{data.requests / med[n]:,.0f}" for n in CONTENDERS]),
        _row("**ratio median / median(floor)**", [f"**{med[n] / med['floor']:.1f}x**" for n in CONTENDERS[:3]] + [""]),
    ]
    data_total = [s.extra["total_s"] for s in ok["data-path"] if "total_s" in s.extra]
    if data_total:
        lines.append(_row("data path: its steps alone, in-process (s)", ["", "", _secs(data_total), ""]))
    floor_q = [s.extra["query_s"] for s in ok["floor"] if "query_s" in s.extra]
    if floor_q:
        lines.append(_row("floor: query alone, in-process (s)", ["", "", "", _secs(floor_q)]))

    overhead = med["meterline-warm"] - med["data-path"]
    checks = sum(v for k, v in extras.items() if k.startswith("check "))
    n_checks = sum(1 for k in extras if k.startswith("check ")) or "seven"
    summary = extras.get("summary", float("nan"))
    lines += [
        "",
        "## Meterline's data work vs Dagster's fixed cost",
        "",
        f"- **Dagster and start-up overhead ≈ median(meterline warm) − median(data path) = "
        f"{med['meterline-warm']:.2f} − {med['data-path']:.2f} = {overhead:.2f} s** "
        f"({overhead / med['meterline-warm']:.0%} of the warm run). This difference holds everything "
        "`meterline run` does beyond the assets' own calls: interpreter start-up and importing Dagster and the "
        "definitions, the preflight (catalogue, deployments, alerts, savings and self-hosted files; schema), opening "
        "the instance, three `execute_in_process` runs (ingest, daily, monitoring) with their event logs and one "
        f"materialisation record per asset and day ({args.days} days x {len(DAILY_ASSETS)} daily assets), the "
        f"{n_checks} asset checks, and the summary the CLI prints.",
    ]
    if extras:
        lines.append(
            f"- Of that, the {n_checks} asset checks and the summary, called directly on a finished data-path "
            "warehouse after the timed runs (second pass of the checks, each with its own connection as in a run): "
            f"checks {checks:.2f} s ("
            + ", ".join(f"{k.removeprefix('check ')} {v:.2f}" for k, v in extras.items() if k.startswith("check "))
            + f"), summary {summary:.2f} s. They are meterline's own SQL, not Dagster; what remains, about "
            f"{overhead - checks - summary:.2f} s, is start-up, imports and Dagster itself.")
    cold_extra = med["meterline-cold"] - med["meterline-warm"]
    spread = max((max(v) - min(v) for v in ([s.wall_s for s in ok[n]] for n in CONTENDERS[:2]) if v), default=0.0)
    lines.append(
        f"- Cold instance extra ≈ median(meterline cold) − median(meterline warm) = {cold_extra:.2f} s"
        + (f", smaller than the run-to-run spread of either ({spread:.2f} s between the fastest and slowest run), so "
           "creating DAGSTER_HOME's storage does not show at this size; the tiny runs below measure it better."
           if abs(cold_extra) < spread else ": what creating DAGSTER_HOME's storage costs a user's very first "
           "run, as far as it shows above the noise.")
        + " A user's instance exists after the first run (`meterline run` keeps it in DAGSTER_HOME, by default "
        "beside the warehouse), so the warm figure is what every later run pays."
    )
    tiny_warm = warm.tiny_warm
    lines.append(
        f"- Fixed cost with next to no data, `meterline run` over a tiny landing folder ({warm.requests:,} requests, "
        f"{WARMUP_DAYS} days; one run each, not in the table): cold instance {warm.sample.wall_s:.2f} s (the "
        "warm-up), warm instance "
        + (f"{tiny_warm.wall_s:.2f} s (right after it, fresh warehouse)." if tiny_warm and tiny_warm.rc == 0
           else "failed.")
    )
    steps = _step_medians(ok["data-path"])
    if steps:
        total = sum(steps.values())
        new = sum(steps[step] for step in NEW_STEPS)
        lines += ["", "Where the data path spends its time (in-process step times, median over its runs; *new* marks "
                  "the steps `meterline run` gained since the previous RESULTS.md):", "",
                  "| step | in `meterline run` | median (s) | share |", "|---|---|---:|---:|"]
        lines += [f"| {step}{' *(new)*' if step in NEW_STEPS else ''} | {STEP_JOB[step]} | {value:.2f} | "
                  f"{value / total:.0%} |" for step, value in steps.items()]
        lines += [f"| **sum of the step medians** | | **{total:.2f}** | 100% |",
                  f"| of which the new steps | | {new:.2f} | {new / total:.0%} |"]
    lines += ["", *_cross_check(ok)]
    failed = [s for s in samples if s.rc != 0]
    if failed:
        lines += ["", "## Failed runs", ""]
        for s in failed:
            lines += [f"- {s.contender} repeat {s.repeat}: exit code {s.rc} after {s.wall_s:.1f}s, peak tree PSS "
                      f"{_mib(s.peak_tree_pss_kib)} MiB; log {s.log}", "", "```", _tail(s.log), "```", ""]
    lines += [
        "",
        "## How to reproduce",
        "",
        "```sh",
        f".venv/bin/python benchmarks/run_benchmark.py --events {args.events} --days {args.days} "
        f"--repeats {args.repeats}",
        "```",
        "",
        "The logs are written once under `--workdir` (default `benchmarks/work/`, gitignored) and reused while the "
        "arguments and `pipelines/demo/generate.py` are unchanged (`--regenerate` forces a rewrite). Each repeat gets "
        "a fresh warehouse file for every contender. Every contender runs in its own child, started by a fresh "
        "launcher process that reports the wall time around the child, `ru_maxrss` of its children (the peak RSS of "
        "the largest single process in the tree) and the peak of the summed PSS of the whole process tree, sampled "
        "from /proc (meterline and the data path parse large loads in worker processes, whose memory ru_maxrss does "
        "not add up). The files are in the OS page cache for all contenders (they were just written or read), so "
        "this compares CPU work, not cold disk reads.",
        "",
        "## Cold and warm Dagster instance",
        "",
        "`meterline run` opens a Dagster instance in DAGSTER_HOME (by default a folder beside the warehouse) and "
        "keeps it: a user's instance exists after the first run, and every later run reuses it. *Cold* gives each "
        "timed run a fresh, empty DAGSTER_HOME, so the run also creates the instance's storage (a user's very first "
        "run). *Warm* uses one DAGSTER_HOME per benchmark invocation, created by one untimed warm-up `meterline run` "
        f"over a tiny landing folder of its own (`generate(..., days={WARMUP_DAYS}, scale={WARMUP_SCALE:g})`, "
        f"{warm.requests:,} requests) with its own throwaway warehouse; every timed warm run reuses it, with a "
        "fresh warehouse each time, so run history accumulates across the warm repeats as it would for a user.",
        "",
        "## What the data path does",
        "",
        "`run_data_path()` in `run_benchmark.py`, run as a plain Python child (no Dagster imported), calls the "
        "functions the Dagster assets call, in the order `meterline run` runs them (within a job Dagster's in-process "
        "executor starts the ready steps in step-key order) and with the same arguments, on a fresh warehouse. "
        "Ingest job: `write_contract_terms` with no contract overlay (core/contract_terms); `load_catalogue` of the "
        "bundled pricing folder, `build_rate_card`, `write_rate_card` (core/price_rates); `ingest_landing(conn, "
        "landing)` (raw/usage_files, with the same worker processes). Then the runner's day range (the distinct days "
        "of `staging.usage_records` and `core.usage_events`, one block). Daily job, over the whole range at once as "
        "`meterline run` does for contiguous days: `resolve_models(conn, catalogue, first, last, deployments)` and "
        "`rebuild_days` of `core.usage_events`; `rebuild_days` of `core.usage_priced` with the catalogue and contract "
        "versions read back as the asset does, and its monthly-quota query; `write_gpu_deployments` and "
        "`rebuild_days` of `core.gpu_allocation`; `rebuild_days` of `marts.daily_model_spend`, "
        "`marts.daily_project_spend` and `marts.selfhosted_daily`. Monitoring job: `find_basis`, `load_volumes`, "
        "`find_opportunities` with a `Pricer` of a freshly built rate card, `write_opportunities` "
        "(marts/savings_opportunities); `run_monitoring` (spend_outlook: forecast, month-end projection, backtest, "
        "anomalies, budgets); `raise_alerts` (raw/alerts); `publish` of every mart and view into analytics.duckdb "
        "beside the warehouse and `export_parquet` of the day-grain marts and the FOCUS rows (published/analytics). "
        "Last, `deliver_due`, which `meterline run` calls itself after the Dagster runs. The savings, alerts, "
        "self-hosted and deployments files are absent, as in a default `meterline run`, and the run day is today "
        "(UTC). Like the assets (through `WarehouseResource.connection()` and `SourcesResource`), every step opens "
        "its own connection with `connect_waiting` + `ensure_schema` and loads its own configuration (the three "
        "steps that need the catalogue each load it). It leaves out the preflight, the asset checks and the "
        "summary, so those count in the overhead above, where they are timed separately.",
        "",
        "## What the floor does and does not do",
        "",
        "The floor is a single DuckDB query (`floor_sql()` in `run_benchmark.py`): one `read_json` over every "
        "landing file (gzip and plain, `format='newline_delimited'`, `ignore_errors=true`) with explicit `columns=` "
        "naming only the metering fields, as typed STRUCTs, for the envelope (`response.*`) and bare shapes alike. "
        "It tells the shape apart (Gemini `usageMetadata`, OpenAI chat `object`, OpenAI responses, Anthropic "
        "`type='message'`), derives exclusive buckets as meterline does (uncached input, cache reads, 5m/1h cache "
        "writes, output incl. reasoning/thoughts, web searches), takes the day from the provider timestamp else "
        "the envelope's, aggregates by day, provider and model first, then joins an inline price table of "
        "standard list rates and writes the result into a fresh DuckDB file. Its wall time includes Python start-up "
        "and `import duckdb`.",
        "",
        "It does not: keep per-request rows (meterline stages every record in `staging.usage_records`), hash files "
        "or keep a file ledger (so nothing is incremental), record rejects with line numbers and reasons (malformed "
        "lines are skipped or counted silently; the negative-token line is counted), de-duplicate a response "
        "logged twice, validate counts (negatives, cache > prompt), resolve model aliases, apply dated prices, "
        "batch or service-tier rates or long-context thresholds, flag unpriced variants, build the project mart or "
        "run asset checks, or pay for Dagster (definitions, instance, run and event storage). The gap is therefore "
        "an upper bound on what could be saved, not a like-for-like comparison.",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000, help="about how many requests to generate")
    parser.add_argument("--days", type=int, default=30, help="days of traffic to generate")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each contender, interleaved")
    parser.add_argument("--workdir", type=Path, default=HERE / "work", help="logs, warehouses and run logs")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md", help="markdown report to write")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the logs even if they can be reused")
    parser.add_argument("--floor-child", nargs=3, metavar=("LANDING", "WAREHOUSE", "STATS"), help=argparse.SUPPRESS)
    parser.add_argument("--data-path-child", nargs=3, metavar=("LANDING", "WAREHOUSE", "STATS"),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--launch"]:
        return launch(Path(argv[1]), argv[2:])
    args = parse_args(argv)
    if args.floor_child:
        landing, warehouse, stats = (Path(p) for p in args.floor_child)
        run_floor(landing, warehouse, stats)
        return 0
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.data_path_child:
        landing, warehouse, stats = (Path(p) for p in args.data_path_child)
        run_data_path(landing, warehouse, stats)
        return 0
    if args.events < 1 or args.days < 1 or args.repeats < 1:
        raise SystemExit("--events, --days and --repeats must be positive")
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    data = prepare_dataset(workdir, args.events, args.days, args.regenerate)
    print(f"Landing: {data.files} files, {data.bytes_on_disk / 1e6:,.1f} MB on disk "
          f"({data.bytes_uncompressed / 1e6:,.1f} MB uncompressed), {data.requests:,} requests", flush=True)
    code_before = git_state()
    # Run folders are scratch: clear the previous invocation's warehouses (the landing folder is kept).
    shutil.rmtree(workdir / "runs", ignore_errors=True)
    warm = warm_instance(workdir)
    print(f"Warm-up (untimed): meterline run over {warm.requests:,} requests with a cold instance took "
          f"{warm.sample.wall_s:.2f}s, then {warm.tiny_warm.wall_s if warm.tiny_warm else float('nan'):.2f}s "
          f"warm; warm DAGSTER_HOME {warm.home}", flush=True)
    runners = {
        "meterline-cold": run_meterline,
        "meterline-warm": lambda d, r, n: run_meterline(d, r, n, warm.home),
        "data-path": run_data_path_sample,
        "floor": run_floor_sample,
    }
    samples: list[Sample] = []
    for repeat in range(1, args.repeats + 1):
        for name in CONTENDERS:
            load = _load_average()
            sample = runners[name](data, workdir / "runs" / f"{name}-{repeat}", repeat)
            sample.load_before = load
            samples.append(sample)
            status = "ok" if sample.rc == 0 else f"FAILED rc={sample.rc} (see {sample.log})"
            print(f"[{repeat}/{args.repeats}] {name:14s} {sample.wall_s:8.2f}s  load {load:4.2f}  tree PSS "
                  f"{_mib(sample.peak_tree_pss_kib):>6s} MiB  largest RSS {_mib(sample.peak_rss_kib):>6s} MiB  "
                  f"{sample.max_processes} proc  {status}", flush=True)
            if sample.rc != 0:
                print(_tail(sample.log), flush=True)
    extras: dict[str, float] = {}
    finished = [s for s in samples if s.contender == "data-path" and s.rc == 0]
    if finished:
        extras = time_checks_and_summary(finished[-1].log.parent / "datapath.duckdb", data.landing)
        print("Checks and summary, timed afterwards: "
              + ", ".join(f"{k} {v:.2f}s" for k, v in extras.items()), flush=True)
    report = render(args, data, samples, machine(), (code_before, git_state()), warm, extras)
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report)
    print()
    print(report)
    print(f"Wrote {output}")
    return 0 if all(s.rc == 0 for s in samples) else 1


if __name__ == "__main__":
    sys.exit(main())
