"""Turn one landing file into canonical staging rows and cost-report rows (Arrow batches), and reject rows.

A file is recognised by its content, never its name: JSON lines, one JSON document or CSV/TSV (`records.py`), whose
records are provider responses (bare or in the meterline envelope), batch outputs, usage and cost reports, gateway
and observability exports (`registry.py`). Every record that cannot be used becomes a reject with its line and path
and why; a record that is not usage by design (a streamed content chunk) is counted as skipped. No record's text is
ever kept, since it may hold prompts and completions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from models.usage import STAGING_COLUMNS
from pipelines.ingest import registry
from pipelines.ingest.fields import COUNT_LIMIT, RecordError, shown, text, timestamp
from pipelines.ingest.files import TruncatedFile
from pipelines.ingest.formats.base import COST_KEYS, Format, Mapped, Skip
from pipelines.ingest.records import READERS, Malformed, Record, layout_of
from pipelines.ingest.streams import StreamSkip, is_stream_event, read_streams

BATCH_ROWS = 100_000
_SCOPES = ("global", "geo", "in_region")
_GRAINS = ("request", "chunk", "bucket")
_NONE = Decimal(0)
_MEASURE_QUANTUM = Decimal("0.000001")
_MEASURE_LIMIT = Decimal(10) ** 18
_COST_QUANTUM = Decimal("1e-12")
_SNIFF_RECORDS = 50
INTERNAL_ERROR = "unexpected record layout"
_STREAM_END = "[DONE]"
_OPENAI_COMPATIBLE = ("openai_chat", "openai_responses", "openai_realtime")
# Providers whose own responses have another shape: naming one around an OpenAI-shaped response is a mistake.
# (Ollama is not one: its /v1 endpoint answers in OpenAI's shape beside its native /api/chat.)
_OWN_SHAPES = frozenset({"anthropic", "google", "cohere"})

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
        ("hardware", pa.string()),
        ("compute_seconds", pa.decimal128(24, 6)),
        ("web_search_requests", pa.int64()),
        ("requests", pa.int64()),
        ("record_grain", pa.string()),
        ("context_tier", pa.string()),
        ("input_unknown", pa.bool_()),
        ("reported_cost_usd", pa.decimal128(24, 12)),
        ("source_format", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
    ]
)
assert tuple(STAGING_SCHEMA.names) == STAGING_COLUMNS, "staging schema drifted from models.usage.UsageRecord"

COST_SCHEMA = pa.schema(
    [
        ("cost_id", pa.string()),
        ("bucket_start", pa.timestamp("us")),
        ("bucket_end", pa.timestamp("us")),
        ("cost_date", pa.date32()),
        ("provider", pa.string()),
        ("project", pa.string()),
        ("api_key_id", pa.string()),
        ("model", pa.string()),
        ("line_item", pa.string()),
        ("cost_type", pa.string()),
        ("token_type", pa.string()),
        ("service_tier", pa.string()),
        ("quantity", pa.decimal128(38, 6)),
        ("quantity_unit", pa.string()),
        ("amount_original", pa.decimal128(38, 12)),
        ("currency", pa.string()),
        ("amount_usd", pa.decimal128(38, 12)),
        ("source_format", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
    ]
)


@dataclass(frozen=True)
class Reject:
    source_file: str
    source_line: int | None
    reason: str
    source_record: str | None = None


@dataclass
class FileResult:
    """What parsing one file produced besides its rows; filled in as the batches are consumed."""

    source_file: str
    formats: set[str] = field(default_factory=set)
    layout: str = "jsonl"
    rows: int = 0
    cost_rows: int = 0
    skipped: int = 0
    rejects: list[Reject] = field(default_factory=list)
    dates: set[date] = field(default_factory=set)
    recognised: bool = True

    def reject(self, line: int | None, reason: str, record: str | None = None) -> None:
        self.rejects.append(Reject(self.source_file, line, reason, record))


def _classify(obj: Any) -> tuple[Format, dict[str, Any], dict[str, Any] | None, str | None] | None:
    """The record's format, the object it maps, the envelope around it (if any) and the provider it names."""
    if not isinstance(obj, dict):
        return None
    inner = obj.get("response")
    envelope = None
    if type(inner) is dict:
        # A batch output or gateway row also holds a `response`: it is one of those if its own keys say so.
        if not registry.WRAPPER_KEYS.isdisjoint(obj):
            fmt = registry.detect(obj)
            if fmt is not None:
                return fmt, obj, None, None
        envelope, obj = obj, inner
    hint = envelope.get("provider") if envelope is not None else None
    if type(hint) is not str:
        hint = None
    fmt = registry.detect(obj, hint)
    return (fmt, obj, envelope, hint) if fmt is not None else None


