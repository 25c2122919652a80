"""Gateway and observability exports: OpenRouter generation stats, LiteLLM spend logs and Langfuse observations
(shared/reference/provider-formats.md sections 5e, 6a, 6b and 7).

These sources stand between the caller and the model vendor, so a row names the vendor (`provider`) and the route
(`platform`), and the gateway's own cost goes to `reported_cost_usd`, beside meterline's price and never in place
of the tokens. Only metering fields are read: LiteLLM's `messages`/`response` columns and Langfuse's `input`/
`output` hold message text and are never touched.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from pipelines.ingest.fields import RecordError, decimal, shown, text, timestamp, whole
from pipelines.ingest.formats.base import Format, Mapped, Outcome, Skip
from pipelines.ingest.providers import OPENAI_TIERS, service_tier
from pipelines.pricing.aliases import GATEWAY_SEGMENTS

# Digits capped so int() never meets a number too long to read; anything that long is out of range anyway.
# Integer digits of a gateway's reported cost: far above any real charge, so a wild figure is rejected here.
_AMOUNT_DIGITS = 12
_OPENAI_MODELS = ("o1", "o3", "o4", "text-embedding")
_MISTRAL_MODELS = ("mistral", "mixtral", "codestral", "pixtral", "ministral", "magistral", "devstral")


def amount(value: Any, field: str) -> Decimal | None:
    """A USD amount from a JSON number or a CSV cell; an empty cell is none."""
    if isinstance(value, str) and not value.strip():
        return None
    money = decimal(value, field, digits=_AMOUNT_DIGITS, noun="an amount")
    if money is not None and money < 0:
        raise RecordError(f"field {field} is not a non-negative amount: {shown(value)}"[:200])
    return money


def vendor_of_model(model: str) -> str | None:
    """The vendor a model id plainly names (`anthropic.claude-…` on Bedrock, `gpt-4o` on Azure), else None."""
    name = model.lower().rsplit("/", 1)[-1]
    if "claude" in name:
        return "anthropic"
    if "gemini" in name:
        return "google"
    if "gpt" in name or name.startswith(_OPENAI_MODELS):
        return "openai"
    if any(family in name for family in _MISTRAL_MODELS):
        return "mistral"
    if "deepseek" in name:
        return "deepseek"
    if "grok" in name:
        return "xai"
    if "command" in name or "cohere" in name:
        return "cohere"
    if "glm" in name:
        return "zhipuai"
    return None


def _name(value: Any, field: str) -> str | None:
    """An attribution cell: text, with an empty CSV cell meaning none."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"field {field} is not a string: {type(value).__name__}")
    return str(value).strip() or None


# --- OpenRouter generation stats (section 5e) ---------------------------------------------------------------------

