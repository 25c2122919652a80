"""Turn one landing file into canonical staging rows (Arrow batches) and reject rows.

A file is recognised by its content: JSON lines whose objects are provider responses, bare or wrapped in the
meterline envelope. Every line that cannot be used becomes a reject with its line number and reason; the line's
text is never kept, since it may hold prompts and completions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from models.usage import STAGING_COLUMNS
from pipelines.ingest.fields import RecordError, text, timestamp
from pipelines.ingest.files import TruncatedFile, read_lines
from pipelines.ingest.providers import Shape, detect_shape, event_time

BATCH_ROWS = 100_000
_SCOPES = ("global", "geo", "in_region")
_NO_STORAGE = Decimal(0)
_STORAGE_QUANTUM = Decimal("0.000001")
_STORAGE_LIMIT = Decimal(10) ** 18
_SNIFF_LINES = 50

STAGING_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event_time", pa.timestamp("us")),
        ("usage_date", pa.date32()),
        ("provider", pa.string()),
        ("platform", pa.string()),
        ("model_raw", pa.string()),
        ("project", pa.string()),
        ("api_key_id", pa.string()),
        ("user_id", pa.string()),
        ("service_tier", pa.string()),
        ("is_batch", pa.bool_()),
        ("endpoint_scope", pa.string()),
        ("input_tokens", pa.int64()),
        ("cache_read_tokens", pa.int64()),
        ("cache_write_5m_tokens", pa.int64()),
        ("cache_write_1h_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("reasoning_tokens", pa.int64()),
        ("input_audio_tokens", pa.int64()),
        ("output_audio_tokens", pa.int64()),
        ("input_image_tokens", pa.int64()),
        ("output_image_tokens", pa.int64()),
        ("cache_storage_token_hours", pa.decimal128(24, 6)),
        ("web_search_requests", pa.int64()),
        ("requests", pa.int64()),
        ("source_format", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
    ]
)
assert tuple(STAGING_SCHEMA.names) == STAGING_COLUMNS, "staging schema drifted from models.usage.UsageRecord"



@dataclass(frozen=True)
class Reject:
    source_file: str
    source_line: int | None
    reason: str


@dataclass
class FileResult:
    """What parsing one file produced besides its rows; filled in as the batches are consumed."""

    source_file: str
    formats: set[str] = field(default_factory=set)
    rows: int = 0
    rejects: list[Reject] = field(default_factory=list)
    dates: set[date] = field(default_factory=set)
    recognised: bool = True

    def reject(self, line: int | None, reason: str) -> None:
        self.rejects.append(Reject(self.source_file, line, reason))


def _unwrap(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    inner = obj.get("response")
    if isinstance(inner, dict):
        return inner, obj
    return obj, None


def _classify(obj: Any) -> Shape | None:
    if not isinstance(obj, dict):
        return None
    resp, envelope = _unwrap(obj)
    hint = envelope.get("provider") if envelope else None
    return detect_shape(resp, hint if isinstance(hint, str) else None)


def _sniff(lines: list[tuple[int, bytes]]) -> str | None:
    """None when the file is a usage log we know; else why it is not."""
    first = next((raw for _, raw in lines if raw.strip()), None)
    if first is None:
        return "empty file: no records"
    decoded_any = False
    for _, raw in lines:
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        decoded_any = True
        if _classify(obj) is not None:
            return None
    if not decoded_any:
        return "unrecognised format: no JSON object in the first lines (expected JSON lines of provider responses)"
    return ("unrecognised format: JSON records, but none shaped like an OpenAI, Anthropic or Gemini response"
            " or a meterline envelope")


def _envelope_text(envelope: dict[str, Any] | None, key: str) -> str | None:
    if envelope is None:
        return None
    value = envelope.get(key)
    return value if value is None or type(value) is str else text(envelope, key)


def _scope(envelope: dict[str, Any] | None) -> str | None:
    scope = _envelope_text(envelope, "endpoint_scope")
    if scope is not None and scope not in _SCOPES:
        raise RecordError(f"envelope field endpoint_scope is not one of {', '.join(_SCOPES)}: {scope!r}"[:200])
    return scope


def _web_searches(envelope: dict[str, Any] | None, mapped: int) -> int:
    """The envelope's count wins: Chat Completions and Gemini responses do not say how many searches they billed."""
    if envelope is None or envelope.get("web_search_requests") is None:
        return mapped
    value = envelope["web_search_requests"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecordError(f"envelope field web_search_requests is not a count: {value!r}"[:200])
    return value


def _storage(envelope: dict[str, Any] | None) -> Decimal:
    """Explicit-cache token-hours: no response reports them, so only the envelope can."""
    value = envelope.get("cache_storage_token_hours") if envelope else None
    if value is None:
        return _NO_STORAGE
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RecordError(f"envelope field cache_storage_token_hours is not a number: {value!r}"[:200])
    try:
        hours = Decimal(str(value)).quantize(_STORAGE_QUANTUM)
    except ArithmeticError:
        raise RecordError(f"envelope field cache_storage_token_hours is not a number: {value!r}"[:200]) from None
    if not hours.is_finite() or hours < 0 or hours >= _STORAGE_LIMIT:
        raise RecordError(f"envelope field cache_storage_token_hours is out of range: {value!r}"[:200])
    return hours


def _map_line(obj: Any, line: int, file_key: str, source_file: str) -> tuple[tuple[Any, ...], str]:
    """One record as a staging row, in STAGING_COLUMNS order."""
    if not isinstance(obj, dict):
        raise RecordError(f"record is a JSON {type(obj).__name__}, not an object")
    resp, envelope = _unwrap(obj)
    hint = envelope.get("provider") if envelope else None
    shape = detect_shape(resp, hint if isinstance(hint, str) else None)
    if shape is None:
        keys = ", ".join(sorted(resp)[:6])
        raise RecordError(f"unknown record shape (keys: {keys})")
    source_format, provider, mapper = shape
    if isinstance(hint, str) and hint.lower() != provider:
        raise RecordError(f"envelope provider {hint!r} does not match a {source_format} response")
    mapped = mapper(resp)
    envelope_time = None
    if mapped["provider_time"] is None and envelope is not None and envelope.get("timestamp") is not None:
        envelope_time = timestamp(envelope["timestamp"], "timestamp")
    moment = event_time(mapped, envelope_time, source_format)
    batch_flag = envelope.get("batch") if envelope else None
    if batch_flag is not None and not isinstance(batch_flag, bool):
        raise RecordError(f"envelope field batch is not true/false: {batch_flag!r}"[:200])
    response_id = mapped["response_id"]
    row = (
        f"{provider}:{response_id}" if response_id else f"{provider}:{file_key}:{line}",
        moment,
        moment.date(),
        provider,
        _envelope_text(envelope, "platform") or mapped.get("platform", "direct"),
        mapped["model_raw"],
        _envelope_text(envelope, "project"),
        _envelope_text(envelope, "api_key_id"),
        _envelope_text(envelope, "user_id"),
        mapped["service_tier"],
        bool(batch_flag) or mapped.get("is_batch", False),
        _scope(envelope),
        mapped["input_tokens"],
        mapped["cache_read_tokens"],
        mapped["cache_write_5m_tokens"],
        mapped["cache_write_1h_tokens"],
        mapped["output_tokens"],
        mapped["reasoning_tokens"],
        mapped.get("input_audio_tokens", 0),
        mapped.get("output_audio_tokens", 0),
        mapped.get("input_image_tokens", 0),
        mapped.get("output_image_tokens", 0),
        _storage(envelope),
        _web_searches(envelope, mapped["web_search_requests"]),
        1,
        source_format,
        source_file,
        line,
    )
    return row, source_format


def parse_file(path: Path, compression: str, file_sha: str, result: FileResult) -> Iterator[pa.Table]:
    """Yield staging batches for `path`; rejects, formats and dates accumulate in `result`."""
    file_key = file_sha[:16]
    lines = read_lines(path, compression)
    head: list[tuple[int, bytes]] = []
    try:
        for item in lines:
            head.append(item)
            if len(head) >= _SNIFF_LINES:
                break
    except TruncatedFile as exc:
        result.reject(None, str(exc))
    problem = _sniff(head)
    if problem is not None:
        result.recognised = False
        result.reject(None, problem)
        return
    rows: list[tuple[Any, ...]] = []
    try:
        for line, raw in chain(head, lines):
            if not raw.strip():
                continue
            try:
                row, source_format = _map_line(orjson.loads(raw), line, file_key, result.source_file)
            except orjson.JSONDecodeError as exc:
                result.reject(line, f"malformed JSON: {exc}"[:300])
                continue
            except RecordError as exc:
                result.reject(line, str(exc))
                continue
            rows.append(row)
            result.formats.add(source_format)
            if len(rows) >= BATCH_ROWS:
                yield _flush(rows, result)
                rows = []
    except TruncatedFile as exc:
        result.reject(None, str(exc))
    if rows:
        yield _flush(rows, result)


def _flush(rows: list[tuple[Any, ...]], result: FileResult) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    table = pa.table(
        [pa.array(values, type=field.type) for values, field in zip(columns, STAGING_SCHEMA, strict=True)],
        schema=STAGING_SCHEMA,
    )
    result.rows += table.num_rows
    result.dates.update(columns[2])
    return table
