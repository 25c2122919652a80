"""The pricing catalogue contract: what a `pricing/<provider>.yaml` file may say.

Rates are per 1M tokens in the file's currency (web search: per 1,000 calls; cache storage: per 1M token-hours),
written as decimal strings or numbers and kept as Decimal end to end. A model has dated price periods; each period
has base rates plus optional modifiers, so a price change is a new period and never rewrites history.

Modifiers compose in a fixed order: long-context band, then batch or service tier, then endpoint scope, then time
window. Each is either a multiplier on listed classes or published absolute rates; an absolute rate given against
the base is carried onto an already-modified rate as the same ratio.

Token classes are exclusive buckets, except reasoning, which is a subset of output. A modality class without a
rate (audio, image) is billed at its text rate, as the providers do when they publish no separate price.

Platforms that bill time instead (Replicate, Modal, dedicated endpoints) list `hardware`: SKUs with a dated price per
second of one unit of the SKU (an instance on Replicate, one GPU, CPU core or GiB of memory on Modal). A request that
ran on named hardware is billed for its seconds, and its tokens cost nothing more.
"""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RateName = Literal[
    "input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "output_reasoning",
    "input_audio", "output_audio", "input_image", "output_image", "cache_storage_per_hour", "web_search_per_1k",
]
RATE_FIELDS: tuple[str, ...] = (
    "input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "output_reasoning",
    "input_audio", "output_audio", "input_image", "output_image", "cache_storage_per_hour", "web_search_per_1k",
)
TOKEN_RATE_FIELDS: tuple[str, ...] = RATE_FIELDS[:-2]
MAX_RATE_DECIMALS = 6
# Per-second prices are small: Modal's CPU core costs $0.0000131 a second, a GiB of memory $0.00000222.
MAX_SECOND_DECIMALS = 10
ServiceTierName = Literal["priority", "flex", "scale", "fast"]
EndpointScope = Literal["global", "geo", "in_region"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


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
    """Per 1M tokens per token class; `web_search_per_1k` per 1,000 calls; `cache_storage_per_hour` per 1M
    token-hours. `output_reasoning`, when set, prices the reasoning part of output instead of `output`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None
    output: Decimal | None = None
    output_reasoning: Decimal | None = None
    input_audio: Decimal | None = None
    output_audio: Decimal | None = None
    input_image: Decimal | None = None
    output_image: Decimal | None = None
    cache_storage_per_hour: Decimal | None = None
    web_search_per_1k: Decimal | None = None

    @field_validator("*")
    @classmethod
    def _places(cls, value: Decimal | None) -> Decimal | None:
        return _check_places(value)


class Modifier(BaseModel):
    """Batch, a service tier, an endpoint scope or a time window: absolute `rates` as published, or a
    `multiplier` on the listed classes.

    A class the modifier does not price keeps the rate it had: that is how "Gemini batch halves input and output
    but not cache reads" and "OpenAI publishes no batch cached-input rate" are written.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    rates: Rates | None = None
    multiplier: Decimal | None = Field(default=None, gt=0)
    applies_to: list[RateName] = Field(default_factory=lambda: list(TOKEN_RATE_FIELDS),
                                       description="default: every token class, not per-call or storage fees")

    @model_validator(mode="after")
    def _one_form(self) -> Modifier:
        if (self.rates is None) == (self.multiplier is None):
            raise ValueError("give exactly one of `rates` or `multiplier`")
        return self


class LongContext(BaseModel):
    """A cliff: a request whose measured input is strictly above `above_tokens` is priced wholly at `rates`.

    `input_total` counts every input token (uncached, cache reads and cache writes); `input_uncached` leaves the
    cache out (Vertex measures the prompt that way).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    above_tokens: int = Field(gt=0)
    measure: Literal["input_total", "input_uncached"] = "input_total"
    rates: Rates


class Window(BaseModel):
    """Local weekdays (1 = Monday .. 7 = Sunday) and a [start, end) time of day in `timezone`.

    start == end means the whole day. start > end wraps past midnight: the hours after midnight belong to the
    window that started the evening before, so they count when the previous local day is listed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekdays: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7], min_length=1)
    start: str = "00:00"
    end: str = "00:00"
    timezone: str = "UTC"

    @field_validator("weekdays")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in value):
            raise ValueError("weekdays are 1 (Monday) .. 7 (Sunday)")
        return sorted(set(value))

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        if isinstance(value, time):
            value = value.strftime("%H:%M")
        if isinstance(value, int):
            # YAML 1.1 reads an unquoted 16:30 as the sexagesimal number 990.
            value = f"{value // 60:02d}:{value % 60:02d}"
        if not isinstance(value, str) or not _HHMM.match(value):
            raise ValueError(f"expected HH:MM (quote it in YAML), got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from None
        return value

    @staticmethod
    def minutes(clock: str) -> int:
        hours, minutes = clock.split(":")
        return int(hours) * 60 + int(minutes)


class TimeWindowRule(Modifier):
    """Prices in force inside any of `windows` (DeepSeek off-peak); outside them the period's rates apply."""

    name: str = Field(pattern=r"^[a-z0-9_\-]+$")
    windows: list[Window] = Field(min_length=1)


class FreeQuota(BaseModel):
    """Calls free of charge per UTC day or calendar month, counted across the models that share `group`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls: int = Field(gt=0)
    period: Literal["day", "month"] = "day"
    group: str | None = Field(default=None, description="shared allowance name; defaults to the model id")


def midnight_utc(value: object) -> object:
    """A plain date in an effective-date field means midnight UTC of that day."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time.min)
    return value


def check_utc(*moments: datetime | None) -> None:
    if any(moment is not None and moment.tzinfo is not None for moment in moments):
        raise ValueError("write effective dates in UTC without an offset")


class PricePeriod(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    effective_from: datetime
    effective_to: datetime | None = Field(default=None, description="exclusive; defaults to the next period")
    rates: Rates
    batch: Modifier | None = None
    service_tiers: dict[ServiceTierName, Modifier] = Field(default_factory=dict)
    long_context: LongContext | None = None
    endpoint_scopes: dict[EndpointScope, Modifier] = Field(
        default_factory=dict, description="uplifts for requests served from a geo or in-region endpoint"
    )
    time_windows: list[TimeWindowRule] = Field(default_factory=list)
    web_search_free: FreeQuota | None = None
    source: str = Field(min_length=1)
    checked: date
    notes: str | None = None

    _midnight = field_validator("effective_from", "effective_to", mode="before")(midnight_utc)

    @model_validator(mode="after")
    def _sane(self) -> PricePeriod:
        check_utc(self.effective_from, self.effective_to)
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        if self.rates.input is None or self.rates.output is None:
            raise ValueError("base rates need at least `input` and `output`")
        names = [rule.name for rule in self.time_windows]
        if len(names) != len(set(names)):
            raise ValueError("time window names must be unique within a period")
        return self


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9.\-:_/@]*$")
    name: str | None = None
    aliases: list[str] = Field(default_factory=list)
    prices: list[PricePeriod] = Field(min_length=1)
    discrepancies: dict[str, str] = Field(
        default_factory=dict, description="where an independent catalogue disagrees, and why we differ"
    )

    @model_validator(mode="after")
    def _periods_do_not_overlap(self) -> ModelEntry:
        check_periods(self.prices)
        return self


def check_periods(prices: list[PricePeriod] | list[HardwarePeriod]) -> None:
    periods = sorted(prices, key=lambda p: p.effective_from)
    for earlier, later in itertools.pairwise(periods):
        if earlier.effective_to is not None and earlier.effective_to > later.effective_from:
            raise ValueError(
                f"price periods overlap: {earlier.effective_from:%Y-%m-%d} ends {earlier.effective_to:%Y-%m-%d},"
                f" after the next starts {later.effective_from:%Y-%m-%d}"
            )
        if earlier.effective_from == later.effective_from:
            raise ValueError(f"two price periods start on {later.effective_from:%Y-%m-%d}")


class HardwarePeriod(BaseModel):
    """The price of one second of one unit of a hardware SKU, in force from `effective_from`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effective_from: datetime
    effective_to: datetime | None = Field(default=None, description="exclusive; defaults to the next period")
    per_second: Decimal = Field(ge=0)
    source: str = Field(min_length=1)
    checked: date
    notes: str | None = None

    _midnight = field_validator("effective_from", "effective_to", mode="before")(midnight_utc)

    @field_validator("per_second")
    @classmethod
    def _places(cls, value: Decimal) -> Decimal:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_SECOND_DECIMALS:
            raise ValueError(f"at most {MAX_SECOND_DECIMALS} decimal places per second (got {value})")
        return value

    @model_validator(mode="after")
    def _sane(self) -> HardwarePeriod:
        check_utc(self.effective_from, self.effective_to)
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self


class HardwareEntry(BaseModel):
    """A SKU billed by the second, by the name the platform's usage records give it (lower case)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9.\-_]*$")
    name: str | None = None
    prices: list[HardwarePeriod] = Field(min_length=1)

    @model_validator(mode="after")
    def _periods_do_not_overlap(self) -> HardwareEntry:
        check_periods(self.prices)
        return self


class ProviderCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str = Field(pattern=r"^[a-z0-9_\-]+$")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$", description="ISO 4217; non-USD needs fx rates")
    models: list[ModelEntry] = Field(default_factory=list)
    hardware: list[HardwareEntry] = Field(default_factory=list, description="SKUs billed per second")

    @model_validator(mode="after")
    def _prices_something(self) -> ProviderCatalogue:
        if not self.models and not self.hardware:
            raise ValueError("list at least one of `models` or `hardware`")
        ids = [entry.id for entry in self.hardware]
        if len(ids) != len(set(ids)):
            raise ValueError("a hardware id is listed twice")
        return self


class ExchangeRate(BaseModel):
    """USD per one unit of `currency` from `effective_from` (inclusive) until the next entry for that currency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    usd_per_unit: Decimal = Field(gt=0, decimal_places=10)
    effective_from: date
    source: str = Field(min_length=1)
    checked: date


class ExchangeRates(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rates: list[ExchangeRate] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> ExchangeRates:
        keys = [(rate.currency, rate.effective_from) for rate in self.rates]
        if len(keys) != len(set(keys)):
            raise ValueError("two exchange rates for the same currency start on the same day")
        if any(rate.currency == "USD" for rate in self.rates):
            raise ValueError("USD needs no exchange rate")
        return self
