"""Dagster resources: the warehouse file and the folders meterline reads, passed into every asset."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb

from models.alerts import AlertsFile
from models.savings import SavingsFile
from models.selfhosted import SelfHostedFile
from pipelines.alerts.config import load_alerts
from pipelines.pricing.catalogue import Catalogue, load_catalogue
from pipelines.pricing.contracts import Contracts, load_contracts
from pipelines.pricing.deployments import load_deployments
from pipelines.pricing.hardware_map import HardwareMap, load_hardware_map
from pipelines.selfhosted.deployments import load_selfhosted
from pipelines.warehouse import connect_waiting, ensure_schema
from pipelines.whatif.config import load_savings

# A step waits this long for the file: the alert sensor holds it for milliseconds at a time.
LOCK_WAIT_SECONDS = 30.0


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. Connections are closed in a finally block (see DuckDBResource's lock leak)."""

    path: str

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with connect_waiting(self.path, LOCK_WAIT_SECONDS) as conn:
            ensure_schema(conn)
            yield conn


class SourcesResource(dg.ConfigurableResource):
    """The landing folder of usage logs, the pricing catalogue folder, the contract overlay, and check thresholds."""

    landing: str
    pricing: str
    contracts: str = ""
    unpriced_share_warn: float = 0.01
    azure_deployments: str = ""
    hardware: str = ""
    alerts: str = ""
    savings: str = ""
    selfhosted: str = ""
    today: str = ""
    reconciliation_drift_pct: float = 5.0

    def alerts_config(self) -> AlertsFile:
        return load_alerts(Path(self.alerts) if self.alerts else None)

    def savings_config(self) -> SavingsFile:
        return load_savings(Path(self.savings) if self.savings else None)

    def selfhosted_config(self) -> SelfHostedFile:
        return load_selfhosted(Path(self.selfhosted) if self.selfhosted else None)

    def run_day(self) -> date:
        """The run's UTC date (METERLINE_TODAY when set, for replaying a past day)."""
        return date.fromisoformat(self.today) if self.today else datetime.now(UTC).date()

    def catalogue(self) -> Catalogue:
        return load_catalogue(Path(self.pricing))

    def deployments(self) -> dict[str, str]:
        return load_deployments(Path(self.azure_deployments) if self.azure_deployments else None)

    def hardware_map(self) -> HardwareMap:
        return load_hardware_map(Path(self.hardware) if self.hardware else None)

    def contract_overlay(self) -> Contracts:
        return load_contracts(Path(self.contracts) if self.contracts else None)
