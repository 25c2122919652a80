"""Compare the catalogue with genai-prices (pydantic/genai-prices), an independent, well-kept catalogue.

Two checks: every rate of every model both catalogues list, per variant (standard, batch, service tiers, above a
long-context cliff), and the total cost of real requests. A difference is explained when the model's entry says
why we differ (`discrepancies: {genai-prices: ...}`) or when it falls under one of the documented rule
differences below; anything else is a finding to fix in one catalogue or the other.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from models.pricing import ModelEntry
from pipelines.pricing.aliases import candidates, normalise
from pipelines.pricing.catalogue import Catalogue
from pipelines.pricing.quote import Usage, exchange_rate, quote, select_rate
from pipelines.pricing.rates import RATE_COLUMNS, RateCard, RateRow, build_rate_card

SOURCE = "genai-prices"
# Our catalogue file -> genai-prices provider id.
PROVIDERS = {
    "openai": "openai", "anthropic": "anthropic", "google": "google", "vertex": "google", "bedrock": "aws",
    "azure": "azure", "mistral": "mistral", "deepseek": "deepseek", "xai": "x-ai", "cohere": "cohere",
    "groq": "groq", "together": "together", "fireworks": "fireworks", "zhipuai": "zhipuai", "cerebras": "cerebras",
}
# genai-prices price key -> our catalogue rate.
KEYS = {
    "input_mtok": "input", "cache_read_mtok": "cache_read", "cache_write_mtok": "cache_write_5m",
    "cache_write_1h_mtok": "cache_write_1h", "output_mtok": "output", "output_reasoning_mtok": "output_reasoning",
    "input_audio_mtok": "input_audio", "output_audio_mtok": "output_audio", "input_image_mtok": "input_image",
    "output_image_mtok": "output_image", "web_searches_kcount": "web_search_per_1k",
}
# genai-prices started modelling these variants on its verification dates; before them it prices the standard rate.
VARIANTS_FROM = {"batch": date(2026, 10, 14), "priority": date(2026, 10, 12), "flex": date(2026, 10, 12)}
_PLACES = Decimal("0.000001")
_HALF_MILLI = Decimal("0.0005")


class CompareUnavailable(RuntimeError):
    """genai-prices is not installed."""


@dataclass(frozen=True)
class Disagreement:
    provider: str
    model: str
    variant: str
    rate: str
    ours: Decimal | None
    theirs: Decimal | None
    explanation: str | None


@dataclass(frozen=True)
class RateComparison:
    compared_models: int
    compared_rates: int
    disagreements: list[Disagreement]
    not_in_theirs: list[str]


def _snapshot() -> Any:
    try:
        from genai_prices import data_snapshot
    except ImportError as exc:
        raise CompareUnavailable(
            "genai-prices is not installed: pip install 'meterline[compare]' (or pip install genai-prices)"
        ) from exc
    return data_snapshot.get_snapshot()


def genai_prices_version() -> str:
    from genai_prices import __version__

    return str(__version__)


def _their_models(snapshot: Any, provider: str, entry: ModelEntry) -> dict[str, tuple[Any, str]]:
    """genai-prices' model(s) for our entry, by endpoint scope ('*' unless it lists Bedrock's global and regional
    entries separately): through its own matcher, else by normalising its ids the way meterline does."""
    theirs = PROVIDERS.get(provider)
    if theirs is None:
        return {}
    wanted = {entry.id, *(alias.lower() for alias in entry.aliases)}
    found = snapshot.find_provider(None, theirs, None)
    scoped: dict[str, tuple[Any, str]] = {}
    for model in found.models if found else []:
        name, scope = normalise(model.id.lower())
        if name.startswith("regional."):
            name, scope = name.removeprefix("regional."), "regional"
        if scope is not None and wanted & set(candidates(name)):
            scoped.setdefault(scope, (model, model.id))
    if scoped:
        return scoped
    for ref in (entry.id, *entry.aliases):
        try:
            _, model = snapshot.find_provider_model(ref, None, theirs, None)
            return {"*": (model, ref)}
        except LookupError:
            continue
    for model in found.models if found else []:
        if wanted & set(candidates(normalise(model.id.lower())[0])):
            return {"*": (model, model.id)}
    return {}


def _request_models(provider: str, entry: ModelEntry) -> dict[str, tuple[Any, str]]:
    """_their_models once per model, not once per rate or request: matching scans genai-prices' model list."""
    return _cached_models(provider, entry.id, tuple(entry.aliases))


@functools.lru_cache(maxsize=1024)
def _cached_models(provider: str, model: str, aliases: tuple[str, ...]) -> dict[str, tuple[Any, str]]:
    return _their_models(_snapshot(), provider, ModelEntry.model_construct(id=model, aliases=list(aliases)))


