"""Every format at once, through the real pipeline: all recognised, every record accounted for, no text leaked.

The sample files (`pipelines/demo/formats.py`) put a unique marker string in every text field a real record has:
message content, tool-call arguments, request bodies, Bedrock input/output bodies and request metadata, LiteLLM
messages and requester metadata, Langfuse input/output/metadata, OTel gen_ai messages, tool arguments and system
instructions, and text and metadata beside the response in the envelope. A further file holds records that are
rejected with the marker inside them: broken JSON, an unknown shape, text where a count belongs, a missing model.
The pipeline runs as a user runs it (the `meterline` command, then `report --html` and `summary`). Afterwards
neither anything it printed, nor the bytes of any file it wrote (the published copy, the Parquet and FOCUS
partitions, the HTML report, the Dagster instance's event log and any compute logs), nor any text column of the
warehouse or the published copy, nor any string in the Parquet files may hold the marker.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import orjson
import pytest

from pipelines.demo.formats import DOCUMENT_SAMPLES, JSONL_SAMPLES, write_format_samples
from pipelines.pricing.catalogue import load_catalogue
from pipelines.pricing.quote import quote
from pipelines.pricing.rates import build_rate_card
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings, bundled_pricing_dir
from tests.conftest import make_settings, priced_usages, read

MARKER = "MARKER-c0ffee-5e1f-4f0e-prompt-text"
METERLINE = str(Path(sys.executable).parent / "meterline")
REJECTED = "rejected_with_text.jsonl"
FormatsRun = tuple[Settings, list[Path], str]
COUNT = 6
START = datetime(2026, 3, 10, 9, 0, 0)
# Formats whose models no public catalogue prices: self-hosted servers stay visible as unpriced.
SELF_HOSTED = {"vllm.jsonl", "ollama.jsonl"}


def _rejected_lines() -> list[bytes]:
    chat = {"id": "chatcmpl-rj", "object": "chat.completion", "created": 1773144000, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": MARKER}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2}}
    text_count = {**chat, "usage": {"prompt_tokens": f"{MARKER} as a count", "completion_tokens": 2}}
    no_model = {key: value for key, value in chat.items() if key != "model"}
    return [orjson.dumps(chat)[:90], orjson.dumps({"note": MARKER, "text": [MARKER]}), orjson.dumps(text_count),
            orjson.dumps({"timestamp": "2026-03-10T10:00:00Z", "response": no_model})]


def _meterline(*args: str, cwd: Path) -> str:
    done = subprocess.run([METERLINE, *args], capture_output=True, text=True, timeout=600, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"}, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def formats_run(tmp_path_factory: pytest.TempPathFactory) -> FormatsRun:
    """The sample files run through the `meterline` command; returns what the commands printed as well."""
    root = tmp_path_factory.mktemp("formats")
    settings = make_settings(root)
    files = write_format_samples(settings.landing, START, COUNT, MARKER)
    (settings.landing / REJECTED).write_bytes(b"\n".join(_rejected_lines()) + b"\n")
    where = ["--warehouse", str(settings.warehouse)]
    printed = _meterline("run", "--landing", str(settings.landing), *where, cwd=root)
    printed += _meterline("report", "--html", str(settings.warehouse.parent / "report.html"), *where, cwd=root)
    printed += _meterline("summary", *where, cwd=root)
    return settings, files, printed


def test_every_sample_file_is_recognised_and_fully_loaded(formats_run: FormatsRun) -> None:
    settings, files, _ = formats_run
    ledger = {Path(name).name: (status, fmt, rows, rejected, skipped, costs) for name, status, fmt, rows, rejected,
              skipped, costs in read(settings, "SELECT source_file, status, format, rows_loaded, rows_rejected,"
                                               " records_skipped, cost_rows FROM raw.file_ledger")}
    assert set(ledger) == {path.name for path in files} | {REJECTED}
    assert ledger.pop(REJECTED)[:5] == ("partial", None, 0, 4, 0)
    rejects = read(settings, "SELECT source_file, source_line, source_record, reason FROM raw.rejects")
    assert sorted(line for name, line, _, _ in rejects if name.endswith(REJECTED)) == [1, 2, 3, 4]
    assert [row for row in rejects if not row[0].endswith(REJECTED)] == []
    for name, (status, fmt, rows, rejected, skipped, costs) in ledger.items():
        assert rejected == 0, name
        assert status == "loaded", name
        assert fmt, name
        # Each sample record is one row (usage or cost); a stream's content chunks are skipped, not lost.
        if name == "openai_stream.jsonl":
            assert (rows, skipped) == (COUNT // 3, COUNT - COUNT // 3)
        elif name in ("openai_costs_page.json", "anthropic_cost_report.json", "modal_billing_report.json"):
            assert (rows, costs, skipped) == (0, COUNT, 0), name
        else:
            assert (rows, costs, skipped) == (COUNT, 0, 0), name


def test_each_format_prices_its_requests(formats_run: FormatsRun) -> None:
    settings, _, _ = formats_run
    rows = read(settings, """
        SELECT regexp_extract(source_file, '[^/]+$') AS file, cost_status, count(*)
        FROM core.usage_priced GROUP BY ALL ORDER BY ALL""")
    by_file: dict[str, dict[str, int]] = {}
    for name, status, n in rows:
        by_file.setdefault(name, {})[status] = n
    for name, statuses in by_file.items():
        if name in SELF_HOSTED:
            assert set(statuses) <= {"unpriced_model", "incomplete_usage"}, (name, statuses)
        else:
            assert statuses == {"priced": statuses.get("priced", 0)}, (name, statuses)
    usage_files = {s.file for s in (*JSONL_SAMPLES, *DOCUMENT_SAMPLES)} - {
        "openai_costs_page.json", "anthropic_cost_report.json", "modal_billing_report.json"}
    assert set(by_file) == usage_files | {"openai_usage_export.tsv", "litellm_spend_logs.csv"}


def test_the_marker_is_in_the_inputs_and_nowhere_meterline_wrote(formats_run: FormatsRun) -> None:
    settings, files, printed = formats_run
    marker = MARKER.encode()
    # The check can fail: the marker really is in the landing files (in every one that has text fields).
    assert sum(marker in _plain_bytes(path) for path in files) >= 15
    assert "Published" in printed or "published" in printed
    assert MARKER not in printed
    written = [path for path in settings.warehouse.parent.rglob("*") if path.is_file()]
    names = {path.name for path in written}
    assert {settings.warehouse.name, "analytics.duckdb", "report.html", "runs.db"} <= names, names
    assert len([path for path in written if path.suffix == ".parquet"]) >= 3
    assert [path for path in written if marker in path.read_bytes()] == []
    # DuckDB and Parquet compress strings on disk, so also look through every string they hold.
    for database in (settings.warehouse, settings.warehouse.parent / "analytics.duckdb"):
        with duckdb.connect(str(database), read_only=True) as conn:
            columns = conn.execute(
                "SELECT schema_name, table_name, column_name FROM duckdb_columns()"
                " WHERE data_type = 'VARCHAR' AND schema_name IN ('raw', 'staging', 'core', 'marts')").fetchall()
            assert len(columns) > 40
            for schema, table, column in columns:
                hits = conn.execute(f'SELECT count(*) FROM {schema}.{table} WHERE "{column}" LIKE ?',
                                    [f"%{MARKER}%"]).fetchone()
                assert hits == (0,), f"{database.name}: {schema}.{table}.{column}"
    with duckdb.connect() as conn:
        for path in (path for path in written if path.suffix == ".parquet"):
            row = conn.execute("SELECT count(*) FROM read_parquet(?) AS t WHERE t::VARCHAR LIKE ?",
                               [str(path), f"%{MARKER}%"]).fetchone()
            assert row == (0,), path


def _plain_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def test_rerunning_changes_nothing(formats_run: FormatsRun) -> None:
    settings, _, _ = formats_run
    query = ("SELECT count(*), sum(list_cost_usd), sum(reported_cost_usd), sum(requests) FROM core.usage_priced")
    before = read(settings, query)
    run_pipeline(settings)
    assert read(settings, query) == before


def test_sql_pricing_matches_the_reference_quote_for_every_format(formats_run: FormatsRun) -> None:
    # Report buckets included: their long-context band comes from the report, not from summed token counts.
    settings, _, _ = formats_run
    catalogue = load_catalogue(bundled_pricing_dir())
    card = build_rate_card(catalogue)
    rows = priced_usages(settings, "cost_status, list_cost_usd, rate_id, record_grain")
    grains = set()
    for usage, (status, cost, rate_id, grain) in rows:
        expected = quote(card, usage, catalogue.exchange_rates)
        assert (expected.cost_status, expected.list_cost_usd) == (status, cost), usage
        assert (expected.rate.rate_id if expected.rate else None) == rate_id
        grains.add(grain)
    assert grains == {"request", "chunk", "bucket"}
