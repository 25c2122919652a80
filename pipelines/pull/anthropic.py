"""Anthropic's Admin Usage Report (messages) and Cost Report, read with an admin key."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pipelines.pull.client import Params
from pipelines.pull.provider import Provider, Report

API_VERSION = "2023-06-01"
# inference_geo, speed and the account dimensions are left out: speed needs a beta header, and none of them is a
# dimension the marts or the pricing of these rows use.
USAGE_GROUPS = ("api_key_id", "workspace_id", "model", "service_tier", "context_window")
# description is what fills model, token_type, service_tier and context_window in the cost rows.
COST_GROUPS = ("workspace_id", "description")
# The most daily buckets a page may hold.
LIMIT = 31


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(start: datetime, end: datetime) -> Params:
    return [("starting_at", _stamp(start)), ("ending_at", _stamp(end)), ("bucket_width", "1d"), ("limit", LIMIT)]


def usage_params(start: datetime, end: datetime) -> Params:
    return [*_window(start, end), *(("group_by[]", group) for group in USAGE_GROUPS)]


def cost_params(start: datetime, end: datetime) -> Params:
    return [*_window(start, end), *(("group_by[]", group) for group in COST_GROUPS)]


def bucket_day(bucket: dict[str, Any]) -> date:
    start = bucket.get("starting_at")
    try:
        moment = datetime.fromisoformat(start) if isinstance(start, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"bucket starting_at is {start!r}, not an RFC 3339 time")
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


def headers(key: str) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": API_VERSION}


PROVIDER = Provider(
    name="anthropic",
    key_env="ANTHROPIC_ADMIN_KEY",
    base_env="METERLINE_ANTHROPIC_API_BASE",
    default_base="https://api.anthropic.com",
    headers=headers,
    reports=(
        Report("usage_messages", "/v1/organizations/usage_report/messages", usage_params),
        Report("costs", "/v1/organizations/cost_report", cost_params),
    ),
    bucket_day=bucket_day,
)