def _sniff(head: list[Record]) -> str | None:
    """None when the file holds records we know; else why it is not a usage file."""
    if not head:
        return "empty file: no records"
    decoded = [value for _, _, value in head if not isinstance(value, Malformed)]
    if not decoded:
        return ("unrecognised format: no JSON or CSV record could be read in the first records"
                " (expected provider responses, usage or cost reports, or gateway exports)")
    if any(_classify(value) is not None or is_stream_event(value) for value in decoded):
        return None
    return ("unrecognised format: records, but none shaped like a provider response, batch output, usage or cost"
            " report, gateway or observability export, or a meterline envelope")


def _envelope_text(envelope: dict[str, Any], key: str) -> str | None:
    value = envelope.get(key)
    return value if value is None or type(value) is str else text(envelope, key)


def _scope(value: Any, source: str) -> str | None:
    if value is not None and value not in _SCOPES:
        raise RecordError(f"{source} endpoint_scope is not one of {', '.join(_SCOPES)}: {shown(value)}"[:200])
    return value


def _web_searches(envelope: dict[str, Any], mapped: int) -> int:
    """The envelope's count wins: Chat Completions and Gemini responses do not say how many searches they billed."""
    if envelope.get("web_search_requests") is None:
        return mapped
    value = envelope["web_search_requests"]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < COUNT_LIMIT:
        raise RecordError(f"envelope field web_search_requests is not a count: {shown(value)}"[:200])
    return value