def _their_model_for(models: dict[str, tuple[Any, str]], our_scope: str) -> tuple[Any, str] | None:
    if our_scope == "*":
        return models.get("*") or models.get("global")
    return models.get("regional") or models.get(our_scope)


def _their_rate(price: Any, above: int) -> Decimal | None:
    if price is None:
        return None
    tiers = getattr(price, "tiers", None)
    if tiers is None:
        return Decimal(price)
    rate = Decimal(price.base)
    for tier in tiers:
        if above and above >= tier.start:
            rate = Decimal(tier.price)
    return rate


def _our_rates(row: RateRow, usd_per_unit: Decimal) -> dict[str, Decimal | None]:
    """Our rates per 1M (per 1k calls) in USD, as genai-prices states them."""
    result: dict[str, Decimal | None] = {}
    for name, (column, per) in RATE_COLUMNS.items():
        value = row.per_unit(column)
        result[name] = None if value is None else (value * per * usd_per_unit).quantize(_PLACES).normalize()
    return result


def _explained(entry: ModelEntry, rate: str) -> str | None:
    """The entry's own note on this difference: `genai-prices/<rate>` for one rate, `genai-prices` for all."""
    return entry.discrepancies.get(f"{SOURCE}/{rate}") or entry.discrepancies.get(SOURCE)


def _variants(card: RateCard, provider: str, model: str, at: datetime) -> Iterator[tuple[str, RateRow, int]]:
    """(variant label, our rate row, context above) for each variant, scope and band in force at `at`, leaving out
    time-window rows: the default row is the peak price, so `at` must be a peak hour (see compare_moment)."""
    rows = [r for r in card.rates if r.provider == provider and r.model == model and r.window_id is None
            and r.effective_from <= at and (r.effective_to is None or at < r.effective_to)]
    for row in sorted(rows, key=lambda r: (r.service_tier, r.is_batch, r.endpoint_scope, r.context_above)):
        label = ("batch" if row.is_batch else row.service_tier) + (
            "" if row.endpoint_scope == "*" else f" {row.endpoint_scope}")
        yield (f"{label} >{row.context_above:,}" if row.context_above else label), row, row.context_above


def _context(variant: str) -> dict[str, str] | None:
    name = variant.split(" ")[0]
    if name == "batch":
        return {"processing": "batch"}
    if name == "fast":
        return {"speed": "fast"}
    if name in ("priority", "flex", "scale"):
        return {"service_tier": name}
    return None


def compare_rates(catalogue: Catalogue, at: datetime) -> RateComparison:
    _snapshot()  # fail before any work when genai-prices is not installed
    card = build_rate_card(catalogue)
    disagreements: list[Disagreement] = []
    missing: list[str] = []
    models = rates = 0
    for provider, entries in sorted(catalogue.providers.items()):
        for entry in entries.models:
            if not any(r.effective_from <= at and (r.effective_to is None or at < r.effective_to)
                       for r in card.rates if r.provider == provider and r.model == entry.id):
                continue
            found = _request_models(provider, entry)
            if not found:
                missing.append(f"{provider}/{entry.id}")
                continue
            models += 1
            for variant, row, above in _variants(card, provider, entry.id, at):
                their_model = _their_model_for(found, row.endpoint_scope)
                if their_model is None:
                    continue
                context = _context(variant)
                theirs_price = their_model[0].get_prices(at, context)
                theirs_standard = their_model[0].get_prices(at, None) if context else theirs_price
                usd = exchange_rate(catalogue.exchange_rates, row.currency, at) or Decimal(0)
                ours = _our_rates(row, usd)
                for key, name in KEYS.items():
                    theirs = _their_rate(getattr(theirs_price, key, None), above)
                    mine = ours[name]
                    if mine is None and theirs is None:
                        continue
                    rates += 1
                    if theirs is not None:
                        theirs = theirs.quantize(_PLACES).normalize()
                    if mine != theirs and not _equivalent(name, mine, theirs, ours):
                        no_variant = context is not None and getattr(theirs_price, key, None) == getattr(
                            theirs_standard, key, None)
                        why = _explained(entry, name) or _rule(name, variant, mine, theirs, at, row, no_variant)
                        disagreements.append(Disagreement(provider, entry.id, variant, name, mine, theirs, why))
    return RateComparison(models, rates, disagreements, missing)


def _equivalent(name: str, mine: Decimal | None, theirs: Decimal | None, ours: dict[str, Decimal | None]) -> bool:
    """Both price the class the same way although only one lists it (a modality at the text rate)."""
    fallback = {"input_audio": "input", "input_image": "input", "output_audio": "output", "output_image": "output",
                "output_reasoning": "output"}.get(name)
    if fallback is None:
        return False
    return (mine if mine is not None else ours[fallback]) == (theirs if theirs is not None else ours[fallback])


