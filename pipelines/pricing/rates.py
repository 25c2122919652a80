"""Flatten the catalogue into a rate card: one row per model x period x tier x batch x context band.

Rows hold absolute USD rates per token (per call for web search), so pricing an event is one join and a dot
product. Modifiers that the YAML gives as published absolute rates are carried into the long-context band as the
same ratio to the base rate (Gemini 2.5 Pro batch: 0.625/1.25 = 0.5, so 2.50 above 200k becomes 1.25).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from models.pricing import MAX_RATE_DECIMALS, RATE_FIELDS, Modifier, PricePeriod, Rates
from pipelines.pricing.catalogue import Catalogue

STANDARD = "standard"
_PER_1M = Decimal(1_000_000)
_PER_1K = Decimal(1_000)
_QUANTUM = Decimal(1).scaleb(-MAX_RATE_DECIMALS)

RateSet = dict[str, Decimal | None]


@dataclass(frozen=True)
class RateRow:
    rate_id: str
    catalogue_version: str
    provider: str
    model: str
    effective_from: datetime
    effective_to: datetime | None
    service_tier: str
    is_batch: bool
    context_above: int
    context_up_to: int | None
    input: Decimal | None
    cache_read: Decimal | None
    cache_write_5m: Decimal | None
    cache_write_1h: Decimal | None
    output: Decimal | None
    web_search: Decimal | None
    source: str
    checked: date

    def per_token(self, token_class: str) -> Decimal | None:
        value: Decimal | None = getattr(self, token_class)
        return value


def _rate_set(rates: Rates) -> RateSet:
    return {name: getattr(rates, name) for name in (*RATE_FIELDS, "web_search_per_1k")}


def _overlay(base: RateSet, rates: Rates) -> RateSet:
    merged = dict(base)
    for name, value in _rate_set(rates).items():
        if value is not None:
            merged[name] = value
    return merged


def _apply(modifier: Modifier, band: RateSet, base: RateSet) -> RateSet:
    result = dict(band)
    if modifier.multiplier is not None:
        for name in modifier.applies_to:
            if band[name] is not None:
                result[name] = (band[name] * modifier.multiplier).quantize(_QUANTUM, ROUND_HALF_EVEN)
        return result
    assert modifier.rates is not None
    published = _rate_set(modifier.rates)
    for name, value in published.items():
        if value is None:
            continue
        if band is base or name == "web_search_per_1k":
            result[name] = value
        elif base[name] and band[name] is not None:
            result[name] = (band[name] * value / base[name]).quantize(_QUANTUM, ROUND_HALF_EVEN)
    return result


def _variants(period: PricePeriod) -> list[tuple[str, bool, Modifier | None]]:
    variants: list[tuple[str, bool, Modifier | None]] = [(STANDARD, False, None)]
    if period.batch is not None:
        variants.append((STANDARD, True, period.batch))
    variants.extend((tier, False, modifier) for tier, modifier in sorted(period.service_tiers.items()))
    return variants


def build_rate_rows(catalogue: Catalogue) -> list[RateRow]:
    rows: list[RateRow] = []
    for provider, provider_catalogue in sorted(catalogue.providers.items()):
        for entry in provider_catalogue.models:
            periods = sorted(entry.prices, key=lambda p: p.effective_from)
            for index, period in enumerate(periods):
                ends = period.effective_to
                if ends is None and index + 1 < len(periods):
                    ends = periods[index + 1].effective_from
                base = _rate_set(period.rates)
                bands: list[tuple[int, int | None, RateSet]] = []
                if period.long_context is None:
                    bands.append((0, None, base))
                else:
                    cliff = period.long_context.above_tokens
                    bands.append((0, cliff, base))
                    bands.append((cliff, None, _overlay(base, period.long_context.rates)))
                for tier, is_batch, modifier in _variants(period):
                    for above, up_to, band in bands:
                        rates = band if modifier is None else _apply(modifier, band, base)
                        rate_id = (
                            f"{provider}/{entry.id}/{period.effective_from:%Y-%m-%d}/{tier}"
                            f"{'/batch' if is_batch else ''}{f'/above-{above}' if above else ''}"
                        )
                        rows.append(
                            RateRow(
                                rate_id=rate_id,
                                catalogue_version=catalogue.version,
                                provider=provider,
                                model=entry.id,
                                effective_from=period.effective_from,
                                effective_to=ends,
                                service_tier=tier,
                                is_batch=is_batch,
                                context_above=above,
                                context_up_to=up_to,
                                input=_per(rates["input"], _PER_1M),
                                cache_read=_per(rates["cache_read"], _PER_1M),
                                cache_write_5m=_per(rates["cache_write_5m"], _PER_1M),
                                cache_write_1h=_per(rates["cache_write_1h"], _PER_1M),
                                output=_per(rates["output"], _PER_1M),
                                web_search=_per(rates["web_search_per_1k"], _PER_1K),
                                source=period.source,
                                checked=period.checked,
                            )
                        )
    return rows


def _per(value: Decimal | None, unit: Decimal) -> Decimal | None:
    return None if value is None else value / unit
