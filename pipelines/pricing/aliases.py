"""Map the model id a provider logged to the catalogue's canonical id.

Exact ids and aliases win, so a dated snapshot with its own price (gpt-4o-2024-05-13) can be listed on its own;
otherwise path prefixes and one trailing date or version stamp are stripped and the lookup is tried again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.pricing.catalogue import Catalogue

_PREFIXES = ("publishers/google/models/", "models/", "openai/", "anthropic/", "google/")
_STAMP = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|@latest|-latest|-\d{3})$")


@dataclass(frozen=True)
class ModelIndex:
    by_name: dict[tuple[str, str], str]

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> ModelIndex:
        names: dict[tuple[str, str], str] = {}
        for provider, entries in catalogue.providers.items():
            for entry in entries.models:
                for name in (entry.id, *entry.aliases):
                    names[(provider, name.lower())] = entry.id
        return cls(by_name=names)

    def resolve(self, provider: str, model_raw: str) -> tuple[str, bool]:
        """Return (canonical model, known). An unknown model keeps its normalised raw id and is flagged."""
        name = normalise(model_raw)
        hit = self.by_name.get((provider, name))
        if hit is not None:
            return hit, True
        undated = _STAMP.sub("", name)
        hit = self.by_name.get((provider, undated))
        if hit is not None:
            return hit, True
        return name, False


def normalise(model_raw: str) -> str:
    name = model_raw.strip().lower()
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name