def _rule(name: str, variant: str, mine: Decimal | None, theirs: Decimal | None, at: datetime,
          row: RateRow, no_variant: bool = False) -> str | None:
    """The documented rule difference that explains a disagreement, if one does."""
    base = variant.split(" ")[0]
    since = VARIANTS_FROM.get(base)
    if since is not None and at.date() < since:
        return f"{SOURCE} models {base} only from {since} (its verification date); earlier it charges standard"
    if row.currency != "USD" and mine is not None and theirs and abs(mine - theirs) <= _HALF_MILLI:
        return f"{SOURCE} rounds its USD conversion of the {row.currency} list price to 3 decimals"
    if no_variant and theirs is not None:
        return f"{SOURCE} lists no {base} price for this {name} rate and charges the standard one"
    if name == "cache_write_1h" and theirs is None:
        return f"{SOURCE} has no 1h cache-write rate here, so it prices 1h writes at the 5m rate"
    return None


@dataclass(frozen=True)
class RequestComparison:
    usage: Usage
    ours: Decimal | None
    theirs: Decimal | None
    explanation: str | None

    @property
    def agrees(self) -> bool:
        if self.ours is None or self.theirs is None:
            return self.ours is None and self.theirs is None
        return abs(self.ours - self.theirs) <= Decimal("0.000001")


def compare_request(catalogue: Catalogue, card: RateCard, usage: Usage) -> RequestComparison:
    """Price one request both ways. genai-prices takes inclusive input and output totals."""
    import genai_prices

    ours = quote(card, usage, catalogue.exchange_rates).list_cost_usd
    entry = next((m for m in catalogue.providers[usage.provider].models if m.id == usage.model), None)
    scope = "*" if usage.endpoint_scope == "global" else usage.endpoint_scope
    found = _their_model_for(_request_models(usage.provider, entry), scope) if entry else None
    if found is None:
        return RequestComparison(usage, ours, None, f"{usage.provider}/{usage.model} is not in {SOURCE}")
    _, ref = found
    theirs_usage = genai_prices.Usage(
        input_tokens=usage.input_total, cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_5m_tokens + usage.cache_write_1h_tokens,
        cache_write_1h_tokens=usage.cache_write_1h_tokens, input_audio_tokens=usage.input_audio_tokens,
        output_tokens=usage.output_tokens + usage.output_audio_tokens + usage.output_image_tokens,
        output_audio_tokens=usage.output_audio_tokens, web_searches=usage.web_search_requests,
    )
    context = _context("batch" if usage.is_batch else usage.service_tier)
    try:
        theirs = genai_prices.calc_price(theirs_usage, ref, provider_id=PROVIDERS[usage.provider],
                                         genai_request_timestamp=usage.event_time, price_context=context)
        their_total: Decimal | None = Decimal(theirs.total_price)
    except (LookupError, ValueError) as exc:
        return RequestComparison(usage, ours, None, f"{SOURCE} cannot price it: {exc}")
    rate, _ = select_rate(card, usage)
    variant = "batch" if usage.is_batch else usage.service_tier
    notes = [entry.discrepancies.get(f"{SOURCE}/{name}") for name, used in _rates_used(usage) if used] if entry else []
    explanation = (entry.discrepancies.get(SOURCE) if entry else None) or next((n for n in notes if n), None)
    if explanation is None and rate is not None:
        explanation = _rule("", variant, None, None, usage.event_time, rate)
    return RequestComparison(usage, ours, their_total, explanation)


def _rates_used(usage: Usage) -> list[tuple[str, bool]]:
    return [
        ("input", usage.input_tokens > 0), ("cache_read", usage.cache_read_tokens > 0),
        ("cache_write_5m", usage.cache_write_5m_tokens > 0), ("cache_write_1h", usage.cache_write_1h_tokens > 0),
        ("output", usage.output_tokens > 0), ("output_reasoning", usage.reasoning_tokens > 0),
        ("input_audio", usage.input_audio_tokens > 0), ("output_audio", usage.output_audio_tokens > 0),
        ("web_search_per_1k", usage.web_search_requests > 0),
    ]


def compare_moment(day: date) -> datetime:
    """03:00 UTC: a peak hour for every time-windowed price in the catalogue (DeepSeek's off-peak hours are
    16:30-00:30 UTC before September 2025 and 00:00-01:00, 04:00-06:00 and 10:00-24:00 UTC from 2026-08-17)."""
    return datetime.combine(day, time(3))


