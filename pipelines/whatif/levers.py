"""What-if levers priced on traffic meterline has already priced: more cache hits, batch, another model, self-hosting.

Pure functions over token volumes (never message text). Each lever prices the same volume twice with the reference
pricer (`pipelines.pricing.quote`), as it is and as changed, at the rates in force when the volume was last seen, so
a saving is never a past price change in disguise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fnmatch import fnmatchcase

from models.pricing import ExchangeRates
from models.savings import SelfHost
from pipelines.pricing.quote import Usage, quote, select_rate
from pipelines.pricing.rates import RateCard

MONTH_DAYS = 30
_USD = Decimal("0.000001")
_RATIO = Decimal("0.0001")


@dataclass(frozen=True)
class Volume:
    """The traffic of one project on one model and price variant over the basis days, summed."""

    project: str
    provider: str
    model: str
    service_tier: str
    is_batch: bool
    endpoint_scope: str
    context_tier: str
    last_seen: datetime
    requests: int
    input_tokens: int
    cache_read_tokens: int
    cache_write_5m_tokens: int
    cache_write_1h_tokens: int
    output_tokens: int
    reasoning_tokens: int
    input_audio_tokens: int
    output_audio_tokens: int
    input_image_tokens: int
    output_image_tokens: int

    @property
    def tokens(self) -> int:
        return (self.input_tokens + self.cache_read_tokens + self.cache_write_5m_tokens + self.cache_write_1h_tokens
                + self.output_tokens + self.input_audio_tokens + self.output_audio_tokens + self.input_image_tokens
                + self.output_image_tokens)

    def usage(self) -> Usage:
        # Summed over many requests, so priced like a usage-report bucket: in the band the requests were priced in.
        # Web-search calls are left out: their free allowances are per day or month, not per summed volume.
        return Usage(
            provider=self.provider, model=self.model, event_time=self.last_seen, service_tier=self.service_tier,
            is_batch=self.is_batch, endpoint_scope=self.endpoint_scope, input_tokens=self.input_tokens,
            cache_read_tokens=self.cache_read_tokens, cache_write_5m_tokens=self.cache_write_5m_tokens,
            cache_write_1h_tokens=self.cache_write_1h_tokens, output_tokens=self.output_tokens,
            reasoning_tokens=self.reasoning_tokens, input_audio_tokens=self.input_audio_tokens,
            output_audio_tokens=self.output_audio_tokens, input_image_tokens=self.input_image_tokens,
            output_image_tokens=self.output_image_tokens, record_grain="bucket", context_tier=self.context_tier)


@dataclass(frozen=True)
class Pricer:
    card: RateCard
    exchange_rates: ExchangeRates

    def cost(self, usage: Usage) -> Decimal | None:
        result = quote(self.card, usage, self.exchange_rates)
        return result.list_cost_usd if result.cost_status == "priced" else None

    def knows(self, provider: str, model: str) -> bool:
        return any(row.provider == provider and row.model == model for row in self.card.rates)


@dataclass(frozen=True)
class Opportunity:
    lever: str            # cache | batch | swap | self_host
    project: str
    provider: str
    model: str
    target: str
    requests: int
    tokens: int
    current_cost_usd: Decimal
    whatif_cost_usd: Decimal
    monthly_factor: Decimal
    assumption: str
    cache_hit_rate: Decimal | None = None
    whatif_cache_hit_rate: Decimal | None = None
    tokens_per_month: Decimal | None = None
    crossover_tokens_per_month: Decimal | None = None

    @property
    def saving_usd(self) -> Decimal:
        return self.current_cost_usd - self.whatif_cost_usd

    @property
    def monthly_saving_usd(self) -> Decimal:
        return (self.saving_usd * self.monthly_factor).quantize(_USD, ROUND_HALF_UP)

    @property
    def price_ratio(self) -> Decimal | None:
        if not self.current_cost_usd:
            return None
        return (self.whatif_cost_usd / self.current_cost_usd).quantize(_RATIO, ROUND_HALF_UP)


def monthly_factor(basis_days: int) -> Decimal:
    return Decimal(MONTH_DAYS) / Decimal(basis_days)


def _eligible(volume: Volume) -> int:
    """Text input a cache could serve: the uncached input and the cache reads (writes are misses filling it)."""
    return volume.input_tokens + volume.cache_read_tokens


def hit_rate(volumes: list[Volume]) -> Decimal | None:
    eligible = sum(_eligible(v) for v in volumes)
    return Decimal(sum(v.cache_read_tokens for v in volumes)) / eligible if eligible else None


def _priced(pricer: Pricer, pairs: list[tuple[Usage, Usage]]) -> tuple[Decimal, Decimal] | None:
    """The summed cost of the usages as they are and as changed; None when any side has no price."""
    now, then = Decimal(0), Decimal(0)
    for before, after in pairs:
        cost_before, cost_after = pricer.cost(before), pricer.cost(after)
        if cost_before is None or cost_after is None:
            return None
        now, then = now + cost_before, then + cost_after
    return (now, then) if pairs else None


def _key(volumes: list[Volume]) -> tuple[str, str, str, int, int]:
    first = volumes[0]
    return (first.project, first.provider, first.model, sum(v.requests for v in volumes),
            sum(v.tokens for v in volumes))


def cache(volumes: list[Volume], pricer: Pricer, factor: Decimal, *, points: Decimal | None = None,
          target: Decimal | None = None) -> Opportunity | None:
    """One project's traffic on one model with `points` more cache hits, or with the hit rate `target`.

    Each price variant (tier, band) moves by the same step, so the model's hit rate moves by it too (up to 100%).
    """
    current = hit_rate(volumes)
    if current is None:
        return None
    pairs, reads_after = [], 0
    for volume in volumes:
        own = hit_rate([volume]) or Decimal(0)
        wanted = min(Decimal(1), target if target is not None else own + (points or Decimal(0)))
        reads = int((_eligible(volume) * wanted).to_integral_value(ROUND_HALF_UP))
        reads_after += reads
        usage = volume.usage()
        pairs.append((usage, replace(usage, input_tokens=_eligible(volume) - reads, cache_read_tokens=reads)))
    after = Decimal(reads_after) / sum(_eligible(v) for v in volumes)
    costs = _priced(pricer, pairs)
    if costs is None or after == current:
        return None  # no cached-input price for this model (caching is not a lever here), or nothing changes
    return Opportunity(
        "cache", *_key(volumes)[:3], f"cache hits {_pct(current)} -> {_pct(after)}", *_key(volumes)[3:], *costs,
        factor, "cache hits: that share of the text input (uncached input and cache reads) read from the cache at the"
        " cached-input price; extra hits are assumed to need no extra cache writes",
        current.quantize(_RATIO, ROUND_HALF_UP),
        after.quantize(_RATIO, ROUND_HALF_UP))


def batch(volumes: list[Volume], pricer: Pricer, factor: Decimal) -> Opportunity | None:
    """The traffic not yet batched, through the model's batch API, where the catalogue has a batch price."""
    moving = [volume for volume in volumes if not volume.is_batch]
    costs = _priced(pricer, [(v.usage(), replace(v.usage(), is_batch=True, service_tier="standard"))
                             for v in moving])
    if costs is None:
        return None
    return Opportunity("batch", *_key(moving)[:3], "batch", *_key(moving)[3:], *costs, factor,
                       "the interactive traffic moved to the batch API (results within 24 h), standard tier")


