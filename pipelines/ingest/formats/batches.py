"""Batch outputs: OpenAI Batch API, Anthropic Message Batches, Vertex AI batch prediction and Gemini file batches.

Each line holds one provider response, mapped by the same function as a live response and marked as batch: nothing
inside an OpenAI or Gemini response says it was. A request that failed inside a batch is not billed, so it is
skipped, not rejected. Anthropic and Gemini Developer API lines carry no time of their own: they need the meterline
envelope's `timestamp`, and without it the parser rejects them saying so. Requests (`request`) are never read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipelines.ingest.fields import RecordError, count, shown, text, timestamp
from pipelines.ingest.formats.base import Format, Mapped, Outcome, Skip
from pipelines.ingest.providers import (
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    anthropic_message,
    detect_shape,
    gemini_generate_content,
    openai_chat,
    openai_responses,
)

_NOT_BILLED = Skip("batch request failed: not billed")
_ANTHROPIC_UNBILLED = ("errored", "canceled", "expired")
# A batch body is a whole response, never a stream chunk.
_OPENAI_BODIES = {OPENAI_CHAT[0]: openai_chat, OPENAI_RESPONSES[0]: openai_responses}


def _inner(mapper: Callable[[dict[str, Any]], Outcome], response: dict[str, Any], path: str) -> Outcome:
    """Map the response inside a line, naming fields by their path from the line."""
    try:
        mapped = mapper(response)
        if isinstance(mapped, Skip):
            raise RecordError(f"not a whole response ({mapped.reason})")
    except RecordError as exc:
        raise RecordError(f"{path}: {exc}") from None
    # A response may be billed as several rows (an Anthropic advisor iteration at its own model).
    for part in (mapped,) if type(mapped) is dict else (part for _, part in mapped):
        if type(part) is dict:
            part["is_batch"] = True
    return mapped


def _openai_batch(line: dict[str, Any]) -> Mapped | Skip:
    response = line.get("response")
    if response is None:
        return _NOT_BILLED  # an error-file line: `error` says why
    if not isinstance(response, dict):
        raise RecordError("field response is not an object")
    if count(response, "status_code", required=True, prefix="response.") != 200:
        return _NOT_BILLED
    body = response.get("body")
    if not isinstance(body, dict):
        raise RecordError("missing field response.body")
    shape = detect_shape(body, "openai")
    # An embeddings list has prompt_tokens too, but neither an id nor a time.
    mapper = _OPENAI_BODIES.get(shape[0]) if shape is not None and body.get("object") != "list" else None
    if mapper is None:
        raise RecordError(f"response.body is not a chat completion or a response (object {shown(body.get('object'))})"
                          [:200])
    mapped = _inner(mapper, body, "response.body")
    mapped["response_id"] = mapped["response_id"] or text(line, "id")
    return mapped


def _anthropic_batch(line: dict[str, Any]) -> Outcome:
    result = line.get("result")
    if not isinstance(result, dict):
        raise RecordError("missing field result")
    kind = text(result, "type")
    if kind in _ANTHROPIC_UNBILLED:
        return Skip(f"batch request {kind}: not billed")
    if kind != "succeeded":
        raise RecordError(f"unknown result.type: {shown(kind)}"[:200])
    message = result.get("message")
    if not isinstance(message, dict):
        raise RecordError("missing field result.message")
    return _inner(anthropic_message, message, "result.message")


def _has_usage(response: Any) -> bool:
    return isinstance(response, dict) and ("usageMetadata" in response or "usage_metadata" in response)


def _vertex_batch(line: dict[str, Any]) -> Mapped | Skip:
    response = line.get("response")
    # `status` is empty on success and holds the error otherwise.
    if line.get("status") and not _has_usage(response):
        return _NOT_BILLED
    if not isinstance(response, dict):
        raise RecordError("missing field response")
    mapped = _inner(gemini_generate_content, response, "response")
    if mapped["provider_time"] is None:
        mapped["provider_time"] = timestamp(line.get("processed_time"), "processed_time")
    mapped["platform"] = "vertex"
    return mapped


def _gemini_batch(line: dict[str, Any]) -> Mapped | Skip:
    response = line.get("response")
    if response is None and (line.get("error") or line.get("status")):
        return _NOT_BILLED
    if not isinstance(response, dict):
        raise RecordError("missing field response")
    mapped = _inner(gemini_generate_content, response, "response")
    mapped["platform"] = "direct"
    return mapped


def _is_openai_batch(line: dict[str, Any]) -> bool:
    return "custom_id" in line and "response" in line


def _is_anthropic_batch(line: dict[str, Any]) -> bool:
    return "custom_id" in line and "result" in line


def _is_vertex_batch(line: dict[str, Any]) -> bool:
    return "processed_time" in line and ("response" in line or "status" in line)


def _is_gemini_batch(line: dict[str, Any]) -> bool:
    return "key" in line and ("response" in line or "error" in line or "status" in line)


FORMATS: list[Format] = [
    Format("openai_batch_output", "openai", _is_openai_batch, _openai_batch),
    Format("anthropic_batch_results", "anthropic", _is_anthropic_batch, _anthropic_batch),
    Format("vertex_batch_prediction", "google", _is_vertex_batch, _vertex_batch),
    Format("gemini_batch_output", "google", _is_gemini_batch, _gemini_batch),
]
