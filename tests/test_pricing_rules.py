"""Every pricing rule the schema expresses, priced through the real pipeline on a small made-up catalogue, with
each expected cost worked out by hand: time windows with a time zone, endpoint scopes, free web-search quotas,
reasoning and audio rates, a price change at midnight UTC, another currency through dated exchange rates, and
the contract overlay (discount, custom rates, first match wins, a model only the contract prices)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pipelines.pricing.catalogue import load_catalogue
from pipelines.pricing.contracts import load_contracts
from pipelines.pricing.quote import quote
from pipelines.pricing.rates import build_rate_card
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import envelope, priced_usages, read, write_jsonl

D = Decimal
ACME = """provider: acme
models:
  - id: acme-chat
    prices:
      - effective_from: 2026-01-01
        rates: {input: 2.00, cache_read: 0.50, output: 8.00, output_reasoning: 12.00, input_audio: 40.00,
                web_search_per_1k: 10.00}
        web_search_free: {calls: 3, period: day}
        endpoint_scopes:
          geo: {multiplier: 1.1}
          in_region: {rates: {input: 2.50}}
        time_windows:
          - name: off_peak
            multiplier: 0.5
            windows:
              - {weekdays: [1, 2, 3, 4, 5], start: "16:30", end: "00:30", timezone: UTC}
              - {weekdays: [6, 7], timezone: Asia/Shanghai}
        source: https://example.com/acme
        checked: 2026-11-28
      - effective_from: 2026-03-02
        rates: {input: 1.00, output: 4.00}
        source: https://example.com/acme
        checked: 2026-11-28
"""
SEARCH = """  - id: acme-search
    prices:
      - effective_from: 2026-01-01
        rates: {input: 2.00, output: 8.00, web_search_per_1k: 10.00}
        web_search_free: {calls: 3, period: month}
        source: https://example.com/acme
        checked: 2026-11-28
"""
YUAN = """provider: yuan
currency: CNY
models:
  - id: yuan-llm
    prices:
      - effective_from: 2025-01-01
        rates: {input: 7.25, output: 14.50}
        source: https://example.com/yuan
        checked: 2026-11-28
"""
FX = """rates:
  - {currency: CNY, usd_per_unit: "0.1379310345", effective_from: 2026-01-01, source: test, checked: 2026-11-28}
  - {currency: CNY, usd_per_unit: "0.14", effective_from: 2026-06-01, source: test, checked: 2026-11-28}
"""
CONTRACTS = """contracts:
  - name: private-model
    provider: acme
    models: [acme-private]
    effective_from: 2026-01-01
    rates: {input: 1.00, output: 2.00}
  - name: acme-deal
    provider: acme
    models: ["acme-*"]
    effective_from: 2026-01-01
    effective_to: 2027-01-01
    discount_percent: 20
    commitment_usd: 10000
  - name: never-reached
    provider: acme
    models: ["*"]
    effective_from: 2026-01-01
    discount_percent: 50
  - name: yuan-custom
    provider: yuan
    models: [yuan-llm]
    effective_from: 2026-01-01
    rates: {input: 0.50}
