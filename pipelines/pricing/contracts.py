"""Load the contract overlay (contracts.yaml) and write its terms into the warehouse."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from models.contracts import ContractsFile
from models.pricing import RATE_FIELDS
from pipelines.pricing.catalogue import CatalogueError, load_yaml_model
from pipelines.pricing.rates import RATE_COLUMNS

NO_CONTRACTS = "none"


@dataclass(frozen=True)
class Contracts:
    terms: ContractsFile
    version: str
    path: Path | None


def load_contracts(path: Path | None) -> Contracts:
    """The overlay at `path`, or an empty one when no file is configured. A configured file must exist."""
    if path is None:
        return Contracts(ContractsFile(), NO_CONTRACTS, None)
    if not path.is_file():
        raise CatalogueError(f"{path}: contracts file does not exist")
    terms = load_yaml_model(path, ContractsFile, "`contracts`")
    return Contracts(terms, hashlib.sha256(path.read_bytes()).hexdigest()[:12], path)


def write_contract_terms(conn: duckdb.DuckDBPyConnection, contracts: Contracts) -> int:
    rows = []
    for priority, contract in enumerate(contracts.terms.contracts):
        factor = None if contract.discount_percent is None else 1 - contract.discount_percent / 100
        per_token: list[Decimal | None] = []
        for name in RATE_FIELDS:
            value = getattr(contract.rates, name) if contract.rates is not None else None
            per_token.append(None if value is None else value / RATE_COLUMNS[name][1])
        rows.extend(
            (contracts.version, priority, contract.name, contract.provider, pattern, contract.effective_from,
             contract.effective_to, factor, *per_token, contract.commitment_usd)
            for pattern in dict.fromkeys(contract.models)
        )
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM core.contract_terms")
        if rows:
            placeholders = ", ".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO core.contract_terms VALUES ({placeholders})", rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(rows)
