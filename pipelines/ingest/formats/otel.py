"""OpenTelemetry GenAI spans from OTLP/JSON file exports (shared/reference/provider-formats.md, Addendum).

A record is one `resourceSpans` element (the file reader streams them out of `{"resourceSpans": [...]}`), or a
whole `{"resourceSpans": [...]}` object, as the collector's file exporter writes one per line. Every span in it is
one outcome: a usage row when it carries `gen_ai.usage.*` attributes, else a skip. The GenAI conventions are still
in development, so the older attribute spellings are accepted beside the current ones. Only the attributes below
are decoded: prompts and completions (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.prompt`,
`gen_ai.completion`, span events) are never read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pipelines.ingest.fields import RecordError, shown, timestamp, whole
from pipelines.ingest.formats.base import Format, Mapped, Skip
from pipelines.ingest.formats.gateways import vendor_of_model
from pipelines.ingest.providers import OPENAI_TIERS, service_tier

# Each quantity under its current name first, then the older spellings.
_PROVIDER = ("gen_ai.provider.name", "gen_ai.system")
_INPUT = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
_CACHE_READ = ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
               "gen_ai.usage.input_tokens.cached")
_CACHE_WRITE = ("gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_write_input_tokens",
                "gen_ai.usage.cache_creation_input_tokens")
_OUTPUT = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
_REASONING = ("gen_ai.usage.reasoning.output_tokens",)
_MODEL = ("gen_ai.response.model", "gen_ai.request.model")
_RESPONSE_ID = "gen_ai.response.id"
_TIER = "openai.response.service_tier"
_USER = ("user.id", "enduser.id")
_SERVICE = "service.name"
_WANTED = frozenset((*_PROVIDER, *_INPUT, *_CACHE_READ, *_CACHE_WRITE, *_OUTPUT, *_REASONING, *_MODEL,
                     _RESPONSE_ID, _TIER, *_USER, _SERVICE))
_USAGE_PREFIX = "gen_ai.usage."
_VALUE_KINDS = ("stringValue", "intValue", "doubleValue", "boolValue")

# gen_ai.provider.name (and older gen_ai.system values) -> (vendor, platform). Behind a platform the served model
# names the vendor when it plainly does; the vendor given here stands in otherwise.
_PROVIDERS = {
    "openai": ("openai", "direct"), "anthropic": ("anthropic", "direct"),
    "aws.bedrock": ("bedrock", "bedrock"),
    "gcp.gemini": ("google", "direct"), "gcp.gen_ai": ("google", "direct"), "gcp.vertex_ai": ("google", "vertex"),
    "gemini": ("google", "direct"), "vertex_ai": ("google", "vertex"),
    "azure.ai.openai": ("openai", "azure"), "az.ai.openai": ("openai", "azure"),
    "azure.ai.inference": ("azure", "azure"), "az.ai.inference": ("azure", "azure"),
    "mistral_ai": ("mistral", "direct"), "groq": ("groq", "groq"), "deepseek": ("deepseek", "direct"),
    "cohere": ("cohere", "direct"), "x_ai": ("xai", "direct"), "xai": ("xai", "direct"),
}
_EPOCH = datetime(1970, 1, 1)
_NANOS = 1_000_000_000
# Nanoseconds since 1970 outgrow the token-count limit; this bound only keeps the number readable, and the timestamp
# check then rejects a time out of range.
_NANOS_LIMIT = 2**63


def is_otlp_export(record: dict[str, Any]) -> bool:
    return "scopeSpans" in record or "resourceSpans" in record


def _attributes(items: Any, where: str) -> tuple[dict[str, Any], bool]:
    """The wanted attributes' values, and whether any `gen_ai.usage.*` attribute is there. Other attributes are
    never decoded: they may hold message text."""
    if items is None:
        return {}, False
    if not isinstance(items, list):
        raise RecordError(f"{where}attributes is not a list")
    found: dict[str, Any] = {}
    usage = False
    for item in items:
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str):
            continue
        usage = usage or key.startswith(_USAGE_PREFIX)
        value = item.get("value")
        if key in _WANTED and isinstance(value, dict):
            for kind in _VALUE_KINDS:
                if kind in value:
                    found[key] = value[kind]
                    break
    return found, usage


def _first(attrs: dict[str, Any], names: tuple[str, ...]) -> tuple[str, Any]:
    for name in names:
        if attrs.get(name) is not None:
            return name, attrs[name]
    return names[0], None


def _count(attrs: dict[str, Any], names: tuple[str, ...]) -> int | None:
    name, value = _first(attrs, names)
    return None if value is None else whole(value, f"attribute {name}")


def _label(attrs: dict[str, Any], names: tuple[str, ...]) -> str | None:
    name, value = _first(attrs, names)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise RecordError(f"attribute {name} is not a string: {shown(value)}"[:200])
    return value.strip()


def _route(attrs: dict[str, Any], model: str) -> tuple[str, str]:
    """(vendor, platform) from gen_ai.provider.name, the served model naming the vendor behind a platform."""
    raw = _label(attrs, _PROVIDER)
    if raw is None:
        vendor = vendor_of_model(model)
        if vendor is None:
            raise RecordError("missing attribute gen_ai.provider.name (or gen_ai.system)")
        return vendor, "direct"
    name = raw.lower()
    known = _PROVIDERS.get(name)
    if known is None:
        # A system meterline has no mapping for: the model may still name the vendor, the system then is the route.
        vendor = vendor_of_model(model)
        return (vendor, name) if vendor and vendor != name else (name, "direct")
    vendor, platform = known
    if platform != "direct":
        vendor = vendor_of_model(model) or vendor
    return vendor, platform


def _start(span: dict[str, Any]) -> datetime:
    nanos = whole(span.get("startTimeUnixNano"), "startTimeUnixNano", _NANOS_LIMIT)
    if not nanos:
        raise RecordError("missing field startTimeUnixNano")
    # Whole seconds through the shared range check, the rest added as microseconds (a float would lose them).
    return timestamp(nanos // _NANOS, "startTimeUnixNano") + timedelta(microseconds=nanos % _NANOS // 1000)


def _span_row(span: Any, project: str | None) -> Mapped | Skip:
    if not isinstance(span, dict):
        raise RecordError("span is not an object")
    attrs, usage = _attributes(span.get("attributes"), "span ")
    if not usage:
        return Skip("span without gen_ai.usage attributes: not a model call")
    total_in = _count(attrs, _INPUT)
    output = _count(attrs, _OUTPUT)
    if total_in is None and output is None:
        raise RecordError("span has gen_ai.usage attributes but neither gen_ai.usage.input_tokens nor"
                          " gen_ai.usage.output_tokens")
    read = _count(attrs, _CACHE_READ) or 0
    written = _count(attrs, _CACHE_WRITE) or 0
    input_unknown = total_in is None
    total_in = total_in or 0
    # The conventions count cache reads and writes inside input_tokens. Some instrumentations copy Anthropic's
    # input_tokens, which excludes them; a subset cannot exceed its whole, so counts that do are read that way.
    uncached = total_in if read + written > total_in else total_in - read - written
    output = output or 0
    model = _label(attrs, _MODEL)
    if model is None:
        raise RecordError("missing attribute gen_ai.response.model (or gen_ai.request.model)")
    vendor, platform = _route(attrs, model)
    response_id = _label(attrs, (_RESPONSE_ID,))
    span_id = span.get("spanId")
    return {
        # The vendor's response id, in the vendor's namespace, dedups with that vendor's own response logs.
        "response_id": response_id or (span_id if isinstance(span_id, str) and span_id else None),
        "id_namespace": vendor if response_id else "otel",
        "provider_time": _start(span),
        "model_raw": model,
        "provider": vendor,
        "platform": platform,
        "service_tier": service_tier(attrs.get(_TIER), OPENAI_TIERS, f"attribute {_TIER}"),
        "project": project,
        "user_id": _label(attrs, _USER),
        "input_tokens": uncached,
        "cache_read_tokens": read,
        # The conventions give one cache-write count without a TTL: the short, default one.
        "cache_write_5m_tokens": written,
        "cache_write_1h_tokens": 0,
        "output_tokens": output,
        "reasoning_tokens": min(_count(attrs, _REASONING) or 0, output),
        "web_search_requests": 0,
        "input_unknown": input_unknown,
    }


def _resource_spans(resource_spans: dict[str, Any], prefix: str) -> list[tuple[str, Mapped | Skip | RecordError]]:
    resource = resource_spans.get("resource")
    attrs, _ = _attributes(resource.get("attributes") if isinstance(resource, dict) else None, "resource ")
    project = _label(attrs, (_SERVICE,))
    scopes = resource_spans.get("scopeSpans")
    if not isinstance(scopes, list):
        raise RecordError(f"{prefix}scopeSpans is not a list")
    outcomes: list[tuple[str, Mapped | Skip | RecordError]] = []
    for i, scope in enumerate(scopes):
        spans = scope.get("spans") if isinstance(scope, dict) else None
        if not isinstance(spans, list):
            outcomes.append((f"{prefix}scopeSpans[{i}]", RecordError("spans is not a list")))
            continue
        for j, span in enumerate(spans):
            path = f"{prefix}scopeSpans[{i}].spans[{j}]"
            try:
                outcomes.append((path, _span_row(span, project)))
            except RecordError as exc:
                outcomes.append((path, exc))
    return outcomes


def otlp_export(record: dict[str, Any]) -> list[tuple[str, Mapped | Skip | RecordError]] | Skip:
    if "resourceSpans" in record:
        elements = record["resourceSpans"]
        if not isinstance(elements, list):
            raise RecordError("resourceSpans is not a list")
        outcomes = []
        for k, element in enumerate(elements):
            if not isinstance(element, dict):
                outcomes.append((f"resourceSpans[{k}]", RecordError("resourceSpans element is not an object")))
                continue
            try:
                outcomes.extend(_resource_spans(element, f"resourceSpans[{k}]."))
            except RecordError as exc:
                outcomes.append((f"resourceSpans[{k}]", exc))
    else:
        outcomes = _resource_spans(record, "")
    return outcomes or Skip("OTLP export without spans")


FORMATS: list[Format] = [Format("otel_genai_span", "otel", is_otlp_export, otlp_export)]
