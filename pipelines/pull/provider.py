"""What a provider module declares: its key, base URL, auth headers, reports and how a bucket names its day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pipelines.pull.client import Params


@dataclass(frozen=True)
class Report:
    """One admin endpoint pulled into `<landing>/pulled/<provider>/<name>/<day>.json`."""

    name: str
    path: str
    # The query for the days from `start` to `end` (UTC midnights, end exclusive), without the page cursor.
    params: Callable[[datetime, datetime], Params]


@dataclass(frozen=True)
class Provider:
    name: str
    key_env: str
    base_env: str
    default_base: str
    headers: Callable[[str], dict[str, str]]
    reports: tuple[Report, ...]
    # The UTC day a bucket covers; ValueError, naming the field, when the bucket does not say.
    bucket_day: Callable[[dict[str, Any]], date]
