"""`meterline reprice`: after a catalogue or contract change, the days are re-priced through Dagster, the change
is shown per day and model and logged, and the old figures stay auditable through their catalogue version."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from pipelines.cli import main
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings, bundled_pricing_dir
from tests.conftest import envelope, read, write_jsonl

D = Decimal


def chat(rid: str, created: int, model: str, prompt: int, completion: int) -> dict[str, object]:
    return {"id": rid, "object": "chat.completion", "created": created, "model": model,
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}


def test_reprice_after_a_price_change_and_a_new_contract(tmp_path: Path) -> None:
    pricing = tmp_path / "pricing"
    shutil.copytree(bundled_pricing_dir(), pricing)
    settings = Settings(landing=tmp_path / "landing", warehouse=tmp_path / "w.duckdb", pricing=pricing)
    # 2026-03-10 and 2026-03-11 12:00 UTC
    write_jsonl(settings.landing / "a.jsonl", [
        envelope("2026-03-10T12:00:00Z", chat("a", 1773144000, "gpt-4.1-mini", 1_000_000, 100_000)),
        envelope("2026-03-11T12:00:00Z", chat("b", 1773230400, "gpt-4.1-mini", 2_000_000, 0)),
        envelope("2026-03-11T12:00:00Z", chat("c", 1773230400, "gpt-4o", 1_000_000, 0)),
    ])
    run_pipeline(settings)
    old_version = read(settings, "SELECT DISTINCT catalogue_version FROM core.usage_priced")[0][0]
    # gpt-4.1-mini 0.40 / 1.60 was: 1M x 0.40 + 100k x 1.60 = 0.56 and 2M x 0.40 = 0.80
    assert read(settings, "SELECT sum(list_cost_usd) FROM core.usage_priced WHERE model = 'gpt-4.1-mini'") == [
        (D("1.36"),)]

    openai = pricing / "openai.yaml"
    openai.write_text(openai.read_text().replace("rates: {input: 0.40, cache_read: 0.10, output: 1.60,",
                                                 "rates: {input: 0.30, cache_read: 0.10, output: 1.60,", 1))
    contracts = tmp_path / "contracts.yaml"
    contracts.write_text("contracts:\n  - {name: deal, provider: openai, models: [gpt-4o], effective_from:"
                         " 2026-01-01, discount_percent: 10}\n")
    args = ["reprice", "--from", "2026-03-10", "--to", "2026-03-11", "--warehouse", str(settings.warehouse),
            "--pricing", str(pricing), "--contracts", str(contracts)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    # 1M x 0.30 + 100k x 1.60 = 0.46 (was 0.56); 2M x 0.30 = 0.60 (was 0.80); gpt-4o's list is unchanged,
    # its contracted cost is 1M x 2.50 x 0.9 = 2.25
    assert "3 day x model rows changed over 2 days: list cost $3.8600 -> $3.5600 (-$0.3000)" in result.output
    log = read(settings, "SELECT usage_date, model, old_list_cost_usd, new_list_cost_usd, old_contracted_cost_usd,"
                         " new_contracted_cost_usd, old_catalogue_versions, new_catalogue_version"
                         " FROM core.reprice_log ORDER BY ALL")
    new_version = log[0][7]
    assert new_version != old_version
    assert [row[:6] for row in log] == [
        (date(2026, 3, 10), "gpt-4.1-mini", D("0.56"), D("0.46"), D("0.56"), D("0.46")),
        (date(2026, 3, 11), "gpt-4.1-mini", D("0.8"), D("0.6"), D("0.8"), D("0.6")),
        (date(2026, 3, 11), "gpt-4o", D("2.5"), D("2.5"), D("2.5"), D("2.25")),
    ]
    assert {row[6] for row in log} == {old_version}
    # Both versions' rates stay; each priced row leads to the exact rate it used.
    assert read(settings, "SELECT count(DISTINCT catalogue_version) FROM core.price_rates") == [(2,)]
    assert read(settings, """
        SELECT p.input * 1000000 FROM core.price_rates AS p JOIN core.usage_priced AS u USING (catalogue_version,
        rate_id) WHERE u.event_id = 'openai:a'""") == [(D("0.3"),)]
    assert read(settings, "SELECT input * 1000000 FROM core.price_rates WHERE catalogue_version = ? AND rate_id ="
                          " 'openai/gpt-4.1-mini/2025-04-14/standard'", [old_version]) == [(D("0.4"),)]

    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "no figure changed" in again.output