def _measure(value: Any, field: str) -> Decimal:
    """A non-negative quantity to the millionth (token-hours, seconds), from a number or its text."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise RecordError(f"field {field} is not a number: {shown(value)}"[:200])
    try:
        quantity = Decimal(str(value)).quantize(_MEASURE_QUANTUM)
    except ArithmeticError:
        raise RecordError(f"field {field} is not a number: {shown(value)}"[:200]) from None
    if not quantity.is_finite() or quantity < 0 or quantity >= _MEASURE_LIMIT:
        raise RecordError(f"field {field} is out of range: {shown(value)}"[:200])
    return quantity


def _reported(value: Any) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value.adjusted() >= 12:
        raise RecordError(f"reported cost is not an amount: {shown(value)}"[:200])
    return value.quantize(_COST_QUANTUM)


def _envelope_time(envelope: dict[str, Any], fmt: Format) -> datetime:
    if envelope.get("timestamp") is not None:
        return timestamp(envelope["timestamp"], "timestamp")
    if fmt.provider == "anthropic":
        raise RecordError("no timestamp: Anthropic responses carry none, wrap them in the envelope (`timestamp`)")
    raise RecordError("no timestamp: the record has none and no envelope `timestamp` was given")


_NO_ENVELOPE: dict[str, Any] = {}


# Every optional Mapped key with its default: merged under each row in one C-level step, so the fields are then
# read by subscript rather than a `.get` call each (this runs for every record).
_DEFAULTS: dict[str, Any] = {
    "provider": None, "provider_time": None, "event_id": None, "response_id": None, "id_namespace": None,
    "platform": None, "project": None, "api_key_id": None, "user_id": None, "is_batch": False,
    "endpoint_scope": None, "input_audio_tokens": 0, "output_audio_tokens": 0, "input_image_tokens": 0,
    "output_image_tokens": 0, "requests": 1, "record_grain": "request", "context_tier": None,
    "input_unknown": False, "reported_cost_usd": None, "hardware": None, "compute_seconds": None,
}


def _usage_row(mapped: Mapped, envelope: dict[str, Any] | None, fmt: Format, source_file: str, line: int,
               file_key: str, record: str | None) -> tuple[Any, ...]:
    """One canonical row, in STAGING_COLUMNS order. Runs for every record: no work the common case can skip."""
    m = {**_DEFAULTS, **mapped}
    provider = m["provider"] or fmt.provider
    moment = m["provider_time"] or _envelope_time(envelope or _NO_ENVELOPE, fmt)
    model = m["model_raw"]
    event_id = m["event_id"]
    if event_id is None:
        response_id = m["response_id"]
        if response_id:
            event_id = f"{m['id_namespace'] or provider}:{response_id}"
        else:
            # No id: the record's place in this file version is its key.
            event_id = f"{provider}:{file_key}:{line}" + (f":{record}" if record else "")
    grain = m["record_grain"]
    if grain not in _GRAINS:
        raise RecordError(f"record grain is not one of {', '.join(_GRAINS)}: {shown(grain)}")
    scope, platform, is_batch = m["endpoint_scope"], m["platform"], m["is_batch"]
    project, api_key, user = m["project"], m["api_key_id"], m["user_id"]
    storage, searches = _NONE, m["web_search_requests"]
    hardware, seconds = m["hardware"], m["compute_seconds"]
    if envelope:
        # The envelope's fields win over the record's; read inline: this runs for every enveloped line.
        value = envelope.get("platform")
        if value is not None:
            platform = (value if type(value) is str else text(envelope, "platform")) or platform
        value = envelope.get("project")
        if value is not None:
            project = (value if type(value) is str else text(envelope, "project")) or project
        value = envelope.get("api_key_id")
        if value is not None:
            api_key = (value if type(value) is str else text(envelope, "api_key_id")) or api_key
        value = envelope.get("user_id")
        if value is not None:
            user = (value if type(value) is str else text(envelope, "user_id")) or user
        if envelope.get("endpoint_scope") is not None:
            scope = _scope(_envelope_text(envelope, "endpoint_scope"), "envelope field")
        value = envelope.get("batch")
        if value is not None:
            if type(value) is not bool:
                raise RecordError(f"envelope field batch is not true/false: {shown(value)}"[:200])
            is_batch = value or is_batch
        if not model:
            model = _envelope_text(envelope, "model")
        if envelope.get("cache_storage_token_hours") is not None:
            # Explicit-cache token-hours: no response reports them, so only the envelope can.
            storage = _measure(envelope["cache_storage_token_hours"], "cache_storage_token_hours")
        if envelope.get("web_search_requests") is not None:
            searches = _web_searches(envelope, searches)
        if envelope.get("hardware") is not None:
            # Replicate's prediction names no hardware: the caller knows what its deployment runs on.
            hardware = _envelope_text(envelope, "hardware")
        if envelope.get("compute_seconds") is not None:
            seconds = envelope["compute_seconds"]
    if not model:
        raise RecordError("missing field model: the record names none; give the envelope a `model`")
    if scope is not None and scope not in _SCOPES:
        raise RecordError(f"record endpoint_scope is not one of {', '.join(_SCOPES)}: {shown(scope)}"[:200])
    reported = m["reported_cost_usd"]
    return (
        event_id,
        moment,
        moment.date(),
        provider,
        platform or "direct",
        model,
        project,
        api_key,
        user,
        m["service_tier"],
        is_batch,
        scope,
        m["input_tokens"],
        m["cache_read_tokens"],
        m["cache_write_5m_tokens"],
        m["cache_write_1h_tokens"],
        m["output_tokens"],
        m["reasoning_tokens"],
        m["input_audio_tokens"],
        m["output_audio_tokens"],
        m["input_image_tokens"],
        m["output_image_tokens"],
        storage,
        hardware.strip().lower() or None if hardware else None,
        _NONE if seconds is None else _measure(seconds, "compute_seconds"),
        searches,
        m["requests"],
        grain,
        m["context_tier"],
        m["input_unknown"],
        None if reported is None else _reported(reported),
        fmt.name,
        source_file,
        line,
    )


def _cost_row(mapped: Mapped, fmt: Format, source_file: str, line: int) -> tuple[Any, ...]:
    start = mapped["bucket_start"]
    values = {key: mapped.get(key) for key in COST_KEYS}
    values["provider"] = values["provider"] or fmt.provider
    return (values["cost_id"], start, values["bucket_end"], start.date(), values["provider"], values["project"],
            values["api_key_id"], values["model"], values["line_item"], values["cost_type"], values["token_type"],
            values["service_tier"], values["quantity"], values["quantity_unit"], values["amount_original"],
            values["currency"], values["amount_usd"], fmt.name, source_file, line)


class _Sink:
    """Collects rows of both kinds and hands out full batches."""

    def __init__(self, result: FileResult, file_key: str) -> None:
        self.result = result
        self.file_key = file_key
        self.usage: list[tuple[Any, ...]] = []
        self.costs: list[tuple[Any, ...]] = []

    def add(self, mapped: Mapped, envelope: dict[str, Any] | None, fmt: Format, line: int,
            record: str | None) -> None:
        try:
            if "kind" in mapped:
                self.costs.append(_cost_row(mapped, fmt, self.result.source_file, line))
            else:
                self.usage.append(_usage_row(mapped, envelope, fmt, self.result.source_file, line,
                                             self.file_key, record))
        except RecordError as exc:
            self.result.reject(line, str(exc), record)
            return
        except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
            self.result.reject(line, f"{INTERNAL_ERROR} ({type(exc).__name__}) in a {fmt.name} row", record)
            return
        self.result.formats.add(fmt.name)

    def full(self) -> bool:
        return len(self.usage) >= BATCH_ROWS or len(self.costs) >= BATCH_ROWS

    def flush(self) -> Iterator[tuple[str, pa.Table]]:
        if self.usage:
            table = _table(self.usage, STAGING_SCHEMA)
            self.result.rows += table.num_rows
            self.result.dates.update(pc.unique(table.column("usage_date")).to_pylist())
            self.usage = []
            yield "usage", table
        if self.costs:
            table = _table(self.costs, COST_SCHEMA)
            self.result.cost_rows += table.num_rows
            self.costs = []
            yield "cost", table


def _table(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    return pa.table([pa.array(values, type=f.type) for values, f in zip(columns, schema, strict=True)],
                    schema=schema)


def _join(record: str | None, sub: str) -> str:
    return f"{record}.{sub}" if record else sub


def _map_record(sink: _Sink, line: int, record: str | None, value: Any) -> None:
    result = sink.result
    if isinstance(value, Malformed):
        result.reject(line, value.reason, record)
        return
    if (isinstance(value, StreamSkip) or value == _STREAM_END
            or (type(value) is dict and value.get("response") == _STREAM_END)):
        # A stream event that is no request, or the end marker of an OpenAI-style stream logged as a JSON string.
        result.skipped += 1
        return
    if not isinstance(value, dict):
        result.reject(line, f"record is a JSON {type(value).__name__}, not an object", record)
        return
    found = None
    try:
        found = _classify(value)
        if found is None:
            inner = value.get("response")
            keys = ", ".join(sorted(str(key)[:40] for key in (inner if type(inner) is dict else value))[:6])
            raise RecordError(f"unknown record shape (keys: {keys})")
        fmt, obj, envelope, hint = found
        if envelope is not None and hint is not None and hint.lower() != fmt.provider:
            if fmt.name not in _OPENAI_COMPATIBLE or hint.lower() in _OWN_SHAPES:
                raise RecordError(f"envelope provider {shown(hint)} does not match a {fmt.name} record")
            # Groq, DeepSeek, vLLM ... answer in OpenAI's shape: the provider named is the host that served it.
            envelope = {**envelope, "platform": envelope.get("platform") or hint.lower()}
        outcome = fmt.mapper(obj)
    except RecordError as exc:
        result.reject(line, str(exc), record)
        return
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError) as exc:
        # A record shaped in a way no mapper foresaw must not stop the file; the reason says so, so it is reported.
        where = f" reading a {found[0].name} record" if found else ""
        result.reject(line, f"{INTERNAL_ERROR} ({type(exc).__name__}){where}", record)
        return
    if type(outcome) is dict:
        sink.add(outcome, envelope, fmt, line, record)
    elif isinstance(outcome, Skip):
        result.skipped += 1
    else:
        for sub, part in outcome:
            if isinstance(part, RecordError):
                result.reject(line, str(part), _join(record, sub))
            elif isinstance(part, Skip):
                result.skipped += 1
            else:
                sink.add(part, envelope, fmt, line, _join(record, sub))


def parse_records(records: Iterable[Record], file_sha: str, result: FileResult) -> Iterator[tuple[str, pa.Table]]:
    """Yield ("usage" | "cost", batch) for decoded records; rejects, skips, formats and dates go to `result`."""
    sink = _Sink(result, file_sha[:16])
    try:
        for line, record, value in read_streams(records):
            _map_record(sink, line, record, value)
            if sink.full():
                yield from sink.flush()
    except TruncatedFile as exc:
        # The rows before the break are kept; the reject says where the stream broke.
        result.reject(None, str(exc))
    yield from sink.flush()


def parse_file(path: Path, compression: str, file_sha: str, result: FileResult) -> Iterator[tuple[str, pa.Table]]:
    """Yield ("usage" | "cost", batch) for `path`; rejects, skips, formats and dates accumulate in `result`."""
    try:
        result.layout = layout_of(path, compression)
    except TruncatedFile as exc:
        result.recognised = False
        result.reject(None, str(exc))
        return
    if result.layout == "empty":
        result.recognised = False
        result.reject(None, "empty file: no records")
        return
    records = READERS[result.layout](path, compression)
    head: list[Record] = []
    try:
        for item in records:
            head.append(item)
            if len(head) >= _SNIFF_RECORDS:
                break
    except TruncatedFile as exc:
        result.reject(None, str(exc))
    problem = _sniff(head)
    if problem is not None:
        result.recognised = False
        result.reject(None, problem)
        return
    yield from parse_records(chain(head, records), file_sha, result)