# Cache classes a target may not price, and what their tokens become there: plain input.
_FOLDED = ("cache_read", "cache_write_5m", "cache_write_1h")


def _on(pricer: Pricer, usage: Usage, provider: str, model: str) -> Usage:
    """`usage` moved to another model, in the variant of it that prices every token.

    The target may not offer the source's tier, endpoint scope or long-context band: then its standard, global, base
    price. A cache class it has no price for (no cache writes, say) is billed there as the plain input it would be.
    """
    moved = replace(usage, provider=provider, model=model)
    if pricer.cost(moved) is not None:
        return moved
    moved = replace(moved, service_tier="standard", endpoint_scope="global")
    rate, _ = select_rate(pricer.card, moved)
    if rate is None:
        moved = replace(moved, context_tier="base")
        rate, _ = select_rate(pricer.card, moved)
    if rate is None:
        return moved
    for cost_class in _FOLDED:
        tokens = getattr(moved, f"{cost_class}_tokens")
        if tokens and rate.per_unit(cost_class) is None:
            moved = replace(moved, input_tokens=moved.input_tokens + tokens, **{f"{cost_class}_tokens": 0})
    return moved


def _model_of(name: str, provider: str) -> tuple[str, str]:
    if "/" in name:
        owner, model = name.split("/", 1)
        return owner, model
    return provider, name


