"""Tests of parse_file and compression_of on real files written to tmp_path.

Expected rows are computed by hand from the reference examples in shared/reference/provider-formats.md
(sections 1a, 1b, 2a, 3a); see tests/test_provider_mappings.py for the per-mapper arithmetic.
"""

from __future__ import annotations

import copy
import gzip
import zlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
import zstandard

from pipelines.ingest.files import compression_of
from pipelines.ingest.parse import STAGING_SCHEMA, FileResult, parse_file
from tests.reference_examples import ANTHROPIC_EXAMPLE as REFERENCE_ANTHROPIC
from tests.reference_examples import CHAT_EXAMPLE, RESPONSES_EXAMPLE, Record

SHA = "ab" * 32  # parse_file keys id-less rows by the first 16 hex digits of the file's sha256
FILE_KEY = "abababababababab"

PROMPT_SECRET = "SECRET-PROMPT: please summarise my medical record"
REPLY_SECRET = "SECRET-REPLY: here is the summary"

ANTHROPIC_EXAMPLE: Record = {**REFERENCE_ANTHROPIC, "content": [{"type": "text", "text": REPLY_SECRET}]}

GEMINI_VERTEX_EXAMPLE: Record = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": REPLY_SECRET}]}, "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 12040, "cachedContentTokenCount": 8192, "candidatesTokenCount": 250,
                      "thoughtsTokenCount": 945, "totalTokenCount": 13235, "trafficType": "ON_DEMAND"},
    "modelVersion": "gemini-2.5-pro", "responseId": "mAitaLmkHPPlz7IPvtfUqQ4",
    "createTime": "2025-08-26T10:15:30.123456Z",
}


def envelope(response: Record, timestamp: str = "2025-09-01T12:00:00Z", **extra: Any) -> Record:
    record: Record = {"timestamp": timestamp, "provider": "anthropic", "project": "p", "api_key_id": "k",
                      "user_id": "u", "batch": False, "response": copy.deepcopy(response)}
    record.update(extra)
    return record


def jsonl(*records: Record | str) -> bytes:
    """One line per item: dicts are JSON-encoded, strings are written verbatim (blank or broken lines)."""
    return b"".join((orjson.dumps(r) if isinstance(r, dict) else r.encode()) + b"\n" for r in records)


def parse(path: Path) -> tuple[list[pa.Table], FileResult]:
    result = FileResult(source_file=path.name)
    batches = [table for kind, table in parse_file(path, compression_of(path), SHA, result) if kind == "usage"]
    return batches, result


def rows_of(batches: list[pa.Table]) -> list[Record]:
    if not batches:
        return []
    return pa.concat_tables(batches).to_pylist()


def assert_no_message_text(batches: list[pa.Table], result: FileResult) -> None:
    values = [str(v) for row in rows_of(batches) for v in row.values()]
    values += [r.reason for r in result.rejects]
    for value in values:
        for secret in ("Hello!", "SECRET", "medical"):
            assert secret not in value


# Text-only records: no audio or image classes, no explicit-cache storage.
NO_MODALITIES: Record = {"input_audio_tokens": 0, "output_audio_tokens": 0, "input_image_tokens": 0,
                         "output_image_tokens": 0, "cache_storage_token_hours": Decimal(0), "hardware": None,
                         "compute_seconds": Decimal(0),
                         "record_grain": "request", "context_tier": None, "input_unknown": False,
                         "reported_cost_usd": None}

ANTHROPIC_ROW: Record = {
    "event_id": "anthropic:msg_01XFDUDYJgAACzvnptvVoYEL",
    "event_time": datetime(2025, 9, 1, 12, 0, 0),  # envelope timestamp, Z = UTC
    "usage_date": date(2025, 9, 1),
    "provider": "anthropic",
    "platform": "direct",
    "model_raw": "claude-sonnet-4-5-20250929",
    "project": "p",
    "api_key_id": "k",
    "user_id": "u",
    "service_tier": "standard",
    "is_batch": False,
    "endpoint_scope": None,
    "input_tokens": 21,  # Anthropic input_tokens is already uncached
    "cache_read_tokens": 18432,
    "cache_write_5m_tokens": 1200,
    "cache_write_1h_tokens": 0,
    "output_tokens": 512,
    "reasoning_tokens": 0,
    **NO_MODALITIES,
    "web_search_requests": 1,
    "requests": 1,
    "source_format": "anthropic_messages",
}

