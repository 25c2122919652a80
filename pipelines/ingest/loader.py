"""Load new and changed landing files into staging, incrementally by file ledger."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.ingest.files import compression_of, sha256_of
from pipelines.ingest.parse import FileResult, parse_file

Progress = Callable[[str, int, int], None]
PARALLEL_MIN_BYTES = 16 << 20


@dataclass
class IngestReport:
    files_seen: int = 0
    files_loaded: int = 0
    files_skipped: int = 0
    # Of the skipped: files with the bytes of a file loaded from another path (a moved or copied folder).
    files_duplicate: int = 0
    # Entries that look like files but cannot be read; each has a reject row saying why.
    files_unreadable: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    records_skipped: int = 0
    cost_rows: int = 0
    dates: set[date] = field(default_factory=set)

    @property
    def date_range(self) -> tuple[date, date] | None:
        return (min(self.dates), max(self.dates)) if self.dates else None


def scan(landing: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every regular, non-hidden file under the landing folder, in a stable order; and the entries that look like
    files but cannot be read (a broken link, a link loop), each with why, so that none disappears unreported."""
    files, unreadable = [], []
    for path in landing.rglob("*"):
        if any(part.startswith(".") for part in path.relative_to(landing).parts):
            continue
        if path.is_file():
            files.append(path)
        elif path.is_symlink() and not path.exists():
            unreadable.append((path, "a broken symbolic link or a link loop: nothing to read"))
    return sorted(files), sorted(unreadable)


def discover(landing: Path) -> list[Path]:
    return scan(landing)[0]


def _reject_unreadable(conn: duckdb.DuckDBPyConnection, path: Path, reason: str, at: datetime) -> None:
    """One reject for the path, replacing the one an earlier run wrote, so reruns stay idempotent."""
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM raw.rejects WHERE source_file = ?", [str(path)])
        conn.execute("INSERT INTO raw.rejects (source_file, source_line, reason, rejected_at) VALUES (?, NULL, ?, ?)",
                     [str(path), reason, at])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _previous_dates(conn: duckdb.DuckDBPyConnection, source_file: str) -> set[date]:
    rows = conn.execute(
        "SELECT DISTINCT usage_date FROM staging.usage_records WHERE source_file = ?", [source_file]
    ).fetchall()
    return {row[0] for row in rows}


def parse_whole(path: Path, sha: str) -> tuple[FileResult, list[tuple[str, pa.Table]], str]:
    """Parse a file completely; runs in a worker process when several files load at once."""
    result = FileResult(source_file=str(path))
    compression = compression_of(path)
    return result, list(parse_file(path, compression, sha, result)), compression


def store_file(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    sha: str,
    compression: str,
    result: FileResult,
    batches: Iterable[tuple[str, pa.Table]],
    loaded_at: datetime | None = None,
    same_as: str | None = None,
) -> set[date]:
    """Replace everything a previous version of `path` loaded with `batches`, in one transaction.

    The days the old and the new version hold lose their built state (raw.day_state), so the next run rebuilds
    them; `same_as` records a file that holds nothing new, the same bytes as a file already loaded.

    `loaded_at` is the same for every file of one load, so a report bucket landed in two files is resolved by the
    load that brought it (a later load restates) and, within one load, by file name, not by worker timing.

    `batches` may be a generator that fills `result` as it is consumed; returns the days the old version held.
    """
    source_file = str(path)
    conn.execute("BEGIN TRANSACTION")
    try:
        replaced = _previous_dates(conn, source_file)
        conn.execute("DELETE FROM staging.usage_records WHERE source_file = ?", [source_file])
        conn.execute("DELETE FROM staging.reported_costs WHERE source_file = ?", [source_file])
        conn.execute("DELETE FROM raw.rejects WHERE source_file = ?", [source_file])
        for kind, batch in batches:
            target = "staging.usage_records" if kind == "usage" else "staging.reported_costs"
            conn.register("staging_batch", batch)
            conn.execute(f"INSERT INTO {target} BY NAME SELECT * FROM staging_batch")
            conn.unregister("staging_batch")
        now = loaded_at or datetime.now(UTC).replace(tzinfo=None)
        if result.rejects:
            rejects = pa.table({
                "source_file": [r.source_file for r in result.rejects],
                "source_line": pa.array([r.source_line for r in result.rejects], type=pa.int64()),
                "reason": [r.reason for r in result.rejects],
                "rejected_at": pa.array([now] * len(result.rejects), type=pa.timestamp("us")),
                "source_record": pa.array([r.source_record for r in result.rejects], type=pa.string()),
            })
            conn.register("reject_batch", rejects)
            conn.execute("INSERT INTO raw.rejects BY NAME SELECT * FROM reject_batch")
            conn.unregister("reject_batch")
        status = "rejected" if not result.recognised else ("partial" if result.rejects else "loaded")
        if same_as is not None:
            status = "duplicate"
        touched = sorted(result.dates | replaced)
        if touched:
            conn.execute("DELETE FROM raw.day_state WHERE usage_date IN (SELECT unnest(?::DATE[]))", [touched])
        conn.execute("DELETE FROM raw.file_ledger WHERE source_file = ?", [source_file])
        conn.execute(
            "INSERT INTO raw.file_ledger (source_file, sha256, size_bytes, compression, format, status, rows_loaded,"
            " rows_rejected, min_usage_date, max_usage_date, loaded_at, records_skipped, cost_rows, same_as)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [source_file, sha, path.stat().st_size, compression,
             ",".join(sorted(result.formats)) or None, status, result.rows, len(result.rejects),
             min(result.dates) if result.dates else None, max(result.dates) if result.dates else None, now,
             result.skipped, result.cost_rows, same_as],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return replaced


