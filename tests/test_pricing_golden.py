"""Golden cases from shared/reference/pricing-anchors.md (sections 1.4, 9 and 11 item 12) on the bundled
catalogue, each worked out by hand from the list prices per 1M tokens, first with the reference quote and then,
for the cases that need the platform and scope of a real log line, through the whole pipeline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from pipelines.pricing.aliases import ModelIndex
from pipelines.pricing.catalogue import load_catalogue
from pipelines.pricing.quote import Quote, Usage, quote
from pipelines.pricing.rates import build_rate_card
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings, bundled_pricing_dir
from tests.conftest import envelope, read, write_jsonl

D = Decimal
CATALOGUE = load_catalogue(bundled_pricing_dir())
CARD = build_rate_card(CATALOGUE)
INDEX = ModelIndex.from_catalogue(CATALOGUE)


def price(provider: str, model: str, at: str, platform: str = "direct", **usage: Any) -> Quote:
    resolved = INDEX.resolve(provider, model, platform)
    scope = usage.pop("endpoint_scope", None) or resolved.endpoint_scope or "global"
    return quote(CARD, Usage(provider=resolved.price_provider, model=resolved.model,
                             event_time=datetime.fromisoformat(at), endpoint_scope=scope, **usage),
                 CATALOGUE.exchange_rates)


def test_anthropic_cache_ttls_and_web_search() -> None:
    # Sonnet 4.5: 1,000 uncached x 3 + 3,000 5m writes x 3.75 + 2,000 1h writes x 6 + 20,000 reads x 0.30
    # + 800 out x 15 = 0.03225 + 0.012, plus 2 searches at $10 per 1,000: 0.06425 (section 1.4)
    q = price("anthropic", "claude-sonnet-4-5-20250929", "2026-06-01T12:00:00", input_tokens=1000,
              cache_write_5m_tokens=3000, cache_write_1h_tokens=2000, cache_read_tokens=20000, output_tokens=800,
              web_search_requests=2)
    assert q.list_cost_usd == D("0.06425")
    # The same 10,000 written tokens cost 0.0375 with a 5-minute TTL and 0.06 with a 1-hour TTL.
    five = price("anthropic", "claude-sonnet-4-5", "2026-06-01", cache_write_5m_tokens=10000)
    hour = price("anthropic", "claude-sonnet-4-5", "2026-06-01", cache_write_1h_tokens=10000)
    assert (five.list_cost_usd, hour.list_cost_usd) == (D("0.0375"), D("0.06"))


def test_sonnet_3_7_cache_write_issue_repro() -> None:
    # 3 uncached + 12,304 cache writes (5m) + 550 out on Sonnet 3.7: 3 x 3 + 12304 x 3.75 + 550 x 15 = 0.054399
    q = price("anthropic", "claude-3-7-sonnet-20250219", "2025-06-01", input_tokens=3,
              cache_write_5m_tokens=12304, output_tokens=550)
    assert q.list_cost_usd == D("0.054399")


@pytest.mark.parametrize(("tier", "batch", "expected"), [
    # gpt-5, 10,000 input of which 8,000 cached, 500 out: 2000 x 1.25 + 8000 x 0.125 + 500 x 10 = 0.0085
    ("standard", False, D("0.0085")),
    ("priority", False, D("0.017")),   # 2.50 / 0.25 / 20
    ("flex", False, D("0.00425")),     # 0.625 / 0.0625 / 5
    ("standard", True, D("0.00425")),  # batch: 0.625 / 0.0625 / 5
])
def test_gpt5_service_tiers_and_batch(tier: str, batch: bool, expected: Decimal) -> None:
    q = price("openai", "gpt-5", "2026-11-01", service_tier=tier, is_batch=batch, input_tokens=2000,
              cache_read_tokens=8000, output_tokens=500)
    assert q.list_cost_usd == expected


def test_o3_history_and_the_price_change_at_midnight_utc() -> None:
    # 1M in + 1M out: 10 + 40 before the 2025-06-10 cut, 2 + 8 after (section 1.4)
    assert price("openai", "o3", "2025-05-01", input_tokens=10**6, output_tokens=10**6).list_cost_usd == D(50)
    assert price("openai", "o3", "2025-07-01", input_tokens=10**6, output_tokens=10**6).list_cost_usd == D(10)
    assert price("openai", "o3", "2025-06-09T23:59:59", input_tokens=10**6).list_cost_usd == D(10)
    assert price("openai", "o3", "2025-06-10T00:00:00", input_tokens=10**6).list_cost_usd == D(2)


def test_the_200000_vs_200001_cliff() -> None:
    # gemini-2.5-pro: 200,000 input x 1.25 = 0.25 and 1,000 out x 10; one token more and the whole request
    # moves to 2.50 / 15: 200,001 x 2.5 = 0.5000025 and 1,000 x 15 = 0.015
    at = price("google", "gemini-2.5-pro", "2026-06-01", input_tokens=200_000, output_tokens=1000)
    above = price("google", "gemini-2.5-pro", "2026-06-01", input_tokens=200_001, output_tokens=1000)
    assert (at.class_cost_usd("input"), at.class_cost_usd("output")) == (D("0.25"), D("0.01"))
    assert (above.class_cost_usd("input"), above.class_cost_usd("output")) == (D("0.5000025"), D("0.015"))
    # Cache reads count towards the measure: 150,000 uncached + 50,001 cached is above the cliff too.
    mixed = price("google", "gemini-2.5-pro", "2026-06-01", input_tokens=150_000, cache_read_tokens=50_001)
    assert mixed.rate is not None and mixed.rate.context_above == 200_000


def test_a_long_context_tier_ends_with_the_beta_that_sold_it() -> None:
    # Sonnet 4.5's >200k tier ended on 2026-04-30 with the 1M beta: 200,001 x 6 the day before, x 3 after.
    before = price("anthropic", "claude-sonnet-4-5", "2026-04-29", input_tokens=200_001)
    after = price("anthropic", "claude-sonnet-4-5", "2026-05-01", input_tokens=200_001)
    assert (before.list_cost_usd, after.list_cost_usd) == (D("1.200006"), D("0.600003"))


def test_batch_with_and_without_cache_discount() -> None:
    # Anthropic batch halves cache reads too: 1000 x 1.5 + 10000 x 0.15 + 1000 x 7.5 = 0.0105
    anthropic = price("anthropic", "claude-sonnet-4-5", "2026-06-01", is_batch=True, input_tokens=1000,
                      cache_read_tokens=10000, output_tokens=1000)
    # Gemini batch halves input and output only: 1000 x 0.15 + 10000 x 0.03 + 1000 x 1.25 = 0.0017
    gemini = price("google", "gemini-2.5-flash", "2026-06-01", is_batch=True, input_tokens=1000,
                   cache_read_tokens=10000, output_tokens=1000)
    assert (anthropic.list_cost_usd, gemini.list_cost_usd) == (D("0.0105"), D("0.0017"))


@pytest.mark.parametrize(("model", "scope", "expected"), [
    # Bedrock Sonnet 4.5, 1M in + 1M out: global 3 + 15; a geo profile (us./eu.) or the bare in-region id 1.1x
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", None, D("18")),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", None, D("19.8")),
    ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", None, D("19.8")),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", None, D("19.8")),
])
def test_bedrock_global_vs_regional(model: str, scope: str | None, expected: Decimal) -> None:
    q = price("anthropic", model, "2026-06-01", platform="bedrock", endpoint_scope=scope, input_tokens=10**6,
              output_tokens=10**6)
    assert q.list_cost_usd == expected


@pytest.mark.parametrize(("at", "expected", "window"), [
    # deepseek-chat in the V3 era, 1M in + 1M out: peak 0.27 + 1.10, off-peak (16:30-00:30 UTC) half
    ("2025-07-01T03:00:00", D("1.37"), None),
    ("2025-07-01T12:00:00", D("1.37"), None),
    ("2025-07-01T20:00:00", D("0.685"), "off_peak"),
])
def test_deepseek_off_peak_hours(at: str, expected: Decimal, window: str | None) -> None:
    q = price("deepseek", "deepseek-chat", at, input_tokens=10**6, output_tokens=10**6)
    assert q.list_cost_usd == expected
    assert q.rate is not None and (q.rate.window_id or "").endswith(window or "") and bool(q.rate.window_id) == bool(
        window)


@pytest.mark.parametrize(("at", "expected"), [
    # deepseek-v4-pro from 2026-08-23, 1M in + 1M out: peak 1.32 + 3.96 at 02:00 UTC on a weekday...
    ("2026-08-28T02:00:00", D("5.28")),   # Friday 10:00 in Beijing: peak
    ("2026-08-29T02:00:00", D("2.64")),   # Saturday 10:00 in Beijing: weekend, off-peak all day
    ("2026-08-30T17:00:00", D("2.64")),   # Sunday 17:00 UTC is Monday 01:00 in Beijing, but 17:00 UTC is off-peak
    ("2026-08-30T20:00:00", D("2.64")),   # Monday 04:00 in Beijing, 20:00 UTC: off-peak hours
    ("2026-08-31T02:00:00", D("5.28")),   # Monday 10:00 in Beijing, 02:00 UTC: peak
])
def test_deepseek_weekend_off_peak_follows_beijing_time(at: str, expected: Decimal) -> None:
    q = price("deepseek", "deepseek-v4-pro", at, input_tokens=10**6, output_tokens=10**6)
    assert q.list_cost_usd == expected


def test_an_unknown_model_is_unpriced_never_zero() -> None:
    q = price("openai", "gpt-9-turbo", "2026-06-01", input_tokens=1000)
    assert (q.cost_status, q.list_cost_usd) == ("unpriced_model", None)


def message(rid: str, model: str, uncached: int, output: int) -> dict[str, Any]:
    return {"id": rid, "type": "message", "role": "assistant", "model": model,
            "usage": {"input_tokens": uncached, "output_tokens": output}}


def chat(rid: str, created: int, model: str, prompt: int, completion: int) -> dict[str, Any]:
    return {"id": rid, "object": "chat.completion", "created": created, "model": model,
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}


def test_platform_scope_and_time_window_through_the_pipeline(settings: Settings) -> None:
    write_jsonl(settings.landing / "mixed.jsonl", [
        envelope("2026-06-01T12:00:00Z", message("br_global", "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                                                 10**6, 10**6), provider="anthropic", platform="bedrock"),
        envelope("2026-06-01T12:00:00Z", message("br_us", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                                                 10**6, 10**6), provider="anthropic", platform="bedrock"),
        envelope("2026-06-01T12:00:00Z", message("br_bare", "anthropic.claude-sonnet-4-5-20250929-v1:0",
                                                 10**6, 10**6), provider="anthropic", platform="bedrock"),
        # 2026-08-29 02:00 UTC is Saturday in Beijing (1787968800); 2026-08-28 02:00 UTC is Friday (1787882400)
        envelope("2026-08-29T02:00:00Z", chat("ds_saturday", 1787968800, "deepseek-v4-pro", 10**6, 10**6),
                 provider="openai", platform="deepseek"),
        envelope("2026-08-28T02:00:00Z", chat("ds_friday", 1787882400, "deepseek-v4-pro", 10**6, 10**6),
                 provider="openai", platform="deepseek"),
        # Chat Completions do not say how many searches they billed; the envelope does.
        envelope("2026-06-01T12:00:00Z", chat("searched", 1780315200, "gpt-4o", 1000, 0), web_search_requests=3),
        envelope("2026-06-01T12:00:00Z", chat("bad_count", 1780315200, "gpt-4o", 1000, 0), web_search_requests=-1),
    ])
    run_pipeline(settings)
    got = {rid: rest for rid, *rest in read(settings, """
        SELECT split_part(event_id, ':', 2), price_provider, model, endpoint_scope, time_window, list_cost_usd
        FROM core.usage_priced""")}
    assert got == {
        "br_global": ["bedrock", "anthropic.claude-sonnet-4-5", "global", None, D("18")],
        "br_us": ["bedrock", "anthropic.claude-sonnet-4-5", "geo", None, D("19.8")],
        "br_bare": ["bedrock", "anthropic.claude-sonnet-4-5", "in_region", None, D("19.8")],
        "ds_saturday": ["deepseek", "deepseek-v4-pro", "global", "off_peak", D("2.64")],
        "ds_friday": ["deepseek", "deepseek-v4-pro", "global", None, D("5.28")],
        # 1000 x 2.50 + 3 searches at $10 per 1,000
        "searched": ["openai", "gpt-4o", "global", None, D("0.0325")],
    }
    assert read(settings, "SELECT reason FROM raw.rejects") == [
        ("envelope field web_search_requests is not a count: -1",)]
