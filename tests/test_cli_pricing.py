"""`meterline pricing quote` and `meterline pricing validate`, run through the real command."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from pipelines.cli import main
from pipelines.settings import bundled_pricing_dir


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_quote_shows_each_line_with_its_rule_and_the_total() -> None:
    code, out = _run("pricing", "quote", "--provider", "anthropic", "--model", "claude-sonnet-4-5-20250929",
                     "--input", "150001", "--cache-read", "50000", "--output", "1000", "--web-search", "2",
                     "--at", "2026-03-10T12:00:00")
    assert code == 0, out
    lines = [line.split() for line in out.splitlines()]
    assert "rule: anthropic/claude-sonnet-4-5/2025-09-29/standard/above-200000" in out
    assert "long-context band: input_total 200,001 > 200,000 tokens" in out
    # 150001 x $6 + 50000 x $0.60 + 1000 x $22.50 per 1M, plus 2 searches at $10 per 1,000
    assert ["input", "(uncached)", "150,001", "tokens", "x", "$6", "/", "1M", "=", "$0.900006"] in lines
    assert ["cache", "read", "50,000", "tokens", "x", "$0.6", "/", "1M", "=", "$0.03"] in lines
    assert ["output", "1,000", "tokens", "x", "$22.5", "/", "1M", "=", "$0.0225"] in lines
    assert ["web", "search", "2", "calls", "x", "$10", "/", "1k", "=", "$0.02"] in lines
    assert lines[-1] == ["total", "$0.972506"]


def test_quote_uses_the_batch_rate_and_the_price_in_force_at_the_date() -> None:
    code, out = _run("pricing", "quote", "--provider", "openai", "--model", "o3-2025-04-16", "--input", "1000",
                     "--output", "500", "--at", "2025-06-09")
    assert code == 0 and out.splitlines()[-1].split() == ["total", "$0.03"]
    code, out = _run("pricing", "quote", "--provider", "openai", "--model", "o3", "--input", "1000",
                     "--output", "500", "--at", "2025-07-01", "--batch")
    # after the cut, batch: 1000 x $1 + 500 x $4 per 1M
    assert code == 0 and out.splitlines()[-1].split() == ["total", "$0.003"]


def test_quote_refuses_to_guess_a_price() -> None:
    code, out = _run("pricing", "quote", "--provider", "openai", "--model", "gpt-9", "--input", "5")
    assert code == 1 and "unpriced_model: not in the catalogue" in out
    code, out = _run("pricing", "quote", "--provider", "openai", "--model", "gpt-5-nano", "--input", "5",
                     "--tier", "priority", "--at", "2026-03-10")
    assert code == 1 and "unpriced_variant: no price for this date, tier, batch and scope combination" in out


def test_validate_passes_the_bundled_catalogue() -> None:
    code, out = _run("pricing", "validate", "--strict", "--stale-days", "100000")
    assert code == 0, out
    assert out.strip().endswith("0 warnings")
    summary = re.search(r"(\d+) providers, (\d+) models, (\d+) hardware SKUs, (\d+) price periods", out)
    assert summary is not None
    providers, models, skus, periods = (int(n) for n in summary.groups())
    assert providers == 18 and models >= 150 and skus == 32 and periods > models + skus


def test_validate_checks_a_contract_overlay_against_the_catalogue(tmp_path: Path) -> None:
    contracts = tmp_path / "contracts.yaml"
    contracts.write_text("""contracts:
  - {name: typo, provider: openai, models: ["gtp-5*"], effective_from: 2026-01-01, discount_percent: 10}
  - {name: nowhere, provider: acme, effective_from: 2026-01-01, discount_percent: 10}
  - {name: fine, provider: anthropic, models: ["claude-*"], effective_from: 2026-01-01, discount_percent: 5}
  - {name: hidden, provider: anthropic, models: ["claude-opus-*"], effective_from: 2026-02-01, discount_percent: 9}
  - {name: later-term, provider: openai, models: ["gpt-5*"], effective_from: 2025-01-01, discount_percent: 9}
""")
    code, out = _run("pricing", "validate", "--stale-days", "100000", "--contracts", str(contracts), "--strict")
    assert code == 1
    assert f"warning: {contracts}: contract typo: pattern 'gtp-5*' matches no openai model" in out
    assert f"warning: {contracts}: contract nowhere: provider acme is not in the catalogue" in out
    assert f"warning: {contracts}: contract hidden: never prices anything, contract fine above it covers the same" \
        " requests first" in out
    # `typo` matches nothing, and `later-term` starts before any term above it: neither hides it.
    assert "contract fine" not in out.replace("contract fine above", "") and "later-term" not in out
    assert out.strip().endswith("3 warnings")


def test_validate_reports_gaps_and_stale_entries_and_strict_fails(tmp_path: Path) -> None:
    folder = tmp_path / "pricing"
    folder.mkdir()
    (folder / "acme.yaml").write_text("""provider: acme
