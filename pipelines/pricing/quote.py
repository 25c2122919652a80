"""Price one usage record against the rate card: the reference implementation the SQL pricing must match."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pipelines.pricing.rates import RateRow

# (usage field, rate field) for each exclusive token bucket.
TOKEN_RATES: tuple[tuple[str, str], ...] = (
    ("input_tokens", "input"),
    ("cache_read_tokens", "cache_read"),
    ("cache_write_5m_tokens", "cache_write_5m"),
    ("cache_write_1h_tokens", "cache_write_1h"),
    ("output_tokens", "output"),
)


@dataclass(frozen=True)
class Usage:
    provider: str
    model: str
    event_time: datetime
    service_tier: str = "standard"
    is_batch: bool = False
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    output_tokens: int = 0
    web_search_requests: int = 0

    @property
    def input_total(self) -> int:
        """What long-context cliffs measure: every input token, cached or not."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_5m_tokens + self.cache_write_1h_tokens


@dataclass(frozen=True)
class Quote:
    cost_status: str
    rate: RateRow | None
    costs: dict[str, Decimal] = field(default_factory=dict)

    @property
    def list_cost_usd(self) -> Decimal | None:
        return sum(self.costs.values(), Decimal(0)) if self.cost_status == "priced" else None


def select_rate(rows: Iterable[RateRow], usage: Usage) -> tuple[RateRow | None, str]:
    known_model = False
    for row in rows:
        if row.provider != usage.provider or row.model != usage.model:
            continue
        known_model = True
        if usage.event_time < row.effective_from:
            continue
        if row.effective_to is not None and usage.event_time >= row.effective_to:
            continue
        if row.service_tier != usage.service_tier or row.is_batch != usage.is_batch:
            continue
        if usage.input_total <= row.context_above and row.context_above > 0:
            continue
        if row.context_up_to is not None and usage.input_total > row.context_up_to:
            continue
        return row, "priced"
    return None, "unpriced_variant" if known_model else "unpriced_model"


def quote(rows: Iterable[RateRow], usage: Usage) -> Quote:
    rate, status = select_rate(rows, usage)
    if rate is None:
        return Quote(cost_status=status, rate=None)
    costs: dict[str, Decimal] = {}
    for usage_field, rate_field in TOKEN_RATES:
        count = getattr(usage, usage_field)
        per_token = rate.per_token(rate_field)
        if count and per_token is None:
            status = "unpriced_unit"
        costs[rate_field] = Decimal(count) * per_token if per_token is not None else Decimal(0)
    if usage.web_search_requests:
        if rate.web_search is None:
            status = "unpriced_unit"
        else:
            costs["web_search"] = Decimal(usage.web_search_requests) * rate.web_search
    return Quote(cost_status=status, rate=rate, costs=costs)
