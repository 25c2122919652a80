"""OpenAI's organization Usage API (completions) and Costs API, read with an admin key."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pipelines.pull.client import Params
from pipelines.pull.provider import Provider, Report

# Every dimension the completions usage groups by: per-model pricing needs model, batch and tier; the marts need
# project, user and key.
USAGE_GROUPS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
COST_GROUPS = ("project_id", "line_item")
# The most buckets a page may hold at bucket_width=1d: 31 for usage, 180 for costs.
USAGE_LIMIT = 31
COST_LIMIT = 180


def _window(start: datetime, end: datetime) -> Params:
    return [("start_time", int(start.timestamp())), ("end_time", int(end.timestamp())), ("bucket_width", "1d")]


def usage_params(start: datetime, end: datetime) -> Params:
    # OpenAI reads a repeated parameter as a list: group_by=project_id&group_by=user_id...
    return [*_window(start, end), ("limit", USAGE_LIMIT), *(("group_by", group) for group in USAGE_GROUPS)]


def cost_params(start: datetime, end: datetime) -> Params:
    return [*_window(start, end), ("limit", COST_LIMIT), *(("group_by", group) for group in COST_GROUPS)]


def bucket_day(bucket: dict[str, Any]) -> date:
    start = bucket.get("start_time")
    if not isinstance(start, int) or isinstance(start, bool):
        raise ValueError(f"bucket start_time is {start!r}, not unix seconds")
    return datetime.fromtimestamp(start, UTC).date()


def headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


PROVIDER = Provider(
    name="openai",
    key_env="OPENAI_ADMIN_KEY",
    base_env="METERLINE_OPENAI_API_BASE",
    default_base="https://api.openai.com",
    headers=headers,
    reports=(
        Report("usage_completions", "/v1/organization/usage/completions", usage_params),
        Report("costs", "/v1/organization/costs", cost_params),
    ),
    bucket_day=bucket_day,
)
