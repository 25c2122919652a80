"""Several files parse in worker processes and load exactly what a single process loads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.demo.generate import generate
from pipelines.ingest import loader
from pipelines.warehouse import ensure_schema

COMPARED = ("SELECT * EXCLUDE (rejected_at) FROM raw.rejects ORDER BY ALL",
            "SELECT * FROM staging.usage_records ORDER BY ALL",
            "SELECT * EXCLUDE (loaded_at) FROM raw.file_ledger ORDER BY ALL")


def _load(landing: Path) -> tuple[loader.IngestReport, list[list[tuple[object, ...]]]]:
    with duckdb.connect() as conn:
        ensure_schema(conn)
        report = loader.ingest_landing(conn, landing)
        return report, [conn.execute(sql).fetchall() for sql in COMPARED]


def test_worker_processes_load_the_same_rows_as_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path / "landing", date(2026, 11, 27), days=40, scale=0.1)
    monkeypatch.setenv("METERLINE_INGEST_WORKERS", "1")
    single_report, single = _load(tmp_path / "landing")
    monkeypatch.setenv("METERLINE_INGEST_WORKERS", "2")
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 0)
    assert loader._worker_count([(p, "") for p in loader.discover(tmp_path / "landing")]) == 2
    parallel_report, parallel = _load(tmp_path / "landing")
    assert parallel == single
    assert parallel_report == single_report
    assert single_report.files_loaded == 10 and single_report.rows_rejected == 3
