"""AWS Bedrock: model invocation logs and Converse / ConverseStream usage (provider-formats.md section 4).

Bedrock counts like Anthropic: `inputTokens` / `inputTokenCount` exclude cache reads and writes, which have their
own counts (gotcha 1). Only metering fields are read: of a logged request or response body, only the response's
`usage` object, never the messages around it.
"""

from __future__ import annotations

from typing import Any

from pipelines.ingest.fields import RecordError, count, get_path, shown, text, timestamp
from pipelines.ingest.formats.base import Format, Mapped, Skip
from pipelines.pricing.aliases import normalise

# Model-id prefixes naming the vendor whose model Bedrock served (`anthropic.claude-...`, `meta.llama...`).
_VENDORS = frozenset({"ai21", "amazon", "anthropic", "cohere", "deepseek", "google", "luma", "meta", "minimax",
                      "mistral", "moonshotai", "nvidia", "openai", "qwen", "stability", "twelvelabs", "writer",
                      "zai"})
_TIERS = {"default": "standard", "priority": "priority", "flex": "flex"}
_TTLS = ("5m", "1h")
# ConverseStream events other than the final `metadata` one carry content, never usage.
_STREAM_EVENTS = frozenset({"messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop",
                            "messageStop"})


def vendor(model_id: str | None) -> str:
    """The model's vendor from a Bedrock model id, inference-profile id or ARN; `bedrock` when the id does not
    say (an application inference profile or provisioned-model ARN)."""
    if not model_id:
        return "bedrock"
    name, _ = normalise(model_id)
    head, dot, _ = name.partition(".")
    return head if dot and head in _VENDORS else "bedrock"


def _split_writes(written: int, usage: Any, field: str) -> tuple[int, int]:
    """(5m, 1h) of `written` cache-write tokens, from the TTL split in `usage` when it has one: Converse's
    `cacheDetails` list or, in a native Anthropic body, `cache_creation`. Without one, every write is a
    5-minute write (the only TTL before the split existed)."""
    if not isinstance(usage, dict):
        return written, 0
    details = usage.get("cacheDetails")
    native = usage.get("cache_creation")
    if details:
        if not isinstance(details, list):
            raise RecordError(f"{field}.cacheDetails is not a list")
        by_ttl = dict.fromkeys(_TTLS, 0)
        for index, item in enumerate(details):
            where = f"{field}.cacheDetails[{index}]"
            ttl = item.get("ttl") if isinstance(item, dict) else None
            if type(ttl) is not str or ttl not in by_ttl:
                raise RecordError(f"{where}.ttl is not one of {', '.join(_TTLS)}: {shown(ttl)}"[:200])
            by_ttl[ttl] += count(item, "inputTokens", required=True, prefix=f"{where}.")
        write_5m, write_1h = by_ttl["5m"], by_ttl["1h"]
        split = f"{field}.cacheDetails"
    elif isinstance(native, dict):
        write_5m = count(native, "ephemeral_5m_input_tokens", prefix=f"{field}.cache_creation.")
        write_1h = count(native, "ephemeral_1h_input_tokens", prefix=f"{field}.cache_creation.")
        split = f"{field}.cache_creation"
    else:
        return written, 0
    if write_5m + write_1h != written:
        raise RecordError(f"{split} splits {write_5m + write_1h} cache-write tokens but the write count is {written}")
    return write_5m, write_1h


def _is_invocation_log(record: dict[str, Any]) -> bool:
    return record.get("schemaType") == "ModelInvocationLog"


def _logged_count(record: dict[str, Any], part: str, key: str) -> int:
    """A token count the log must carry (`input.inputTokenCount`, `output.outputTokenCount`)."""
    section = record.get(part)
    if not isinstance(section, dict) or section.get(key) is None:
        in_s3 = isinstance(section, dict) and f"{part}BodyS3Path" in section
        raise RecordError(f"missing field {part}.{key}"
                          + (f" (the {part} body went to S3 and the log carries no token count)" if in_s3 else ""))
    return count(section, key, prefix=f"{part}.")


