"""Native responses of model hosts that do not answer in the OpenAI shape: Cohere Chat (v2 and v1) and Ollama.

The OpenAI-compatible hosts (Azure, Groq, DeepSeek, OpenRouter, Fireworks, Mistral, Together, vLLM, Ollama's /v1 shim)
are Chat Completions responses, mapped by `providers.openai_chat` (shared/reference/provider-formats.md section 5).
"""

from __future__ import annotations

from typing import Any

from pipelines.ingest.fields import RecordError, count, text, timestamp
from pipelines.ingest.formats.base import Format, Mapped, Skip

_OLLAMA_NOT_REQUESTS = ("load", "unload")


def _is_cohere(record: dict[str, Any]) -> bool:
    usage = record.get("usage")
    if isinstance(usage, dict) and "billed_units" in usage:
        return True
    meta = record.get("meta")
    return isinstance(meta, dict) and "billed_units" in meta


def cohere_chat(record: dict[str, Any]) -> Mapped:
    """Cohere bills `billed_units` (section 5c); `tokens` adds Cohere's own prompt template and is never priced.

    v2 puts the units under `usage`, v1 under `meta`; the SDK types them as floats. A unit Cohere leaves out is 0
    (a rerank bills only search units). Responses name no model and no time: the envelope gives both.
    - `search_units` (rerank, search) and `classifications` have no canonical bucket or catalogue rate yet: the row
      is kept with its token counts and those units are not carried.
    - `cached_tokens` counts prompt tokens that hit Cohere's inference cache; Cohere relates it to neither input
      count and lists no cached rate, so billed input is taken as uncached and the cache count is not read.
    """
    section = "usage" if isinstance(record.get("usage"), dict) else "meta"
    usage = record.get(section)
    billed = usage.get("billed_units") if isinstance(usage, dict) else None
    if not isinstance(billed, dict):
        raise RecordError(f"missing field {section}.billed_units")
    prefix = f"{section}.billed_units."
    return {
        "response_id": text(record, "id") or text(record, "response_id") or text(record, "generation_id"),
        "provider_time": None,
        "model_raw": text(record, "model"),
        "service_tier": "standard",
        "input_tokens": count(billed, "input_tokens", prefix=prefix),
        "cache_read_tokens": 0,
        "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": count(billed, "output_tokens", prefix=prefix),
        "reasoning_tokens": 0,
        # Billed beside the text tokens (embed lists images, image tokens and input tokens apart); with no image rate
        # in the catalogue the row shows as unpriced rather than silently cheaper.
        "input_image_tokens": count(billed, "image_tokens", prefix=prefix),
        "web_search_requests": 0,
    }


def _is_ollama(record: dict[str, Any]) -> bool:
    return "done" in record and "created_at" in record and "model" in record


def ollama_response(record: dict[str, Any]) -> Mapped | Skip:
    """The final `/api/generate` or `/api/chat` object (`done: true`, section 5f); earlier stream objects are text.

    Durations are nanoseconds and not read. No id: the row is keyed by file and line.
    """
    done = record.get("done")
    if done is False:
        return Skip("Ollama stream chunk (done: false) carries no usage")
    if done is not True:
        raise RecordError(f"field done is not true/false: {done!r}"[:200])
    reason = record.get("done_reason")
    if reason in _OLLAMA_NOT_REQUESTS:
        return Skip(f"Ollama model {reason} (done_reason), not a request")
    output = count(record, "eval_count", required=True, prefix="")
    # A subset of prompt_eval_count (0.33+).
    cached = count(record, "prompt_eval_cached_count", prefix="")
    unknown = record.get("prompt_eval_count") is None
    if unknown:
        # Older builds dropped the count on a prompt-cache hit (ollama#2068, #3427): unknown, not 0, so the row is
        # priced as incomplete rather than cheap.
        uncached = 0
    else:
        prompt = count(record, "prompt_eval_count", prefix="")
        uncached = prompt - cached
        if uncached < 0:
            raise RecordError(f"negative token count in input: prompt_eval_count ({prompt}) is less than"
                              f" prompt_eval_cached_count ({cached})")
    created = record.get("created_at")
    return {
        "response_id": None,
        "provider_time": timestamp(created, "created_at") if created is not None else None,
        "model_raw": text(record, "model"),
        "service_tier": "standard",
        "platform": "ollama",
        "input_tokens": uncached,
        "input_unknown": unknown,
        "cache_read_tokens": cached,
        "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": output,
        "reasoning_tokens": 0,
        "web_search_requests": 0,
    }


FORMATS: list[Format] = [
    Format("cohere_chat", "cohere", _is_cohere, cohere_chat),
    Format("ollama", "ollama", _is_ollama, ollama_response),
]
