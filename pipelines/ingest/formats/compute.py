"""Platforms that bill time on hardware: Replicate predictions, and per-GPU-second usage and cost exports (Modal).

- A Replicate prediction (GET /v1/predictions/{id}, or each of a list page's `results`) carries
  `metrics.predict_time`, the seconds of hardware it used, and for official language models
  `metrics.input_token_count` / `output_token_count`. It never names its hardware: the hardware map or the envelope
  does, and then the prediction is billed by the second; without one it is billed by its tokens. Only the metering
  fields are read: `input`, `output` and `logs` hold prompts and completions and are never touched.
- Modal's `modal billing report --json|--csv [--show-resources]` gives dollars per app (object), interval and
  resource, never seconds: its rows are reported cost, reconciled against meterline's own.
- A GPU-seconds export (one row per interval, app and resource, with `seconds`) is usage priced per second of that
  resource: what a team records from its own function logs on Modal, RunPod or any per-GPU-second platform. Its
  columns follow Modal's report (`object_id`, `description`, `environment`, `interval_start`, `resource`) or
  plain names (`app`, `project`, `timestamp`, `hardware`); `provider` names whose catalogue prices it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pipelines.ingest.fields import RecordError, cell, count, decimal, shown, text, timestamp, whole
from pipelines.ingest.formats.base import Format, Mapped, Outcome, Skip

_FINISHED = frozenset({"succeeded", "failed", "canceled"})
_RUNNING = frozenset({"starting", "processing"})
_SECONDS_QUANTUM = Decimal("1e-6")
_AMOUNT_QUANTUM = Decimal("1e-12")
_DIGITS = 15
_KEY = re.compile(r"[^a-zA-Z0-9]+")


def _is_prediction(record: dict[str, Any]) -> bool:
    return isinstance(record.get("urls"), dict) and "version" in record and "status" in record and "model" in record


def _seconds(value: Any, field: str) -> Decimal | None:
    number = decimal(value, field, digits=_DIGITS, noun="a number of seconds")
    if number is not None and number < 0:
        raise RecordError(f"field {field} is negative: {shown(value)}"[:200])
    return None if number is None else number.quantize(_SECONDS_QUANTUM)


def map_prediction(record: dict[str, Any]) -> Mapped | Skip:
    status = text(record, "status")
    prediction = text(record, "id")
    if not prediction:
        raise RecordError("missing field id")
    if status == "aborted":
        return Skip("prediction aborted before it started: nothing billed")
    if status in _RUNNING:
        raise RecordError(f"prediction {prediction} is still {status}: export it again once it has finished")
    if status not in _FINISHED:
        raise RecordError(f"unknown prediction status: {shown(status)}" if status else "missing field status")
    metrics = record.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise RecordError(f"field metrics is not an object: {shown(metrics)}"[:200])
    seconds = _seconds(metrics.get("predict_time"), "metrics.predict_time")
    # Replicate reports the time of every prediction that ran; a failed or canceled one may never have started.
    if seconds is None and status == "succeeded":
        raise RecordError("missing field metrics.predict_time: the seconds a prediction ran are what it is billed")
    return {
        "provider_time": timestamp(record.get("created_at"), "created_at"),
        "response_id": prediction,
        "model_raw": text(record, "model"),
        "input_tokens": count(metrics, "input_token_count", prefix="metrics."),
        "cache_read_tokens": 0,
        "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": count(metrics, "output_token_count", prefix="metrics."),
        "reasoning_tokens": 0,
        "web_search_requests": 0,
        "service_tier": "standard",
        "compute_seconds": seconds or Decimal(0),
    }


def _is_prediction_page(record: dict[str, Any]) -> bool:
    return isinstance(record.get("results"), list) and "next" in record and "previous" in record


def map_prediction_page(record: dict[str, Any]) -> Outcome:
    """A page of GET /v1/predictions (100 predictions): each result is a row of its own."""
    rows: list[tuple[str, Mapped | Skip | RecordError]] = []
    for index, result in enumerate(record["results"]):
        path = f"results[{index}]"
        try:
            if not isinstance(result, dict) or not _is_prediction(result):
                raise RecordError("not a prediction object")
            rows.append((path, map_prediction(result)))
        except RecordError as exc:
            rows.append((path, exc))
    return rows or Skip("empty page: no predictions")


def _row(record: dict[str, Any]) -> dict[str, Any]:
    """Modal's JSON keys are its CSV headers in snake case (`Object ID` -> `object_id`); read both alike."""
    return {_KEY.sub("_", key).lower().strip("_"): value for key, value in record.items()}


