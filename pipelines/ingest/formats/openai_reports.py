"""OpenAI organization reports: the Usage and Costs APIs (a bucket or a whole page) and the dashboard CSV/TSV exports.

Reference sections 1c-1e. A bucket aggregates many requests, so each usage result is one row of grain `bucket`
whose event id is (bucket start, bucket end, every group dimension): a restated bucket fetched again replaces the
copy loaded before instead of adding to it. The exports map through the same functions as the API results.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pipelines.ingest.fields import RecordError, cell, count, decimal, shown, text, timestamp, whole
from pipelines.ingest.formats.base import Format, Mapped, Outcome, Skip
from pipelines.ingest.providers import OPENAI_TIERS, service_tier

Rows = list[tuple[str, Mapped | Skip | RecordError]]

_COMPLETIONS = "organization.usage.completions.result"
_INPUT_ONLY = {"organization.usage.embeddings.result": "embeddings",
               "organization.usage.moderations.result": "moderations"}
_COSTS = "organization.costs.result"
# What each other endpoint bills by; meterline prices tokens only. Web search calls name no model to price against.
_NOT_TOKENS = {
    "organization.usage.images.result": "images",
    "organization.usage.audio_speeches.result": "characters",
    "organization.usage.audio_transcriptions.result": "seconds",
    "organization.usage.vector_stores.result": "bytes stored",
    "organization.usage.code_interpreter_sessions.result": "sessions",
    "organization.usage.file_search_calls.result": "calls",
    "organization.usage.web_search_calls.result": "calls, with no model",
}
UNGROUPED_MODEL = "unknown (not grouped by model)"
_EMPTY_BUCKET = Skip("empty bucket: no usage in its window")
_AMOUNT_QUANTUM = Decimal("1e-12")
_QUANTITY_QUANTUM = Decimal("1e-6")
# Integer digits of an amount or quantity: quantized to 1e-12, even rounded up a digit, it fits Decimal's default
# 28-digit precision.
_DIGITS = 15


def _key(value: str | bool | None) -> str:
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else value


def _zero_tokens() -> Mapped:
    return {"cache_read_tokens": 0, "cache_write_5m_tokens": 0, "cache_write_1h_tokens": 0, "output_tokens": 0,
            "reasoning_tokens": 0, "web_search_requests": 0}


def _completion_tokens(result: dict[str, Any]) -> Mapped:
    total_in = count(result, "input_tokens", required=True, prefix="")
    cached = count(result, "input_cached_tokens", prefix="")
    written = count(result, "input_cache_write_tokens", prefix="")
    if result.get("input_uncached_tokens") is not None:
        # The current definition: uncached input of every modality, with input_audio_tokens its uncached audio.
        uncached = count(result, "input_uncached_tokens", prefix="")
        audio_in = count(result, "input_audio_tokens", prefix="")
        if audio_in > uncached:
            raise RecordError(f"negative token count in input: input_uncached_tokens ({uncached}) is less than"
                              f" input_audio_tokens ({audio_in})")
        text_in = uncached - audio_in
    else:
        # Older buckets: input_audio_tokens then counted cached audio too and may sit outside input_tokens, so
        # there is no sound way to split it out.
        audio_in = 0
        text_in = total_in - cached - written
        if text_in < 0:
            raise RecordError(f"negative token count in input: input_tokens ({total_in}) is less than"
                              f" input_cached_tokens ({cached}) plus input_cache_write_tokens ({written})")
    total_out = count(result, "output_tokens", required=True, prefix="")
    audio_out = count(result, "output_audio_tokens", prefix="")
    if audio_out > total_out:
        raise RecordError(f"negative token count in output: output_tokens ({total_out}) is less than"
                          f" output_audio_tokens ({audio_out})")
    return {**_zero_tokens(), "input_tokens": text_in, "cache_read_tokens": cached,
            # One cache-write count with no TTL: OpenAI's default retention is the short one.
            "cache_write_5m_tokens": written, "output_tokens": total_out - audio_out,
            "input_audio_tokens": audio_in, "output_audio_tokens": audio_out}


def _usage(result: dict[str, Any], start: int, end: int, kind: str) -> Mapped:
    """One usage result; every group dimension not in `group_by` is null and stays null."""
    project, user, api_key, model = (text(result, name) for name in ("project_id", "user_id", "api_key_id", "model"))
    batch = result.get("batch")
    if batch is not None and not isinstance(batch, bool):
        raise RecordError(f"field batch is not true/false: {shown(batch)}"[:200])
    raw_tier = text(result, "service_tier")
    tokens = (_completion_tokens(result) if kind == "completions"
              else {**_zero_tokens(), "input_tokens": count(result, "input_tokens", required=True, prefix="")})
    dims = (project, user, api_key, model, batch, raw_tier)
    return {
        "event_id": ":".join(("openai:usage", kind, str(start), str(end), *map(_key, dims))),
        "provider_time": timestamp(start, "start_time"),
        # Kept, not dropped: a bucket not grouped by model stays visible as unpriced.
        "model_raw": model or UNGROUPED_MODEL,
        "service_tier": service_tier(raw_tier, OPENAI_TIERS, "service_tier"),
        "is_batch": bool(batch),
        "project": project,
        "user_id": user,
        "api_key_id": api_key,
        "requests": count(result, "num_model_requests", required=True, prefix=""),
        "record_grain": "bucket",
        **tokens,
    }


def _decimal(value: Any, field: str, quantum: Decimal) -> Decimal | None:
    number = decimal(value, field, digits=_DIGITS)
    return None if number is None else number.quantize(quantum)


def _cost(result: dict[str, Any], start: int, end: int, extra_dims: tuple[str | None, ...] = ()) -> Mapped:
    amount = result.get("amount")
    if not isinstance(amount, dict):
        raise RecordError("missing field amount")
    value = _decimal(amount.get("value"), "amount.value", _AMOUNT_QUANTUM)
    if value is None:
        raise RecordError("missing field amount.value")
    currency = text(amount, "currency")
    if not currency:
        raise RecordError("missing field amount.currency")
    currency = currency.lower()
    project, api_key, line_item = (text(result, name) for name in ("project_id", "api_key_id", "line_item"))
    dims = (project, api_key, line_item, *extra_dims)
    return {
        "kind": "cost",
        "cost_id": ":".join(("openai:cost", str(start), str(end), *map(_key, dims))),
        "bucket_start": timestamp(start, "start_time"),
        "bucket_end": timestamp(end, "end_time"),
        "provider": "openai",
        "project": project,
        "api_key_id": api_key,
        # line_item is free text with no documented format: kept as a label, never parsed for a model.
        "model": None,
        "line_item": line_item,
        "cost_type": None,
        "token_type": None,
        "service_tier": None,
        "quantity": _decimal(result.get("quantity"), "quantity", _QUANTITY_QUANTUM),
        "quantity_unit": text(result, "quantity_unit"),
        "amount_original": value,
        "currency": currency,
        "amount_usd": value if currency == "usd" else None,
    }


def _result(result: Any, start: int, end: int) -> Mapped:
    if not isinstance(result, dict):
        raise RecordError("result is not an object")
    kind = text(result, "object")
    if kind == _COMPLETIONS:
        return _usage(result, start, end, "completions")
    if kind in _INPUT_ONLY:
        return _usage(result, start, end, _INPUT_ONLY[kind])
    if kind == _COSTS:
        return _cost(result, start, end)
    if kind in _NOT_TOKENS:
        raise RecordError(f"{kind} is billed by {_NOT_TOKENS[kind]}, not tokens: meterline does not price it")
    raise RecordError(f"unknown result object: {shown(kind)}" if kind else "missing field object")


def _bucket_rows(bucket: Any, prefix: str) -> Rows:
    if not isinstance(bucket, dict):
        raise RecordError("bucket is not an object")
    start = count(bucket, "start_time", required=True, prefix="")
    end = count(bucket, "end_time", required=True, prefix="")
    # `result` is the spelling of the OpenAPI spec before 2025-03, still read by clients generated from it.
    name = "results" if "results" in bucket else "result"
    results = bucket.get(name)
    if not isinstance(results, list):
        raise RecordError("missing field results" if results is None else f"field {name} is not a list")
    rows: Rows = []
    for index, result in enumerate(results):
        try:
            rows.append((f"{prefix}{name}[{index}]", _result(result, start, end)))
        except RecordError as exc:
            rows.append((f"{prefix}{name}[{index}]", exc))
    return rows


def map_report(record: dict[str, Any]) -> Outcome:
    """A bucket (what a page document streams as each element of `data`), or a whole page on one line."""
    if record.get("object") != "page":
        return _bucket_rows(record, "") or _EMPTY_BUCKET
    rows: Rows = []
    for index, bucket in enumerate(record["data"]):
        try:
            rows.extend(_bucket_rows(bucket, f"data[{index}].") or [(f"data[{index}]", _EMPTY_BUCKET)])
        except RecordError as exc:
            rows.append((f"data[{index}]", exc))
    return rows or Skip("empty page: no buckets")


def _is_report(record: dict[str, Any]) -> bool:
    kind = record.get("object")
    return kind == "bucket" or (kind == "page" and isinstance(record.get("data"), list))


def _is_costs_report(record: dict[str, Any]) -> bool:
    """Named by its first result; the mapper reads each result by its own `object`."""
    if not _is_report(record):
        return False
    bucket = record
    if record.get("object") == "page":
        bucket = record["data"][0] if record["data"] else None
    results = bucket.get("results", bucket.get("result")) if isinstance(bucket, dict) else None
    first = results[0] if isinstance(results, list) and results else None
    return isinstance(first, dict) and first.get("object") == _COSTS


# Dashboard exports: every cell is text, counts are written as floats (`59200.0`), days without usage are rows of
# empty cells, and the `*_iso` columns sometimes lack an offset, so only the unix columns are read.

def _cell_count(row: dict[str, Any], name: str) -> int | None:
    value = cell(row, name)
    return None if value is None else whole(value, name)


def _cell_bool(row: dict[str, str], name: str) -> bool | None:
    value = cell(row, name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise RecordError(f"field {name} is not TRUE or FALSE: {shown(value)}"[:200])
    return value.lower() == "true"


def _window(row: dict[str, str]) -> tuple[int, int]:
    start, end = _cell_count(row, "start_time"), _cell_count(row, "end_time")
    if start is None or end is None:
        raise RecordError(f"missing field {'start_time' if start is None else 'end_time'}")
    return start, end


_EXPORT_COUNTS = ("num_model_requests", "input_tokens", "output_tokens", "input_cached_tokens",
                  "input_uncached_tokens", "input_cache_write_tokens", "input_audio_tokens", "output_audio_tokens")


def map_usage_export(row: dict[str, Any]) -> Mapped | Skip:
    if all(cell(row, name) is None for name in ("num_model_requests", "input_tokens", "output_tokens")):
        return Skip("usage export row with empty cells: no usage in its window")
    start, end = _window(row)
    result: dict[str, Any] = {name: _cell_count(row, name) for name in _EXPORT_COUNTS}
    result.update({name: cell(row, name) for name in ("project_id", "user_id", "api_key_id", "model",
                                                        "service_tier")})
    result["batch"] = _cell_bool(row, "batch")
    return _usage(result, start, end, "completions")


def map_cost_export(row: dict[str, Any]) -> Mapped | Skip:
    if cell(row, "amount_value") is None:
        return Skip("cost export row with empty cells: no cost in its window")
    start, end = _window(row)
    result = {"amount": {"value": cell(row, "amount_value"), "currency": cell(row, "amount_currency")},
              **{name: cell(row, name) for name in ("line_item", "project_id", "api_key_id", "quantity",
                                                     "quantity_unit")}}
    # The newer export splits a day's cost by user and API source too: both are part of its key.
    extra = tuple(cell(row, name) for name in ("user_id", "api_source") if name in row)
    return _cost(result, start, end, extra)


def _is_usage_export(row: dict[str, Any]) -> bool:
    return "num_model_requests" in row and "start_time_iso" in row


def _is_cost_export(row: dict[str, Any]) -> bool:
    return "amount_value" in row and "start_time_iso" in row


# Costs before usage: both are buckets, told apart by the first result's `object`.
FORMATS: list[Format] = [
    Format("openai_costs_api", "openai", _is_costs_report, map_report),
    Format("openai_usage_api", "openai", _is_report, map_report),
    Format("openai_usage_export", "openai", _is_usage_export, map_usage_export),
    Format("openai_cost_export", "openai", _is_cost_export, map_cost_export),
]
