"""Load and validate the YAML pricing catalogue; every error names the file and the entry."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from models.pricing import ExchangeRates, ProviderCatalogue

# libyaml's safe loader parses the catalogue about 4x faster than the pure-Python one (0.3 s instead of 1.3 s).
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader, but a date that cannot exist (2024-13-45) is a YAML error at its line, not a bare
    ValueError from deep inside the constructor."""

    def construct_yaml_timestamp(self, node: yaml.Node) -> object:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value} is not a valid date ({exc})", node.start_mark) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_LOADER = _Loader
# Not providers: the dated conversion of non-USD catalogue currencies into USD, and the user's own contract
# overlay, Azure deployments and hardware map when they keep them in their catalogue folder (pipelines/settings.py).
EXCHANGE_RATES_FILE = "exchange_rates.yaml"
CONTRACTS_FILE = "contracts.yaml"
DEPLOYMENTS_FILE = "azure_deployments.yaml"
HARDWARE_FILE = "hardware.yaml"
_NOT_PROVIDERS = (EXCHANGE_RATES_FILE, CONTRACTS_FILE, DEPLOYMENTS_FILE, HARDWARE_FILE)


class CatalogueError(ValueError):
    """The catalogue cannot be used; the message says which file and entry, and why."""


@dataclass(frozen=True)
class Catalogue:
    providers: dict[str, ProviderCatalogue]
    version: str
    directory: Path
    exchange_rates: ExchangeRates = field(default_factory=ExchangeRates)


def describe_location(loc: tuple[int | str, ...], raw: object) -> str:
    """Turn a pydantic location into `models[3] (gpt-4o) > prices[1] > rates > input`."""
    parts: list[str] = []
    node = raw
    pending_key: str | None = None
    for item in loc:
        if isinstance(item, int) and pending_key is not None:
            label = f"{pending_key}[{item}]"
            if isinstance(node, list) and item < len(node):
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label += f" ({node['id']})"
            parts[-1] = label
            pending_key = None
            continue
        parts.append(str(item))
        pending_key = str(item)
        node = node.get(item) if isinstance(node, dict) else None
    return " > ".join(parts) or "(top level)"


_Model = TypeVar("_Model", bound=BaseModel)


def _read_yaml(path: Path, expected: str) -> dict[str, object]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise CatalogueError(f"{path}:{where} is not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: expected a mapping with {expected}")
    return raw


def load_yaml_model(path: Path, model: type[_Model], expected: str) -> _Model:
    """A YAML file validated as `model`; every error names the file and the entry (`models > gpt-4o > ...`)."""
    raw = _read_yaml(path, expected)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{describe_location(error['loc'], raw)}: {error['msg']}" for error in exc.errors()[:3]]
        more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        raise CatalogueError(f"{path}: {'; '.join(problems)}{more}") from exc


def load_optional_file(path: Path | None, model: type[_Model], what: str, expected: str) -> _Model:
    """A configuration file that may be absent: its defaults when no path is configured, an error when the
    configured path is missing."""
    if path is None:
        return model()
    if not path.is_file():
        raise CatalogueError(f"{path}: {what} does not exist")
    return load_yaml_model(path, model, expected)


def load_provider_file(path: Path) -> ProviderCatalogue:
    catalogue = load_yaml_model(path, ProviderCatalogue, "`provider` and `models`")
    if catalogue.provider != path.stem:
        raise CatalogueError(f"{path}: provider `{catalogue.provider}` must match the file name `{path.stem}`")
    return catalogue


def _check_identity(path: Path, catalogue: ProviderCatalogue) -> None:
    seen: dict[str, str] = {}
    for entry in catalogue.models:
        for name in (entry.id, *entry.aliases):
            key = name.lower()
            if key in seen:
                raise CatalogueError(f"{path}: `{name}` names both {seen[key]} and {entry.id}")
            seen[key] = entry.id


def load_catalogue(directory: Path) -> Catalogue:
    """The catalogue in `directory`. Parsing 487 models costs about 0.8 s and a run needs the catalogue in its
    preflight and in two assets of the same process, so it is parsed once per content version."""
    if not directory.is_dir():
        raise CatalogueError(f"{directory}: pricing directory does not exist")
    files = sorted(path for path in directory.glob("*.yaml") if path.name not in _NOT_PROVIDERS)
    if not files:
        raise CatalogueError(f"{directory}: no *.yaml catalogue files")
    fx_path = directory / EXCHANGE_RATES_FILE
    digest = hashlib.sha256()
    for path in [*files, fx_path] if fx_path.is_file() else files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return _parse(directory, tuple(files), fx_path.is_file(), digest.hexdigest()[:12])


@functools.lru_cache(maxsize=4)
def _parse(directory: Path, files: tuple[Path, ...], has_fx: bool, version: str) -> Catalogue:
    """`version` (the content digest) is part of the cache key: an edited file is parsed again."""
    providers: dict[str, ProviderCatalogue] = {}
    for path in files:
        catalogue = load_provider_file(path)
        _check_identity(path, catalogue)
        providers[catalogue.provider] = catalogue
    exchange_rates = ExchangeRates()
    fx_path = directory / EXCHANGE_RATES_FILE
    if has_fx:
        exchange_rates = load_yaml_model(fx_path, ExchangeRates, "`rates`")
    for provider, catalogue in providers.items():
        if catalogue.currency != "USD" and not any(r.currency == catalogue.currency for r in exchange_rates.rates):
            raise CatalogueError(f"{directory / (provider + '.yaml')}: currency {catalogue.currency} has no rate "
                                 f"in {EXCHANGE_RATES_FILE}")
    return Catalogue(providers=providers, version=version, directory=directory, exchange_rates=exchange_rates)
