"""One mapping per response shape, from a provider's JSON to canonical exclusive token buckets.

The inclusive/exclusive semantics live here and nowhere else (shared/reference/provider-formats.md sections 0, 7):
OpenAI and Gemini count cache hits inside the prompt total, Anthropic does not; OpenAI and Anthropic count reasoning
inside output, Gemini reports thoughts beside the candidates. Only metering fields are read: message text is never
touched, let alone kept.

OpenAI-compatible hosts (Azure, Groq, DeepSeek, OpenRouter, Fireworks, Mistral, Together, xAI, Cerebras, SambaNova,
and the self-hosted vLLM, SGLang and TGI) answer in the Chat Completions shape, so `openai_chat` maps them all and names
the host in `platform` when the response itself shows it (section 5); an envelope `platform` still wins. Stream logs
are a chunk per line: only chunks that carry usage are rows (`record_grain` chunk, cumulative counts of which the
warehouse keeps the last).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pipelines.ingest.fields import RecordError, count, decimal, get_path, shown, text, timestamp
from pipelines.ingest.formats.base import Outcome, Skip

Mapped = dict[str, Any]

# The OpenAI tier names, also what gateways and OTel spans relay ("standard" from those that normalise "default").
OPENAI_TIERS = {"default": "standard", "auto": "standard", "standard": "standard", "priority": "priority",
                "fast": "priority", "flex": "flex", "scale": "scale",
                # Groq's names for its pay-as-you-go tier (console.groq.com/docs/flex-processing).
                "on_demand": "standard"}
_ANTHROPIC_TIERS = {"standard": "standard", "priority": "priority", "batch": "standard"}
# Provisioned Throughput is paid for by the reserved capacity (GSUs), not per token: its own tier, which the catalogue
# prices nowhere, so such requests are counted with the status unpriced_variant instead of an on-demand cost.
_GEMINI_TRAFFIC = {"ON_DEMAND": "standard", "ON_DEMAND_PRIORITY": "priority", "ON_DEMAND_FLEX": "flex",
                   "TRAFFIC_TYPE_UNSPECIFIED": "standard", "PROVISIONED_THROUGHPUT": "provisioned"}
_GEMINI_TIERS = {"standard": "standard", "priority": "priority", "flex": "flex"}
# Integer digits of an inline charge in USD: far above any real request, so a wild figure is rejected here.
_USD_DIGITS = 12

# Chat Completions names: (input, cached, cache write, input audio, output, output audio, reasoning, time).
_CHAT = ("prompt_tokens", "prompt_tokens_details.cached_tokens", "prompt_tokens_details.cache_write_tokens",
         "prompt_tokens_details.audio_tokens", "completion_tokens", "completion_tokens_details.audio_tokens",
         "completion_tokens_details.reasoning_tokens", "created")
# DeepSeek's own cache-hit count; the API defines prompt_tokens = prompt_cache_hit_tokens + prompt_cache_miss_tokens.
_DEEPSEEK_CHAT = (_CHAT[0], "prompt_cache_hit_tokens", *_CHAT[2:])
_CHAT_MISSING = "streaming chunk without usage, or an error response"
# Model families only Mistral's own API serves under these bare names; other hosts namespace them (mistralai/...).
_MISTRAL_FAMILIES = ("mistral-", "codestral-", "magistral-", "ministral-", "pixtral-", "devstral-", "open-mistral-",
                     "voxtral-")
# xAI's usage alone has `num_sources_used` (Live Search) and `cost_in_usd_ticks` (docs.x.ai cost-tracking); SambaNova's
# carries `is_last_response` and `time_to_first_token` (sambanova-python types/chat/chat_completion_response.py).
_XAI_TICK_EXPONENT = 10  # 1 USD = 10^10 ticks
# TGI's system_fingerprint is "<version>-<docker label>", the label "native" outside the official images, else
# "sha-<commit>" (router/src/server.rs): "3.1.2-dev0-native", "3.0.1-sha-bb9095a".
_TGI_FINGERPRINT = re.compile(r"\d+\.\d+\.\d+(?:-dev\d+)?-(?:native|sha-[0-9a-f]+)")

# Anthropic streaming events (section 2a). Content events, message_stop and ping carry no usage. message_start holds
# the input counts with a provisional output count and message_delta the cumulative output count without an id or
# model: neither is the request's usage alone, and pairing them by their place in a log is guesswork, so they are
# rejected with the way to log the whole message instead.
_ANTHROPIC_USAGE_EVENTS = frozenset({"message_start", "message_delta"})
_ANTHROPIC_STREAM_EVENTS = _ANTHROPIC_USAGE_EVENTS | {"message_stop", "content_block_start", "content_block_delta",
                                                      "content_block_stop", "ping"}


def service_tier(raw: Any, table: dict[str, str], field: str) -> str:
    """The canonical tier of a logged tier name; none (or an empty CSV cell) is standard."""
    if raw is None or raw == "":
        return "standard"
    tier = table.get(raw if table is _GEMINI_TRAFFIC else raw.lower()) if isinstance(raw, str) else None
    if tier is None:
        raise RecordError(f"unknown {field}: {shown(raw)}"[:200])
    return tier


def _model(obj: dict[str, Any], *paths: str) -> str:
    for path in paths:
        value = text(obj, path)
        if value:
            return value
    raise RecordError(f"missing field {paths[0]}")


def _openai(resp: dict[str, Any], usage: Any, spelling: tuple[str, ...], missing_usage: str) -> Mapped:
    """Chat Completions and Responses differ only in names: (input, cached, cache write, input audio, output,
    output audio, reasoning, time). Audio counts sit inside the prompt and completion totals."""
    input_key, cached_key, written_key, audio_in_key, output_key, audio_out_key, reasoning_key, time_key = spelling
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
        "service_tier": service_tier(text(resp, "service_tier"), OPENAI_TIERS, "service_tier"),
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


def _usd(value: Any, field: str) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | None):
        raise RecordError(f"field {field} is not a number: {shown(value)}"[:200])
    amount = decimal(value, field, digits=_USD_DIGITS)
    if amount is not None and amount < 0:
        raise RecordError(f"field {field} is not a cost: {shown(value)}"[:200])
    return amount


def _openrouter_cost(usage: dict[str, Any]) -> Decimal | None:
    """OpenRouter's inline charge in credits (1 credit = 1 USD, section 5e). On a BYOK request `cost` is only
    OpenRouter's fee and the inference is billed to the user's own provider key (`upstream_inference_cost`), so the
    request cost is their sum; without the upstream figure it is unknown, not the fee alone."""
    cost = _usd(usage["cost"], "usage.cost")
    byok = usage.get("is_byok")
    if byok is None or byok is False or cost is None:
        return cost
    if byok is not True:
        raise RecordError(f"field usage.is_byok is not true/false: {shown(byok)}"[:200])
    upstream = _usd(get_path(usage, "cost_details.upstream_inference_cost"),
                    "usage.cost_details.upstream_inference_cost")
    return None if upstream is None else cost + upstream


def _chat_host(resp: dict[str, Any], usage: dict[str, Any], response_id: str | None, model: str) -> str | None:
    """The host a Chat Completions response names by its own keys, or None for OpenAI and for servers that do not say
    (vLLM, Together: the envelope's `platform` or the model id tells)."""
    # Ollama's OpenAI-compatible endpoint numbers its ids chatcmpl-0 .. chatcmpl-998: they repeat, so are no key.
    if resp.get("system_fingerprint") == "fp_ollama":
        return "ollama"
    # OpenRouter first: it relays the other hosts' models.
    if "cost" in usage or (response_id is not None and response_id.startswith("gen-")):
        return "openrouter"
    if "prompt_filter_results" in resp:
        return "azure"
    if "x_groq" in resp:
        return "groq"
    if "prompt_cache_hit_tokens" in usage:
        return "deepseek"
    if model.startswith("accounts/fireworks/"):
        return "fireworks"
    if model.startswith(_MISTRAL_FAMILIES):
        return "mistral"
    # Without prompt filtering on, Azure still rates each choice (Azure also serves Grok).
    choices = resp.get("choices")
    if choices and type(choices) is list and type(choices[0]) is dict and "content_filter_results" in choices[0]:
        return "azure"
    # Plain `in` tests, not any() over the key tuples: this runs for every OpenAI-shaped record.
    if "num_sources_used" in usage or "cost_in_usd_ticks" in usage or model.startswith("grok-"):
        # Vertex relays xAI's usage object unchanged for its `xai/grok-...` partner models.
        return "vertex" if model.startswith("xai/") else "xai"
    if "time_info" in resp:
        return "cerebras"
    if "is_last_response" in usage or "time_to_first_token" in usage:
        return "sambanova"
    # SGLang's UsageInfo puts reasoning_tokens at the top of usage, OpenAI under completion_tokens_details.
    if "reasoning_tokens" in usage:
        return "sglang"
    fingerprint = resp.get("system_fingerprint")
    # OpenAI's own fingerprints start "fp_": only others are matched against TGI's.
    if type(fingerprint) is str and not fingerprint.startswith("fp_") and _TGI_FINGERPRINT.fullmatch(fingerprint):
        return "tgi"
    return None


def _xai_usage(mapped: Mapped, usage: dict[str, Any], platform: str) -> None:
    """xAI counts reasoning beside completion_tokens, not inside it: total_tokens = prompt + completion + reasoning,
    and reasoning is billed at the output rate (docs.x.ai consumption-and-rate-limits). Only a log whose total_tokens
    is prompt + completion (a gateway that folded reasoning in) follows OpenAI's convention.
    `cost_in_usd_ticks` is what xAI charged, 1 USD = 10^10 ticks; Vertex relays xAI's usage with its own charge
    elsewhere (0 ticks in Google's example), so there it is not read."""
    reasoning = count(usage, _CHAT[6])
    if platform == "xai" and "completion_tokens_details" not in usage and "prompt_tokens_details" not in usage:
        # xAI's gRPC API (its SDK's responses written as JSON) spells the cache reads `cached_prompt_text_tokens`
        # and puts `reasoning_tokens` at the top of usage, where SGLang also puts it.
        reasoning = count(usage, "reasoning_tokens")
        cached = count(usage, "cached_prompt_text_tokens")
        if cached > mapped["input_tokens"]:
            raise RecordError(f"negative token count in input: usage.prompt_tokens ({mapped['input_tokens']}) is"
                              f" less than usage.cached_prompt_text_tokens ({cached})")
        mapped["input_tokens"] -= cached
        mapped["cache_read_tokens"] = cached
    inside = (usage.get("total_tokens") is not None
              and count(usage, "total_tokens") == count(usage, _CHAT[0]) + count(usage, _CHAT[4]))
    if reasoning and not inside:
        mapped["output_tokens"] += reasoning
        mapped["reasoning_tokens"] = reasoning
    if platform == "xai" and usage.get("cost_in_usd_ticks") is not None:
        raw = usage["cost_in_usd_ticks"]
        # The gRPC SDK's responses written as JSON (proto3 JSON) carry this int64 as a string of digits.
        ticks = int(raw) if type(raw) is str and raw.isascii() and raw.isdigit() and len(raw) < 19 \
            else count(usage, "cost_in_usd_ticks")
        mapped["reported_cost_usd"] = Decimal(ticks).scaleb(-_XAI_TICK_EXPONENT)


def openai_chat(resp: dict[str, Any]) -> Mapped:
    """A Chat Completions response, or a stream chunk that carries usage, from OpenAI or an OpenAI-compatible host.

    Mistral's `usage.prompt_audio_seconds` is seconds of audio, not tokens, and is not read: the catalogue has no
    per-minute rate. Groq's `usage` timings (seconds), Cerebras' `time_info` and SambaNova's timings and speeds are not
    counts either. xAI's `num_sources_used` (Live Search sources) has no catalogue rate; its charge is in xAI's own
    reported cost.
    """
    usage = resp.get("usage")
    chunk = resp.get("object") == "chat.completion.chunk"
    if usage is None and chunk and "x_groq" in resp:
        # Groq streams may give the final counts only in x_groq.usage. Outside streams that object holds hardware
        # cache statistics (dram_cached_tokens ...), so it is never read there.
        usage = get_path(resp, "x_groq.usage")
    deepseek = isinstance(usage, dict) and "prompt_cache_hit_tokens" in usage
    spelling = _DEEPSEEK_CHAT if deepseek and get_path(usage, _CHAT[1]) is None else _CHAT
    mapped = _openai(resp, usage, spelling, _CHAT_MISSING)
    if deepseek and "prompt_cache_miss_tokens" in usage:
        hit, miss = count(usage, "prompt_cache_hit_tokens"), count(usage, "prompt_cache_miss_tokens")
        total = count(usage, "prompt_tokens")
        if hit + miss != total:
            raise RecordError(f"usage.prompt_cache_hit_tokens ({hit}) plus usage.prompt_cache_miss_tokens ({miss}) is"
                              f" not usage.prompt_tokens ({total}), which DeepSeek defines as their sum")
    if chunk:
        # Stream counts are cumulative: the warehouse keeps an id's last chunk, never a sum.
        mapped["record_grain"] = "chunk"
    platform = _chat_host(resp, usage, mapped["response_id"], mapped["model_raw"])
    if platform is not None:
        mapped["platform"] = platform
        if platform == "ollama":
            mapped["response_id"] = None
        if platform == "openrouter" and "cost" in usage:
            mapped["reported_cost_usd"] = _openrouter_cost(usage)
        if platform in ("xai", "vertex"):
            # Only xAI's usage object names a chat response vertex (the `xai/` partner models).
            _xai_usage(mapped, usage, platform)
        if platform == "sglang":
            # A subset of completion_tokens (SGLang's total_tokens is prompt + completion).
            mapped["reasoning_tokens"] = min(count(usage, "reasoning_tokens"), mapped["output_tokens"])
        if platform == "tgi":
            # TGI answers every request with `"id": ""`: no key, so the row is keyed by file and line.
            mapped["response_id"] = None
    return mapped


def openai_chat_record(resp: dict[str, Any]) -> Mapped | Skip:
    """A logged Chat Completions record: a whole response or one chunk of a stream, of which only the chunks that
    carry usage are usage (the last one with `stream_options.include_usage`, every one with vLLM's
    `continuous_usage_stats`)."""
    if resp.get("usage") is None:
        if resp.get("object") == "chat.completion.chunk":
            if get_path(resp, "x_groq.usage") is None:
                return Skip("stream chunk without usage")
        elif "prompt_filter_results" in resp and not resp.get("choices"):
            # Azure's verdict on the prompt, sent as an id-less chunk before the stream's first token.
            return Skip("Azure stream chunk without usage (prompt filter results)")
    return openai_chat(resp)


def openai_responses(resp: dict[str, Any]) -> Mapped:
    mapped = _openai(
        resp,
        resp.get("usage"),
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


def openai_realtime(resp: dict[str, Any]) -> Mapped:
    """A Realtime API response (`realtime.response`, what a `response.done` event carries), OpenAI's or Azure's.

    Its input total holds text, audio and image tokens, cached ones included; `cached_tokens_details` splits the
    cached ones by modality. The cached tokens are cache reads whatever their modality: the catalogue has no cached
    audio or image rate yet, and for gpt-realtime OpenAI bills cached audio at the cached text rate ($0.40/1M).
    The response names no model and no time: the envelope gives them (the session's model)."""
    usage = resp.get("usage")
    if not isinstance(usage, dict):
        raise RecordError("missing field usage (a Realtime response without usage did not complete)")
    total_in = count(usage, "input_tokens", required=True)
    cached = count(usage, "input_token_details.cached_tokens")
    audio = count(usage, "input_token_details.audio_tokens")
    image = count(usage, "input_token_details.image_tokens")
    cached_audio = count(usage, "input_token_details.cached_tokens_details.audio_tokens")
    cached_image = count(usage, "input_token_details.cached_tokens_details.image_tokens")
    audio_uncached, image_uncached = audio - cached_audio, image - cached_image
    text_uncached = total_in - cached - audio_uncached - image_uncached
    if min(audio_uncached, image_uncached, text_uncached) < 0:
        raise RecordError(f"negative token count in input: usage.input_tokens ({total_in}) is less than cached"
                          f" ({cached}) plus uncached audio ({audio_uncached}) and image ({image_uncached}) tokens")
    total_out = count(usage, "output_tokens", required=True)
    audio_out = count(usage, "output_token_details.audio_tokens")
    output = total_out - audio_out
    if output < 0:
        raise RecordError(f"negative token count in output: usage.output_tokens ({total_out}) is less than audio"
                          f" ({audio_out})")
    return {
        "response_id": text(resp, "id"),
        "provider_time": None,
        "model_raw": text(resp, "model"),
        "service_tier": "standard",
        "input_tokens": text_uncached,
        "cache_read_tokens": cached,
        "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": output,
        "reasoning_tokens": min(count(usage, "output_token_details.reasoning_tokens"), output),
        "input_audio_tokens": audio_uncached,
        "output_audio_tokens": audio_out,
        "input_image_tokens": image_uncached,
        "web_search_requests": 0,
    }


def anthropic_message(resp: dict[str, Any]) -> Outcome:
    kind = resp.get("type")
    if kind != "message" and isinstance(kind, str) and kind in _ANTHROPIC_STREAM_EVENTS:
        if kind in _ANTHROPIC_USAGE_EVENTS:
            raise RecordError(f"Anthropic stream event {kind} holds partial usage (message_delta has no id): log the"
                              " final message instead (stream.get_final_message() in the SDK)")
        return Skip(f"Anthropic stream event {kind} carries no usage")
    usage = resp.get("usage")
    if not isinstance(usage, dict):
        raise RecordError("missing field usage")
    uncached, read, write_5m, write_1h = _anthropic_input(usage, "usage.")
    output = count(usage, "output_tokens", required=True)
    thinking = count(usage, "output_tokens_details.thinking_tokens")
    raw_tier = text(usage, "service_tier")
    model = _model(resp, "model")
    mapped: Mapped = {
        "response_id": text(resp, "id"),
        "provider_time": None,
        "model_raw": model,
        "service_tier": service_tier(raw_tier, _ANTHROPIC_TIERS, "usage.service_tier"),
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
    # Vertex names Claude snapshots with an @ (claude-sonnet-4-5@20250929); Anthropic's API never does. Bedrock's
    # InvokeModel answers with ids of its own (msg_bdrk_..., as recorded in tests/fixtures/recorded/bedrock).
    if "@" in model:
        mapped["platform"] = "vertex"
    elif mapped["response_id"] and mapped["response_id"].startswith("msg_bdrk_"):
        mapped["platform"] = "bedrock"
    others = _anthropic_iterations(usage, mapped)
    return [("", mapped), *others] if others else mapped


def _anthropic_input(usage: dict[str, Any], prefix: str) -> tuple[int, int, int, int]:
    """Uncached input, cache reads, and 5-minute and 1-hour cache writes of one usage object."""
    uncached = count(usage, "input_tokens", required=True, prefix=prefix)
    read = count(usage, "cache_read_input_tokens", prefix=prefix)
    created = count(usage, "cache_creation_input_tokens", prefix=prefix)
    split = usage.get("cache_creation")
    if not isinstance(split, dict):
        # Before the 1h TTL existed every write was a 5-minute write.
        return uncached, read, created, 0
    write_5m = count(usage, "cache_creation.ephemeral_5m_input_tokens", prefix=prefix)
    write_1h = count(usage, "cache_creation.ephemeral_1h_input_tokens", prefix=prefix)
    if created and write_5m + write_1h != created:
        raise RecordError(f"{prefix}cache_creation splits {write_5m + write_1h} tokens but"
                          f" {prefix}cache_creation_input_tokens is {created}")
    return uncached, read, write_5m, write_1h


def _anthropic_iterations(usage: dict[str, Any], mapped: Mapped) -> list[tuple[str, Mapped]]:
    """The billed work the top-level usage leaves out. It sums the `message` iterations only: a `compaction`
    iteration (the context summarised before answering) is billed at the response's model and added to its row; an
    iteration naming another model (`advisor_message`) is billed at that model, as a row of its own."""
    iterations = usage.get("iterations")
    if iterations is None:
        return []
    if not isinstance(iterations, list):
        raise RecordError("usage.iterations is not a list")
    rows: list[tuple[str, Mapped]] = []
    for index, iteration in enumerate(iterations):
        where = f"usage.iterations[{index}]"
        if not isinstance(iteration, dict):
            raise RecordError(f"{where} is not an object")
        if iteration.get("type") == "message":
            continue
        uncached, read, write_5m, write_1h = _anthropic_input(iteration, where + ".")
        output = count(iteration, "output_tokens", required=True, prefix=where + ".")
        model = iteration.get("model")
        if model is None or model == mapped["model_raw"]:
            for key, value in (("input_tokens", uncached), ("cache_read_tokens", read),
                               ("cache_write_5m_tokens", write_5m), ("cache_write_1h_tokens", write_1h),
                               ("output_tokens", output)):
                mapped[key] += value
            continue
        if type(model) is not str or not model:
            raise RecordError(f"{where}.model is not a model id")
        response_id = mapped["response_id"]
        rows.append((where, {
            **mapped, "model_raw": model, "input_tokens": uncached, "cache_read_tokens": read,
            "cache_write_5m_tokens": write_5m, "cache_write_1h_tokens": write_1h, "output_tokens": output,
            "reasoning_tokens": 0, "web_search_requests": 0,
            "event_id": f"anthropic:{response_id}:iterations[{index}]" if response_id else None}))
    return rows


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


def _gemini_buckets(uncached: int, cached: int, candidates: int, thoughts: int, audio_uncached: int, audio_out: int,
                    image_out: int) -> Mapped:
    """Gemini's exclusive buckets (generateContent and Interactions alike): thoughts are beside the candidates,
    audio and image apart from text."""
    return {
        "input_tokens": uncached,
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
    uncached = prompt - cached + tool_prompt - audio_uncached
    if uncached < 0:
        raise RecordError(f"negative token count in input: {base} uncached audio ({audio_uncached}) exceeds the"
                          f" uncached prompt ({prompt - cached + tool_prompt})")
    if audio_out + image_out > candidates:
        raise RecordError(f"{base} candidate modality counts ({audio_out + image_out}) exceed the candidate total"
                          f" ({candidates})")
    traffic = text(usage, "trafficType" if camel else "traffic_type")
    created = resp.get("createTime", resp.get("create_time"))
    return {
        "response_id": text(resp, "responseId" if camel else "response_id"),
        "provider_time": timestamp(created, "createTime") if created is not None else None,
        "model_raw": _model(resp, "modelVersion", "model_version"),
        "service_tier": service_tier(traffic, _GEMINI_TRAFFIC, "trafficType") if traffic else "standard",
        "platform": "vertex" if traffic or created is not None else "direct",
        **_gemini_buckets(uncached, cached, candidates, thoughts, audio_uncached, audio_out, image_out),
    }


def _by_modality(usage: dict[str, Any], key: str, modality: str) -> int:
    """Tokens of one modality in an Interactions `*_by_modality` list (absent: 0)."""
    items = usage.get(key)
    if items is None:
        return 0
    if not isinstance(items, list):
        raise RecordError(f"usage.{key} is not a list")
    return sum(count(item, "tokens", prefix=f"usage.{key}[{index}].") for index, item in enumerate(items)
               if isinstance(item, dict) and item.get("modality") == modality)


def gemini_interaction(resp: dict[str, Any]) -> Mapped:
    """A Gemini Interactions API response (`"object": "interaction"`). Its totals are Gemini's counts under other
    names, with the same rules: cached tokens inside the input total, tool-use prompt tokens and thoughts beside
    the input and output totals (`total_tokens` is their sum), audio and image by modality."""
    usage = resp.get("usage")
    if not isinstance(usage, dict):
        raise RecordError("missing field usage (an interaction still in progress has none)")
    prompt = count(usage, "total_input_tokens")
    cached = count(usage, "total_cached_tokens")
    if cached > prompt:
        raise RecordError(f"negative token count in input: usage.total_input_tokens ({prompt}) is less than"
                          f" total_cached_tokens ({cached})")
    audio_uncached = max(_by_modality(usage, "input_tokens_by_modality", "audio")
                         - _by_modality(usage, "cached_tokens_by_modality", "audio"), 0)
    uncached = prompt - cached + count(usage, "total_tool_use_tokens") - audio_uncached
    if uncached < 0:
        raise RecordError(f"negative token count in input: uncached audio ({audio_uncached}) exceeds the uncached"
                          f" input ({prompt - cached})")
    candidates = count(usage, "total_output_tokens")
    audio_out = _by_modality(usage, "output_tokens_by_modality", "audio")
    image_out = _by_modality(usage, "output_tokens_by_modality", "image")
    if audio_out + image_out > candidates:
        raise RecordError(f"usage output modality counts ({audio_out + image_out}) exceed total_output_tokens"
                          f" ({candidates})")
    thoughts = count(usage, "total_thought_tokens")
    created = resp.get("created")
    return {
        "response_id": text(resp, "id"),
        "provider_time": timestamp(created, "created") if created is not None else None,
        "model_raw": _model(resp, "model"),
        "service_tier": service_tier(text(resp, "service_tier"), _GEMINI_TIERS, "service_tier"),
        **_gemini_buckets(uncached, cached, candidates, thoughts, audio_uncached, audio_out, image_out),
    }


# (source_format, provider, mapper)
Shape = tuple[str, str, Callable[[dict[str, Any]], Mapped | Skip]]
OPENAI_CHAT: Shape = ("openai_chat", "openai", openai_chat_record)
OPENAI_RESPONSES: Shape = ("openai_responses", "openai", openai_responses)
ANTHROPIC_MESSAGE: Shape = ("anthropic_messages", "anthropic", anthropic_message)
OPENAI_REALTIME: Shape = ("openai_realtime", "openai", openai_realtime)
GEMINI_INTERACTION: Shape = ("gemini_interactions", "google", gemini_interaction)
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
    if kind == "realtime.response":
        return OPENAI_REALTIME
    if kind == "interaction":
        return GEMINI_INTERACTION
    message_type = resp.get("type")
    if message_type == "message" or (isinstance(message_type, str) and message_type in _ANTHROPIC_STREAM_EVENTS):
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
    if "prompt_filter_results" in resp:
        # Azure's first stream chunk: no object, id or usage, only the prompt's content-filter verdict.
        return OPENAI_CHAT
    return None
