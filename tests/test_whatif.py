"""What-if savings (marts.savings_opportunities, `meterline whatif`) and cost per request, computed by hand.

One day of traffic (so a month is 30 of it) on project chat, gpt-4o on OpenAI ($2.50/M input, $1.25/M cached input,
$10/M output): 800,000 uncached + 200,000 cached input and 100,000 output tokens cost
0.8 x 2.50 + 0.2 x 1.25 + 0.1 x 10 = $3.25 a day, a 20% cache hit rate.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from models.savings import SelfHost
from pipelines.cli import main
from pipelines.pricing.catalogue import load_catalogue
from pipelines.pricing.rates import build_rate_card
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings, bundled_pricing_dir
from pipelines.whatif.levers import Pricer, Volume, self_host, swap
from tests.conftest import envelope, make_settings, read, write_jsonl

SAVINGS = """\
classes:
  cheap: [openai/gpt-4o-mini, anthropic/claude-haiku-4-5]
swaps:
  - {from: "gpt-4o", to_class: cheap}
self_host:
  - {name: one-gpu, gpu_type: L40S, gpus: 1, usd_per_gpu_hour: 2, tokens_per_second: 1500, replaces: ["gpt-4o*"]}
"""


def _chat(rid: str, prompt: int, cached: int, completion: int, model: str = "gpt-4o-2024-08-06") -> dict[str, Any]:
    return {"id": rid, "object": "chat.completion", "created": 1773136800, "model": model,
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "prompt_tokens_details": {"cached_tokens": cached}}}


@pytest.fixture(scope="module")
def whatif_run(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("whatif"))
    # Two requests adding up to the day above: 600,000 + 400,000 input (150,000 + 50,000 cached), 100,000 output.
    write_jsonl(settings.landing / "app.jsonl", [
        envelope("2026-03-10T10:00:00Z", _chat("chatcmpl-1", 600_000, 150_000, 60_000), provider="openai",
                 project="chat"),
        envelope("2026-03-10T11:00:00Z", _chat("chatcmpl-2", 400_000, 50_000, 40_000), provider="openai",
                 project="chat"),
    ])
    savings = settings.landing.parent / "savings.yaml"
    savings.write_text(SAVINGS, encoding="utf-8")
    settings = dataclasses.replace(settings, savings=savings)
    run_pipeline(settings)
    return settings


def _opportunities(settings: Settings) -> dict[str, tuple[Any, ...]]:
    rows = read(settings, "SELECT lever, project, provider, model, target, requests, tokens, current_cost_usd,"
                          " whatif_cost_usd, saving_usd, monthly_saving_usd, price_ratio, cache_hit_rate,"
                          " whatif_cache_hit_rate, tokens_per_month, crossover_tokens_per_month, basis_from::VARCHAR,"
                          " basis_to::VARCHAR FROM marts.savings_opportunities ORDER BY lever")
    return {row[0]: row[1:] for row in rows}


def test_every_lever_by_hand(whatif_run: Settings) -> None:
    found = _opportunities(whatif_run)
    assert set(found) == {"cache", "batch", "swap", "self_host"}
    assert {row[15:] for row in found.values()} == {("2026-03-10", "2026-03-10")}

    # 10 more points of hits: 300,000 of the 1,000,000 input tokens cached:
    # 0.7 x 2.50 + 0.3 x 1.25 + 1.00 = $3.125; $0.125 a day, $3.75 a month.
    cache = found["cache"]
    assert cache[:6] == ("chat", "openai", "gpt-4o", "cache hits 20.0% -> 30.0%", 2, 1_100_000)
    assert cache[6:13] == (Decimal("3.25"), Decimal("3.125"), Decimal("0.125"), Decimal("3.75"), Decimal("0.9615"),
                           Decimal("0.2"), Decimal("0.3"))

    # Batch: $1.25/M input and $5/M output, cached input unchanged at $1.25/M:
    # 0.8 x 1.25 + 0.2 x 1.25 + 0.1 x 5 = $1.75; $1.50 a day, $45 a month.
    assert found["batch"][3:11] == ("batch", 2, 1_100_000, Decimal("3.25"), Decimal("1.75"), Decimal("1.5"),
                                    Decimal("45"), Decimal("0.5385"))

    # The cheapest of the class: gpt-4o-mini ($0.15, $0.075, $0.60 per M) at 0.8 x 0.15 + 0.2 x 0.075 + 0.1 x 0.60
    # = $0.195, not claude-haiku-4-5 (0.8 x 1 + 0.2 x 0.10 + 0.1 x 5 = $1.32).
    assert found["swap"][3:11] == ("openai/gpt-4o-mini", 2, 1_100_000, Decimal("3.25"), Decimal("0.195"),
                                   Decimal("3.055"), Decimal("91.65"), Decimal("0.06"))

    # One GPU at $2/h all day: $1,440 a month, $48 over the one basis day. The traffic is 33M tokens ($97.50) a
    # month; the API bill reaches $1,440 at 1,440 x 1,100,000 / 3.25 = 487,384,615 tokens a month.
    host = found["self_host"]
    assert host[3:11] == ("one-gpu", 2, 1_100_000, Decimal("3.25"), Decimal("48"), Decimal("-44.75"),
                          Decimal("-1342.5"), Decimal("14.7692"))
    assert host[13:15] == (Decimal(33_000_000), Decimal(487_384_615))


def test_crossover_is_where_the_api_bill_meets_the_deployment(whatif_run: Settings) -> None:
    found = _opportunities(whatif_run)
    tokens_per_month, crossover = found["self_host"][13:15]
    api_per_token = Decimal("3.25") / 1_100_000
    monthly_gpu = Decimal(1) * 2 * 24 * 30
    # At the crossover volume, the API would cost what the GPU costs (to within the token rounding).
    assert abs(crossover * api_per_token - monthly_gpu) < api_per_token
    assert tokens_per_month * Decimal("3.25") / 1_100_000 == Decimal("97.5")  # the month's API bill now


def test_the_mart_is_rebuilt_not_appended(whatif_run: Settings) -> None:
    before = _opportunities(whatif_run)
    run_pipeline(whatif_run)
    assert _opportunities(whatif_run) == before
    assert read(whatif_run, "SELECT count(*) FROM marts.savings_opportunities") == [(4,)]


def test_whatif_command_prices_adhoc_levers_and_shows_assumptions(whatif_run: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["whatif", "--warehouse", str(whatif_run.warehouse), "--project", "chat",
                                  "--swap", "gpt-4o=gpt-4o-mini", "--cache-hit", "0.5"])
    assert result.exit_code == 0, result.output
    # 50% hits: 0.5 x 2.50 + 0.5 x 1.25 + 1.00 = $2.875, $0.375 a day, $11.25 a month; the swap $91.65 a month.
    assert "$11.25" in result.output and "$91.65" in result.output
    assert "cache hits 20.0% -> 50.0%" in result.output
    assert "batch" not in result.output.split("Assumptions:")[0]  # only the levers asked for
    assert "quality not compared" in result.output and "no extra cache writes" in result.output

    missing = runner.invoke(main, ["whatif", "--warehouse", str(whatif_run.warehouse), "--project", "nobody"])
    assert missing.exit_code == 1 and "no priced traffic" in missing.output
    bad = runner.invoke(main, ["whatif", "--warehouse", str(whatif_run.warehouse), "--swap", "gpt-4o"])
    assert bad.exit_code == 2 and "--swap expects FROM=TO" in bad.output


def test_a_bad_savings_file_names_the_file_and_field(whatif_run: Settings) -> None:
    broken = whatif_run.landing.parent / "broken.yaml"
    broken.write_text("swaps:\n  - {from: gpt-4o, to_class: nowhere}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["whatif", "--warehouse", str(whatif_run.warehouse), "--savings", str(broken)])
    assert result.exit_code == 1
    assert str(broken) in result.output and "nowhere" in result.output


def test_cost_per_request_mean_median_and_p95(settings: Settings) -> None:
    # gpt-4o output at $10/M: 100k, 200k, 300k, 400k and 10M output tokens cost $1, $2, $3, $4 and $100.
    write_jsonl(settings.landing / "app.jsonl", [
        *(envelope("2026-03-10T10:00:00Z", _chat(f"chatcmpl-{n}", 0, 0, n * 100_000), provider="openai",
                   project="chat") for n in (1, 2, 3, 4, 100)),
        envelope("2026-03-10T10:00:00Z", _chat("chatcmpl-x", 10, 0, 10, model="gpt-unknown-9"), provider="openai",
                 project="chat"),
    ])
    run_pipeline(settings)
    rows = read(settings, "SELECT provider, project, model, priced_requests, requests_not_measured, mean_cost_usd,"
                          " p50_cost_usd, p95_cost_usd, max_cost_usd FROM marts.daily_request_cost ORDER BY model")
    # Mean (1 + 2 + 3 + 4 + 100) / 5 = 22; median 3; p95 interpolates 80% of the way from $4 to $100: $80.80.
    assert rows == [
        ("openai", "chat", "gpt-4o", 5, 0, Decimal(22), Decimal(3), Decimal("80.8"), Decimal(100)),
        ("openai", "chat", "gpt-unknown-9", 0, 1, None, None, None, None)]


def _pricer() -> Pricer:
    catalogue = load_catalogue(bundled_pricing_dir())
    return Pricer(build_rate_card(catalogue), catalogue.exchange_rates)


def _volume(provider: str, model: str, **tokens: int) -> Volume:
    counts = {name: 0 for name in ("input_tokens", "cache_read_tokens", "cache_write_5m_tokens",
                                   "cache_write_1h_tokens", "output_tokens", "reasoning_tokens", "input_audio_tokens",
                                   "output_audio_tokens", "input_image_tokens", "output_image_tokens")}
    return Volume(project="p", provider=provider, model=model, service_tier="standard", is_batch=False,
                  endpoint_scope="global", context_tier="base", last_seen=datetime(2026, 3, 10, 11), requests=1,
                  **{**counts, **tokens})


def test_a_swap_target_without_cache_write_prices_writes_as_input() -> None:
    # claude-sonnet-4-5 ($3 input, $3.75 5m writes, $15 output per M): 0.3 + 0.375 + 0.15 = $0.825. gpt-4o-mini has no
    # cache-write price: the 100,000 written tokens are plain input there, 200,000 x $0.15/M + 10,000 x $0.60/M.
    volume = _volume("anthropic", "claude-sonnet-4-5", input_tokens=100_000, cache_write_5m_tokens=100_000,
                     output_tokens=10_000)
    found = swap([volume], _pricer(), Decimal(1), ["openai/gpt-4o-mini"])
    assert found is not None
    assert (found.target, found.current_cost_usd, found.whatif_cost_usd) == (
        "openai/gpt-4o-mini", Decimal("0.825"), Decimal("0.036"))
    assert swap([volume], _pricer(), Decimal(1), ["openai/gpt-unknown-9"]) is None


def test_traffic_beyond_one_deployment_pays_for_as_many_as_it_needs() -> None:
    # 1,100,000 tokens a day, 33M a month; one GPU at 10 tokens/s serves 10 x 3,600 x 720 = 25.92M: two of them,
    # 2 x $1,440 a month, $96 per basis day.
    volume = _volume("openai", "gpt-4o", input_tokens=1_000_000, output_tokens=100_000)
    small = SelfHost(name="tiny", gpu_type="T4", gpus=1, usd_per_gpu_hour=Decimal(2), tokens_per_second=Decimal(10),
                     replaces=["gpt-4o"])
    found = self_host([volume], _pricer(), Decimal(30), small, "p")
    assert found is not None
    assert found.whatif_cost_usd == Decimal(96) and "needs 2 such deployments" in found.assumption


def test_whatif_warns_of_a_swap_target_the_catalogue_does_not_list(whatif_run: Settings) -> None:
    result = CliRunner().invoke(main, ["whatif", "--warehouse", str(whatif_run.warehouse),
                                       "--swap", "gpt-4o=claude-haiku-4-5"])
    assert result.exit_code == 0
    assert "not in the catalogue, so not priced: openai/claude-haiku-4-5" in result.output
    assert "provider/model" in result.output
