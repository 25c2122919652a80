"""Write the rate card and the model-id resolutions into the warehouse."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import duckdb
import pyarrow as pa

from pipelines.pricing.aliases import ModelIndex
from pipelines.pricing.catalogue import Catalogue
from pipelines.pricing.rates import RateRow

_RATE = pa.decimal128(20, 12)
_RATE_TYPES: dict[str, pa.DataType] = {
    "effective_from": pa.timestamp("us"),
    "effective_to": pa.timestamp("us"),
    "is_batch": pa.bool_(),
    "context_above": pa.int64(),
    "context_up_to": pa.int64(),
    "checked": pa.date32(),
    **{name: _RATE for name in ("input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "web_search")},
}


def write_rate_card(conn: duckdb.DuckDBPyConnection, rows: list[RateRow]) -> int:
    names = [f.name for f in fields(RateRow)]
    table = pa.table({
        name: pa.array([getattr(row, name) for row in rows], type=_RATE_TYPES.get(name, pa.string()))
        for name in names
    })
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM core.price_rates")
        conn.register("rate_batch", table)
        conn.execute(f"INSERT INTO core.price_rates ({', '.join(names)}) SELECT * FROM rate_batch")
        conn.unregister("rate_batch")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return table.num_rows


def resolve_models(
    conn: duckdb.DuckDBPyConnection, catalogue: Catalogue, date_from: date, date_to: date
) -> list[tuple[str, str, str, bool]]:
    """Resolve every (provider, model_raw) staged for the days and record it in core.model_aliases."""
    index = ModelIndex.from_catalogue(catalogue)
    pairs = conn.execute(
        "SELECT DISTINCT provider, model_raw FROM staging.usage_records WHERE usage_date BETWEEN ? AND ?",
        [date_from, date_to],
    ).fetchall()
    resolved = [(provider, raw, *index.resolve(provider, raw)) for provider, raw in pairs]
    if resolved:
        conn.executemany(
            "INSERT OR REPLACE INTO core.model_aliases VALUES (?, ?, ?, ?, ?)",
            [(p, raw, model, known, catalogue.version) for p, raw, model, known in resolved],
        )
    return resolved
