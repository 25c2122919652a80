"""Load the self-hosted deployments file (`--selfhosted FILE`, METERLINE_SELFHOSTED, or `selfhosted.yaml` beside the
warehouse) and write it to core.gpu_deployments for the allocation SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb

from models.selfhosted import SelfHostedFile
from pipelines.pricing.catalogue import load_optional_file


def load_selfhosted(path: Path | None) -> SelfHostedFile:
    """The file at `path`, or no deployments when none is configured (self-hosted requests stay unpriced)."""
    return load_optional_file(path, SelfHostedFile, "self-hosted deployments file",
                              "`deployments`, `input_weight` or `output_weight`")


def write_gpu_deployments(conn: duckdb.DuckDBPyConnection, config: SelfHostedFile) -> int:
    rows = [(priority, d.name, pattern, d.platform, d.gpu_type, d.gpus, d.usd_per_gpu_hour, d.hours(),
             d.tokens_per_second, d.effective_from, d.effective_to, config.input_weight, config.output_weight)
            for priority, (d, pattern) in enumerate((d, p) for d in config.deployments for p in d.models)]
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM core.gpu_deployments")
        if rows:
            conn.executemany("INSERT INTO core.gpu_deployments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(rows)
