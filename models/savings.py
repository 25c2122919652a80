"""The savings file: which model swaps and self-hosted deployments to price the traffic against.

Every section is optional. With no file, meterline still prices the caching and batch levers for every project and
model; swaps and self-host crossovers need the pairs and deployments named here.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_NAME = r"^[a-z0-9][a-z0-9_.\-]*$"
# A model as `provider/model` (the catalogue's ids), or a bare model id meaning the traffic's own provider.
_MODEL = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*(/[A-Za-z0-9][A-Za-z0-9_.:\-/]*)?$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Swap(_Strict):
    """Price the traffic of the models matching `from` (a glob) on `to`, or on the cheapest model of `to_class`."""

    from_models: str = Field(alias="from", min_length=1, description="model glob, e.g. gpt-4.1 or claude-opus-*")
    to: str | None = Field(default=None, pattern=_MODEL)
    to_class: str | None = Field(default=None, pattern=_NAME)

    @model_validator(mode="after")
    def _one_target(self) -> Swap:
        if (self.to is None) == (self.to_class is None):
            raise ValueError("give exactly one of `to` (a model) or `to_class` (a class of `classes`)")
        return self


class SelfHost(_Strict):
    """A self-hosted deployment the API traffic of `replaces` could move to, paid by the GPU-hour."""

    name: str = Field(pattern=_NAME)
    gpu_type: str = Field(min_length=1)
    gpus: int = Field(ge=1)
    usd_per_gpu_hour: Decimal = Field(gt=0)
    hours_per_day: Decimal = Field(default=Decimal(24), gt=0, le=24)
    tokens_per_second: Decimal = Field(gt=0, description="measured or stated throughput, input and output together")
    replaces: list[str] = Field(min_length=1, description="model globs whose traffic it would serve")


class SavingsFile(_Strict):
    basis_days: int = Field(default=30, ge=1, le=366, description="days of traffic the levers are computed from")
    cache_points: Decimal = Field(default=Decimal("0.10"), gt=0, le=1,
                                  description="the cache-hit-rate step priced for each project and model")
    classes: dict[str, list[str]] = Field(
        default_factory=dict, description="named model classes, e.g. workhorse: [openai/gpt-4.1-mini, ...]")
    swaps: list[Swap] = Field(default_factory=list)
    self_host: list[SelfHost] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_classes(self) -> SavingsFile:
        missing = sorted({s.to_class for s in self.swaps if s.to_class and s.to_class not in self.classes})
        if missing:
            raise ValueError(f"swaps name classes not defined under `classes`: {', '.join(missing)}")
        names = [deployment.name for deployment in self.self_host]
        if len(names) != len(set(names)):
            raise ValueError("self_host deployment names must be unique")
        return self
