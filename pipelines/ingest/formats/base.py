"""What every format module produces, so the parser can treat all sources alike.

A format is (source_format, provider, detect, mapper). `detect(record)` looks only at keys, cheaply. `mapper(record)`
returns one of:
- a `Mapped` dict: one canonical row (keys below);
- a `Skip`: the record carries no billable usage by design (a streamed content chunk, a failed batch request);
- a list of (sub-path, Mapped | Skip | RecordError) for records that hold several rows (a report bucket, an OTLP
  export); the sub-path (`results[2]`) says where each row sat, so a reject names it.
It raises `RecordError` when the whole record is unusable. Mappers read metering fields only, never message text.

Mapped keys. Required: model_raw (None when an envelope must supply it), input_tokens (uncached text input),
cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens (reasoning inside),
reasoning_tokens, web_search_requests, service_tier (standard|priority|flex|scale|fast), provider_time (naive UTC
datetime or None). Optional: response_id (the id the caller saw; the dedup key with `id_namespace`, default the
provider), event_id (a full dedup key, for aggregates), provider (the vendor, when one format serves several),
platform, is_batch, project, api_key_id, user_id, endpoint_scope, input/output_audio_tokens,
input/output_image_tokens, requests (default 1; 0 when the source does not count them), record_grain (`request`,
`chunk` for one of several cumulative stream chunks, `bucket` for an aggregate), context_tier (`base`|`long`, for
aggregates that say which long-context band they are in), input_unknown (the source omitted the input count),
reported_cost_usd (Decimal, the source's own cost), hardware (the SKU a platform bills by time) and
compute_seconds (seconds of one unit of it). A cost-report row instead has kind="cost" and the keys of
`COST_KEYS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipelines.ingest.fields import RecordError

Mapped = dict[str, Any]


@dataclass(frozen=True)
class Skip:
    """A record that is not usage by design; counted per file, not stored."""

    reason: str


Outcome = Mapped | Skip | list[tuple[str, "Mapped | Skip | RecordError"]]
Mapper = Callable[[dict[str, Any]], Outcome]
Detect = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Format:
    name: str
    provider: str
    detect: Detect
    mapper: Mapper


# A cost-report row (kind="cost"): what a provider says it charged, kept beside meterline's own prices.
COST_KEYS = ("cost_id", "bucket_start", "bucket_end", "provider", "project", "api_key_id", "model", "line_item",
             "cost_type", "token_type", "service_tier", "quantity", "quantity_unit", "amount_original", "currency",
             "amount_usd")

__all__ = ["COST_KEYS", "Format", "Mapped", "Outcome", "RecordError", "Skip"]