def swap(volumes: list[Volume], pricer: Pricer, factor: Decimal, targets: list[str]) -> Opportunity | None:
    """The same token volumes on the cheapest of `targets` (one model, or a class of them)."""
    priced = []
    for name in targets:
        provider, model = _model_of(name, volumes[0].provider)
        if (provider, model) == (volumes[0].provider, volumes[0].model):
            continue
        costs = _priced(pricer, [(v.usage(), _on(pricer, v.usage(), provider, model)) for v in volumes])
        if costs is not None:
            priced.append((costs[1], costs[0], f"{provider}/{model}"))
    if not priced:
        return None
    then, now, target = min(priced)
    return Opportunity("swap", *_key(volumes)[:3], target, *_key(volumes)[3:], now, then, factor,
                       "the same input, cached and output tokens priced on the other model (cache classes it has no"
                       " price for as plain input; its standard tier where it lacks the source's); quality not"
                       " compared")


def self_host(volumes: list[Volume], pricer: Pricer, factor: Decimal, deployment: SelfHost,
              project: str) -> Opportunity | None:
    """Where `project`'s API traffic on the models the deployment replaces stands against its fixed monthly cost.

    The crossover is the monthly token volume at which the API bill equals the deployment's cost, at the blended
    API price per token of this traffic; beyond the deployment's capacity one deployment is not enough.
    """
    matching = [v for v in volumes if any(fnmatchcase(v.model, glob) for glob in deployment.replaces)]
    costs = [pricer.cost(v.usage()) for v in matching]
    pairs = [(v, c) for v, c in zip(matching, costs, strict=True) if c is not None]
    tokens = sum(v.tokens for v, _ in pairs)
    api_cost = sum((c for _, c in pairs), Decimal(0))
    if not tokens or not api_cost:
        return None
    hours = deployment.hours_per_day * MONTH_DAYS
    monthly_cost = deployment.gpus * deployment.usd_per_gpu_hour * hours
    capacity = deployment.tokens_per_second * 3600 * hours
    tokens_per_month = tokens * factor
    # Traffic beyond one deployment's capacity needs more of them: the what-if pays for every one.
    replicas = max(1, math.ceil(tokens_per_month / capacity))
    models = sorted({f"{v.provider}/{v.model}" for v, _ in pairs})
    single = len(models) == 1
    return Opportunity(
        "self_host", project, pairs[0][0].provider if single else "*", pairs[0][0].model if single else "*",
        deployment.name, sum(v.requests for v, _ in pairs), tokens, api_cost, replicas * monthly_cost / factor,
        factor,
        f"{deployment.gpus} x {deployment.gpu_type} at ${deployment.usd_per_gpu_hour}/GPU-hour, "
        f"{deployment.hours_per_day} h/day = ${monthly_cost.quantize(Decimal('0.01'))}/month for up to "
        f"{_tokens(capacity)} tokens/month at {deployment.tokens_per_second} tokens/s; replaces {', '.join(models)}"
        + (f"; the traffic needs {replicas} such deployments" if replicas > 1 else ""),
        tokens_per_month=tokens_per_month.quantize(Decimal(1), ROUND_HALF_UP),
        crossover_tokens_per_month=(monthly_cost * tokens / api_cost).quantize(Decimal(1), ROUND_HALF_UP))


def _pct(rate: Decimal) -> str:
    return f"{(rate * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _tokens(count: Decimal) -> str:
    return f"{count / Decimal(1_000_000):,.0f}M"
