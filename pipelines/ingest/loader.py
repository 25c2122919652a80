"""Load new and changed landing files into staging, incrementally by file ledger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.ingest.files import compression_of, sha256_of
from pipelines.ingest.parse import FileResult, parse_file

Progress = Callable[[str, int, int], None]


@dataclass
class IngestReport:
    files_seen: int = 0
    files_loaded: int = 0
    files_skipped: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    dates: set[date] = field(default_factory=set)

    @property
    def date_range(self) -> tuple[date, date] | None:
        return (min(self.dates), max(self.dates)) if self.dates else None


def discover(landing: Path) -> list[Path]:
    """Every regular, non-hidden file under the landing folder, in a stable order."""
    return sorted(
        path for path in landing.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(landing).parts)
    )


def _previous_dates(conn: duckdb.DuckDBPyConnection, source_file: str) -> set[date]:
    rows = conn.execute(
        "SELECT DISTINCT usage_date FROM staging.usage_records WHERE source_file = ?", [source_file]
    ).fetchall()
    return {row[0] for row in rows}


def load_file(conn: duckdb.DuckDBPyConnection, path: Path, sha: str) -> tuple[FileResult, set[date]]:
    """Replace everything a previous version of `path` loaded with what it holds now, in one transaction."""
    source_file = str(path)
    result = FileResult(source_file=source_file)
    compression = compression_of(path)
    conn.execute("BEGIN TRANSACTION")
    try:
        replaced = _previous_dates(conn, source_file)
        conn.execute("DELETE FROM staging.usage_records WHERE source_file = ?", [source_file])
        conn.execute("DELETE FROM raw.rejects WHERE source_file = ?", [source_file])
        for batch in parse_file(path, compression, sha, result):
            conn.register("staging_batch", batch)
            conn.execute("INSERT INTO staging.usage_records SELECT * FROM staging_batch")
            conn.unregister("staging_batch")
        now = datetime.now().replace(microsecond=0)
        if result.rejects:
            rejects = pa.table({
                "source_file": [r.source_file for r in result.rejects],
                "source_line": pa.array([r.source_line for r in result.rejects], type=pa.int64()),
                "reason": [r.reason for r in result.rejects],
                "rejected_at": pa.array([now] * len(result.rejects), type=pa.timestamp("us")),
            })
            conn.register("reject_batch", rejects)
            conn.execute("INSERT INTO raw.rejects SELECT * FROM reject_batch")
            conn.unregister("reject_batch")
        status = "rejected" if not result.recognised else ("partial" if result.rejects else "loaded")
        conn.execute("DELETE FROM raw.file_ledger WHERE source_file = ?", [source_file])
        conn.execute(
            "INSERT INTO raw.file_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [source_file, sha, path.stat().st_size, compression,
             ",".join(sorted(result.formats)) or None, status, result.rows, len(result.rejects),
             min(result.dates) if result.dates else None, max(result.dates) if result.dates else None, now],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return result, replaced


def ingest_landing(conn: duckdb.DuckDBPyConnection, landing: Path, progress: Progress | None = None) -> IngestReport:
    """Load every file under `landing` whose content is new; return what was loaded and which days it touched."""
    known = dict(conn.execute("SELECT source_file, sha256 FROM raw.file_ledger").fetchall())
    report = IngestReport()
    files = discover(landing)
    for index, path in enumerate(files, start=1):
        report.files_seen += 1
        if progress is not None:
            progress(str(path), index, len(files))
        sha = sha256_of(path)
        if known.get(str(path)) == sha:
            report.files_skipped += 1
            continue
        result, replaced = load_file(conn, path, sha)
        report.files_loaded += 1
        report.rows_loaded += result.rows
        report.rows_rejected += len(result.rejects)
        report.dates |= result.dates | replaced
    return report
