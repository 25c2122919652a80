"""One mapping per response shape, from a provider's JSON to canonical exclusive token buckets.

The inclusive/exclusive semantics live here and nowhere else (shared/reference/provider-formats.md sections 0, 7):
OpenAI and Gemini count cache hits inside the prompt total, Anthropic does not; OpenAI and Anthropic count reasoning
inside output, Gemini reports thoughts beside the candidates. Only metering fields are read: message text is never
touched, let alone kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipelines.ingest.fields import RecordError, count, text, timestamp

Mapped = dict[str, Any]

_OPENAI_TIERS = {"default": "standard", "auto": "standard", "priority": "priority", "fast": "priority",
                 "flex": "flex", "scale": "scale"}
_ANTHROPIC_TIERS = {"standard": "standard", "priority": "priority", "batch": "standard"}
_GEMINI_TRAFFIC = {"ON_DEMAND": "standard", "ON_DEMAND_PRIORITY": "priority", "ON_DEMAND_FLEX": "flex",
                   "TRAFFIC_TYPE_UNSPECIFIED": "standard"}
_GEMINI_TIERS = {"standard": "standard", "priority": "priority", "flex": "flex"}


def _tier(raw: str | None, table: dict[str, str], field: str) -> str:
    if raw is None:
        return "standard"
    tier = table.get(raw.lower() if table is not _GEMINI_TRAFFIC else raw)
    if tier is None:
        raise RecordError(f"unknown {field}: {raw!r}")
    return tier


def _model(obj: dict[str, Any], *paths: str) -> str:
    for path in paths:
        value = text(obj, path)
        if value:
            return value
    raise RecordError(f"missing field {paths[0]}")


def _openai(resp: dict[str, Any], spelling: tuple[str, ...], missing_usage: str) -> Mapped:
    """Chat Completions and Responses differ only in names: (input, cached, cache write, input audio, output,
    output audio, reasoning, time). Audio counts sit inside the prompt and completion totals."""
    input_key, cached_key, written_key, audio_in_key, output_key, audio_out_key, reasoning_key, time_key = spelling
    usage = resp.get("usage")
    if not isinstance(usage, dict):
        raise RecordError(f"missing field usage ({missing_usage})")
    total_in = count(usage, input_key, required=True)
    cached = count(usage, cached_key)
    written = count(usage, written_key)
    audio_in = count(usage, audio_in_key)
    uncached = total_in - cached - written - audio_in
    if uncached < 0:
        raise RecordError(
            f"negative token count in input: usage.{input_key} ({total_in}) is less than cached ({cached})"
            f" plus cache-write ({written}) plus audio ({audio_in}) tokens"
        )
    total_out = count(usage, output_key, required=True)
    audio_out = count(usage, audio_out_key)
    output = total_out - audio_out
    if output < 0:
        raise RecordError(
            f"negative token count in output: usage.{output_key} ({total_out}) is less than audio ({audio_out})"
        )
    reasoning = count(usage, reasoning_key)
    created = resp.get(time_key)
    return {
        "response_id": text(resp, "id"),
        "provider_time": timestamp(created, time_key) if created is not None else None,
        "model_raw": _model(resp, "model"),
        "service_tier": _tier(text(resp, "service_tier"), _OPENAI_TIERS, "service_tier"),
        "input_tokens": uncached,
        "cache_read_tokens": cached,
        # OpenAI reports one cache-write count with no TTL; its default retention is the short one.
        "cache_write_5m_tokens": written,
        "cache_write_1h_tokens": 0,
        "output_tokens": output,
        # Informational subset of output; capped so a provider's rounding never makes the subset exceed the whole.
        "reasoning_tokens": min(reasoning, output),
        "input_audio_tokens": audio_in,
        "output_audio_tokens": audio_out,
        "web_search_requests": 0,
    }


def openai_chat(resp: dict[str, Any]) -> Mapped:
    return _openai(
        resp,
        ("prompt_tokens", "prompt_tokens_details.cached_tokens", "prompt_tokens_details.cache_write_tokens",
         "prompt_tokens_details.audio_tokens", "completion_tokens", "completion_tokens_details.audio_tokens",
         "completion_tokens_details.reasoning_tokens", "created"),
        "streaming chunk without usage, or an error response",
    )


def openai_responses(resp: dict[str, Any]) -> Mapped:
    mapped = _openai(
        resp,
        ("input_tokens", "input_tokens_details.cached_tokens", "input_tokens_details.cache_write_tokens",
         "input_tokens_details.audio_tokens", "output_tokens", "output_tokens_details.audio_tokens",
         "output_tokens_details.reasoning_tokens", "created_at"),
        "the response did not complete",
    )
    # Each web_search_call item is one billed call; only the items' type is read, never their content.
    items = resp.get("output")
    if isinstance(items, list):
        mapped["web_search_requests"] = sum(
            1 for item in items if isinstance(item, dict) and item.get("type") == "web_search_call")
    return mapped


def anthropic_message(resp: dict[str, Any]) -> Mapped:
    usage = resp.get("usage")
    if not isinstance(usage, dict):
        raise RecordError("missing field usage")
    uncached = count(usage, "input_tokens", required=True)
    read = count(usage, "cache_read_input_tokens")
    created = count(usage, "cache_creation_input_tokens")
    split = usage.get("cache_creation")
    if isinstance(split, dict):
        write_5m = count(usage, "cache_creation.ephemeral_5m_input_tokens")
        write_1h = count(usage, "cache_creation.ephemeral_1h_input_tokens")
        if created and write_5m + write_1h != created:
            raise RecordError(
                f"usage.cache_creation splits {write_5m + write_1h} tokens but"
                f" usage.cache_creation_input_tokens is {created}"
            )
    else:
        # Before the 1h TTL existed every write was a 5-minute write.
        write_5m, write_1h = created, 0
    output = count(usage, "output_tokens", required=True)
    thinking = count(usage, "output_tokens_details.thinking_tokens")
    raw_tier = text(usage, "service_tier")
    return {
        "response_id": text(resp, "id"),
        "provider_time": None,
        "model_raw": _model(resp, "model"),
        "service_tier": _tier(raw_tier, _ANTHROPIC_TIERS, "usage.service_tier"),
        "is_batch": raw_tier is not None and raw_tier.lower() == "batch",
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": write_5m,
        "cache_write_1h_tokens": write_1h,
        "output_tokens": output,
        # Anthropic re-tokenises thinking for this count, so it is approximate and can exceed output_tokens.
        "reasoning_tokens": min(thinking, output),
        "web_search_requests": count(usage, "server_tool_use.web_search_requests"),
    }


def _modality(usage: dict[str, Any], key: str, modality: str, prefix: str) -> int:
    """The token count of one modality in a Gemini `*TokensDetails` list (absent: 0)."""
    details = usage.get(key)
    if details is None:
        return 0
    if not isinstance(details, list):
        raise RecordError(f"{prefix}{key} is not a list")
    total = 0
    for index, item in enumerate(details):
        if isinstance(item, dict) and item.get("modality") == modality:
            total += count(item, "tokenCount" if "tokenCount" in item else "token_count",
                           prefix=f"{prefix}{key}[{index}].")
    return total


def gemini_generate_content(resp: dict[str, Any]) -> Mapped:
    camel = "usageMetadata" in resp
    usage = resp.get("usageMetadata") if camel else resp.get("usage_metadata")
    if not isinstance(usage, dict):
        raise RecordError("missing field usageMetadata")
    base = "usageMetadata" if camel else "usage_metadata"

    prefix = f"{base}."

    def field(camel_name: str, snake_name: str) -> int:
        # Gemini omits zero-valued counts from its JSON, so a missing count is 0.
        return count(usage, camel_name if camel else snake_name, prefix=prefix)

    prompt = field("promptTokenCount", "prompt_token_count")
    cached = field("cachedContentTokenCount", "cached_content_token_count")
    tool_prompt = field("toolUsePromptTokenCount", "tool_use_prompt_token_count")
    candidates = field("candidatesTokenCount", "candidates_token_count")
    thoughts = field("thoughtsTokenCount", "thoughts_token_count")
    if cached > prompt:
        prompt_name, cached_name = (
            ("promptTokenCount", "cachedContentTokenCount") if camel
            else ("prompt_token_count", "cached_content_token_count")
        )
        raise RecordError(
            f"negative token count in input: {base}.{prompt_name} ({prompt}) is less than {cached_name} ({cached})"
        )
    audio_in = _modality(usage, "promptTokensDetails" if camel else "prompt_tokens_details", "AUDIO", prefix)
    audio_cached = _modality(usage, "cacheTokensDetails" if camel else "cache_tokens_details", "AUDIO", prefix)
    audio_out = _modality(usage, "candidatesTokensDetails" if camel else "candidates_tokens_details", "AUDIO", prefix)
    image_out = _modality(usage, "candidatesTokensDetails" if camel else "candidates_tokens_details", "IMAGE", prefix)
    # Cached audio stays in the cache-read bucket: the catalogue has no cached-audio class yet.
    audio_uncached = max(audio_in - audio_cached, 0)
    if audio_out + image_out > candidates:
        raise RecordError(f"{base} candidate modality counts ({audio_out + image_out}) exceed the candidate total"
                          f" ({candidates})")
    traffic = text(usage, "trafficType" if camel else "traffic_type")
    created = resp.get("createTime", resp.get("create_time"))
    return {
        "response_id": text(resp, "responseId" if camel else "response_id"),
        "provider_time": timestamp(created, "createTime") if created is not None else None,
        "model_raw": _model(resp, "modelVersion", "model_version"),
        "service_tier": _tier(traffic, _GEMINI_TRAFFIC, "trafficType") if traffic else "standard",
        "platform": "vertex" if traffic or created is not None else "direct",
        "input_tokens": prompt - cached + tool_prompt - audio_uncached,
        "cache_read_tokens": cached,
        "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": candidates - audio_out - image_out + thoughts,
        "reasoning_tokens": thoughts,
        "input_audio_tokens": audio_uncached,
        "output_audio_tokens": audio_out,
        "output_image_tokens": image_out,
        "web_search_requests": 0,
    }


# (source_format, provider, mapper)
Shape = tuple[str, str, Callable[[dict[str, Any]], Mapped]]
OPENAI_CHAT: Shape = ("openai_chat", "openai", openai_chat)
OPENAI_RESPONSES: Shape = ("openai_responses", "openai", openai_responses)
ANTHROPIC_MESSAGE: Shape = ("anthropic_messages", "anthropic", anthropic_message)
GEMINI: Shape = ("gemini_generate_content", "google", gemini_generate_content)


def detect_shape(resp: dict[str, Any], provider_hint: str | None = None) -> Shape | None:
    """Recognise a response object by its own keys, not by the file it came from."""
    provider_hint = provider_hint.lower() if provider_hint else None
    if "usageMetadata" in resp or "usage_metadata" in resp or "modelVersion" in resp:
        return GEMINI
    kind = resp.get("object")
    if kind in ("chat.completion", "chat.completion.chunk"):
        return OPENAI_CHAT
    if kind == "response":
        return OPENAI_RESPONSES
    if resp.get("type") == "message":
        return ANTHROPIC_MESSAGE
    usage = resp.get("usage")
    if isinstance(usage, dict):
        if "prompt_tokens" in usage:
            return OPENAI_CHAT
        if "input_tokens_details" in usage or ("output_tokens_details" in usage and provider_hint == "openai"):
            return OPENAI_RESPONSES
        if "cache_read_input_tokens" in usage or "cache_creation_input_tokens" in usage:
            return ANTHROPIC_MESSAGE
        if "input_tokens" in usage:
            if provider_hint == "anthropic":
                return ANTHROPIC_MESSAGE
            if provider_hint == "openai":
                return OPENAI_RESPONSES
    return None
