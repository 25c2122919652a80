"""The self-hosted deployments file: GPUs paid by the hour, whose cost is shared out over the requests they served.

vLLM, SGLang, TGI and Ollama have no per-token price: what they cost is the GPUs behind them. Each day a deployment
is up costs GPUs x price per GPU-hour x hours up that day, allocated to that day's requests by weighted tokens.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GpuDeployment(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    models: list[str] = Field(min_length=1, description="glob patterns on the model id the requests name")
    platform: str | None = Field(default=None, description="only requests logged from this platform (vllm, ollama ...)")
    gpu_type: str = Field(min_length=1)
    gpus: int = Field(ge=1)
    usd_per_gpu_hour: Decimal = Field(gt=0, decimal_places=6)
    hours_per_day: Decimal | None = Field(default=None, ge=0, le=24, decimal_places=4,
                                          description="hours up every day; 24 unless a schedule is given")
    schedule: dict[Weekday, Decimal] | None = Field(
        default=None, description="hours up per weekday (mon..sun), instead of hours_per_day; a day left out is 0")
    tokens_per_second: Decimal | None = Field(default=None, gt=0, description="capacity, for utilisation")
    effective_from: date | None = None
    effective_to: date | None = Field(default=None, description="exclusive")

    @field_validator("models")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [pattern.strip().lower() for pattern in value]

    @field_validator("platform")
    @classmethod
    def _lower_platform(cls, value: str | None) -> str | None:
        return value.strip().lower() if value else None

    @model_validator(mode="after")
    def _hours(self) -> GpuDeployment:
        if self.schedule is not None and self.hours_per_day is not None:
            raise ValueError("give hours_per_day or a schedule, not both")
        if self.schedule is not None and any(hours < 0 or hours > 24 for hours in self.schedule.values()):
            raise ValueError("schedule hours must be between 0 and 24")
        if self.effective_from and self.effective_to and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self

    def hours(self) -> list[Decimal]:
        """Hours up on each weekday, Monday first."""
        if self.schedule is None:
            return [Decimal(24) if self.hours_per_day is None else self.hours_per_day] * 7
        return [self.schedule.get(day, Decimal(0)) for day in WEEKDAYS]


class SelfHostedFile(_Strict):
    input_weight: Decimal = Field(default=Decimal(1), ge=0, description="GPU share of an input token")
    output_weight: Decimal = Field(default=Decimal(1), ge=0, description="GPU share of an output token")
    deployments: list[GpuDeployment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> SelfHostedFile:
        names = [deployment.name for deployment in self.deployments]
        if len(names) != len(set(names)):
            raise ValueError("deployment names must be unique")
        if self.input_weight == 0 and self.output_weight == 0:
            raise ValueError("input_weight and output_weight cannot both be 0")
        return self
