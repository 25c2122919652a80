"""The contract overlay: the user's negotiated prices, kept beside the public catalogue and never inside it.

Terms are tried in file order and the first that covers an event (provider, model pattern, time) prices it: a
class with a contract rate costs usage x that rate, every other class its list cost less the discount. Rates are
USD per 1M tokens like the catalogue's. A commitment records committed spend for the term and prices nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.pricing import Rates, check_utc, midnight_utc


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    provider: str = Field(pattern=r"^[a-z0-9_\-]+$", description="the catalogue that bills it: openai, bedrock ...")
    models: list[str] = Field(default_factory=lambda: ["*"], min_length=1,
                              description="glob patterns on the canonical model id")
    effective_from: datetime
    effective_to: datetime | None = Field(default=None, description="exclusive")
    discount_percent: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=4)
    rates: Rates | None = None
    commitment_usd: Decimal | None = Field(default=None, gt=0)
    notes: str | None = None

    _midnight = field_validator("effective_from", "effective_to", mode="before")(midnight_utc)

    @field_validator("models")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [pattern.strip().lower() for pattern in value]

    @model_validator(mode="after")
    def _says_something(self) -> Contract:
        if self.rates is not None and all(value is None for value in self.rates.model_dump().values()):
            raise ValueError("`rates` lists no rate: give at least one, or leave `rates` out")
        if self.discount_percent is None and self.rates is None and self.commitment_usd is None:
            raise ValueError("give at least one of `discount_percent`, `rates` or `commitment_usd`")
        check_utc(self.effective_from, self.effective_to)
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        if self.commitment_usd is not None and self.effective_to is None:
            raise ValueError("a commitment needs `effective_to`: the end of the committed term")
        return self


class ContractsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    contracts: list[Contract] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> ContractsFile:
        names = [contract.name for contract in self.contracts]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"contract names must be unique: {', '.join(duplicates)}")
        return self
