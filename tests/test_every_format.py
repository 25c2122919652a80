"""Every format at once, through the real pipeline: all recognised, every record accounted for, no text leaked.

The sample files (`pipelines/demo/formats.py`) put a unique marker string in every text field a real record has:
message content, request bodies, Bedrock input/output bodies, LiteLLM messages, Langfuse input/output, OTel
gen_ai.input.messages, and text beside the response in the envelope. After a run, neither the DuckDB file's bytes,
nor any string column of any table, nor any file meterline wrote (the Dagster instance included) may hold it.
"""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.demo.formats import DOCUMENT_SAMPLES, JSONL_SAMPLES, write_format_samples
from pipelines.pricing.catalogue import load_catalogue
from pipelines.pricing.quote import quote
from pipelines.pricing.rates import build_rate_card
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings, bundled_pricing_dir
from tests.conftest import make_settings, priced_usages, read

MARKER = "MARKER-c0ffee-5e1f-4f0e-prompt-text"
COUNT = 6
START = datetime(2026, 3, 10, 9, 0, 0)
# Formats whose models no public catalogue prices: self-hosted servers stay visible as unpriced.
SELF_HOSTED = {"vllm.jsonl", "ollama.jsonl"}


@pytest.fixture(scope="module")
def formats_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[Path]]:
    settings = make_settings(tmp_path_factory.mktemp("formats"))
    files = write_format_samples(settings.landing, START, COUNT, MARKER)
    run_pipeline(settings)
    return settings, files


def test_every_sample_file_is_recognised_and_fully_loaded(formats_run: tuple[Settings, list[Path]]) -> None:
    settings, files = formats_run
    ledger = {Path(name).name: (status, fmt, rows, rejected, skipped, costs) for name, status, fmt, rows, rejected,
              skipped, costs in read(settings, "SELECT source_file, status, format, rows_loaded, rows_rejected,"
                                               " records_skipped, cost_rows FROM raw.file_ledger")}
    assert set(ledger) == {path.name for path in files}
    rejects = read(settings, "SELECT source_file, source_line, source_record, reason FROM raw.rejects")
    assert rejects == []
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


def test_each_format_prices_its_requests(formats_run: tuple[Settings, list[Path]]) -> None:
    settings, _ = formats_run
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


def test_the_marker_is_in_the_inputs_and_nowhere_meterline_wrote(formats_run: tuple[Settings, list[Path]]) -> None:
    settings, files = formats_run
    marker = MARKER.encode()
    # The check can fail: the marker really is in the landing files (in every one that has text fields).
    assert sum(marker in _plain_bytes(path) for path in files) >= 15
    written = [path for path in settings.warehouse.parent.rglob("*") if path.is_file()]
    assert settings.warehouse in written
    assert [path for path in written if marker in path.read_bytes()] == []
    # DuckDB compresses strings on disk, so also look through every text column of every table.
    with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
        columns = conn.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns()"
            " WHERE data_type = 'VARCHAR' AND schema_name IN ('raw', 'staging', 'core', 'marts')").fetchall()
        assert len(columns) > 40
        for schema, table, column in columns:
            hits = conn.execute(f'SELECT count(*) FROM {schema}.{table} WHERE "{column}" LIKE ?',
                                [f"%{MARKER}%"]).fetchone()
            assert hits == (0,), f"{schema}.{table}.{column}"


def _plain_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def test_rerunning_changes_nothing(formats_run: tuple[Settings, list[Path]]) -> None:
    settings, _ = formats_run
    query = ("SELECT count(*), sum(list_cost_usd), sum(reported_cost_usd), sum(requests) FROM core.usage_priced")
    before = read(settings, query)
    run_pipeline(settings)
    assert read(settings, query) == before


def test_sql_pricing_matches_the_reference_quote_for_every_format(formats_run: tuple[Settings, list[Path]]) -> None:
    # Report buckets included: their long-context band comes from the report, not from summed token counts.
    settings, _ = formats_run
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
