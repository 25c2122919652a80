"""marts.cost_reconciliation: computed cost against provider cost reports and per-request reported costs.

gpt-4o at $2.50/M input and $10/M output: a request of 100,000 prompt and 10,000 completion tokens costs $0.35.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import orjson

from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import envelope, read, write_jsonl

OCT_5 = 1759622400  # 2025-10-05 00:00 UTC


def _chat(rid: str, created: int, prompt: int = 100_000, completion: int = 10_000, **usage: Any) -> dict[str, Any]:
    return {"id": rid, "object": "chat.completion", "created": created, "model": "gpt-4o-2024-08-06",
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, **usage}}


def _costs(day: int, amounts: dict[str, float]) -> dict[str, Any]:
    return {"object": "bucket", "start_time": day, "end_time": day + 86400, "results": [
        {"object": "organization.costs.result", "amount": {"value": value, "currency": "usd"},
         "line_item": line_item, "project_id": "proj_abc", "api_key_id": None, "quantity": None,
         "quantity_unit": None} for line_item, value in amounts.items()]}


def test_cost_reports_and_gateway_costs_against_computed_cost(settings: Settings) -> None:
    day2 = OCT_5 + 86400
    write_jsonl(settings.landing / "app.jsonl", [
        envelope("2025-10-05T10:00:00Z", _chat("chatcmpl-1", OCT_5 + 36000), provider="openai"),
        envelope("2025-10-05T11:00:00Z", _chat("chatcmpl-2", OCT_5 + 39600), provider="openai"),
        envelope("2025-10-06T11:00:00Z", _chat("chatcmpl-3", day2 + 39600), provider="openai"),
        # Through OpenRouter, which puts its own price on the request: not on OpenAI's bill.
        {"id": "gen-abc", "object": "chat.completion", "created": OCT_5 + 40000, "model": "openai/gpt-4o",
         "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "cost": 0.0036}},
    ])
    page = {"object": "page", "has_more": False, "next_page": None, "data": [
        _costs(OCT_5, {"gpt-4o-2024-08-06, input": 0.50, "gpt-4o-2024-08-06, output": 0.20}),
        _costs(day2, {"gpt-4o-2024-08-06, input": 0.40})]}
    (settings.landing / "costs.json").write_bytes(orjson.dumps(page))

    outcome = run_pipeline(settings)
    rows = read(settings, "SELECT usage_date, provider, model, source, requests, contracted_cost_usd,"
                          " reported_cost_usd, difference_usd, difference_pct FROM marts.cost_reconciliation"
                          " ORDER BY source, usage_date")
    assert rows == [
        # Two requests, $0.70, billed $0.70.
        (date(2025, 10, 5), "openai", "*", "cost_report", 2, Decimal("0.7"), Decimal("0.7"), Decimal("0"), 0.0),
        # One request, $0.35, billed $0.40: the catalogue (or a missing log) is off by 12.5%.
        (date(2025, 10, 6), "openai", "*", "cost_report", 1, Decimal("0.35"), Decimal("0.4"), Decimal("-0.05"),
         -12.5),
        # OpenRouter's $0.0036 against 1,000 x $2.50/M + 100 x $10/M = $0.0035.
        (date(2025, 10, 5), "openai", "gpt-4o", "source", 1, Decimal("0.0035"), Decimal("0.0036"),
         Decimal("-0.0001"), -2.78),
    ]
    # The check warns on the 12.5% day only: the gateway's 2.78% is under the 5% threshold, and under a cent.
    [warning] = [note for note in outcome.warnings if "cost_reconciliation_drift" in note]
    assert "drifting_rows=1" in warning and "2025-10-06 openai cost_report" in warning and "-12.5%" in warning
