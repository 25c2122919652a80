"""Claude Code session transcripts as recorded (`tests/fixtures/recorded/SOURCES.md`), through the real pipeline.

One API message is written on one line per content block with the same id: it is one request, priced on its last
line's counts (earlier lines carry a placeholder output count). Every other line is a declared skip, and no text
of the transcript reaches the warehouse.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import make_settings, read

RECORDED = Path(__file__).parent / "fixtures" / "recorded" / "claude_code"


@pytest.fixture(scope="module")
def transcripts(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("claude_code"))
    for path in RECORDED.glob("*.jsonl"):
        shutil.copy(path, settings.landing / path.name)
    run_pipeline(settings)
    return settings


def test_each_message_is_one_request_with_its_last_line_counts(transcripts: Settings) -> None:
    rows = read(transcripts, """
        SELECT event_id, price_provider, model, project, input_tokens, cache_read_tokens, cache_write_5m_tokens,
               cache_write_1h_tokens, output_tokens, cost_status, list_cost_usd
        FROM core.usage_priced ORDER BY event_id""")
    worktrees = "/home/USER/projects/spotter-worktrees/"
    # claude-opus-4-6 per 1M: $5 input, $0.50 cache read, $6.25 5-minute write, $10 1-hour write, $25 output
    assert rows == [
        # 3x5 + 164,830x0.5 + 8,681x6.25 + 8x25 = 136,886.25
        ("anthropic:msg_013a13makKr7N19Xg6cuFoeK", "anthropic", "claude-opus-4-6", worktrees + "spotter-dov",
         3, 164830, 8681, 0, 8, "priced", Decimal("0.13688625")),
        # 1x5 + 29,509x0.5 + 5,601x6.25 + 299x25 = 57,240.75
        ("anthropic:msg_01Aci2WjhVxhEoZK5GJvwVrD", "anthropic", "claude-opus-4-6", worktrees + "spotter-dov",
         1, 29509, 5601, 0, 299, "priced", Decimal("0.05724075")),
        # 3x5 + 17,842x0.5 + 8,165x6.25 + 209x25 = 65,192.25
        ("anthropic:msg_01AjAtmphJjr4oSLfTyzk8LA", "anthropic", "claude-opus-4-6", worktrees + "spotter-4te",
         3, 17842, 8165, 0, 209, "priced", Decimal("0.06519225")),
        # 3x5 + 11,515x0.5 + 13,835x10 + 13x25 = 144,447.5
        ("anthropic:msg_01MKH1ccEGrZGNPvu8pYiiQa", "anthropic", "claude-opus-4-6", "/home/marco/projects/spotter",
         3, 11515, 0, 13835, 13, "priced", Decimal("0.1444475")),
    ]


def test_every_line_is_a_row_or_a_declared_skip(transcripts: Settings) -> None:
    ledger = read(transcripts, "SELECT regexp_extract(source_file, '[^/]+$'), format, rows_loaded, rows_rejected,"
                               " records_skipped FROM raw.file_ledger ORDER BY 1")
    lines = {path.name: len(path.read_bytes().splitlines()) for path in RECORDED.glob("*.jsonl")}
    assert [(name, fmt, rejected) for name, fmt, _, rejected, _ in ledger] == [
        (name, "claude_code_transcript", 0) for name in sorted(lines)]
    for name, _, rows, _, skipped in ledger:
        assert rows + skipped == lines[name], name
    assert read(transcripts, "SELECT count(*) FROM raw.rejects") == [(0,)]


def test_no_transcript_text_is_kept(transcripts: Settings) -> None:
    phrase = "PostToolUse:Edit hook additional context"
    assert phrase in (RECORDED / "spotter-acompact-subagent.jsonl").read_text()
    with duckdb.connect(str(transcripts.warehouse), read_only=True) as conn:
        columns = conn.execute("SELECT schema_name, table_name, column_name FROM duckdb_columns()"
                               " WHERE data_type = 'VARCHAR' AND schema_name IN ('raw', 'staging', 'core')").fetchall()
        for schema, table, column in columns:
            hits = conn.execute(f'SELECT count(*) FROM {schema}.{table} WHERE "{column}" LIKE ?',
                                [f"%{phrase}%"]).fetchone()
            assert hits == (0,), f"{schema}.{table}.{column}"
