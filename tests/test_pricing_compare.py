"""`meterline pricing compare`: the catalogue checked against genai-prices, rate by rate and on real requests.
Every difference must be fixed or explained: by the model entry's `discrepancies`, or by a documented rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.pricing.catalogue import load_catalogue
from pipelines.pricing.compare import compare_moment, compare_rates, compare_request
from pipelines.pricing.rates import build_rate_card
from pipelines.settings import Settings, bundled_pricing_dir
from tests.conftest import priced_usages

pytest.importorskip("genai_prices", reason="genai-prices is the optional `compare` extra (make test installs it)")


def test_every_rate_difference_is_explained() -> None:
    result = compare_rates(load_catalogue(bundled_pricing_dir()), compare_moment(date(2026, 11, 28)))
    assert result.compared_models >= 150 and result.compared_rates >= 1000
    unexplained = [d for d in result.disagreements if d.explanation is None]
    assert unexplained == []
    explained = {(d.provider, d.model, d.rate): d.explanation for d in result.disagreements}
    # The reference's known disagreements are among them, each with its reason.
    assert "(pricing-anchors 10.3 item 4)" in explained[("vertex", "gemini-2.0-flash", "input")]
    assert "R1-era" in explained[("deepseek", "deepseek-reasoner", "input")]


def test_history_differences_are_explained_at_their_date() -> None:
    result = compare_rates(load_catalogue(bundled_pricing_dir()), compare_moment(date(2025, 5, 1)))
    o3 = [d for d in result.disagreements if (d.provider, d.model, d.rate) == ("openai", "o3", "cache_read")]
    # genai-prices has o3's pre-cut cached input at 0.50; meterline follows the launch price 2.50 (10.3 item 1).
    assert [(d.ours, d.theirs) for d in o3 if d.variant == "standard"] == [(Decimal("2.5"), Decimal("0.5"))]
    assert all("10.3 item 1" in (d.explanation or "") for d in o3)


def test_a_wrong_price_is_reported_and_fails_the_command(tmp_path: Path) -> None:
    folder = tmp_path / "pricing"
    folder.mkdir()
    for source in bundled_pricing_dir().glob("*.yaml"):
        (folder / source.name).write_text(source.read_text())
    openai = folder / "openai.yaml"
    text = openai.read_text()
    assert "rates: {input: 0.40, cache_read: 0.10, output: 1.60," in text
    openai.write_text(text.replace("rates: {input: 0.40, cache_read: 0.10, output: 1.60,",
                                   "rates: {input: 0.44, cache_read: 0.10, output: 1.60,", 1))
    result = CliRunner().invoke(main, ["pricing", "compare", "--pricing", str(folder), "--at", "2026-11-28",
                                       "--unexplained-only"])
    assert result.exit_code == 1
    assert "openai/gpt-4.1-mini (standard) input: meterline 0.44, genai-prices 0.4  -- UNEXPLAINED" in result.output
    assert "1 unexplained" in result.output


def test_demo_requests_cost_the_same_in_both_catalogues_or_say_why(demo_run: Settings) -> None:
    catalogue = load_catalogue(bundled_pricing_dir())
    card = build_rate_card(catalogue)
    rows = priced_usages(demo_run, "event_id", "cost_status = 'priced'")
    assert len(rows) > 500
    comparisons = [compare_request(catalogue, card, usage) for usage, _ in rows]
    differing = [c for c in comparisons if not c.agrees]
    assert [c.usage for c in differing if c.explanation is None] == []
    # Most requests agree to the micro-dollar; the rest are explained, e.g. batch before genai-prices' 2026-10-14.
    assert sum(c.agrees for c in comparisons) > len(comparisons) / 2
