"""Load the savings file: `--savings FILE`, METERLINE_SAVINGS, or `savings.yaml` beside the warehouse."""

from __future__ import annotations

from pathlib import Path

from models.savings import SavingsFile
from pipelines.pricing.catalogue import CatalogueError, load_yaml_model


def load_savings(path: Path | None) -> SavingsFile:
    """The savings file at `path`, or the defaults (caching and batch levers only) when none is configured."""
    if path is None:
        return SavingsFile()
    if not path.is_file():
        raise CatalogueError(f"{path}: savings file does not exist")
    return load_yaml_model(path, SavingsFile, "`basis_days`, `cache_points`, `classes`, `swaps` or `self_host`")