CHAT_ROW: Record = {
    "event_id": "openai:chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    "event_time": datetime(2025, 3, 10, 1, 25, 52),  # created 1741569952 = 2025-03-10 01:25:52 UTC
    "usage_date": date(2025, 3, 10),
    "provider": "openai",
    "platform": "direct",
    "model_raw": "gpt-4o-2024-08-06",
    "project": None,
    "api_key_id": None,
    "user_id": None,
    "service_tier": "standard",
    "is_batch": False,
    "endpoint_scope": None,
    "input_tokens": 86,  # 2006 prompt - 1920 cached
    "cache_read_tokens": 1920,
    "cache_write_5m_tokens": 0,
    "cache_write_1h_tokens": 0,
    "output_tokens": 300,
    "reasoning_tokens": 0,
    **NO_MODALITIES,
    "web_search_requests": 0,
    "requests": 1,
    "source_format": "openai_chat",
}


def with_line(row: Record, source_file: str, line: int, **changes: Any) -> Record:
    return {**row, **changes, "source_file": source_file, "source_line": line}


# --- compression detection ------------------------------------------------------------------------


def test_compression_of_by_magic_bytes_not_name(tmp_path: Path) -> None:
    data = jsonl(CHAT_EXAMPLE)
    plain = tmp_path / "usage.jsonl.gz"  # says gzip, is plain text
    plain.write_bytes(data)
    gz = tmp_path / "usage.jsonl"  # says plain, is gzip
    gz.write_bytes(gzip.compress(data))
    zst = tmp_path / "usage.txt"  # says text, is zstd
    zst.write_bytes(zstandard.ZstdCompressor().compress(data))
    assert compression_of(plain) == "none"
    assert compression_of(gz) == "gzip"
    assert compression_of(zst) == "zstd"
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert compression_of(empty) == "none"


# --- formats and compressions ---------------------------------------------------------------------


def test_plain_jsonl_envelope_and_bare_responses_mixed(tmp_path: Path) -> None:
    chat_without_id = {k: v for k, v in CHAT_EXAMPLE.items() if k != "id"}
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(jsonl(
        envelope(ANTHROPIC_EXAMPLE, request={"messages": [{"role": "user", "content": PROMPT_SECRET}]}),  # 1
        CHAT_EXAMPLE,  # 2: bare OpenAI chat, dated by its own `created`
        "",  # 3: blank
        "   ",  # 4: whitespace only
        chat_without_id,  # 5: no id -> event id from file key and line number
        RESPONSES_EXAMPLE,  # 6: bare Responses API, created_at 1741476542 = 2025-03-08 23:29:02 UTC
        envelope(GEMINI_VERTEX_EXAMPLE, timestamp="2025-08-27T00:00:00Z", provider="google"),  # 7
    ))
    batches, result = parse(path)
    rows = rows_of(batches)

    assert result.rejects == []  # blank lines are skipped without a reject
    assert result.recognised is True
    assert result.rows == 5
    assert result.dates == {date(2025, 9, 1), date(2025, 3, 10), date(2025, 3, 8), date(2025, 8, 26)}
    assert result.formats == {"anthropic_messages", "openai_chat", "openai_responses",
                              "gemini_generate_content"}
    assert all(batch.schema == STAGING_SCHEMA for batch in batches)

    assert [r["source_line"] for r in rows] == [1, 2, 5, 6, 7]
    assert rows[0] == with_line(ANTHROPIC_ROW, "mixed.jsonl", 1)
    assert rows[1] == with_line(CHAT_ROW, "mixed.jsonl", 2)
    assert rows[2] == with_line(CHAT_ROW, "mixed.jsonl", 5, event_id=f"openai:{FILE_KEY}:5")
    assert "5" in rows[2]["event_id"].rsplit(":", 1)[1]
    assert rows[3] == with_line(CHAT_ROW, "mixed.jsonl", 6,
                                event_id="openai:resp_67ccd2bed1ec8190b14f964abc054267",
                                event_time=datetime(2025, 3, 8, 23, 29, 2), usage_date=date(2025, 3, 8),
                                model_raw="gpt-4.1-2025-04-14", input_tokens=36, cache_read_tokens=0,
                                output_tokens=87, source_format="openai_responses")
    # Gemini on Vertex: the response's createTime wins over the envelope timestamp;
    # input 12040 - 8192 = 3848, output 250 + 945 thoughts = 1195
    assert rows[4] == with_line(ANTHROPIC_ROW, "mixed.jsonl", 7,
                                event_id="google:mAitaLmkHPPlz7IPvtfUqQ4", provider="google",
                                platform="vertex",
                                event_time=datetime(2025, 8, 26, 10, 15, 30, 123456),
                                usage_date=date(2025, 8, 26), model_raw="gemini-2.5-pro", input_tokens=3848,
                                cache_read_tokens=8192, cache_write_5m_tokens=0, output_tokens=1195,
                                reasoning_tokens=945, web_search_requests=0,
                                source_format="gemini_generate_content")
    assert_no_message_text(batches, result)