def _generation(record: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The generation object and its field prefix: `GET /api/v1/generation` wraps it in `data`, exports may not."""
    data = record.get("data")
    return (data, "data.") if isinstance(data, dict) else (record, "")


def is_openrouter_generation(record: dict[str, Any]) -> bool:
    gen, _ = _generation(record)
    return "native_tokens_prompt" in gen or ("tokens_prompt" in gen and "total_cost" in gen)


def openrouter_generation(record: dict[str, Any]) -> Mapped | Skip:
    gen, prefix = _generation(record)
    cost = amount(gen.get("total_cost"), f"{prefix}total_cost")
    # A cancelled generation is billed for what was produced before the cancel: follow total_cost. Under BYOK
    # total_cost is only OpenRouter's fee (often 0) while the vendor bills the tokens on the caller's own key, so a
    # cancelled BYOK generation is kept whatever its fee.
    if gen.get("cancelled") is True and not cost and gen.get("is_byok") is not True:
        return Skip("cancelled OpenRouter generation with no cost: not billed")
    # native_tokens_* are the vendor tokenizer's counts, the billable basis; tokens_* are OpenRouter's normalised
    # counts and stand in only when an export lacks the native ones (re-pricing them is then approximate).
    basis = "native_tokens_" if gen.get("native_tokens_prompt") is not None else "tokens_"
    if gen.get(f"{basis}prompt") is None:
        raise RecordError(f"missing field {prefix}native_tokens_prompt")
    prompt = whole(gen[f"{basis}prompt"], f"{prefix}{basis}prompt")
    # OpenAI convention: cache hits are a subset of the prompt. OpenRouter does not report cache writes.
    cached = whole(gen.get("native_tokens_cached"), f"{prefix}native_tokens_cached")
    if cached > prompt:
        raise RecordError(f"negative token count in input: {prefix}{basis}prompt ({prompt}) is less than"
                          f" {prefix}native_tokens_cached ({cached})")
    completion = whole(gen.get(f"{basis}completion"), f"{prefix}{basis}completion")
    # Generated-image tokens sit inside the completion count, as audio does in OpenAI's; they have their own class.
    images = whole(gen.get("native_tokens_completion_images"), f"{prefix}native_tokens_completion_images")
    if images > completion:
        raise RecordError(f"{prefix}native_tokens_completion_images ({images}) exceeds {prefix}{basis}completion"
                          f" ({completion})")
    reasoning = whole(gen.get("native_tokens_reasoning"), f"{prefix}native_tokens_reasoning")
    model = text(gen, "model")
    if not model:
        raise RecordError(f"missing field {prefix}model")
    vendor, _, rest = model.partition("/")
    return {
        # The caller's app saw this id as the `id` of an OpenAI-compatible chat completion, keyed `openai:gen-…`:
        # the same namespace lets the app's response log and this export count the generation once.
        "response_id": text(gen, "id"),
        "id_namespace": "openai",
        "provider_time": timestamp(gen.get("created_at"), f"{prefix}created_at"),
        # Kept as logged (`anthropic/claude-sonnet-4`): the alias layer strips the vendor segment.
        "model_raw": model,
        # The vendor segment in meterline's provider names, as the alias layer reads it (`mistralai` -> mistral).
        "provider": GATEWAY_SEGMENTS.get(vendor.lower(), "openrouter") if rest else "openrouter",
        "platform": "openrouter",
        "service_tier": service_tier(gen.get("service_tier"), OPENAI_TIERS, f"{prefix}service_tier"),
        "user_id": _name(gen.get("external_user"), "external_user"),
        "input_tokens": prompt - cached,
        "cache_read_tokens": cached,
        "cache_write_5m_tokens": 0,
        "cache_write_1h_tokens": 0,
        "output_tokens": completion - images,
        "output_image_tokens": images,
        "reasoning_tokens": min(reasoning, completion - images),
        # num_search_results counts OpenRouter's own web plugin, billed by OpenRouter (inside total_cost), not the
        # vendor's web-search tool that the catalogue prices per call: it is not a web_search_request.
        "web_search_requests": 0,
        # What OpenRouter charged. Under BYOK that is only its fee: the vendor bills the tokens on the caller's own
        # key, so the list cost meterline computes from the tokens is the vendor's part, not this figure's.
        "reported_cost_usd": cost,
    }


# --- LiteLLM proxy LiteLLM_SpendLogs (section 6a) -----------------------------------------------------------------

# custom_llm_provider -> (vendor, platform). Behind a platform the model id names the vendor when it plainly does;
# otherwise the platform's name stands for it.
_LITELLM_ROUTES = {
    "openai": ("openai", "direct"), "text-completion-openai": ("openai", "direct"),
    "anthropic": ("anthropic", "direct"), "gemini": ("google", "direct"), "mistral": ("mistral", "direct"),
    "deepseek": ("deepseek", "direct"), "cohere": ("cohere", "direct"), "cohere_chat": ("cohere", "direct"),
    "xai": ("xai", "direct"),
    "azure": ("azure", "azure"), "azure_ai": ("azure", "azure"), "bedrock": ("bedrock", "bedrock"),
    "vertex_ai": ("google", "vertex"), "vertex_ai_beta": ("google", "vertex"), "groq": ("groq", "groq"),
    "together_ai": ("together", "together"), "fireworks_ai": ("fireworks", "fireworks"),
    "openrouter": ("openrouter", "openrouter"),
}
_EMBEDDINGS = frozenset({"embedding", "aembedding"})
_AUV = "metadata.additional_usage_values."


def is_litellm_spend_log(record: dict[str, Any]) -> bool:
    return "request_id" in record and "spend" in record and ("startTime" in record or "call_type" in record)


def _json_cell(record: dict[str, Any], field: str) -> dict[str, Any]:
    """A Json column: an object in a JSON export, JSON text in a Postgres CSV export."""
    value = record.get(field)
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise RecordError(f"field {field} is not JSON") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"field {field} is not a JSON object: {type(value).__name__}")
    return value


def _route(record: dict[str, Any], model: str) -> tuple[str, str, str]:
    """(vendor, platform, model id without LiteLLM's `<provider>/` routing prefix)."""
    route = _name(record.get("custom_llm_provider"), "custom_llm_provider")
    if route is None and "/" in model and model.split("/", 1)[0] in _LITELLM_ROUTES:
        route = model.split("/", 1)[0]
    # The prefix is LiteLLM's routing, not part of the vendor's id; the route it names is kept in platform.
    if route is not None and model.startswith(f"{route}/"):
        model = model[len(route) + 1:]
    vendor, platform = _LITELLM_ROUTES.get(route, (route, route)) if route else (None, "direct")
    if platform != "direct" or vendor is None:
        vendor = vendor_of_model(model) or vendor or "litellm"
    return vendor, platform, model


def _cache_writes(extra: dict[str, Any]) -> tuple[int, int]:
    """(5-minute, 1-hour) cache writes: Anthropic's count, split by TTL when LiteLLM kept the split."""
    written = max(whole(extra.get("cache_creation_input_tokens"), f"{_AUV}cache_creation_input_tokens"),
                  whole(_path(extra, "prompt_tokens_details", "cache_creation_tokens"),
                        f"{_AUV}prompt_tokens_details.cache_creation_tokens"))
    split = _path(extra, "prompt_tokens_details", "cache_creation_token_details")
    one_hour = whole(split.get("ephemeral_1h_input_tokens") if isinstance(split, dict) else None,
                     f"{_AUV}prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens")
    # Writes outside the 1-hour split are 5-minute writes, Anthropic's default TTL.
    if one_hour > written:
        raise RecordError(f"{_AUV}prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens"
                          f" ({one_hour}) exceeds the cache writes ({written})")
    return written - one_hour, one_hour


def _path(obj: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def litellm_spend_log(record: dict[str, Any]) -> Mapped | Skip:
    metadata = _json_cell(record, "metadata")
    status = metadata.get("status") or record.get("status")
    spend = amount(record.get("spend"), "spend")
    prompt = whole(record.get("prompt_tokens"), "prompt_tokens")
    completion = whole(record.get("completion_tokens"), "completion_tokens")
    # A failure that still carries tokens (a post-call guardrail refused an answer the provider gave) was billed,
    # so only a failure with neither tokens nor spend is dropped.
    if status == "failure" and not spend and not prompt + completion:
        return Skip("failed request: not billed")
    if str(record.get("cache_hit")).lower() == "true":
        # LiteLLM's own response cache answered: no call reached the provider (this is not prompt caching).
        return Skip("LiteLLM response-cache hit: not sent to the provider")
    if not prompt + completion:
        if spend:
            raise RecordError(f"spend {spend} without tokens: call_type {shown(record.get('call_type'))} is not billed"
                              " per token")
        return Skip("no usage: no tokens and no spend")
    extra = metadata.get("additional_usage_values") or {}
    if not isinstance(extra, dict):
        raise RecordError("field metadata.additional_usage_values is not an object")
    # Both spellings count the same cache hits (LiteLLM copies Anthropic's count into prompt_tokens_details for
    # OpenAI-style readers): take one, never the sum.
    read = max(whole(extra.get("cache_read_input_tokens"), f"{_AUV}cache_read_input_tokens"),
               whole(_path(extra, "prompt_tokens_details", "cached_tokens"),
                     f"{_AUV}prompt_tokens_details.cached_tokens"))
    write_5m, write_1h = _cache_writes(extra)
    # LiteLLM folds cache reads and writes into prompt_tokens even for Anthropic and Bedrock (calculate_usage).
    uncached = prompt - read - write_5m - write_1h
    if uncached < 0:
        raise RecordError(f"negative token count in input: prompt_tokens ({prompt}) is less than cache reads ({read})"
                          f" plus cache writes ({write_5m + write_1h})")
    model = _name(record.get("model"), "model")
    if model is None:
        raise RecordError("missing field model")
    vendor, platform, model = _route(record, model)
    embedding = _name(record.get("call_type"), "call_type") in _EMBEDDINGS
    output = 0 if embedding else completion
    reasoning = whole(_path(extra, "completion_tokens_details", "reasoning_tokens"),
                      f"{_AUV}completion_tokens_details.reasoning_tokens")
    return {
        # LiteLLM hands request_id back to the caller as the OpenAI-format response id.
        "response_id": _name(record.get("request_id"), "request_id"),
        "id_namespace": "openai",
        "provider_time": timestamp(record.get("startTime"), "startTime"),
        "model_raw": model,
        "provider": vendor,
        "platform": platform,
        "service_tier": service_tier(extra.get("service_tier"), OPENAI_TIERS, f"{_AUV}service_tier"),
        "project": _name(record.get("team_id"), "team_id")
        or _name(metadata.get("user_api_key_team_id"), "metadata.user_api_key_team_id"),
        # The alias names the key for people; api_key is its hash (never the secret).
        "api_key_id": _name(metadata.get("user_api_key_alias"), "metadata.user_api_key_alias")
        or _name(record.get("api_key"), "api_key"),
        "user_id": _name(record.get("end_user"), "end_user") or _name(record.get("user"), "user"),
        "input_tokens": uncached,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": write_5m,
        "cache_write_1h_tokens": write_1h,
        "output_tokens": output,
        "reasoning_tokens": min(reasoning, output),
        "web_search_requests": whole(_path(extra, "server_tool_use", "web_search_requests"),
                                     f"{_AUV}server_tool_use.web_search_requests"),
        "reported_cost_usd": spend,
    }


# --- Langfuse observations (section 6b) ---------------------------------------------------------------------------

_OBSERVATION_TYPES = frozenset({"GENERATION", "EMBEDDING", "SPAN", "EVENT", "AGENT", "TOOL", "CHAIN", "RETRIEVER",
                                "EVALUATOR", "GUARDRAIL"})
_MODEL_CALLS = frozenset({"GENERATION", "EMBEDDING"})
_CLASSES = ("input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning", "input_audio",
            "output_audio", "output_image", "web_search")


def _is_observation(record: dict[str, Any]) -> bool:
    if "usageDetails" in record:
        return True
    kind = record.get("type")
    return isinstance(record.get("usage"), dict) and isinstance(kind, str) and kind in _OBSERVATION_TYPES


def _is_page(record: dict[str, Any]) -> bool:
    return isinstance(record.get("data"), list) and isinstance(record.get("meta"), dict)


def is_langfuse_observation(record: dict[str, Any]) -> bool:
    """An observation, or a whole API page `{"data": [...], "meta": {...}}` on one line: a page saved as one line
    reads as JSON lines, so the reader does not stream its `data` array."""
    return _is_observation(record) or _is_page(record)


def _usage_class(key: str) -> str | None:
    """Section 6b's key classes, tried in this order, with audio, generated images and web-search queries kept in
    classes of their own; None for a key no rule covers. Underscores and case are ignored so Gemini's camelCase
    keys (`cachedContentTokenCount`) fall in the same classes."""
    name = key.lower().replace("_", "")
    if name.startswith("total"):
        return "total"
    if "cacheread" in name or "cached" in name:
        return "cache_read"
    if "cachecreation" in name or "cachewrite" in name:
        return "cache_write_1h" if "1h" in name else "cache_write_5m"
    if "reasoning" in name or name.startswith("thoughts"):
        return "reasoning"
    if name.startswith("websearch"):
        return "web_search"
    if name.startswith(("input", "prompt")):
        return "input_audio" if "audio" in name else "input"
    if name.startswith(("output", "candidates")):
        return "output_audio" if "audio" in name else "output_image" if "image" in name else "output"
    return None


def _usage_details(details: dict[str, Any]) -> dict[str, int]:
    sums = dict.fromkeys(_CLASSES, 0)
    gemini_prompt = 0
    for key, value in details.items():
        found = _usage_class(key)
        if found is None:
            raise RecordError(f"unknown usageDetails key {shown(key[:40])}: no token class for it, so its tokens would"
                              " be lost")
        tokens = whole(value, f"usageDetails.{key}")
        # `total` is the sum of the other keys unless one was ingested: adding it would count everything twice.
        if found != "total":
            sums[found] += tokens
        if key.lower().replace("_", "") == "prompttokencount":
            gemini_prompt += tokens
    if gemini_prompt:
        # Gemini's own promptTokenCount, passed through unchanged, includes the cached tokens (reference 3a).
        if sums["cache_read"] > gemini_prompt:
            raise RecordError(f"usageDetails cached tokens ({sums['cache_read']}) exceed promptTokenCount"
                              f" ({gemini_prompt})")
        sums["input"] -= sums["cache_read"]
    return sums


def _deprecated_usage(usage: dict[str, Any]) -> dict[str, int]:
    unit = usage.get("unit")
    if unit is not None and unit != "TOKENS":
        raise RecordError(f"usage.unit is {shown(unit)}: only token usage can be priced"[:200])
    sums = dict.fromkeys(_CLASSES, 0)
    sums["input"] = whole(usage.get("input"), "usage.input")
    sums["output"] = whole(usage.get("output"), "usage.output")
    return sums


def _langfuse_cost(record: dict[str, Any]) -> Decimal | None:
    costs = record.get("costDetails")
    if isinstance(costs, dict) and costs:
        if "total" in costs:
            return amount(costs["total"], "costDetails.total")
        return sum((amount(value, f"costDetails.{key}") or Decimal(0) for key, value in costs.items()), Decimal(0))
    return amount(record.get("calculatedTotalCost"), "calculatedTotalCost")


def langfuse_observations(record: dict[str, Any]) -> Outcome:
    if not _is_page(record):
        return _observation(record)
    outcomes: list[tuple[str, Mapped | Skip | RecordError]] = []
    for index, item in enumerate(record["data"]):
        path = f"data[{index}]"
        if not isinstance(item, dict) or not _is_observation(item):
            outcomes.append((path, RecordError("not a Langfuse observation (no usageDetails)")))
            continue
        try:
            outcomes.append((path, _observation(item)))
        except RecordError as exc:
            outcomes.append((path, exc))
    return outcomes or Skip("Langfuse API page without observations")


def _observation(record: dict[str, Any]) -> Mapped | Skip:
    kind = text(record, "type")
    if kind is not None and kind not in _MODEL_CALLS:
        return Skip(f"Langfuse {kind} observation: not a model call")
    details = record.get("usageDetails")
    usage = record.get("usage")
    if isinstance(details, dict) and details:
        sums = _usage_details(details)
    elif isinstance(usage, dict) and usage:
        sums = _deprecated_usage(usage)
    else:
        return Skip("Langfuse observation without usage")
    if not any(sums.values()):
        return Skip("Langfuse observation without usage")
    model = _name(record.get("model"), "model")
    if model is None:
        raise RecordError("missing field model")
    # Langfuse already subtracted every detail key from `input` and `output`: input is uncached, and the reasoning
    # taken out of output goes back in, since canonical output includes reasoning.
    output = sums["output"] + sums["reasoning"]
    return {
        # Langfuse observation ids are Langfuse's own (not the vendor's response id), so they cannot dedup against a
        # provider's response log: a call logged both ways counts twice.
        "response_id": _name(record.get("id"), "id"),
        "id_namespace": "langfuse",
        "provider_time": timestamp(record.get("startTime"), "startTime"),
        "model_raw": model,
        "provider": vendor_of_model(model) or "langfuse",
        "service_tier": "standard",
        "user_id": _name(record.get("userId"), "userId"),
        "input_tokens": sums["input"],
        "cache_read_tokens": sums["cache_read"],
        "cache_write_5m_tokens": sums["cache_write_5m"],
        "cache_write_1h_tokens": sums["cache_write_1h"],
        "output_tokens": output,
        "reasoning_tokens": sums["reasoning"],
        "input_audio_tokens": sums["input_audio"],
        "output_audio_tokens": sums["output_audio"],
        "output_image_tokens": sums["output_image"],
        "web_search_requests": sums["web_search"],
        "reported_cost_usd": _langfuse_cost(record),
    }


FORMATS: list[Format] = [
    Format("openrouter_generation", "openrouter", is_openrouter_generation, openrouter_generation),
    Format("litellm_spend_log", "litellm", is_litellm_spend_log, litellm_spend_log),
    Format("langfuse_observation", "langfuse", is_langfuse_observation, langfuse_observations),
]
