"""Hand-computed costs, to the micro-dollar, through the real pipeline (files -> Dagster -> DuckDB).

Rates are the catalogue's list prices per 1M tokens; each expected figure is worked out in its comment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import envelope, make_settings, read, write_jsonl

D = Decimal


def chat(rid: str, created: int, model: str, prompt: int, cached: int, completion: int, reasoning: int = 0,
         tier: str = "default") -> dict[str, Any]:
    return {"id": rid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "secret answer"}}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                      "prompt_tokens_details": {"cached_tokens": cached},
                      "completion_tokens_details": {"reasoning_tokens": reasoning}},
            "service_tier": tier}


def responses(rid: str, created: float, model: str, prompt: int, cached: int, output: int, reasoning: int = 0,
              tier: str = "default") -> dict[str, Any]:
    return {"id": rid, "object": "response", "created_at": created, "model": model, "service_tier": tier,
            "usage": {"input_tokens": prompt,
                      "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
                      "output_tokens": output, "output_tokens_details": {"reasoning_tokens": reasoning}}}


def message(rid: str, model: str, uncached: int, read: int, write_5m: int, write_1h: int, output: int,
            web: int = 0, tier: str = "standard") -> dict[str, Any]:
    return {"id": rid, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "secret answer"}],
            "usage": {"input_tokens": uncached, "cache_read_input_tokens": read,
                      "cache_creation_input_tokens": write_5m + write_1h,
                      "cache_creation": {"ephemeral_5m_input_tokens": write_5m, "ephemeral_1h_input_tokens": write_1h},
                      "output_tokens": output, "server_tool_use": {"web_search_requests": web},
                      "service_tier": tier}}


def gemini(rid: str, model: str, prompt: int, cached: int, candidates: int, thoughts: int) -> dict[str, Any]:
    usage = {"promptTokenCount": prompt, "candidatesTokenCount": candidates, "thoughtsTokenCount": thoughts,
             "totalTokenCount": prompt + candidates + thoughts}
    if cached:
        usage["cachedContentTokenCount"] = cached
    return {"candidates": [{"content": {"parts": [{"text": "secret answer"}]}}], "usageMetadata": usage,
            "modelVersion": model, "responseId": rid}


# 2026-03-10 12:00:00 UTC and the o3 price cut at 2025-06-10 00:00:00 UTC, as unix seconds.
T_2026_03_10 = 1773144000
T_O3_BEFORE_CUT = 1749510000  # 2025-06-09 23:00:00
T_O3_AFTER_CUT = 1749513601  # 2025-06-10 00:00:01

EXPECTED: dict[str, tuple[str, Decimal | None]] = {
    # gpt-4o: 86 uncached x 2.50 + 1920 cached x 1.25 + 300 out x 10 = 0.000215 + 0.0024 + 0.003
    "openai:chatcmpl-cache": ("priced", D("0.005615")),
    # gpt-4.1-mini batch: 8000 x 0.20 + 2000 cached x 0.10 (no batch cached rate: standard) + 1000 x 0.80
    "openai:chatcmpl-batch": ("priced", D("0.0026")),
    # o3 before the cut: 1000 x 10 + 500 x 40 (reasoning 400 is inside the 500)
    "openai:resp_o3_before": ("priced", D("0.03")),
    # o3 after the cut: 1000 x 2 + 500 x 8
    "openai:resp_o3_after": ("priced", D("0.006")),
    # gpt-5 flex: 6000 x 0.625 + 4000 x 0.0625 + 2000 x 5
    "openai:resp_flex": ("priced", D("0.014")),
    # gpt-5.4 at exactly 272,000 input: base band, 272000 x 2.50 + 1000 x 15
    "openai:resp_272000": ("priced", D("0.695")),
    # gpt-5.4 at 272,001: whole request at the long rates, 272001 x 5 + 1000 x 22.50
    "openai:resp_272001": ("priced", D("1.382505")),
    # sonnet-4.5: 21 x 3 + 1200 x 3.75 (5m) + 18432 x 0.30 + 512 x 15 + 1 search x $0.01
    "anthropic:msg_sonnet": ("priced", D("0.0277726")),
    # opus-4.5: 100 x 5 + 1000 x 6.25 (5m) + 4000 x 10 (1h) + 200 x 25
    "anthropic:msg_opus_1h": ("priced", D("0.05175")),
    # haiku-4.5 batch halves every class: 1000 x 0.5 + 10000 x 0.05 + 2000 x 0.625 + 500 x 2.5
    "anthropic:msg_haiku_batch": ("priced", D("0.0035")),
    # sonnet-4.5 at exactly 200,000 input (150000 + 50000 read): 150000 x 3 + 50000 x 0.3 + 1000 x 15
    "anthropic:msg_200000": ("priced", D("0.48")),
    # 200,001: long band, 150001 x 6 + 50000 x 0.6 + 1000 x 22.5
    "anthropic:msg_200001": ("priced", D("0.952506")),
    # the same 200,001 after the 1M beta ended (2026-04-30): flat, 150001 x 3 + 50000 x 0.3 + 1000 x 15
    "anthropic:msg_200001_after": ("priced", D("0.480003")),
    # gemini-2.5-pro: 3848 x 1.25 + 8192 x 0.125 + (250 + 945 thoughts) x 10
    "google:gem_example": ("priced", D("0.017784")),
    # 200,000 prompt: base, 200000 x 1.25 + 100 x 10
    "google:gem_200000": ("priced", D("0.251")),
    # 200,001 prompt: long, 200001 x 2.50 + 100 x 15
    "google:gem_200001": ("priced", D("0.5015025")),
    # gemini-2.5-flash batch halves input and output only: 5000 x 0.15 + 5000 x 0.03 + 2000 x 1.25
    "google:gem_batch": ("priced", D("0.0034")),
    # not in the catalogue: flagged, never $0
    "openai:chatcmpl-unknown": ("unpriced_model", None),
    # gpt-5-nano has no priority tier in the catalogue: flagged, not priced at another tier's rate
    "openai:chatcmpl-nano-priority": ("unpriced_variant", None),
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("costs"))
    landing = settings.landing
    write_jsonl(landing / "openai" / "chat.jsonl", [
        envelope("2026-03-10T12:00:00Z", chat("chatcmpl-cache", T_2026_03_10, "gpt-4o-2024-08-06", 2006, 1920, 300)),
        envelope("2026-03-10T12:00:00Z", chat("chatcmpl-batch", T_2026_03_10, "gpt-4.1-mini-2025-04-14", 10000, 2000,
                                              1000), batch=True),
        chat("chatcmpl-unknown", T_2026_03_10, "gpt-9-preview", 100, 0, 10),
        chat("chatcmpl-nano-priority", T_2026_03_10, "gpt-5-nano-2025-08-07", 100, 0, 10, tier="priority"),
    ])
    write_jsonl(landing / "openai" / "responses.jsonl.gz", [
        responses("resp_o3_before", T_O3_BEFORE_CUT, "o3-2025-04-16", 1000, 0, 500, 400),
        responses("resp_o3_after", T_O3_AFTER_CUT, "o3-2025-04-16", 1000, 0, 500, 400),
        responses("resp_flex", T_2026_03_10, "gpt-5-2025-08-07", 10000, 4000, 2000, 1500, tier="flex"),
        responses("resp_272000", T_2026_03_10, "gpt-5.4", 272000, 0, 1000),
        responses("resp_272001", T_2026_03_10, "gpt-5.4", 272001, 0, 1000),
    ], gz=True)
    write_jsonl(landing / "anthropic" / "messages.jsonl", [
        envelope("2026-03-10T12:00:00Z", message("msg_sonnet", "claude-sonnet-4-5-20250929", 21, 18432, 1200, 0, 512,
                                                 web=1)),
        envelope("2026-03-10T12:00:00Z", message("msg_opus_1h", "claude-opus-4-5-20251101", 100, 0, 1000, 4000, 200)),
        envelope("2026-03-10T12:00:00Z", message("msg_haiku_batch", "claude-haiku-4-5-20251001", 1000, 10000, 2000, 0,
                                                 500, tier="batch")),
        envelope("2026-03-10T12:00:00Z", message("msg_200000", "claude-sonnet-4-5", 150000, 50000, 0, 0, 1000)),
        envelope("2026-03-10T12:00:00Z", message("msg_200001", "claude-sonnet-4-5", 150001, 50000, 0, 0, 1000)),
        envelope("2026-05-02T08:00:00+00:00", message("msg_200001_after", "claude-sonnet-4-5", 150001, 50000, 0, 0,
                                                      1000)),
    ])
    write_jsonl(landing / "google" / "gemini.jsonl", [
        envelope("2026-03-10T12:00:00Z", gemini("gem_example", "gemini-2.5-pro", 12040, 8192, 250, 945)),
        envelope("2026-03-10T12:00:00Z", gemini("gem_200000", "gemini-2.5-pro", 200000, 0, 100, 0)),
        envelope("2026-03-10T12:00:00Z", gemini("gem_200001", "gemini-2.5-pro", 200001, 0, 100, 0)),
        envelope("2026-03-10T12:00:00Z", gemini("gem_batch", "models/gemini-2.5-flash", 10000, 5000, 1000, 1000),
                 batch=True),
    ])
    run_pipeline(settings)
    return settings


@pytest.fixture(scope="module")
def priced(settings: Settings) -> dict[str, tuple[Any, ...]]:
    rows = read(settings, "SELECT event_id, cost_status, list_cost_usd, cache_savings_usd, model, catalogue_version"
                 " FROM core.usage_priced")
    return {row[0]: row[1:] for row in rows}


def test_every_event_is_priced_as_computed_by_hand(priced: dict[str, tuple[Any, ...]]) -> None:
    assert set(priced) == set(EXPECTED)
    for event_id, (status, cost) in EXPECTED.items():
        assert priced[event_id][0] == status, event_id
        assert priced[event_id][1] == cost, f"{event_id}: {priced[event_id][1]} != {cost}"


def test_cache_savings_are_reads_at_the_uncached_rate_minus_their_cost(priced: dict[str, tuple[Any, ...]]) -> None:
    # gpt-4o: 1920 cached x (2.50 - 1.25) / 1M
    assert priced["openai:chatcmpl-cache"][2] == D("0.0024")
    # sonnet-4.5: 18432 x (3.00 - 0.30) / 1M
    assert priced["anthropic:msg_sonnet"][2] == D("0.0497664")
    # gemini-2.5-flash batch: cache reads stay at the standard 0.03 while batch input is 0.15: 5000 x 0.12
    assert priced["google:gem_batch"][2] == D("0.0006")
    assert priced["openai:chatcmpl-unknown"][2] is None


def test_models_resolve_to_canonical_ids_and_rows_carry_the_catalogue_version(
    priced: dict[str, tuple[Any, ...]],
) -> None:
    assert priced["openai:chatcmpl-cache"][3] == "gpt-4o"
    assert priced["google:gem_batch"][3] == "gemini-2.5-flash"
    assert priced["anthropic:msg_200001"][3] == "claude-sonnet-4-5"
    assert priced["openai:chatcmpl-unknown"][3] == "gpt-9-preview"
    assert len({row[4] for row in priced.values()}) == 1


def test_marts_add_up_and_count_unpriced_requests(settings: Settings) -> None:
    total = sum((cost for _, cost in EXPECTED.values() if cost is not None), D(0))
    (mart_total, unpriced), = read(
        settings, "SELECT sum(list_cost_usd), sum(unpriced_requests) FROM marts.daily_model_spend"
    )
    assert mart_total == total
    assert unpriced == 2
    (project_total,), = read(settings, "SELECT sum(list_cost_usd) FROM marts.daily_project_spend")
    assert project_total == total
    # one row per day x provider x model: 2026-03-10 has gpt-4o, gpt-4.1-mini, gpt-9-preview, gpt-5-nano, gpt-5,
    # gpt-5.4, sonnet, opus, haiku, gemini-2.5-pro, gemini-2.5-flash; plus o3 on two days and sonnet on 2026-05-02.
    (rows,), = read(settings, "SELECT count(*) FROM marts.daily_model_spend")
    assert rows == 11 + 2 + 1


def test_message_text_never_reaches_the_warehouse(priced: dict[str, tuple[Any, ...]], settings: Settings) -> None:
    assert b"secret answer" not in settings.warehouse.read_bytes()