def test_envelope_batch_flag_sets_is_batch(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_bytes(jsonl(envelope(ANTHROPIC_EXAMPLE, batch=True)))
    batches, result = parse(path)
    assert result.rejects == []
    assert rows_of(batches) == [with_line(ANTHROPIC_ROW, "batch.jsonl", 1, is_batch=True)]


def test_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(jsonl(envelope(ANTHROPIC_EXAMPLE), CHAT_EXAMPLE))
    assert compression_of(path) == "gzip"
    batches, result = parse(path)
    assert result.rejects == []
    assert result.rows == 2
    assert result.dates == {date(2025, 9, 1), date(2025, 3, 10)}
    assert rows_of(batches) == [with_line(ANTHROPIC_ROW, "usage.jsonl.gz", 1),
                                with_line(CHAT_ROW, "usage.jsonl.gz", 2)]
    assert_no_message_text(batches, result)


def test_zstd_file_named_txt(tmp_path: Path) -> None:
    path = tmp_path / "usage.txt"
    data = jsonl(CHAT_EXAMPLE, "", envelope(ANTHROPIC_EXAMPLE))
    path.write_bytes(zstandard.ZstdCompressor().compress(data))
    assert compression_of(path) == "zstd"
    batches, result = parse(path)
    assert result.rejects == []
    assert result.rows == 2
    assert rows_of(batches) == [with_line(CHAT_ROW, "usage.txt", 1), with_line(ANTHROPIC_ROW, "usage.txt", 3)]
    assert_no_message_text(batches, result)


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    path.write_bytes(jsonl(CHAT_EXAMPLE).replace(b"\n", b"\r\n") * 2)
    batches, result = parse(path)
    assert result.rejects == []
    assert [r["source_line"] for r in rows_of(batches)] == [1, 2]


# --- rejects --------------------------------------------------------------------------------------


def test_malformed_json_line_is_rejected_with_its_line_number(tmp_path: Path) -> None:
    broken = '{"id": "chatcmpl-x", "choices": [{"message": {"content": "SECRET broken line"}}], "usage": {'
    path = tmp_path / "broken.jsonl"
    path.write_bytes(jsonl(CHAT_EXAMPLE, broken, envelope(ANTHROPIC_EXAMPLE)))
    batches, result = parse(path)
    assert result.rows == 2
    assert [r["source_line"] for r in rows_of(batches)] == [1, 3]
    assert len(result.rejects) == 1
    reject = result.rejects[0]
    assert reject.source_line == 2
    assert reject.source_file == "broken.jsonl"
    assert reject.reason.startswith("malformed JSON")
    assert_no_message_text(batches, result)  # the broken line's text is not copied into the reason


def test_malformed_first_line_does_not_hide_the_file(tmp_path: Path) -> None:
    path = tmp_path / "first-broken.jsonl"
    path.write_bytes(jsonl("{not json", CHAT_EXAMPLE))
    _, result = parse(path)
    assert result.recognised is True
    assert result.rows == 1
    assert [(r.source_line, r.reason.startswith("malformed JSON")) for r in result.rejects] == [(1, True)]


def numbered_chats(count: int) -> list[Record]:
    """Distinct chat completions whose output token count is their index, to check which lines survived."""
    records = []
    for i in range(count):
        record = copy.deepcopy(CHAT_EXAMPLE)
        record["id"] = f"chatcmpl-{i:05d}-{(i * 7919) % 100003:06d}"
        record["usage"]["completion_tokens"] = i
        records.append(record)
    return records


def test_truncated_gzip_keeps_earlier_lines(tmp_path: Path) -> None:
    data = jsonl(*numbered_chats(3000))
    compressed = gzip.compress(data)
    truncated = compressed[: len(compressed) * 2 // 3]
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(truncated)

    # Independently of the code under test: how many whole lines does the truncated stream still hold?
    readable = zlib.decompressobj(wbits=31).decompress(truncated)
    whole_lines = readable.count(b"\n")
    assert 0 < whole_lines < 3000

    batches, result = parse(path)
    rows = rows_of(batches)
    assert result.rows == whole_lines
    assert [r["source_line"] for r in rows] == list(range(1, whole_lines + 1))
    assert [r["output_tokens"] for r in rows] == list(range(whole_lines))
    assert len(result.rejects) == 1
    assert result.rejects[0].source_line is None
    assert "truncated" in result.rejects[0].reason


def test_truncated_zstd_is_reported_as_truncated(tmp_path: Path) -> None:
    # zstandard's stream reader ends quietly on a cut frame; the reader must still report the truncation.
    compressed = zstandard.ZstdCompressor().compress(jsonl(*numbered_chats(3000)))
    truncated = compressed[: len(compressed) * 2 // 3]
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(truncated)

    readable = zstandard.ZstdDecompressor().decompressobj().decompress(truncated)
    whole_lines = readable.count(b"\n")
    assert 0 < whole_lines < 3000

    batches, result = parse(path)
    assert result.rows == whole_lines
    assert [r["source_line"] for r in rows_of(batches)] == list(range(1, whole_lines + 1))
    assert [(r.source_line, "truncated" in r.reason) for r in result.rejects] == [(None, True)]


def test_truncated_gzip_inside_the_first_lines(tmp_path: Path) -> None:
    data = jsonl(CHAT_EXAMPLE, envelope(ANTHROPIC_EXAMPLE), CHAT_EXAMPLE)
    compressed = gzip.compress(data)
    path = tmp_path / "tiny-cut.jsonl.gz"
    path.write_bytes(compressed[:-8])  # only the CRC32 + size trailer is missing: all three lines decompress
    assert zlib.decompressobj(wbits=31).decompress(compressed[:-8]) == data
    _, result = parse(path)
    assert result.rows == 3
    assert [(r.source_line, "truncated" in r.reason) for r in result.rejects] == [(None, True)]


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (envelope({**ANTHROPIC_EXAMPLE, "usage": {**ANTHROPIC_EXAMPLE["usage"], "input_tokens": -5}}),
         "usage.input_tokens"),
        ({**CHAT_EXAMPLE, "usage": {**CHAT_EXAMPLE["usage"], "completion_tokens": -300}},
         "usage.completion_tokens"),
    ],
)
def test_negative_tokens_are_rejected_naming_the_field(tmp_path: Path, record: Record, field: str) -> None:
    path = tmp_path / "negative.jsonl"
    path.write_bytes(jsonl(CHAT_EXAMPLE, record))
    batches, result = parse(path)
    assert result.rows == 1
    assert [r["source_line"] for r in rows_of(batches)] == [1]
    assert len(result.rejects) == 1
    assert result.rejects[0].source_line == 2
    assert "negative" in result.rejects[0].reason
    assert field in result.rejects[0].reason


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    batches, result = parse(path)
    assert batches == []
    assert result.recognised is False
    assert result.rows == 0
    assert result.dates == set()
    assert len(result.rejects) == 1
    assert result.rejects[0].source_line is None
    assert "empty file" in result.rejects[0].reason


def test_blank_lines_only_is_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n\n  \n")
    batches, result = parse(path)
    assert batches == []
    assert result.recognised is False
    assert [(r.source_line, "empty file" in r.reason) for r in result.rejects] == [(None, True)]


def test_csv_file_is_unrecognised(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text("timestamp,provider,model,input_tokens,output_tokens\n"
                    "2025-09-01T00:00:00Z,openai,gpt-4o,100,20\n"
                    "2025-09-01T00:01:00Z,openai,gpt-4o,200,40\n")
    batches, result = parse(path)
    assert batches == []
    assert result.recognised is False
    assert result.rows == 0
    assert len(result.rejects) == 1
    assert result.rejects[0].source_line is None
    assert "unrecognised format" in result.rejects[0].reason


def test_json_lines_of_another_shape_are_unrecognised(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(jsonl({"event": "click", "user": "u1"}, {"event": "view", "user": "u2"}))
    batches, result = parse(path)
    assert batches == []
    assert result.recognised is False
    assert len(result.rejects) == 1
    assert "unrecognised format" in result.rejects[0].reason


def test_bare_anthropic_response_has_no_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "bare-anthropic.jsonl"
    path.write_bytes(jsonl(ANTHROPIC_EXAMPLE, envelope(ANTHROPIC_EXAMPLE)))
    batches, result = parse(path)
    assert result.recognised is True
    assert [r["source_line"] for r in rows_of(batches)] == [2]
    assert len(result.rejects) == 1
    assert result.rejects[0].source_line == 1
    assert "no timestamp" in result.rejects[0].reason
    assert_no_message_text(batches, result)


def test_envelope_provider_mismatch_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "mismatch.jsonl"
    # the envelope says anthropic, the response is OpenAI's
    path.write_bytes(jsonl(envelope(CHAT_EXAMPLE), CHAT_EXAMPLE))
    _, result = parse(path)
    assert result.rows == 1
    assert [(r.source_line, "does not match" in r.reason) for r in result.rejects] == [(1, True)]


def test_unknown_record_shape_mid_file(tmp_path: Path) -> None:
    path = tmp_path / "error-line.jsonl"
    path.write_bytes(jsonl(CHAT_EXAMPLE, {"error": {"message": "SECRET rate limited"}}, "[1, 2]"))
    _, result = parse(path)
    assert result.rows == 1
    reasons = {r.source_line: r.reason for r in result.rejects}
    assert set(reasons) == {2, 3}
    assert reasons[2].startswith("unknown record shape")
    assert "error" in reasons[2]  # the keys are named ...
    assert "SECRET" not in reasons[2]  # ... but not the values
    assert "not an object" in reasons[3]


def test_rows_and_dates_are_counted(tmp_path: Path) -> None:
    lines: list[Record | str] = []
    for day in (1, 2, 2, 3, 3, 3):
        lines.append(envelope(ANTHROPIC_EXAMPLE, timestamp=f"2025-09-0{day}T23:59:59+00:00"))
    lines.append(envelope(ANTHROPIC_EXAMPLE, timestamp="2025-09-03T23:30:00-02:00"))  # = 2025-09-04 01:30 UTC
    path = tmp_path / "days.jsonl"
    path.write_bytes(jsonl(*lines))
    batches, result = parse(path)
    assert result.rejects == []
    assert result.rows == 7
    assert result.dates == {date(2025, 9, 1), date(2025, 9, 2), date(2025, 9, 3), date(2025, 9, 4)}
    assert sum(batch.num_rows for batch in batches) == 7
    assert rows_of(batches)[-1]["event_time"] == datetime(2025, 9, 4, 1, 30)
