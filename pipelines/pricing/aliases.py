"""Map the model id a provider logged to the catalogue that bills it and the catalogue's canonical id.

The catalogue of the platform that served the request (bedrock, vertex, azure ...) is tried first, then the model
vendor's own catalogue; which one priced the event is kept on the row. Exact ids and aliases win, so a dated
snapshot with its own price (gpt-4o-2024-05-13) can be listed on its own; otherwise path prefixes, Bedrock ARNs and
version suffixes, and one trailing date stamp are stripped and the lookup is tried again. Bedrock's `us.`/`eu.`/
`global.` prefixes are not thrown away: they become the endpoint scope, which changes the price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.pricing.catalogue import Catalogue

_PREFIXES = ("publishers/google/models/", "models/", "openai/", "anthropic/", "google/", "bedrock/", "vertex_ai/")
_ARN = re.compile(r"^arn:aws[\w-]*:bedrock:[\w-]*:\d*:[\w-]+/")
_SCOPE = re.compile(r"^(global|us|us-gov|eu|apac|jp|au|ca)\.")
_VERSION = re.compile(r"(?:-v\d+)?(?::\d+)$|-v\d+$")
_STAMP = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|@latest|@default|-latest|-\d{3})$")
DIRECT_PLATFORMS = frozenset({"", "direct"})


@dataclass(frozen=True)
class Resolution:
    price_provider: str
    model: str
    known: bool
    endpoint_scope: str | None


@dataclass(frozen=True)
class ModelIndex:
    by_name: dict[tuple[str, str], str]
    providers: frozenset[str]

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> ModelIndex:
        names: dict[tuple[str, str], str] = {}
        for provider, entries in catalogue.providers.items():
            for entry in entries.models:
                for name in (entry.id, *entry.aliases):
                    names[(provider, name.lower())] = entry.id
        return cls(by_name=names, providers=frozenset(catalogue.providers))

    def resolve(self, provider: str, model_raw: str, platform: str = "direct") -> Resolution:
        """An unknown model keeps its normalised raw id under the platform's (or vendor's) name and is flagged."""
        name, scope = normalise(model_raw)
        books = [book for book in (platform.lower(), provider) if book not in DIRECT_PLATFORMS]
        if scope is None and platform.lower() == "bedrock":
            scope = "in_region"
        for book in dict.fromkeys(books):
            for candidate in candidates(name):
                hit = self.by_name.get((book, candidate))
                if hit is not None:
                    return Resolution(book, hit, True, scope)
        fallback = books[0] if books and books[0] in self.providers else provider
        return Resolution(fallback, name, False, scope)


def normalise(model_raw: str) -> tuple[str, str | None]:
    """The lower-cased id without path prefixes or ARN, and the endpoint scope its prefix names, if any."""
    name = _ARN.sub("", model_raw.strip().lower())
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
    scope = None
    match = _SCOPE.match(name)
    if match:
        scope = "global" if match.group(1) == "global" else "geo"
        name = name[match.end() :]
    return name, scope


def candidates(name: str) -> list[str]:
    """Names to look up, most specific first: as logged, without a version suffix, without a date stamp."""
    unversioned = _VERSION.sub("", name)
    found = [name, unversioned, _STAMP.sub("", unversioned), _STAMP.sub("", name)]
    return list(dict.fromkeys(found))
