"""Pulled buckets as landing files: one JSON document per provider, report and UTC day, rewritten only on change."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import orjson

Bucket = dict[str, Any]
# Indented, so the ingest reads the file as one document and streams its `data` buckets, not as one JSON line.
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def report_folder(landing: Path, provider: str, report: str) -> Path:
    return landing / "pulled" / provider / report


def by_day(buckets: Iterable[Bucket], bucket_day: Callable[[Bucket], date]) -> dict[date, list[Bucket]]:
    """The buckets of each day, a bucket that came back on several pages merged into one with all its results.

    Raises ValueError, naming the field, on a bucket without a day or a results list.
    """
    days: dict[date, dict[bytes, Bucket]] = {}
    for bucket in buckets:
        results = bucket.get("results")
        if not isinstance(results, list):
            raise ValueError(f"bucket results is {type(results).__name__}, not a list")
        # A bucket is known by everything but its results (its start and end): the same bucket on two pages merges.
        identity = orjson.dumps({key: value for key, value in bucket.items() if key != "results"},
                                option=orjson.OPT_SORT_KEYS)
        slot = days.setdefault(bucket_day(bucket), {})
        if identity in slot:
            slot[identity]["results"].extend(results)
        else:
            slot[identity] = {**bucket, "results": list(results)}
    return {day: list(slot.values()) for day, slot in sorted(days.items())}


def write_day(folder: Path, day: date, buckets: list[Bucket]) -> bool:
    """Write the day's page unless the file already holds exactly it; True when the file was created or changed.

    An unchanged file keeps its bytes, so the ingest's file ledger skips it; a changed one replaces, in the ingest,
    every row its previous version loaded.
    """
    path = folder / f"{day.isoformat()}.json"
    payload = orjson.dumps({"object": "page", "data": buckets}, option=_OPTIONS)
    if path.is_file() and path.read_bytes() == payload:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    # Hidden, so an ingest that lists the folder meanwhile never reads a half-written file; then renamed over.
    temp = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        with temp.open("wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return True