"""


def message(rid: str, model: str, uncached: int, output: int, *, read: int = 0, thinking: int = 0,
            web: int = 0) -> dict[str, Any]:
    return {"id": rid, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "secret answer"}],
            "usage": {"input_tokens": uncached, "cache_read_input_tokens": read, "output_tokens": output,
                      "output_tokens_details": {"thinking_tokens": thinking},
                      "server_tool_use": {"web_search_requests": web}}}


def audio_chat(rid: str, created: int, prompt: int, audio: int, completion: int) -> dict[str, Any]:
    return {"id": rid, "object": "chat.completion", "created": created, "model": "acme-chat",
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": audio}}}


def acme(when: str, response: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return envelope(when, response, provider="anthropic", platform="acme", **extra)


# event id -> (cost_status, list cost, contracted cost, time window), each worked out by hand (rates per 1M).
EXPECTED: dict[str, tuple[str, Decimal | None, Decimal | None, str | None]] = {
    # Wednesday noon UTC, peak: 1000 x 2 + (500 - 200) x 8 + 200 reasoning x 12 = 0.0068; contract -20%
    "peak": ("priced", D("0.0068"), D("0.00544"), None),
    # Wednesday 17:00 UTC is inside 16:30-00:30 UTC: every token class at half
    "weekday_evening": ("priced", D("0.0034"), D("0.00272"), "off_peak"),
    # Friday 16:10 UTC is before 16:30 UTC, but already Saturday 00:10 in Shanghai: the weekend window
    "beijing_saturday": ("priced", D("0.0034"), D("0.00272"), "off_peak"),
    # Sunday 16:10 UTC is Monday 00:10 in Shanghai (not the weekend) and before 16:30 UTC: peak
    "beijing_monday": ("priced", D("0.0068"), D("0.00544"), None),
    # Monday 00:10 UTC is the tail of a Sunday-evening window, and Sunday is not listed: peak
    "monday_after_midnight": ("priced", D("0.0068"), D("0.00544"), None),
    # Tuesday 00:10 UTC is the tail of Monday's 16:30-00:30 window: off-peak
    "tuesday_after_midnight": ("priced", D("0.0034"), D("0.00272"), "off_peak"),
    # geo endpoint, x1.1 on every token class: 1000 x 2.2 + 100 x 8.8
    "geo": ("priced", D("0.00308"), D("0.002464"), None),
    # in-region endpoint, published input rate 2.50, output unchanged: 1000 x 2.5 + 100 x 8
    "in_region": ("priced", D("0.0033"), D("0.00264"), None),
    # 3 free web searches a day, counted in event order: 2 calls (2 free), 2 calls (1 free), 2 calls (0 free);
    # each also has 10 input tokens (0.00002)
    "search_1": ("priced", D("0.00002"), D("0.000016"), None),
    "search_2": ("priced", D("0.01002"), D("0.008016"), None),
    "search_3": ("priced", D("0.02002"), D("0.016016"), None),
    # 3 free calls a month: 2 free on Feb 10, 1 free + 1 billed on Feb 11, the allowance renews in March
    "month_1": ("priced", D("0"), D("0"), None),
    "month_2": ("priced", D("0.01"), D("0.008"), None),
    "month_3": ("priced", D("0"), D("0"), None),
    # audio in its own class: (1500 - 500) x 2 + 500 x 40 + 100 x 8 = 0.0228
    "audio": ("priced", D("0.0228"), D("0.01824"), None),
    # the price change at midnight UTC: 1000 x 2 one second before (Sunday in UTC, Monday 07:59 in Shanghai:
    # peak), 1000 x 1 at 00:00:00
    "before_midnight": ("priced", D("0.002"), D("0.0016"), None),
    "at_midnight": ("priced", D("0.001"), D("0.0008"), None),
    # 1M input at 7.25 CNY, 1 CNY = 0.1379310345 USD; the contract's own input rate: 1M x $0.50
    "cny_january": ("priced", D("1.000000000125"), D("0.5"), None),
    # from June 1 CNY is 0.14 USD: 7.25 x 0.14
    "cny_june": ("priced", D("1.015"), D("0.5"), None),
    # before the first exchange rate there is no USD figure: unpriced, never $0
    "cny_no_fx": ("unpriced_fx", None, None, None),
    # a model the catalogue lacks, priced by the contract alone: 1000 x 1 + 1000 x 2
    "private": ("unpriced_model", None, D("0.003"), None),
}


@pytest.fixture(scope="module")
def priced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, tuple[Any, ...]]]:
    root = tmp_path_factory.mktemp("rules")
    pricing = root / "pricing"
    pricing.mkdir()
    (pricing / "acme.yaml").write_text(ACME + SEARCH)
    (pricing / "yuan.yaml").write_text(YUAN)
    (pricing / "exchange_rates.yaml").write_text(FX)
    (root / "contracts.yaml").write_text(CONTRACTS)
    settings = Settings(landing=root / "landing", warehouse=root / "wh" / "w.duckdb", pricing=pricing,
                        contracts=root / "contracts.yaml")
    write_jsonl(settings.landing / "acme.jsonl", [
        acme("2026-02-11T12:00:00Z", message("peak", "acme-chat", 1000, 500, thinking=200)),
        acme("2026-02-11T17:00:00Z", message("weekday_evening", "acme-chat", 1000, 500, thinking=200)),
        acme("2026-02-13T16:10:00Z", message("beijing_saturday", "acme-chat", 1000, 500, thinking=200)),
        acme("2026-02-15T16:10:00Z", message("beijing_monday", "acme-chat", 1000, 500, thinking=200)),
        acme("2026-02-16T00:10:00Z", message("monday_after_midnight", "acme-chat", 1000, 500, thinking=200)),
        acme("2026-02-17T00:10:00Z", message("tuesday_after_midnight", "acme-chat", 1000, 500, thinking=200)),
        acme("2026-02-11T12:00:00Z", message("geo", "acme-chat", 1000, 100), endpoint_scope="geo"),
        acme("2026-02-11T12:00:00Z", message("in_region", "acme-chat", 1000, 100), endpoint_scope="in_region"),
        acme("2026-02-10T09:00:00Z", message("month_1", "acme-search", 0, 0, web=2)),
        acme("2026-02-11T09:00:00Z", message("month_2", "acme-search", 0, 0, web=2)),
        acme("2026-03-01T09:00:00Z", message("month_3", "acme-search", 0, 0, web=2)),
        acme("2026-02-12T09:00:00Z", message("search_1", "acme-chat", 10, 0, web=2)),
        acme("2026-02-12T10:00:00Z", message("search_2", "acme-chat", 10, 0, web=2)),
        acme("2026-02-12T11:00:00Z", message("search_3", "acme-chat", 10, 0, web=2)),
        acme("2026-03-01T23:59:59Z", message("before_midnight", "acme-chat", 1000, 0)),
        acme("2026-03-02T00:00:00Z", message("at_midnight", "acme-chat", 1000, 0)),
        acme("2026-01-05T10:00:00Z", message("private", "acme-private", 1000, 1000)),
        envelope("2026-01-20T10:00:00Z", message("cny_january", "yuan-llm", 1_000_000, 0), provider="anthropic",
                 platform="yuan"),
        envelope("2026-06-02T10:00:00Z", message("cny_june", "yuan-llm", 1_000_000, 0), provider="anthropic",
                 platform="yuan"),
        envelope("2025-12-31T10:00:00Z", message("cny_no_fx", "yuan-llm", 1_000_000, 0), provider="anthropic",
                 platform="yuan"),
        envelope("2026-02-11T12:00:00Z", audio_chat("audio", 1770811200, 1500, 500, 100), provider="openai",
                 platform="acme"),
    ])
    run_pipeline(settings)
    rows = read(settings, "SELECT split_part(event_id, ':', 2), cost_status, list_cost_usd, contracted_cost_usd,"
                          " time_window, contract_name, rate_id, web_search_billable FROM core.usage_priced")
    return settings, {row[0]: row[1:] for row in rows}


@pytest.mark.parametrize("event", sorted(EXPECTED))
def test_each_rule_prices_to_the_hand_computed_figure(priced: tuple[Settings, dict[str, Any]], event: str) -> None:
    status, list_cost, contracted, window = EXPECTED[event]
    got = priced[1][event]
    assert got[:4] == (status, list_cost, contracted, window), got


def test_first_matching_contract_wins_and_free_calls_are_counted_in_order(
    priced: tuple[Settings, dict[str, Any]],
) -> None:
    rows = priced[1]
    assert {rows[e][4] for e in ("peak", "geo", "search_3", "at_midnight")} == {"acme-deal"}
    assert rows["private"][4] == "private-model" and rows["cny_june"][4] == "yuan-custom"
    assert [rows[f"search_{n}"][6] for n in (1, 2, 3)] == [0, 1, 2]
    assert rows["geo"][5] == "acme/acme-chat/2026-01-01/standard/scope-geo"
    assert rows["weekday_evening"][5] == "acme/acme-chat/2026-01-01/standard/off_peak"


def test_marts_carry_list_and_contracted_cost(priced: tuple[Settings, dict[str, Any]]) -> None:
    settings, _ = priced
    by_model = dict(
        (f"{p}/{m}", (lc, cc)) for p, m, lc, cc in read(settings, "SELECT provider, model, sum(list_cost_usd),"
                                                                  " sum(contracted_cost_usd) FROM"
                                                                  " marts.daily_model_spend GROUP BY ALL"))
    acme_list = sum((v[1] for k, v in EXPECTED.items()
                     if v[1] is not None and not k.startswith(("cny", "month"))), D(0))
    acme_contracted = sum((v[2] for k, v in EXPECTED.items()
                           if v[1] is not None and not k.startswith(("cny", "month"))), D(0))
    assert by_model["acme/acme-chat"] == (acme_list, acme_contracted)
    # The contract-only model shows its contracted cost; its list cost stays 0 and it counts as unpriced.
    assert by_model["acme/acme-private"] == (D(0), D("0.003"))
    assert by_model["yuan/yuan-llm"] == (D("2.015000000125"), D("1"))


def test_the_reference_quote_agrees_with_sql_on_every_rule(priced: tuple[Settings, dict[str, Any]]) -> None:
    settings, _ = priced
    catalogue = load_catalogue(settings.pricing)
    card = build_rate_card(catalogue)
    contracts = list(load_contracts(settings.contracts).terms.contracts)
    for usage, (status, list_cost, contracted) in priced_usages(
            settings, "cost_status, list_cost_usd, contracted_cost_usd"):
        result = quote(card, usage, catalogue.exchange_rates, contracts)
        assert (result.cost_status, result.list_cost_usd) == (status, list_cost), usage
        expected_contracted = result.contracted_cost_usd if result.contract else result.list_cost_usd
        assert expected_contracted == contracted, usage


def test_a_contract_file_names_the_entry_when_it_is_wrong(tmp_path: Path) -> None:
    from pipelines.pricing.catalogue import CatalogueError

    bad = tmp_path / "contracts.yaml"
    bad.write_text(CONTRACTS.replace("discount_percent: 20", "discount_percent: 120"))
    with pytest.raises(CatalogueError, match=r"contracts\[1\] > discount_percent: Input should be less than or"):
        load_contracts(bad)
    with pytest.raises(CatalogueError, match="contracts file does not exist"):
        load_contracts(tmp_path / "missing.yaml")


def test_commitments_show_how_much_of_the_committed_spend_is_used(priced: tuple[Settings, dict[str, Any]]) -> None:
    settings, _ = priced
    rows = read(settings, "SELECT contract_name, term_start, term_end, commitment_usd, contracted_spend_usd,"
                          " share_consumed FROM marts.contract_commitments")
    # acme-deal covers acme-* in 2026: every acme-chat request above plus the contract-priced acme-private one.
    spent = sum((v[2] for k, v in EXPECTED.items() if v[2] is not None and not k.startswith("cny")), D(0))
    assert rows == [("acme-deal", date(2026, 1, 1), date(2026, 12, 31), D("10000"), spent,
                     round(spent / 10000, 4))]


def test_a_contracts_file_kept_in_the_catalogue_folder_applies_by_default(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("METERLINE_CONTRACTS", raising=False)
    pricing = tmp_path / "pricing"
    pricing.mkdir()
    (pricing / "acme.yaml").write_text(ACME)
    assert Settings.resolve(pricing=pricing).contracts is None
    (pricing / "contracts.yaml").write_text(CONTRACTS)
    assert Settings.resolve(pricing=pricing).contracts == pricing / "contracts.yaml"
    assert set(load_catalogue(pricing).providers) == {"acme"}  # not read as a provider file
    other = tmp_path / "elsewhere.yaml"
    other.write_text(CONTRACTS)
    assert Settings.resolve(pricing=pricing, contracts=other).contracts == other


def test_rebuilding_one_day_of_a_monthly_allowance_names_the_later_days(
    priced: tuple[Settings, dict[str, Any]],
) -> None:
    from pipelines.assets.daily import _later_days_on_monthly_quotas
    from pipelines.warehouse import connect

    settings, _ = priced
    with connect(settings.warehouse, read_only=True) as conn:
        assert _later_days_on_monthly_quotas(conn, date(2026, 2, 10), date(2026, 2, 10)) == (
            date(2026, 2, 11), date(2026, 2, 11))
        assert _later_days_on_monthly_quotas(conn, date(2026, 2, 10), date(2026, 2, 28)) is None
        assert _later_days_on_monthly_quotas(conn, date(2026, 2, 12), date(2026, 2, 12)) is None  # a daily one
