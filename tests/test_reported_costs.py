"""Provider cost reports: a bucket landed again (a later pull or export restates it) replaces its first copy."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from pipelines.ingest.loader import ingest_landing
from pipelines.warehouse import connect, ensure_schema

DAY = 1759622400  # 2025-10-05 00:00 UTC


def costs_page(value: float, line_item: str = "gpt-4o-2024-08-06, input") -> dict[str, Any]:
    return {"object": "page", "has_more": False, "next_page": None, "data": [
        {"object": "bucket", "start_time": DAY, "end_time": DAY + 86400, "results": [
            {"object": "organization.costs.result", "amount": {"value": value, "currency": "usd"},
             "line_item": line_item, "project_id": "proj_abc", "api_key_id": None, "quantity": None,
             "quantity_unit": None}]}]}


def test_a_restated_cost_bucket_replaces_its_first_copy(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    first = orjson.dumps(costs_page(0.895874), option=orjson.OPT_INDENT_2)
    (landing / "costs-2025-10-06.json").write_bytes(first)
    with connect(tmp_path / "w.duckdb") as conn:
        ensure_schema(conn)
        ingest_landing(conn, landing)
        # Fetched again three days later: the provider restated the day, and another line item appeared.
        restated = costs_page(1.25)
        restated["data"][0]["results"].append(costs_page(0.5, "gpt-4o-2024-08-06, output")["data"][0]["results"][0])
        (landing / "costs-2025-10-09.json").write_bytes(orjson.dumps(restated, option=orjson.OPT_INDENT_2))
        ingest_landing(conn, landing)
        staged = conn.execute("SELECT count(*) FROM staging.reported_costs").fetchone()
        current = conn.execute("SELECT line_item, amount_usd, regexp_extract(source_file, '[^/]+$')"
                               " FROM core.reported_costs ORDER BY line_item").fetchall()
    assert staged == (3,)  # every copy is kept as read
    assert current == [("gpt-4o-2024-08-06, input", Decimal("1.250000000000"), "costs-2025-10-09.json"),
                       ("gpt-4o-2024-08-06, output", Decimal("0.500000000000"), "costs-2025-10-09.json")]