models:
  - id: acme-1
    prices:
      - effective_from: 2025-01-01
        effective_to: 2025-03-01
        rates: {input: 1, output: 2}
        source: https://example.com
        checked: 2025-01-01
      - effective_from: 2025-04-01
        rates: {input: 1, output: 2}
        source: https://example.com
        checked: 2099-01-01
""")
    code, out = _run("pricing", "validate", "--pricing", str(folder), "--stale-days", "30")
    assert code == 0
    assert "warning: acme/acme-1: no price from 2025-03-01 to 2025-04-01" in out
    assert "warning: acme/acme-1 from 2025-01-01: last checked 2025-01-01, more than 30 days ago" in out
    assert out.strip().endswith("2 warnings")
    code, _ = _run("pricing", "validate", "--pricing", str(folder), "--stale-days", "30", "--strict")
    assert code == 1


def test_validate_fails_with_the_file_and_entry_on_a_bad_catalogue(tmp_path: Path) -> None:
    folder = tmp_path / "pricing"
    folder.mkdir()
    text = (bundled_pricing_dir() / "google.yaml").read_text().replace("above_tokens: 200000", "above_tokens: -1")
    (folder / "google.yaml").write_text(text)
    result = CliRunner().invoke(main, ["pricing", "validate", "--pricing", str(folder)])
    assert result.exit_code == 1
    assert f"{folder / 'google.yaml'}: models[0] (gemini-2.5-pro) > prices[0] > long_context > above_tokens" in (
        result.output + (result.stderr if result.stderr_bytes else ""))


def test_quote_names_the_scope_the_window_and_the_exchange_rate() -> None:
    code, out = _run("pricing", "quote", "--provider", "anthropic", "--platform", "bedrock", "--model",
                     "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "--input", "1000000", "--output", "1000000",
                     "--at", "2026-06-01")
    # a geo inference profile: 1.1 x the global 3 / 15
    assert code == 0 and "rule: bedrock/anthropic.claude-sonnet-4-5/2026-04-30/standard/scope-geo" in out
    assert out.splitlines()[-1].split() == ["total", "$19.8"]
    code, out = _run("pricing", "quote", "--provider", "deepseek", "--model", "deepseek-v4-pro", "--input",
                     "1000000", "--output", "1000000", "--at", "2026-08-29T02:00:00")
    # Saturday in Beijing: off-peak all day, 0.66 + 1.98
    assert code == 0 and "time window: off_peak" in out and out.splitlines()[-1].split() == ["total", "$2.64"]
    code, out = _run("pricing", "quote", "--provider", "zhipuai", "--model", "glm-4-plus", "--input", "1000000",
                     "--at", "2026-06-01")
    # 5 CNY per 1M at 1/7.25 USD per CNY
    assert code == 0 and "total in CNY" in out and out.splitlines()[-1].split() == ["total", "$0.6896551725"]


def test_quote_refuses_an_unknown_provider_and_a_negative_count_in_one_line() -> None:
    code, out = _run("pricing", "quote", "--provider", "foo", "--model", "gpt-4o", "--input", "5")
    assert code == 2
    assert out.splitlines()[-1].startswith("Error: --provider 'foo' is not in the catalogue; it has anthropic, azure")
    for option in ("--input", "--cache-read", "--output", "--web-search"):
        code, out = _run("pricing", "quote", "--provider", "openai", "--model", "gpt-4o", option, "-5")
        assert code == 2
        assert out.splitlines()[-1] == f"Error: Invalid value for '{option}': -5 is not in the range x>=0."


def test_a_date_that_cannot_exist_names_the_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "pricing"
    folder.mkdir()
    text = (bundled_pricing_dir() / "openai.yaml").read_text()
    first = text.index("effective_from: ") + len("effective_from: ")
    (folder / "openai.yaml").write_text(text[:first] + "2024-13-45" + text[first + 10:])
    line = text[:first].count("\n") + 1
    result = CliRunner().invoke(main, ["pricing", "validate", "--pricing", str(folder)])
    assert result.exit_code == 1
    assert result.output.strip() == (f"error: {folder / 'openai.yaml'}: line {line} is not valid YAML: 2024-13-45 is"
                                     " not a valid date (month must be in 1..12)")
