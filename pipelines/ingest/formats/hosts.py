"""Native responses of model hosts that do not answer in the OpenAI shape: Cohere Chat (v2 and v1), Ollama, and the
native /generate endpoints of the self-hosted TGI and SGLang servers.

The OpenAI-compatible hosts (Azure, Groq, DeepSeek, OpenRouter, Fireworks, Mistral, Together, xAI, Cerebras, SambaNova,
vLLM, SGLang, TGI, Ollama's /v1 shim) are Chat Completions responses, mapped by `providers.openai_chat`
(shared/reference/provider-formats.md section 5).
"""

from __future__ import annotations

from typing import Any

from pipelines.ingest.fields import RecordError, count, shown, text, timestamp
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
        raise RecordError(f"field done is not true/false: {shown(done)}"[:200])
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


def _self_hosted(platform: str, uncached: int, cached: int, output: int, reasoning: int) -> Mapped:
    """A native self-hosted response: no model, no time (the envelope gives both) and no tier."""
    return {
        "response_id": None,
        "provider_time": None,
        "model_raw": None,
        "service_tier": "standard",
        "platform": platform,
        "input_tokens": uncached,
        "cache_read_tokens": cached,
        "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": output,
        "reasoning_tokens": min(reasoning, output),
        "web_search_requests": 0,
    }


def _is_tgi_generate(record: dict[str, Any]) -> bool:
    return "generated_text" in record and ("details" in record or "token" in record)


def tgi_generate(record: dict[str, Any]) -> Mapped | Skip:
    """TGI's native `/generate` response, or a `/generate_stream` event (router/src/lib.rs `Details`,
    `StreamDetails`): `details.generated_tokens` is the output; `best_of_sequences` were generated too.

    The prompt count: the last stream event's `details.input_length`; in a `/generate` response only the length of
    `details.prefill`, one entry per prompt token, which TGI fills only when the request set
    `decoder_input_details: true`. Without either the input is unknown, not 0. Only the list's length is read, never
    its token texts. No id: the row is keyed by file and line.
    """
    details = record.get("details")
    if details is None:
        if "token" in record:
            return Skip("TGI stream event before the last carries no usage")
        raise RecordError("missing field details: TGI reports token counts only when the request sets"
                          " parameters.details=true")
    if not isinstance(details, dict):
        raise RecordError("field details is not an object")
    output = count(details, "generated_tokens", required=True, prefix="details.")
    extra = details.get("best_of_sequences") or []
    if not isinstance(extra, list):
        raise RecordError("field details.best_of_sequences is not a list")
    for index, sequence in enumerate(extra):
        if not isinstance(sequence, dict):
            raise RecordError(f"field details.best_of_sequences[{index}] is not an object")
        output += count(sequence, "generated_tokens", required=True, prefix=f"details.best_of_sequences[{index}].")
    prefill = details.get("prefill")
    if prefill is not None and not isinstance(prefill, list):
        raise RecordError("field details.prefill is not a list")
    if details.get("input_length") is not None:
        prompt: int | None = count(details, "input_length", prefix="details.")
    else:
        prompt = len(prefill) if prefill else None
    mapped = _self_hosted("tgi", prompt or 0, 0, output, 0)
    mapped["input_unknown"] = prompt is None
    return mapped


def _is_sglang_generate(record: dict[str, Any]) -> bool:
    meta = record.get("meta_info")
    return isinstance(meta, dict) and "prompt_tokens" in meta


def sglang_generate(record: dict[str, Any]) -> Mapped:
    """SGLang's native `/generate` output (`TokenizerManager._handle_batch_output`): `meta_info` counts
    `prompt_tokens`, of which `cached_tokens` hit the radix (prefix) cache, and `completion_tokens`, of which
    `reasoning_tokens` (newer servers) were reasoning. An embedding has no completion count: 0.

    A stream sends every chunk with the counts so far and `finish_reason` null until the last: those are chunks, of
    which the warehouse keeps the largest, and the finished response wins over them. Keyed by the request id
    (`meta_info.id`); the text and `output_ids` are never read.
    """
    meta = record["meta_info"]
    prompt = count(meta, "prompt_tokens", required=True, prefix="meta_info.")
    cached = count(meta, "cached_tokens", prefix="meta_info.")
    if cached > prompt:
        raise RecordError(f"negative token count in input: meta_info.prompt_tokens ({prompt}) is less than"
                          f" meta_info.cached_tokens ({cached})")
    output = count(meta, "completion_tokens", prefix="meta_info.")
    reasoning = count(meta, "reasoning_tokens", prefix="meta_info.")
    mapped = _self_hosted("sglang", prompt - cached, cached, output, reasoning)
    mapped["response_id"] = text(meta, "id")
    if meta.get("finish_reason") is None:
        mapped["record_grain"] = "chunk"
    return mapped


FORMATS: list[Format] = [
    Format("cohere_chat", "cohere", _is_cohere, cohere_chat),
    Format("ollama", "ollama", _is_ollama, ollama_response),
    Format("tgi_generate", "tgi", _is_tgi_generate, tgi_generate),
    Format("sglang_generate", "sglang", _is_sglang_generate, sglang_generate),
]