def invocation_log(record: dict[str, Any]) -> Mapped:
    model_id = text(record, "modelId")
    if not model_id:
        raise RecordError("missing field modelId")
    uncached = _logged_count(record, "input", "inputTokenCount")
    output = _logged_count(record, "output", "outputTokenCount")
    written = count(record, "input.cacheWriteInputTokenCount", prefix="")
    body = get_path(record, "output.outputBodyJson")
    # Of the logged bodies only the response's `usage` is read, for its cache-write TTL split.
    usage = body.get("usage") if isinstance(body, dict) else None
    write_5m, write_1h = _split_writes(written, usage, "output.outputBodyJson.usage")
    return {
        "response_id": text(record, "requestId"),
        "id_namespace": "bedrock",
        "provider_time": timestamp(record.get("timestamp"), "timestamp"),
        # As logged: the alias layer strips ARNs and `us.`/`eu.`/`global.` prefixes, keeping them as the scope.
        "model_raw": model_id,
        "provider": vendor(model_id),
        "platform": "bedrock",
        "service_tier": "standard",
        "input_tokens": uncached,
        "cache_read_tokens": count(record, "input.cacheReadInputTokenCount", prefix=""),
        "cache_write_5m_tokens": write_5m,
        "cache_write_1h_tokens": write_1h,
        "output_tokens": output,
        "reasoning_tokens": 0,
        "web_search_requests": 0,
        # The caller's IAM identity is the closest thing to an API key the log names.
        "api_key_id": text(record, "identity.arn"),
        # requestMetadata holds free-form caller tags; only a `project` tag is taken, as the project.
        "project": text(record, "requestMetadata.project"),
    }


def _is_converse(record: dict[str, Any]) -> bool:
    usage = record.get("usage")
    if isinstance(usage, dict):
        # stopReason and metrics are required in a Converse response; other camelCase `usage` objects lack them.
        return "inputTokens" in usage and ("stopReason" in record or "metrics" in record)
    metadata = record.get("metadata")
    if isinstance(metadata, dict):
        return isinstance(metadata.get("usage"), dict) and "inputTokens" in metadata["usage"]
    return len(record) == 1 and next(iter(record)) in _STREAM_EVENTS


def converse(record: dict[str, Any]) -> Mapped | Skip:
    """A Converse response, or a ConverseStream event: the final `metadata` event holds the usage. Neither names
    the model or the time, so the envelope must (`model`, `timestamp`)."""
    if isinstance(record.get("usage"), dict):
        body, prefix = record, "usage."
    elif isinstance(record.get("metadata"), dict):
        body, prefix = record["metadata"], "metadata.usage."
    else:
        return Skip("ConverseStream event without usage")
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise RecordError(f"missing field {prefix.rstrip('.')}")
    uncached = count(usage, "inputTokens", required=True, prefix=prefix)
    output = count(usage, "outputTokens", required=True, prefix=prefix)
    read = count(usage, "cacheReadInputTokens", prefix=prefix)
    written = count(usage, "cacheWriteInputTokens", prefix=prefix)
    # totalTokens includes the cache tokens (gotcha 2). When it equals input + output alone although there were
    # cache tokens, the input already held them (ConverseStream for OpenAI-family models, bifrost#6942): take them
    # out. Only the total can show it; a total that agrees with the documented sum is trusted as it stands.
    if usage.get("totalTokens") is not None and read + written:
        total = count(usage, "totalTokens", prefix=prefix)
        if uncached + output == total:
            uncached = max(uncached - read - written, 0)
    write_5m, write_1h = _split_writes(written, usage, prefix.rstrip("."))
    raw_tier = text(body, "serviceTier.type")
    tier = _TIERS.get(raw_tier.lower()) if raw_tier is not None else "standard"
    if tier is None:
        raise RecordError(f"serviceTier.type {shown(raw_tier)} has no per-token list price (expected default, priority"
                          " or flex)"[:200])
    return {
        # boto3 keeps the request id beside the response; Bedrock's invocation log keys the same request by it.
        "response_id": text(record, "ResponseMetadata.RequestId"),
        "id_namespace": "bedrock",
        "provider_time": None,
        "model_raw": None,
        "platform": "bedrock",
        "service_tier": tier,
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": write_5m,
        "cache_write_1h_tokens": write_1h,
        "output_tokens": output,
        "reasoning_tokens": 0,
        "web_search_requests": 0,
    }


# The invocation log's provider is the model's vendor, set per row; `bedrock` is its fallback. A Converse
# response cannot name its vendor (the model is in the envelope, which a mapper does not see), so it stays
# `bedrock`, and an envelope around it must say `bedrock` too, or nothing.
FORMATS: list[Format] = [
    Format("bedrock_invocation_log", "bedrock", _is_invocation_log, invocation_log),
    Format("bedrock_converse", "bedrock", _is_converse, converse),
]
