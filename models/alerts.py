"""The alerts file: where alerts go, which budgets to watch, and how forecasts and anomaly alerts are tuned.

Every section is optional: with no file, meterline forecasts and scores anomalies with the defaults below and sends
nothing. Secrets (webhook URLs, SMTP passwords) are never written in the file, only the names of the environment
variables that hold them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_NAME = r"^[a-z0-9][a-z0-9_\-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookChannel(_Strict):
    """A generic JSON webhook: POST of the alert as JSON, with an Idempotency-Key header of the alert id."""

    type: Literal["webhook"]
    name: str = Field(pattern=_NAME)
    url_env: str = Field(pattern=_ENV_NAME, description="environment variable holding the URL")
    headers_env: dict[str, Annotated[str, Field(pattern=_ENV_NAME)]] = Field(
        default_factory=dict, description="header name -> environment variable holding its value")

    @field_validator("headers_env")
    @classmethod
    def _own_headers(cls, value: dict[str, str]) -> dict[str, str]:
        taken = sorted(h for h in value if h.lower() in ("idempotency-key", "user-agent", "content-type"))
        if taken:
            raise ValueError(f"meterline sets {', '.join(taken)} itself")
        return value
    timeout_seconds: float = Field(default=10, gt=0, le=120)


class SlackChannel(_Strict):
    """A Slack incoming webhook. Its URL is a secret, so it only ever comes from the environment."""

    type: Literal["slack"]
    name: str = Field(pattern=_NAME)
    url_env: str = Field(pattern=_ENV_NAME)
    timeout_seconds: float = Field(default=10, gt=0, le=120)


class EmailChannel(_Strict):
    """Email over SMTP: `starttls` (port 587), implicit TLS `ssl` (port 465) or `none` (a local relay)."""

    type: Literal["email"]
    name: str = Field(pattern=_NAME)
    host: str = Field(min_length=1)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    port: int = Field(default=0, ge=0, le=65535, description="0: 587 for starttls, 465 for ssl, 25 for none")
    username_env: str | None = Field(default=None, pattern=_ENV_NAME)
    password_env: str | None = Field(default=None, pattern=_ENV_NAME)
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    to: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(min_length=1)
    timeout_seconds: float = Field(default=20, gt=0, le=120)

    @model_validator(mode="after")
    def _login_pair(self) -> EmailChannel:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("give both `username_env` and `password_env`, or neither")
        if self.port == 0:
            object.__setattr__(self, "port", {"starttls": 587, "ssl": 465, "none": 25}[self.security])
        return self


Channel = Annotated[WebhookChannel | SlackChannel | EmailChannel, Field(discriminator="type")]
BudgetBasis = Literal["actual", "forecast"]


class Budget(_Strict):
    """A monthly list-cost budget over the requests that match every filter given (none: all spend)."""

    name: str = Field(pattern=_NAME)
    amount_usd: Decimal = Field(gt=0, decimal_places=2)
    provider: str | None = Field(default=None, description="the provider that bills it: openai, bedrock ...")
    project: str | None = None
    model: str | None = Field(default=None, description="glob pattern on the canonical model id, e.g. gpt-4.1*")
    thresholds: list[Decimal] = Field(default_factory=lambda: [Decimal("0.8"), Decimal("1")], min_length=1,
                                      description="shares of the amount that alert when crossed")
    on: list[BudgetBasis] = Field(default_factory=lambda: ["actual", "forecast"], min_length=1,
                                  description="alert on actual month-to-date spend, on projected month-end spend")
    channels: list[str] | None = Field(default=None, description="channel names; default: every channel")

    @field_validator("thresholds")
    @classmethod
    def _shares(cls, value: list[Decimal]) -> list[Decimal]:
        if any(share <= 0 or share > 10 for share in value):
            raise ValueError("thresholds are shares of the amount, e.g. 0.8 for 80%, between 0 and 10")
        return sorted(set(value))

    @field_validator("model")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.strip().lower() if value else value


class AnomalySettings(_Strict):
    """When a day's spend is an anomaly, and when an episode of anomalous days ends."""

    min_impact_usd: Decimal = Field(default=Decimal(25), ge=0)
    min_impact_pct: Decimal = Field(default=Decimal(20), ge=0)
    min_score: float = Field(default=3.5, gt=0, description="robust (median/MAD) residual score")
    interval: Literal[80, 95] = Field(default=95, description="the forecast interval actual spend must exceed")
    min_history_days: int = Field(default=14, ge=7)
    close_after_days: int = Field(default=2, ge=1, description="normal days that close an episode")
    channels: list[str] | None = None


class ForecastSettings(_Strict):
    horizon_days: int = Field(default=30, ge=7, le=366)
    history_days: int = Field(default=365, ge=28, le=3660, description="days of history the models see")
    backtest_windows: int = Field(default=4, ge=1, le=52)
    backtest_horizon_days: int = Field(default=14, ge=1, le=90)
    backtest_every_days: int = Field(default=7, ge=1, le=366, description="the backtest refits every series once "
                                     "per window, so it runs once a week by default, not on every run")


class DeliverySettings(_Strict):
    """A failed delivery stays pending; it is retried after backoff_seconds, doubling up to max_backoff_seconds."""

    backoff_seconds: float = Field(default=60, ge=0)
    max_backoff_seconds: float = Field(default=3600, ge=0)


class AlertsFile(_Strict):
    channels: list[Channel] = Field(default_factory=list)
    budgets: list[Budget] = Field(default_factory=list)
    anomalies: AnomalySettings = Field(default_factory=AnomalySettings)
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)

    @model_validator(mode="after")
    def _names(self) -> AlertsFile:
        for kind, names in (("channel", [c.name for c in self.channels]), ("budget", [b.name for b in self.budgets])):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"{kind} names must be unique: {', '.join(duplicates)}")
        known = {channel.name for channel in self.channels}
        wanted = [*(self.anomalies.channels or [])]
        for budget in self.budgets:
            wanted.extend(budget.channels or [])
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise ValueError(f"unknown channel names: {', '.join(unknown)} (channels: {', '.join(sorted(known))})")
        return self
