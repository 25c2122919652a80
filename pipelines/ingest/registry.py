"""Every record format meterline reads, in the order they are tried; the first whose keys match maps the record."""

from __future__ import annotations

from typing import Any

from pipelines.ingest import providers
from pipelines.ingest.formats import (
    agents,
    anthropic_reports,
    batches,
    bedrock,
    compute,
    gateways,
    hosts,
    openai_reports,
    otel,
)
from pipelines.ingest.formats.base import Format


def _always(_: dict[str, Any]) -> bool:
    return True


# Provider responses, the bulk of most logs, are recognised by `providers.detect_shape` first.
RESPONSES = {shape[0]: Format(shape[0], shape[1], _always, shape[2])
             for shape in (providers.OPENAI_CHAT, providers.OPENAI_RESPONSES, providers.ANTHROPIC_MESSAGE,
                           providers.GEMINI, providers.OPENAI_REALTIME,
                           providers.GEMINI_INTERACTION)}
FORMATS: tuple[Format, ...] = (
    *agents.FORMATS,
    *batches.FORMATS,
    *openai_reports.FORMATS,
    *anthropic_reports.FORMATS,
    *bedrock.FORMATS,
    *hosts.FORMATS,
    *compute.FORMATS,
    *gateways.FORMATS,
    *otel.FORMATS,
)
# Keys of records that hold a `response` object of their own (batch outputs, LiteLLM rows): such a record is tried
# as a format of its own before it is read as the meterline envelope.
WRAPPER_KEYS = frozenset({"custom_id", "processed_time", "key", "status", "request_id"})


def detect(record: dict[str, Any], provider_hint: str | None = None) -> Format | None:
    shape = providers.detect_shape(record, provider_hint)
    if shape is not None:
        return RESPONSES[shape[0]]
    for fmt in FORMATS:
        if fmt.detect(record):
            return fmt
    return None

