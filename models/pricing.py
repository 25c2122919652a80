"""The pricing catalogue contract: what a `pricing/<provider>.yaml` file may say.

Rates are USD per 1M tokens (web search: per 1,000 calls), written as decimal strings or numbers and kept as
Decimal end to end. A model has dated price periods; each period has base rates plus optional modifiers (batch,
service tiers) and a long-context cliff, so a price change is a new period and never rewrites history.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TokenClass = Literal["input", "cache_read", "cache_write_5m", "cache_write_1h", "output"]
RATE_FIELDS: tuple[str, ...] = ("input", "cache_read", "cache_write_5m", "cache_write_1h", "output")
MAX_RATE_DECIMALS = 6


def _check_places(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if value < 0:
        raise ValueError("a rate cannot be negative")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_RATE_DECIMALS:
        raise ValueError(f"at most {MAX_RATE_DECIMALS} decimal places per 1M tokens (got {value})")
    return value


class Rates(BaseModel):
    """USD per 1M tokens per token class; `web_search_per_1k` is USD per 1,000 web-search calls."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None
    output: Decimal | None = None
    web_search_per_1k: Decimal | None = None

    @field_validator("*")
    @classmethod
    def _places(cls, value: Decimal | None) -> Decimal | None:
        return _check_places(value)


class Modifier(BaseModel):
    """Batch or a service tier: absolute `rates` as published, or a `multiplier` on the listed classes.

    A class the modifier does not price keeps the base rate of the same period: that is how "Gemini batch halves
    input and output but not cache reads" and "OpenAI publishes no batch cached-input rate" are written.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rates: Rates | None = None
    multiplier: Decimal | None = Field(default=None, gt=0)
    applies_to: list[TokenClass] = Field(default_factory=lambda: list(RATE_FIELDS))

    @model_validator(mode="after")
    def _one_form(self) -> Modifier:
        if (self.rates is None) == (self.multiplier is None):
            raise ValueError("give exactly one of `rates` or `multiplier`")
        return self


class LongContext(BaseModel):
    """A cliff: a request whose measured input is strictly above `above_tokens` is priced wholly at `rates`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    above_tokens: int = Field(gt=0)
    measure: Literal["input_total"] = "input_total"
    rates: Rates


ServiceTierName = Literal["priority", "flex", "scale"]


class PricePeriod(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    effective_from: datetime
    effective_to: datetime | None = Field(default=None, description="exclusive; defaults to the next period")
    rates: Rates
    batch: Modifier | None = None
    service_tiers: dict[ServiceTierName, Modifier] = Field(default_factory=dict)
    long_context: LongContext | None = None
    source: str = Field(min_length=1)
    checked: date
    notes: str | None = None

    @field_validator("effective_from", "effective_to", mode="before")
    @classmethod
    def _dates_are_midnight_utc(cls, value: object) -> object:
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time.min)
        return value

    @model_validator(mode="after")
    def _sane(self) -> PricePeriod:
        for moment in (self.effective_from, self.effective_to):
            if moment is not None and moment.tzinfo is not None:
                raise ValueError("write effective dates in UTC without an offset")
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        if self.rates.input is None or self.rates.output is None:
            raise ValueError("base rates need at least `input` and `output`")
        return self


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9.\-:_/]*$")
    aliases: list[str] = Field(default_factory=list)
    prices: list[PricePeriod] = Field(min_length=1)

    @model_validator(mode="after")
    def _periods_do_not_overlap(self) -> ModelEntry:
        periods = sorted(self.prices, key=lambda p: p.effective_from)
        for earlier, later in itertools.pairwise(periods):
            if earlier.effective_to is not None and earlier.effective_to > later.effective_from:
                raise ValueError(
                    f"price periods overlap: {earlier.effective_from:%Y-%m-%d} ends {earlier.effective_to:%Y-%m-%d},"
                    f" after the next starts {later.effective_from:%Y-%m-%d}"
                )
            if earlier.effective_from == later.effective_from:
                raise ValueError(f"two price periods start on {later.effective_from:%Y-%m-%d}")
        return self


class ProviderCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str = Field(pattern=r"^[a-z0-9_\-]+$")
    currency: Literal["USD"] = "USD"
    models: list[ModelEntry] = Field(min_length=1)
