"""Shared fixtures: real landing folders, real DuckDB files, real Dagster runs on a temporary instance."""

from __future__ import annotations

import gzip
import os
import subprocess
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pytest

from pipelines.ingest.files import compression_of
from pipelines.ingest.parse import FileResult, parse_file
from pipelines.pricing.quote import Usage
from pipelines.settings import Settings, bundled_pricing_dir

warnings.filterwarnings("ignore")
# Runs then keep their Dagster instance beside each test's warehouse, never in a developer's real DAGSTER_HOME.
os.environ.pop("DAGSTER_HOME", None)
# Nor may a test reach the real admin APIs with a developer's keys.
for _name in ("OPENAI_ADMIN_KEY", "ANTHROPIC_ADMIN_KEY", "METERLINE_OPENAI_API_BASE", "METERLINE_ANTHROPIC_API_BASE",
              "METERLINE_AZURE_DEPLOYMENTS", "METERLINE_CONTRACTS"):
    os.environ.pop(_name, None)


def write_jsonl(path: Path, records: Iterable[Any], *, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = b"".join(orjson.dumps(record) + b"\n" for record in records)
    path.write_bytes(gzip.compress(payload, mtime=0) if gz else payload)
    return path


def envelope(timestamp: str, response: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"timestamp": timestamp, "project": "proj", "api_key_id": "key_1", "user_id": "u1", **extra,
            "response": response}


def make_settings(root: Path) -> Settings:
    (root / "landing").mkdir(parents=True, exist_ok=True)
    return Settings(landing=root / "landing", warehouse=root / "wh" / "meterline.duckdb",
                    pricing=bundled_pricing_dir())


def read(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def priced_usages(settings: Settings, extra: str, where: str = "TRUE") -> list[tuple[Usage, tuple[Any, ...]]]:
    """Each row of core.usage_priced as the reference quote's Usage (free web-search calls drawn before it in its
    allowance included), with the `extra` columns beside it, to compare the SQL pricing with the quote."""
    rows = read(settings, f"""
        SELECT price_provider, model, event_time, service_tier, is_batch, endpoint_scope, input_tokens,
               cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens,
               input_audio_tokens, output_audio_tokens, input_image_tokens, output_image_tokens,
               cache_storage_token_hours, web_search_requests,
               coalesce(sum(web_search_requests) OVER (PARTITION BY quota_group ORDER BY event_time, event_id
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0),
               record_grain, context_tier, input_unknown, hardware, compute_seconds,
               {extra}
        FROM core.usage_priced WHERE {where}""")
    return [(Usage(*row[:18], web_search_used_before=int(row[18]), record_grain=row[19], context_tier=row[20],
                   input_unknown=row[21], hardware=row[22], compute_seconds=row[23]), row[24:]) for row in rows]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Ten days of demo traffic run through the whole pipeline once, for the tests that price it other ways."""
    from pipelines.demo.generate import generate
    from pipelines.run_path import run_pipeline

    settings = make_settings(tmp_path_factory.mktemp("demo_run"))
    generate(settings.landing, date(2026, 11, 20), days=10, scale=0.2)
    run_pipeline(settings)
    return settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)



def parse_records(tmp_path: Path, name: str, records: list[dict[str, Any]],
                  sha: str) -> tuple[list[dict[str, Any]], FileResult]:
    """The usage rows one file of `records` parses to, and its result (rejects, skips); `sha` stands for the file's
    digest, which keys the event ids of records without an id of their own."""
    path = write_jsonl(tmp_path / name, records)
    result = FileResult(source_file=path.name)
    tables = [table for kind, table in parse_file(path, compression_of(path), sha, result) if kind == "usage"]
    return (pa.concat_tables(tables).to_pylist() if tables else []), result


def buckets(row: dict[str, Any]) -> tuple[int, int, int, int, int]:
    """(uncached input, cache reads, cache writes 5m, output with reasoning, reasoning)."""
    return (row["input_tokens"], row["cache_read_tokens"], row["cache_write_5m_tokens"], row["output_tokens"],
            row["reasoning_tokens"])


def reasons(result: FileResult) -> list[tuple[int | None, str]]:
    return [(reject.source_line, reject.reason) for reject in result.rejects]


# `make focus-validator` (run by .ci/run) installs it; METERLINE_FOCUS_VALIDATOR may point at another install.
FOCUS_VALIDATOR = Path(os.environ.get("METERLINE_FOCUS_VALIDATOR")
                       or Path(__file__).resolve().parents[1] / ".venv-focus" / "bin" / "focus-validator")
# InvoiceId "MUST be NULL" when a charge is not invoiced yet and "MUST NOT be NULL" once it is: which holds is not in
# the data, so the validator checks both and one always fails, whatever the file says.
FOCUS_UNDECIDABLE = {"InvoiceId-C-004-C", "InvoiceId-C-005-C"}


def focus_validation(data: Path, workdir: Path) -> tuple[int, set[str]]:
    """Run the FinOps Foundation's focus-validator (FOCUS 1.2) on one Parquet file: (rules passed, rules failed).
    Skips the test when the validator is not installed."""
    if not FOCUS_VALIDATOR.is_file():
        pytest.skip(f"focus-validator is not installed at {FOCUS_VALIDATOR}: it needs Python >= 3.12;"
                    " `make focus-validator` installs it (.ci/run does)")
    # It opens its currency list relative to the working directory: run it where that path resolves.
    package = subprocess.run([str(FOCUS_VALIDATOR.parent / "python"), "-c", "import focus_validator, os;"
                              " print(os.path.dirname(focus_validator.__file__))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    link = workdir / "focus_validator"
    if not link.exists():
        link.symlink_to(package)
    report = workdir / f"{data.parent.name}.xml"
    run = subprocess.run([str(FOCUS_VALIDATOR), "--data-file", str(data), "--validate-version", "1.2",
                          "--block-download", "--output-type", "unittest", "--output-destination", str(report)],
                         cwd=workdir, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and report.is_file(), run.stdout[-2000:] + run.stderr[-2000:]
    outcomes = {case.get("name", ""): next((tag for tag in ("failure", "error", "skipped")
                                            if case.find(tag) is not None), "passed")
                for case in ET.parse(report).getroot().iter("testcase")}
    failed = {name.split()[0] for name, outcome in outcomes.items() if outcome in ("failure", "error")}
    return sum(outcome == "passed" for outcome in outcomes.values()), failed
