"""Anthropic Admin API reports: the Usage Report and the Cost Report (provider-formats.md sections 2b, 2c).

Both are pages `{"data": [bucket, ...], "has_more", "next_page"}`, each bucket `{"starting_at", "ending_at",
"results": [...]}` and each result one row. A page saved as a JSON document is streamed bucket by bucket
(`records.py`); a page saved on one JSON line arrives whole, and its rows are named `data[0].results[1]`.

Rows are keyed by their bucket and every group dimension, never by file and line: Anthropic restates recent
buckets, and a bucket fetched again must replace the copy loaded before, not add to it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pipelines.ingest.fields import RecordError, count, decimal, shown, text, timestamp
from pipelines.ingest.formats.base import Format, Mapped, Outcome, Skip

UNGROUPED_MODEL = "unknown (not grouped by model)"
# (service tier, is_batch): batch is the standard tier at the batch discount.
_TIERS = {"standard": ("standard", False), "batch": ("standard", True), "priority": ("priority", False)}
_SPEEDS = ("standard", "fast")
_CONTEXT_TIERS = {"0-200k": "base", "200k-1m": "long"}
_AMOUNT_QUANTUM = Decimal("1e-12")
# Integer digits of an amount in cents: quantized to 1e-12, even rounded up a digit, it fits Decimal's default
# 28-digit precision.
_AMOUNT_DIGITS = 15
_CENTS = Decimal(100)

Row = Callable[[Any, datetime, datetime], Mapped]


def _buckets(record: dict[str, Any]) -> list[Any] | None:
    """The record's buckets: the record itself, or a whole page's `data`."""
    if "starting_at" in record:
        return [record]
    data = record.get("data")
    # OpenAI's pages say `"object": "page"`; Anthropic's carry no object type.
    return data if isinstance(data, list) and "object" not in record else None


def _report_kind(record: dict[str, Any]) -> str | None:
    """`usage`, `cost`, `empty` (buckets without results, or a page without buckets) or None, from the first
    result: cost rows carry an amount and a currency, usage rows an uncached input count."""
    buckets = _buckets(record)
    if buckets is None or (not buckets and "has_more" not in record):
        return None
    for bucket in buckets:
        if not isinstance(bucket, dict) or "starting_at" not in bucket:
            return None
        results = bucket.get("results")
        if not isinstance(results, list):
            return None
        if results:
            first = results[0]
            if isinstance(first, dict) and "uncached_input_tokens" in first:
                return "usage"
            if isinstance(first, dict) and "amount" in first and "currency" in first:
                return "cost"
            return None
    return "empty"


def _is_usage(record: dict[str, Any]) -> bool:
    # Empty buckets belong to neither report by their keys; they are claimed here and skipped.
    return _report_kind(record) in ("usage", "empty")


def _is_cost(record: dict[str, Any]) -> bool:
    return _report_kind(record) == "cost"


def _bucket(bucket: Any) -> tuple[datetime, datetime, list[Any]]:
    if not isinstance(bucket, dict):
        raise RecordError(f"bucket is a JSON {type(bucket).__name__}, not an object")
    start = timestamp(bucket.get("starting_at"), "starting_at")
    end = timestamp(bucket.get("ending_at"), "ending_at")
    results = bucket.get("results")
    if not isinstance(results, list):
        raise RecordError("missing field results (a list of rows)")
    return start, end, results


def _rows(record: dict[str, Any], row: Row) -> Outcome:
    """One outcome per result, named by where it sat; a bad bucket in a page spoils only that bucket."""
    page = "starting_at" not in record
    buckets = record["data"] if page else [record]
    if not buckets:
        return Skip("report page without buckets")
    outcomes: list[tuple[str, Mapped | Skip | RecordError]] = []
    for index, bucket in enumerate(buckets):
        where = f"data[{index}]." if page else ""
        try:
            start, end, results = _bucket(bucket)
        except RecordError as exc:
            if not page:
                raise
            outcomes.append((f"data[{index}]", exc))
            continue
        if not results:
            outcomes.append((f"{where}results", Skip("report bucket without results: no usage in the period")))
        for position, result in enumerate(results):
            sub = f"{where}results[{position}]"
            try:
                if not isinstance(result, dict):
                    raise RecordError(f"result is a JSON {type(result).__name__}, not an object")
                outcomes.append((sub, row(result, start, end)))
            except RecordError as exc:
                outcomes.append((sub, exc))
    return outcomes


def _key(report: str, start: datetime, end: datetime, result: dict[str, Any], measures: tuple[str, ...]) -> str:
    """The row's identity: its bucket and every group dimension it carries. Every text field other than the
    measures is a dimension, so one Anthropic adds later (as `inference_geo` and `speed` were) still tells rows
    apart instead of collapsing two into one; ungrouped (null) dimensions are left out, so a new null field does
    not change the key of rows loaded before it existed."""
    dims = ";".join(f"{name}={value}" for name, value in sorted(result.items())
                    if type(value) is str and name not in measures)
    return f"anthropic:{report}:{start.isoformat()}/{end.isoformat()}:{dims}"


def _tier(result: dict[str, Any]) -> tuple[str, bool]:
    raw = text(result, "service_tier")
    tier = _TIERS.get(raw.lower()) if raw is not None else ("standard", False)
    if tier is None:
        raise RecordError(f"unknown service_tier: {shown(raw)}"[:200])
    speed = text(result, "speed")
    if speed is not None and speed.lower() not in _SPEEDS:
        raise RecordError(f"unknown speed: {shown(speed)}"[:200])
    # Fast mode is priced as its own tier in the catalogue.
    return ("fast" if speed is not None and speed.lower() == "fast" else tier[0]), tier[1]


def _context_tier(result: dict[str, Any]) -> str | None:
    raw = text(result, "context_window")
    if raw is None:
        return None
    tier = _CONTEXT_TIERS.get(raw.lower())
    if tier is None:
        raise RecordError(f"unknown context_window: {shown(raw)}"[:200])
    return tier


def usage_row(result: dict[str, Any], start: datetime, end: datetime) -> Mapped:
    tier, is_batch = _tier(result)
    return {
        "event_id": _key("usage", start, end, result, ()),
        "provider_time": start,
        # Ungrouped by model, the row cannot be priced: it stays visible as an unpriced model, never $0.
        "model_raw": text(result, "model") or UNGROUPED_MODEL,
        "service_tier": tier,
        "is_batch": is_batch,
        # The report has no cache_creation_input_tokens (gotcha 2): cache writes exist only split by TTL.
        "input_tokens": count(result, "uncached_input_tokens", required=True, prefix=""),
        "cache_read_tokens": count(result, "cache_read_input_tokens", prefix=""),
        "cache_write_5m_tokens": count(result, "cache_creation.ephemeral_5m_input_tokens", prefix=""),
        "cache_write_1h_tokens": count(result, "cache_creation.ephemeral_1h_input_tokens", prefix=""),
        "output_tokens": count(result, "output_tokens", required=True, prefix=""),
        "reasoning_tokens": 0,
        "web_search_requests": count(result, "server_tool_use.web_search_requests", prefix=""),
        "project": text(result, "workspace_id"),
        "api_key_id": text(result, "api_key_id"),
        # The report counts tokens, not requests.
        "requests": 0,
        "record_grain": "bucket",
        "context_tier": _context_tier(result),
        # inference_geo (a possible price multiplier) has no column yet; it only keeps grouped rows apart.
    }


def _amount(value: Any) -> Decimal:
    amount = decimal(value, "amount", digits=_AMOUNT_DIGITS, noun="a decimal string")
    if amount is None:
        raise RecordError("missing field amount")
    return amount.quantize(_AMOUNT_QUANTUM)


def cost_row(result: dict[str, Any], start: datetime, end: datetime) -> Mapped:
    # The amount is in the currency's lowest unit (cents for USD), as a decimal string.
    amount = _amount(result.get("amount"))
    currency = text(result, "currency")
    if not currency:
        raise RecordError("missing field currency")
    return {
        "kind": "cost",
        "cost_id": _key("cost", start, end, result, ("amount",)),
        "bucket_start": start,
        "bucket_end": end,
        "provider": "anthropic",
        # Null both when not grouped by workspace and for the default workspace.
        "project": text(result, "workspace_id"),
        "api_key_id": None,
        "model": text(result, "model"),
        "line_item": text(result, "description"),
        "cost_type": text(result, "cost_type"),
        "token_type": text(result, "token_type"),
        "service_tier": text(result, "service_tier"),
        "quantity": None,
        "quantity_unit": None,
        "amount_original": amount,
        "currency": currency,
        "amount_usd": (amount / _CENTS).quantize(_AMOUNT_QUANTUM) if currency.upper() == "USD" else None,
    }


def map_usage_report(record: dict[str, Any]) -> Outcome:
    return _rows(record, usage_row)


def map_cost_report(record: dict[str, Any]) -> Outcome:
    return _rows(record, cost_row)


FORMATS: list[Format] = [
    Format("anthropic_usage_report", "anthropic", _is_usage, map_usage_report),
    Format("anthropic_cost_report", "anthropic", _is_cost, map_cost_report),
]