def _first(row: dict[str, Any], *names: str) -> str | None:
    return next((cell for cell in (cell(row, name) for name in names) if cell is not None), None)


def _is_modal_report(record: dict[str, Any]) -> bool:
    return ("interval_start" in record or "Interval Start" in record) and (
        "cost" in record or "Cost" in record) and ("object_id" in record or "Object ID" in record)


def map_modal_report(record: dict[str, Any]) -> Mapped:
    row = _row(record)
    start = cell(row, "interval_start")
    amount = decimal(row.get("cost"), "cost", digits=_DIGITS)
    if amount is None:
        raise RecordError("missing field cost")
    app, environment, resource = cell(row, "object_id"), cell(row, "environment"), cell(row, "resource")
    return {
        "kind": "cost",
        "cost_id": ":".join(("modal:cost", app or "", environment or "", start or "", resource or "")),
        "bucket_start": timestamp(start, "interval_start"),
        "bucket_end": None,
        "provider": "modal",
        "project": environment,
        "api_key_id": None,
        "model": cell(row, "description") or app,
        "line_item": resource or "total",
        "cost_type": None,
        "token_type": None,
        "service_tier": None,
        "quantity": None,
        "quantity_unit": None,
        "amount_original": amount.quantize(_AMOUNT_QUANTUM),
        "currency": "usd",
        "amount_usd": amount.quantize(_AMOUNT_QUANTUM),
    }


def _is_seconds_export(record: dict[str, Any]) -> bool:
    # Column names as written, or as Modal's report spells its headers (`Resource`).
    return ("seconds" in record or "Seconds" in record) and any(
        name in record for name in ("resource", "hardware", "Resource", "Hardware"))


def map_seconds_export(record: dict[str, Any]) -> Mapped | Skip:
    row = _row(record)
    provider = cell(row, "provider")
    if not provider:
        raise RecordError("missing field provider: name the platform whose prices apply (modal, replicate ...)")
    hardware = _first(row, "hardware", "resource")
    if not hardware:
        raise RecordError("missing field hardware (or resource): the GPU type, cpu or memory the seconds are of")
    seconds = _seconds(row.get("seconds"), "seconds")
    if seconds is None:
        raise RecordError("missing field seconds")
    if not seconds:
        return Skip("no seconds in this interval")
    start = _first(row, "interval_start", "timestamp")
    app = _first(row, "app", "description", "object_id")
    if not app:
        raise RecordError("missing field app (or description): the app or function that ran")
    project = _first(row, "project", "environment")
    return {
        "provider": provider.lower(),
        "provider_time": timestamp(start, "interval_start"),
        "event_id": ":".join((provider.lower(), "seconds", _first(row, "object_id") or app, project or "",
                              start or "", hardware.lower())),
        "model_raw": app,
        "project": project,
        "input_tokens": 0,
        "cache_read_tokens": 0,
        "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": 0,
        "reasoning_tokens": 0,
        "web_search_requests": 0,
        "service_tier": "standard",
        "requests": whole(row.get("requests"), "requests"),
        "record_grain": "bucket",
        "hardware": hardware,
        "compute_seconds": seconds,
    }


# The GPU-seconds export before Modal's report: both may carry Modal's column names, only the export has seconds.
FORMATS: list[Format] = [
    Format("replicate_prediction", "replicate", _is_prediction, map_prediction),
    Format("replicate_predictions_page", "replicate", _is_prediction_page, map_prediction_page),
    Format("gpu_seconds_export", "modal", _is_seconds_export, map_seconds_export),
    Format("modal_billing_report", "modal", _is_modal_report, map_modal_report),
]
