"""Load the savings file: `--savings FILE`, METERLINE_SAVINGS, or `savings.yaml` beside the warehouse."""

from __future__ import annotations

from pathlib import Path

from models.savings import SavingsFile
from pipelines.pricing.catalogue import load_optional_file


def load_savings(path: Path | None) -> SavingsFile:
    """The savings file at `path`, or the defaults (caching and batch levers only) when none is configured."""
    return load_optional_file(path, SavingsFile, "savings file",
                              "`basis_days`, `cache_points`, `classes`, `swaps` or `self_host`")
