"""Flatten the catalogue into a rate card: one row per model x period x variant x scope x time window x band.

Rows hold absolute rates per token (per call for web search, per token-hour for cache storage) in the catalogue's
currency, so pricing an event is one join and a dot product. A hardware SKU's rows (`billed_by` seconds) hold its
price per second, and 0 for every token and call class: on a SKU billed by time, tokens cost nothing more.

Modifiers apply in a fixed order (band, batch or tier, endpoint scope, time window). A modifier given as published
absolute rates is carried onto an already-modified rate as the same ratio to the base rate (Gemini 2.5 Pro batch:
0.625/1.25 = 0.5, so 2.50 above 200k becomes 1.25).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from models.pricing import MAX_RATE_DECIMALS, RATE_FIELDS, HardwareEntry, Modifier, PricePeriod, Rates, Window
from pipelines.pricing.catalogue import Catalogue

STANDARD = "standard"
ANY_SCOPE = "*"
_PER_1M = Decimal(1_000_000)
_PER_1K = Decimal(1_000)
_QUANTUM = Decimal(1).scaleb(-MAX_RATE_DECIMALS)
# The rate-card column for each catalogue rate, and what the catalogue figure is per.
RATE_COLUMNS: dict[str, tuple[str, Decimal]] = {
    **{name: (name, _PER_1M) for name in RATE_FIELDS[:-2]},
    "cache_storage_per_hour": ("cache_storage", _PER_1M),
    "web_search_per_1k": ("web_search", _PER_1K),
}

RateSet = dict[str, Decimal | None]


@dataclass(frozen=True)
class RateRow:
    rate_id: str
    catalogue_version: str
    provider: str
    model: str  # the hardware id on a `seconds` row
    billed_by: str  # tokens | seconds
    currency: str
    effective_from: datetime
    effective_to: datetime | None
    service_tier: str
    is_batch: bool
    endpoint_scope: str
    window_id: str | None
    context_measure: str
    context_above: int
    context_up_to: int | None
    input: Decimal | None
    cache_read: Decimal | None
    cache_write_5m: Decimal | None
    cache_write_1h: Decimal | None
    output: Decimal | None
    output_reasoning: Decimal | None
    input_audio: Decimal | None
    output_audio: Decimal | None
    input_image: Decimal | None
    output_image: Decimal | None
    cache_storage: Decimal | None
    web_search: Decimal | None
    compute_second: Decimal | None
    web_search_free_calls: int | None
    web_search_free_period: str | None
    web_search_free_group: str | None
    source: str
    checked: date

    def per_unit(self, column: str) -> Decimal | None:
        value: Decimal | None = getattr(self, column)
        return value


@dataclass(frozen=True)
class WindowRow:
    window_id: str
    weekdays: list[int]
    start_minute: int
    end_minute: int
    timezone: str

    @classmethod
    def of(cls, window_id: str, window: Window) -> WindowRow:
        return cls(window_id, list(window.weekdays), Window.minutes(window.start), Window.minutes(window.end),
                   window.timezone)


@dataclass(frozen=True)
class RateCard:
    rates: list[RateRow]
    windows: list[WindowRow]


def _rate_set(rates: Rates) -> RateSet:
    return {name: getattr(rates, name) for name in RATE_FIELDS}


def _overlay(base: RateSet, rates: Rates) -> RateSet:
    merged = dict(base)
    for name, value in _rate_set(rates).items():
        if value is not None:
            merged[name] = value
    return merged


def _apply(modifier: Modifier | None, current: RateSet, base: RateSet) -> RateSet:
    if modifier is None:
        return current
    result = dict(current)
    if modifier.multiplier is not None:
        for name in modifier.applies_to:
            if current[name] is not None:
                result[name] = (current[name] * modifier.multiplier).quantize(_QUANTUM, ROUND_HALF_EVEN)
        return result
    assert modifier.rates is not None
    for name, value in _rate_set(modifier.rates).items():
        if value is None:
            continue
        if current == base or name == "web_search_per_1k" or base[name] is None:
            result[name] = value
        elif base[name] and current[name] is not None:
            result[name] = (current[name] * value / base[name]).quantize(_QUANTUM, ROUND_HALF_EVEN)
    return result


def _variants(period: PricePeriod) -> list[tuple[str, bool, Modifier | None]]:
    variants: list[tuple[str, bool, Modifier | None]] = [(STANDARD, False, None)]
    if period.batch is not None:
        variants.append((STANDARD, True, period.batch))
    variants.extend((tier, False, modifier) for tier, modifier in sorted(period.service_tiers.items()))
    return variants


def build_rate_card(catalogue: Catalogue) -> RateCard:
    rows: list[RateRow] = []
    windows: list[WindowRow] = []
    for provider, provider_catalogue in sorted(catalogue.providers.items()):
        for entry in provider_catalogue.models:
            periods = sorted(entry.prices, key=lambda p: p.effective_from)
            for index, period in enumerate(periods):
                ends = period.effective_to
                if ends is None and index + 1 < len(periods):
                    ends = periods[index + 1].effective_from
                period_key = f"{provider}/{entry.id}/{period.effective_from:%Y-%m-%d}"
                base = _rate_set(period.rates)
                measure = period.long_context.measure if period.long_context else "input_total"
                bands: list[tuple[int, int | None, RateSet]] = [(0, None, base)]
                if period.long_context is not None:
                    cliff = period.long_context.above_tokens
                    bands = [(0, cliff, base), (cliff, None, _overlay(base, period.long_context.rates))]
                scopes: list[tuple[str, Modifier | None]] = [(ANY_SCOPE, None), *sorted(period.endpoint_scopes.items())]
                rules: list[tuple[str | None, Modifier | None]] = [(None, None)]
                for rule in period.time_windows:
                    window_id = f"{period_key}/{rule.name}"
                    rules.append((window_id, rule))
                    windows.extend(WindowRow.of(window_id, window) for window in rule.windows)
                quota = period.web_search_free
                for tier, is_batch, variant in _variants(period):
                    for scope, scope_modifier in scopes:
                        for window_id, rule in rules:
                            for above, up_to, band in bands:
                                rates = _apply(rule, _apply(scope_modifier, _apply(variant, band, base), base), base)
                                suffix = "".join((
                                    f"/{tier}", "/batch" if is_batch else "",
                                    f"/scope-{scope}" if scope != ANY_SCOPE else "",
                                    f"/{window_id.rsplit('/', 1)[1]}" if window_id else "",
                                    f"/above-{above}" if above else "",
                                ))
                                rows.append(RateRow(
                                    rate_id=period_key + suffix,
                                    catalogue_version=catalogue.version,
                                    provider=provider,
                                    model=entry.id,
                                    billed_by="tokens",
                                    currency=provider_catalogue.currency,
                                    effective_from=period.effective_from,
                                    effective_to=ends,
                                    service_tier=tier,
                                    is_batch=is_batch,
                                    endpoint_scope=scope,
                                    window_id=window_id,
                                    context_measure=measure,
                                    context_above=above,
                                    context_up_to=up_to,
                                    **{column: None if rates[name] is None else rates[name] / per
                                       for name, (column, per) in RATE_COLUMNS.items()},
                                    compute_second=None,
                                    web_search_free_calls=quota.calls if quota else None,
                                    web_search_free_period=quota.period if quota else None,
                                    web_search_free_group=(quota.group or entry.id) if quota else None,
                                    source=period.source,
                                    checked=period.checked,
                                ))
        for hardware in provider_catalogue.hardware:
            rows.extend(_hardware_rows(catalogue.version, provider, provider_catalogue.currency, hardware))
    return RateCard(rates=rows, windows=windows)


def _hardware_rows(version: str, provider: str, currency: str, hardware: HardwareEntry) -> list[RateRow]:
    periods = sorted(hardware.prices, key=lambda p: p.effective_from)
    rows = []
    for index, period in enumerate(periods):
        ends = period.effective_to
        if ends is None and index + 1 < len(periods):
            ends = periods[index + 1].effective_from
        rows.append(RateRow(
            rate_id=f"{provider}/hardware/{hardware.id}/{period.effective_from:%Y-%m-%d}/{STANDARD}",
            catalogue_version=version, provider=provider, model=hardware.id, billed_by="seconds", currency=currency,
            effective_from=period.effective_from, effective_to=ends, service_tier=STANDARD, is_batch=False,
            endpoint_scope=ANY_SCOPE, window_id=None, context_measure="input_total", context_above=0,
            context_up_to=None, **dict.fromkeys((column for column, _ in RATE_COLUMNS.values()), Decimal(0)),
            compute_second=period.per_second, web_search_free_calls=None, web_search_free_period=None,
            web_search_free_group=None, source=period.source, checked=period.checked,
        ))
    return rows
