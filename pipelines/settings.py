"""Where meterline reads and writes: flags override METERLINE_* environment variables, which override defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.pricing.catalogue import DEPLOYMENTS_FILE, HARDWARE_FILE

_PACKAGE = Path(__file__).resolve().parent


def bundled_pricing_dir() -> Path:
    """The catalogue shipped with meterline: the repo's pricing/ in a checkout, the wheel's copy otherwise."""
    checkout = _PACKAGE.parent / "pricing"
    return checkout if checkout.is_dir() else _PACKAGE / "bundled_pricing"


def bundled_dagster_yaml() -> Path:
    checkout = _PACKAGE.parent / "dagster.yaml"
    return checkout if checkout.is_file() else _PACKAGE / "bundled_dagster.yaml"


def _optional(flag: str | Path | None, env: str) -> Path | None:
    value = flag if flag is not None else os.environ.get(env)
    return Path(value).expanduser().resolve() if value else None


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    pricing: Path
    contracts: Path | None = None
    unpriced_share_warn: float = 0.01
    azure_deployments: Path | None = None
    hardware: Path | None = None
    alerts: Path | None = None
    savings: Path | None = None
    selfhosted: Path | None = None
    reconciliation_drift_pct: float = 5.0
    # The run's UTC date; forecasts are trained through the day before. METERLINE_TODAY replays a past run.
    today: date | None = None

    @classmethod
    def resolve(
        cls,
        landing: str | Path | None = None,
        warehouse: str | Path | None = None,
        pricing: str | Path | None = None,
        contracts: str | Path | None = None,
        alerts: str | Path | None = None,
        savings: str | Path | None = None,
        selfhosted: str | Path | None = None,
    ) -> Settings:
        def pick(flag: str | Path | None, env: str, default: Path) -> Path:
            value = flag if flag is not None else os.environ.get(env) or default
            return Path(value).expanduser().resolve()

        pricing_dir = pick(pricing, "METERLINE_PRICING", bundled_pricing_dir())
        kept_beside = pricing_dir / "contracts.yaml"
        deployments_beside = pricing_dir / DEPLOYMENTS_FILE
        hardware_beside = pricing_dir / HARDWARE_FILE
        warehouse_path = pick(warehouse, "METERLINE_WAREHOUSE", Path("warehouse") / "meterline.duckdb")
        contracts_near = warehouse_path.parent / "contracts.yaml"
        alerts_beside = warehouse_path.parent / "alerts.yaml"
        savings_beside = warehouse_path.parent / "savings.yaml"
        selfhosted_beside = warehouse_path.parent / "selfhosted.yaml"
        today = os.environ.get("METERLINE_TODAY")
        return cls(
            landing=pick(landing, "METERLINE_LANDING", Path("landing")),
            warehouse=warehouse_path,
            pricing=pricing_dir,
            # A contracts.yaml kept in the catalogue folder, else beside the warehouse (as alerts.yaml and the other
            # run files are), applies unless a flag or the environment names another.
            contracts=_optional(contracts, "METERLINE_CONTRACTS") or next(
                (path for path in (kept_beside, contracts_near) if path.is_file()), None),
            unpriced_share_warn=float(os.environ.get("METERLINE_UNPRICED_SHARE_WARN", "0.01")),
            azure_deployments=_optional(None, "METERLINE_AZURE_DEPLOYMENTS")
            or (deployments_beside if deployments_beside.is_file() else None),
            hardware=_optional(None, "METERLINE_HARDWARE") or (hardware_beside if hardware_beside.is_file() else None),
            alerts=_optional(alerts, "METERLINE_ALERTS") or (alerts_beside if alerts_beside.is_file() else None),
            savings=_optional(savings, "METERLINE_SAVINGS") or (savings_beside if savings_beside.is_file() else None),
            selfhosted=_optional(selfhosted, "METERLINE_SELFHOSTED")
            or (selfhosted_beside if selfhosted_beside.is_file() else None),
            today=date.fromisoformat(today) if today else None,
            reconciliation_drift_pct=float(os.environ.get("METERLINE_RECONCILIATION_DRIFT_PCT", "5")),
        )
