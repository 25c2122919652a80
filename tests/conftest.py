"""Shared fixtures: real landing folders, real DuckDB files, real Dagster runs on a temporary instance."""

from __future__ import annotations

import gzip
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from pipelines.settings import Settings, bundled_pricing_dir

warnings.filterwarnings("ignore")
# Runs then keep their Dagster instance beside each test's warehouse, never in a developer's real DAGSTER_HOME.
os.environ.pop("DAGSTER_HOME", None)


def write_jsonl(path: Path, records: Iterable[Any], *, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = b"".join(orjson.dumps(record) + b"\n" for record in records)
    path.write_bytes(gzip.compress(payload, mtime=0) if gz else payload)
    return path


def envelope(timestamp: str, response: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"timestamp": timestamp, "project": "proj", "api_key_id": "key_1", "user_id": "u1", **extra,
            "response": response}


def make_settings(root: Path) -> Settings:
    (root / "landing").mkdir(parents=True, exist_ok=True)
    return Settings(landing=root / "landing", warehouse=root / "wh" / "meterline.duckdb",
                    pricing=bundled_pricing_dir())


def read(settings: Settings, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)