def _worker_count(pending: list[tuple[Path, str]]) -> int:
    """Parsing is pure Python, so several large files go to several processes; small loads stay in this one."""
    configured = os.environ.get("METERLINE_INGEST_WORKERS")
    workers = int(configured) if configured else (os.cpu_count() or 1)
    if len(pending) < 2 or sum(path.stat().st_size for path, _ in pending) < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(workers, len(pending)))


def ingest_landing(conn: duckdb.DuckDBPyConnection, landing: Path, progress: Progress | None = None) -> IngestReport:
    """Load every file under `landing` whose content is new; return what was loaded and which days it touched.

    A file is known by its content: one whose bytes are loaded already, from whatever path, is not read again.
    """
    ledger = conn.execute("SELECT source_file, sha256, status FROM raw.file_ledger").fetchall()
    known = {path: sha for path, sha, _ in ledger}
    by_content = {sha: path for path, sha, status in sorted(ledger) if status != "duplicate"}
    load_started = datetime.now(UTC).replace(tzinfo=None)
    report = IngestReport()
    pending: list[tuple[Path, str]] = []
    files, unreadable = scan(landing)
    for path in files:
        report.files_seen += 1
        try:
            sha = sha256_of(path)
        except OSError as exc:
            # Removed or made unreadable since the folder was listed.
            unreadable.append((path, f"the file cannot be read: {exc.strerror or exc}"))
            continue
        original = by_content.get(sha)
        if known.get(str(path)) == sha:
            report.files_skipped += 1
        elif original is not None and original != str(path):
            report.files_skipped += 1
            report.files_duplicate += 1
            result = FileResult(source_file=str(path))
            report.dates |= store_file(conn, path, sha, compression_of(path), result, (), load_started, original)
        else:
            by_content[sha] = str(path)
            pending.append((path, sha))

    for path, reason in unreadable:
        _reject_unreadable(conn, path, reason, load_started)
        report.files_unreadable += 1
        report.rows_rejected += 1
    total = len(pending)

    def record(path: Path, result: FileResult, replaced: set[date]) -> None:
        report.files_loaded += 1
        report.rows_loaded += result.rows
        report.rows_rejected += len(result.rejects)
        report.records_skipped += result.skipped
        report.cost_rows += result.cost_rows
        report.dates |= result.dates | replaced
        if progress is not None:
            progress(str(path), report.files_loaded, total)

    workers = _worker_count(pending)
    if workers > 1:
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = {pool.submit(parse_whole, path, sha): (path, sha) for path, sha in pending}
                for future in as_completed(futures):
                    path, sha = futures[future]
                    result, batches, compression = future.result()
                    record(path, result, store_file(conn, path, sha, compression, result, batches, load_started))
                    pending.remove((path, sha))
        except BrokenProcessPool:
            # Worker processes can die (memory, or a host script without a __main__ guard); what they did not
            # finish is parsed here instead, so the load still completes.
            pass
    for path, sha in pending:
        result = FileResult(source_file=str(path))
        compression = compression_of(path)
        replaced = store_file(conn, path, sha, compression, result, parse_file(path, compression, sha, result),
                              load_started)
        record(path, result, replaced)
    return report
