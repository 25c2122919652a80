"""Write the rate card, exchange rates and model-id resolutions into the warehouse."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from pipelines.pricing.aliases import ModelIndex, Resolution
from pipelines.pricing.catalogue import Catalogue
from pipelines.pricing.hardware_map import HardwareMap, hardware_for
from pipelines.pricing.rates import RATE_COLUMNS, RateCard, RateRow, WindowRow

_RATE = pa.decimal128(20, 12)
_RATE_TYPES: dict[str, pa.DataType] = {
    "effective_from": pa.timestamp("us"),
    "effective_to": pa.timestamp("us"),
    "is_batch": pa.bool_(),
    "context_above": pa.int64(),
    "context_up_to": pa.int64(),
    "web_search_free_calls": pa.int64(),
    "checked": pa.date32(),
    **{column: _RATE for column, _ in RATE_COLUMNS.values()},
    "compute_second": _RATE,
}
_WINDOW_TYPES: dict[str, pa.DataType] = {
    "weekdays": pa.list_(pa.int32()), "start_minute": pa.int32(), "end_minute": pa.int32(),
}


def _arrow(rows: list[RateRow] | list[WindowRow], cls: type, types: dict[str, pa.DataType]) -> pa.Table:
    names = [f.name for f in fields(cls)]
    return pa.table({
        name: pa.array([getattr(row, name) for row in rows], type=types.get(name, pa.string())) for name in names
    })


def write_rate_card(conn: duckdb.DuckDBPyConnection, catalogue: Catalogue, card: RateCard) -> int:
    """Store this catalogue version beside the earlier ones and make it the current one."""
    version = catalogue.version
    rates = _arrow(card.rates, RateRow, _RATE_TYPES)
    windows = _arrow(card.windows, WindowRow, _WINDOW_TYPES)
    fx = sorted(catalogue.exchange_rates.rates, key=lambda r: (r.currency, r.effective_from))
    fx_rows = []
    for index, rate in enumerate(fx):
        following = fx[index + 1] if index + 1 < len(fx) and fx[index + 1].currency == rate.currency else None
        fx_rows.append((version, rate.currency, rate.effective_from,
                        following.effective_from if following else None, rate.usd_per_unit, rate.source))
    models = sum(len(p.models) for p in catalogue.providers.values())
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.execute("BEGIN TRANSACTION")
    try:
        for table in ("core.price_rates", "core.price_windows", "core.fx_rates"):
            conn.execute(f"DELETE FROM {table} WHERE catalogue_version = ?", [version])
        conn.register("rate_batch", rates)
        conn.execute("INSERT INTO core.price_rates BY NAME SELECT * FROM rate_batch")
        conn.unregister("rate_batch")
        if card.windows:
            conn.register("window_batch", windows)
            conn.execute("INSERT INTO core.price_windows BY NAME SELECT ? AS catalogue_version, * FROM window_batch",
                         [version])
            conn.unregister("window_batch")
        if fx_rows:
            conn.executemany("INSERT INTO core.fx_rates VALUES (?, ?, ?, ?, ?, ?)", fx_rows)
        conn.execute("UPDATE core.catalogue_versions SET is_current = false WHERE is_current")
        conn.execute(
            "INSERT INTO core.catalogue_versions VALUES (?, ?, ?, ?, ?, ?, true) ON CONFLICT (catalogue_version) "
            "DO UPDATE SET last_loaded_at = excluded.last_loaded_at, is_current = true",
            [version, now, now, len(catalogue.providers), models, rates.num_rows],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return rates.num_rows


def current_catalogue_version(conn: duckdb.DuckDBPyConnection) -> str | None:
    row = conn.execute("SELECT catalogue_version FROM core.catalogue_versions WHERE is_current").fetchone()
    return str(row[0]) if row else None


def resolve_models(
    conn: duckdb.DuckDBPyConnection, catalogue: Catalogue, date_from: date, date_to: date,
    deployments: dict[str, str] | None = None, hardware_map: HardwareMap | None = None,
) -> list[tuple[str, str, str, Resolution]]:
    """Resolve every (provider, platform, model_raw) staged for the days and record it in core.model_aliases, with
    the hardware the user's map says the model runs on: only for models the catalogue does not price per token."""
    index = ModelIndex.from_catalogue(catalogue, deployments)
    triples = conn.execute(
        "SELECT DISTINCT provider, platform, model_raw FROM staging.usage_records WHERE usage_date BETWEEN ? AND ?",
        [date_from, date_to],
    ).fetchall()
    resolved = [(p, platform, raw, index.resolve(p, raw, platform)) for p, platform, raw in triples]
    if resolved:
        conn.executemany(
            "INSERT OR REPLACE INTO core.model_aliases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(p, platform, raw, r.price_provider, r.model, r.known, r.endpoint_scope, catalogue.version,
              None if r.known else hardware_for(hardware_map or {}, p if platform == "direct" else platform, raw))
             for p, platform, raw, r in resolved],
        )
    return resolved
