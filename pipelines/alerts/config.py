"""Load the alerts file: `--alerts FILE`, METERLINE_ALERTS, or `alerts.yaml` beside the warehouse; none: defaults."""

from __future__ import annotations

from pathlib import Path

from models.alerts import AlertsFile
from pipelines.pricing.catalogue import load_optional_file


def load_alerts(path: Path | None) -> AlertsFile:
    """The alerts file at `path`, or the defaults (no channels, no budgets) when none is configured."""
    return load_optional_file(path, AlertsFile, "alerts file",
                              "`channels`, `budgets`, `anomalies`, `forecast` or `delivery`")
