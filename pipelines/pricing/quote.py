"""Price one usage record against the rate card: the reference implementation the SQL pricing must match."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from models.contracts import Contract
from models.pricing import ExchangeRates
from pipelines.pricing.rates import ANY_SCOPE, RATE_COLUMNS, RateCard, RateRow, WindowRow

_UTC = ZoneInfo("UTC")
_USD_PLACES = Decimal(1).scaleb(-12)


@dataclass(frozen=True)
class Usage:
    provider: str
    model: str
    event_time: datetime
    service_tier: str = "standard"
    is_batch: bool = False
    endpoint_scope: str = "global"
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    input_audio_tokens: int = 0
    output_audio_tokens: int = 0
    input_image_tokens: int = 0
    output_image_tokens: int = 0
    cache_storage_token_hours: Decimal = Decimal(0)
    web_search_requests: int = 0
    web_search_used_before: int = 0
    # The SKU the request ran on and its seconds (Replicate, Modal): when set, the request is billed by time.
    hardware: str | None = None
    compute_seconds: Decimal = Decimal(0)
    # An aggregate (a usage report bucket) cannot be measured per request: its band is the one the report names
    # (`context_tier`), else the base band.
    record_grain: str = "request"
    context_tier: str | None = None
    input_unknown: bool = False

    @property
    def input_uncached(self) -> int:
        return self.input_tokens + self.input_audio_tokens + self.input_image_tokens

    @property
    def input_total(self) -> int:
        """What long-context cliffs measure by default: every input token, cached or not."""
        return self.input_uncached + self.cache_read_tokens + self.cache_write_5m_tokens + self.cache_write_1h_tokens


@dataclass(frozen=True)
class Line:
    """One priced class: `quantity` x `rate` (per unit, catalogue currency) = `cost`, and why that rate."""

    cost_class: str
    label: str
    quantity: Decimal
    unit: str
    rate: Decimal | None
    rate_column: str
    own_column: str
    cost: Decimal | None


# (cost class, label, usage field, rate column, fallback rate column, unit)
LINES: tuple[tuple[str, str, str, str, str | None, str], ...] = (
    ("input", "input (uncached)", "input_tokens", "input", None, "tokens"),
    ("cache_read", "cache read", "cache_read_tokens", "cache_read", None, "tokens"),
    ("cache_write_5m", "cache write 5m", "cache_write_5m_tokens", "cache_write_5m", None, "tokens"),
    ("cache_write_1h", "cache write 1h", "cache_write_1h_tokens", "cache_write_1h", None, "tokens"),
    ("output", "output (non-reasoning)", "output_tokens", "output", None, "tokens"),
    ("output", "output (reasoning)", "reasoning_tokens", "output_reasoning", "output", "tokens"),
    ("audio", "audio input", "input_audio_tokens", "input_audio", "input", "tokens"),
    ("audio", "audio output", "output_audio_tokens", "output_audio", "output", "tokens"),
    ("image", "image input", "input_image_tokens", "input_image", "input", "tokens"),
    ("image", "image output", "output_image_tokens", "output_image", "output", "tokens"),
    ("cache_storage", "cache storage", "cache_storage_token_hours", "cache_storage", None, "token-hours"),
    ("web_search", "web search", "web_search_billable", "web_search", None, "calls"),
    ("compute", "compute time", "compute_seconds", "compute_second", None, "seconds"),
)
COST_CLASSES: tuple[str, ...] = tuple(dict.fromkeys(line[0] for line in LINES))


@dataclass(frozen=True)
class Quote:
    cost_status: str
    rate: RateRow | None
    usd_per_unit: Decimal | None = None
    lines: list[Line] = field(default_factory=list)
    web_search_free: int = 0
    contract: Contract | None = None
    contracted_cost_usd: Decimal | None = None

    def class_cost_usd(self, cost_class: str) -> Decimal | None:
        parts = [line.cost for line in self.lines if line.cost_class == cost_class]
        if any(part is None for part in parts) or self.usd_per_unit is None:
            return None
        total = sum((part for part in parts if part is not None), Decimal(0))
        return (total * self.usd_per_unit).quantize(_USD_PLACES, ROUND_HALF_UP)

    @property
    def list_cost_original(self) -> Decimal | None:
        if self.cost_status != "priced":
            return None
        return sum((line.cost for line in self.lines if line.cost is not None), Decimal(0))

    @property
    def list_cost_usd(self) -> Decimal | None:
        if self.cost_status != "priced":
            return None
        return sum((self.class_cost_usd(c) or Decimal(0) for c in COST_CLASSES), Decimal(0))


def in_window(window: WindowRow, moment: datetime) -> bool:
    local = moment.replace(tzinfo=_UTC).astimezone(ZoneInfo(window.timezone))
    day = local.isoweekday()
    previous_day = 7 if day == 1 else day - 1
    minute = local.hour * 60 + local.minute
    start, end = window.start_minute, window.end_minute
    if start == end:
        return day in window.weekdays
    if start < end:
        return day in window.weekdays and start <= minute < end
    # Past midnight, the window is the one that opened the evening before.
    return (minute >= start and day in window.weekdays) or (minute < end and previous_day in window.weekdays)


def _in_band(row: RateRow, usage: Usage) -> bool:
    """The long-context band rule of core/usage_priced.build.sql."""
    if usage.record_grain == "bucket" or usage.context_tier is not None:
        long = usage.context_tier == "long"
        return row.context_above > 0 if long else row.context_above == 0
    measure = usage.input_uncached if row.context_measure == "input_uncached" else usage.input_total
    return not ((row.context_above > 0 and measure <= row.context_above)
                or (row.context_up_to is not None and measure > row.context_up_to))


def select_rate(card: RateCard, usage: Usage) -> tuple[RateRow | None, str]:
    # A request that ran on named hardware is billed for its seconds, at that hardware's rate.
    basis, rate_model = ("seconds", usage.hardware) if usage.hardware is not None else ("tokens", usage.model)
    known_model = False
    found: list[RateRow] = []
    for row in card.rates:
        if row.provider != usage.provider or row.model != rate_model or row.billed_by != basis:
            continue
        known_model = True
        if (
            usage.event_time < row.effective_from
            or (row.effective_to is not None and usage.event_time >= row.effective_to)
            or row.service_tier != usage.service_tier
            or row.is_batch != usage.is_batch
            or row.endpoint_scope not in (ANY_SCOPE, usage.endpoint_scope)
            or not _in_band(row, usage)
        ):
            continue
        if row.window_id is not None and not any(
            in_window(window, usage.event_time) for window in card.windows if window.window_id == row.window_id
        ):
            continue
        found.append(row)
    if not found:
        return None, "unpriced_variant" if known_model else "unpriced_model"
    # The SQL's arg_max: a specific scope first, then a time window, then the greatest rate_id.
    best = max(found, key=lambda r: (r.endpoint_scope != ANY_SCOPE, r.window_id is not None, r.rate_id))
    return best, "priced"


def exchange_rate(rates: ExchangeRates, currency: str, moment: datetime) -> Decimal | None:
    if currency == "USD":
        return Decimal(1)
    in_force = [r for r in rates.rates if r.currency == currency and r.effective_from <= moment.date()]
    return max(in_force, key=lambda r: r.effective_from).usd_per_unit if in_force else None


def contract_for(contracts: list[Contract], usage: Usage) -> Contract | None:
    for contract in contracts:
        if contract.discount_percent is None and contract.rates is None:
            continue
        if contract.provider != usage.provider or usage.event_time < contract.effective_from:
            continue
        if contract.effective_to is not None and usage.event_time >= contract.effective_to:
            continue
        if any(fnmatchcase(usage.model, pattern) for pattern in contract.models):
            return contract
    return None


def quote(
    card: RateCard,
    usage: Usage,
    exchange_rates: ExchangeRates | None = None,
    contracts: list[Contract] | None = None,
) -> Quote:
    rate, status = select_rate(card, usage)
    contract = contract_for(contracts or [], usage)
    usd_per_unit = None
    free = 0
    billable = usage.web_search_requests
    if rate is not None:
        usd_per_unit = exchange_rate(exchange_rates or ExchangeRates(), rate.currency, usage.event_time)
    if rate is not None and rate.web_search_free_calls is not None:
        left = max(rate.web_search_free_calls - usage.web_search_used_before, 0)
        free = min(left, usage.web_search_requests)
        billable = usage.web_search_requests - free
    quantities = {
        **{name: Decimal(getattr(usage, name)) for name in (
            "input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
            "reasoning_tokens", "input_audio_tokens", "output_audio_tokens", "input_image_tokens",
            "output_image_tokens", "cache_storage_token_hours", "compute_seconds")},
        "output_tokens": Decimal(usage.output_tokens - usage.reasoning_tokens),
        "web_search_billable": Decimal(billable),
    }
    lines: list[Line] = []
    for cost_class, label, usage_field, column, fallback, unit in LINES:
        quantity = quantities[usage_field]
        if cost_class == "compute" and usage.hardware is None:
            continue
        per_unit = rate.per_unit(column) if rate is not None else None
        used = column
        if per_unit is None and fallback is not None and rate is not None:
            per_unit, used = rate.per_unit(fallback), fallback
        if not quantity:
            continue
        cost = None if per_unit is None else quantity * per_unit
        if cost is None and status == "priced":
            status = "unpriced_unit"
        if usage_field == "output_tokens" and not usage.reasoning_tokens:
            label = "output"
        lines.append(Line(cost_class, label, quantity, unit, per_unit, used, column, cost))
    if rate is not None and usd_per_unit is None:
        status = "unpriced_fx"
    elif rate is not None and usage.input_unknown and usage.hardware is None:
        status = "incomplete_usage"
    result = Quote(cost_status=status, rate=rate, usd_per_unit=usd_per_unit, lines=lines, web_search_free=free,
                   contract=contract)
    if contract is None:
        return result
    return Quote(cost_status=status, rate=rate, usd_per_unit=usd_per_unit, lines=lines, web_search_free=free,
                 contract=contract, contracted_cost_usd=contracted_cost(result, contract))


def contracted_cost(result: Quote, contract: Contract) -> Decimal | None:
    """Contract rates where the contract gives one, the discounted list cost elsewhere (USD)."""
    factor = Decimal(1) if contract.discount_percent is None else 1 - contract.discount_percent / 100
    if result.rate is not None and result.rate.billed_by == "seconds":
        # Contract rates are per token: time on hardware takes the contract's discount only.
        list_usd = result.list_cost_usd
        return None if list_usd is None else (list_usd * factor).quantize(_USD_PLACES, ROUND_HALF_UP)
    total = Decimal(0)
    for cost_class in COST_CLASSES:
        lines = [line for line in result.lines if line.cost_class == cost_class]
        if not lines:
            continue
        own = [_contract_rate(contract, line) for line in lines]
        if all(rate is not None for rate in own):
            total += sum((line.quantity * rate for line, rate in zip(lines, own, strict=True) if rate is not None),
                         Decimal(0))
            continue
        list_usd = result.class_cost_usd(cost_class)
        if list_usd is None:
            return None
        total += list_usd * factor
    return total.quantize(_USD_PLACES, ROUND_HALF_UP)


def _contract_rate(contract: Contract, line: Line) -> Decimal | None:
    if contract.rates is None:
        return None
    catalogue_name = next(name for name, (column, _) in RATE_COLUMNS.items() if column == line.own_column)
    value: Decimal | None = getattr(contract.rates, catalogue_name)
    if value is None and line.own_column == "output_reasoning":
        value = contract.rates.output
    return None if value is None else value / RATE_COLUMNS[catalogue_name][1]


