"""Load the alerts file: `--alerts FILE`, METERLINE_ALERTS, or `alerts.yaml` beside the warehouse; none: defaults."""

from __future__ import annotations

from pathlib import Path

from models.alerts import AlertsFile
from pipelines.pricing.catalogue import CatalogueError, load_yaml_model


def load_alerts(path: Path | None) -> AlertsFile:
    """The alerts file at `path`, or the defaults (no channels, no budgets) when none is configured."""
    if path is None:
        return AlertsFile()
    if not path.is_file():
        raise CatalogueError(f"{path}: alerts file does not exist")
    return load_yaml_model(path, AlertsFile, "`channels`, `budgets`, `anomalies`, `forecast` or `delivery`")
