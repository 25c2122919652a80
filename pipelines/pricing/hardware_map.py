"""Load the hardware map: which SKU a model runs on, where its platform's usage records do not say.

Replicate bills most models by the second of the hardware they run on, but a prediction does not name that hardware
(the model's page and a deployment's settings do). The file is `hardware.yaml` beside your catalogue, or the path in
METERLINE_HARDWARE; patterns are globs over the logged model id, first match wins:

    hardware:
      replicate:
        acme/sdxl-finetune: gpu-a100-large
        "acme/*": gpu-l40s

Only models the catalogue does not price per token are placed (a glob over `meta/*` leaves Replicate's per-token
official models alone). A record that names its hardware itself (an export's column, the envelope's `hardware`)
keeps it.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipelines.pricing.catalogue import CatalogueError, load_yaml_model

HardwareMap = dict[str, list[tuple[str, str]]]


class HardwareFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hardware: dict[str, dict[str, str]] = Field(default_factory=dict, description="provider -> model glob -> SKU")

    @field_validator("hardware")
    @classmethod
    def _filled(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for provider, models in value.items():
            blank = sorted(pattern for pattern, sku in models.items() if not pattern.strip() or not sku.strip())
            if blank:
                raise ValueError(f"{provider}: a model pattern or SKU is empty: {', '.join(blank)}")
        return value


def load_hardware_map(path: Path | None) -> HardwareMap:
    """Provider -> [(model glob, SKU)] in file order, lower case; empty when no file is configured."""
    if path is None:
        return {}
    if not path.is_file():
        raise CatalogueError(f"{path}: hardware map file does not exist")
    parsed = load_yaml_model(path, HardwareFile, "`hardware`")
    return {provider.lower(): [(pattern.strip().lower(), sku.strip().lower()) for pattern, sku in models.items()]
            for provider, models in parsed.hardware.items()}


def hardware_for(hardware_map: HardwareMap, provider: str, model_raw: str) -> str | None:
    name = model_raw.strip().lower()
    return next((sku for pattern, sku in hardware_map.get(provider.lower(), []) if fnmatchcase(name, pattern)), None)
