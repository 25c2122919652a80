"""The canonical usage record: one row per request, token classes as exclusive buckets.

Token classes add up to the total the provider billed, so pricing is a plain dot product and no token is counted
twice: ``input_tokens`` is uncached input only, cache reads and writes have their own buckets, and
``output_tokens`` already contains reasoning (``reasoning_tokens`` is an informational subset).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ServiceTier = Literal["standard", "priority", "flex", "scale", "fast", "provisioned"]
EndpointScope = Literal["global", "geo", "in_region"]

class UsageRecord(BaseModel):
    """What staging keeps of one provider record: metering fields only, never message text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(description="provider:response id, or a hash of file and line when the record has no id")
    event_time: datetime = Field(description="UTC, naive")
    usage_date: date
    provider: str
    platform: str = Field(description="direct, vertex, bedrock, azure, openrouter ...")
    model_raw: str
    project: str | None = None
    api_key_id: str | None = None
    user_id: str | None = None
    service_tier: ServiceTier = "standard"
    is_batch: bool = False
    endpoint_scope: EndpointScope | None = Field(default=None, description="as logged; else from the model id")
    input_tokens: int = Field(ge=0, description="uncached, non-cache-write text input")
    cache_read_tokens: int = Field(ge=0)
    cache_write_5m_tokens: int = Field(ge=0)
    cache_write_1h_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0, description="text output, reasoning included")
    reasoning_tokens: int = Field(ge=0, description="subset of output_tokens")
    input_audio_tokens: int = Field(default=0, ge=0, description="uncached audio input")
    output_audio_tokens: int = Field(default=0, ge=0)
    input_image_tokens: int = Field(default=0, ge=0, description="uncached image input billed as its own class")
    output_image_tokens: int = Field(default=0, ge=0)
    cache_storage_token_hours: Decimal = Field(default=Decimal(0), ge=0, description="explicit cache held, token-hours")
    hardware: str | None = Field(default=None, description="the SKU billed by time (Replicate, Modal), lower case")
    compute_seconds: Decimal = Field(default=Decimal(0), ge=0, description="seconds of one unit of `hardware`")
    web_search_requests: int = Field(ge=0)
    requests: int = Field(ge=0, description="1 per request; an aggregate's count; 0 when the source counts none")
    record_grain: Literal["request", "chunk", "bucket"] = Field(
        default="request", description="one request, one cumulative stream chunk, or an aggregate of many")
    context_tier: Literal["base", "long"] | None = Field(
        default=None, description="the long-context band an aggregate reports; NULL: from the token counts")
    input_unknown: bool = Field(default=False, description="the source omitted the input count (old Ollama)")
    reported_cost_usd: Decimal | None = Field(default=None, description="the source's own cost, never overwritten")
    source_format: str
    source_file: str
    source_line: int = Field(ge=1)


STAGING_COLUMNS: tuple[str, ...] = tuple(UsageRecord.model_fields)
