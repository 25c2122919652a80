"""The catalogue: validation errors that name file and entry, the flattened rate card, aliases, and the reference
quote agreeing with the SQL pricing on every demo event."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.pricing.aliases import ModelIndex, Resolution
from pipelines.pricing.catalogue import CatalogueError, load_catalogue
from pipelines.pricing.deployments import load_deployments
from pipelines.pricing.quote import quote
from pipelines.pricing.rates import build_rate_card
from pipelines.runner import day_blocks
from pipelines.settings import Settings, bundled_pricing_dir
from tests.conftest import priced_usages

D = Decimal
GOOD_ENTRY = """provider: acme
models:
  - id: acme-1
    aliases: [acme-1-2026-01-01]
    prices:
      - effective_from: 2026-01-01
        rates: {input: 1.00, output: 2.00}
        source: https://example.com/pricing
        checked: 2026-11-28
"""


def _catalogue_dir(tmp_path: Path, text: str, name: str = "acme.yaml") -> Path:
    folder = tmp_path / "pricing"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


PROVIDERS = {"openai", "anthropic", "google", "vertex", "bedrock", "azure", "mistral", "deepseek", "xai", "cohere",
             "groq", "together", "fireworks", "zhipuai", "cerebras", "sambanova", "replicate", "modal"}


def test_bundled_catalogue_covers_the_landscape_and_prices_every_demo_model() -> None:
    catalogue = load_catalogue(bundled_pricing_dir())
    assert set(catalogue.providers) == PROVIDERS
    assert sum(len(p.models) for p in catalogue.providers.values()) >= 150
    assert len(catalogue.version) == 12
    # Every period says where its figures come from and when they were checked.
    periods = [period for p in catalogue.providers.values() for m in p.models for period in m.prices]
    assert all(period.source.strip() and period.checked for period in periods)
    assert catalogue.providers["zhipuai"].currency == "CNY"
    assert {rate.currency for rate in catalogue.exchange_rates.rates} == {"CNY"}
    index = ModelIndex.from_catalogue(catalogue)
    from pipelines.demo.generate import STREAMS

    known = {stream.model: index.resolve(stream.provider, stream.model).known for stream in STREAMS}
    assert [model for model, ok in known.items() if not ok] == ["ft:gpt-4o-mini-2024-07-18:acme:support:9xYzQ1"]


def test_a_scheduled_future_price_is_in_the_rate_card_before_it_starts() -> None:
    rows = build_rate_card(load_catalogue(bundled_pricing_dir())).rates
    future = [row for row in rows if row.effective_from > datetime(2026, 11, 28)]
    assert future, "the catalogue carries scheduled price changes (e.g. Gemini Flash intro pricing ending)"
    assert all(row.effective_to is None or row.effective_to > row.effective_from for row in future)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD_ENTRY.replace("{input: 1.00, output: 2.00}", "{input: 1.00}"),
         "models[0] (acme-1) > prices[0]: Value error, base rates need at least `input` and `output`"),
        (GOOD_ENTRY.replace("input: 1.00", "input: 0.0000001"),
         "models[0] (acme-1) > prices[0] > rates > input: Value error, at most 6 decimal places"),
        (GOOD_ENTRY.replace("        source: https://example.com/pricing\n", ""),
         "models[0] (acme-1) > prices[0] > source: Field required"),
        (GOOD_ENTRY.replace("rates:", "ratez:"), "models[0] (acme-1) > prices[0] > ratez: Extra inputs"),
        (GOOD_ENTRY + """      - effective_from: 2025-12-01
        effective_to: 2026-02-01
        rates: {input: 1.00, output: 2.00}
        source: https://example.com/pricing
        checked: 2026-11-28
""", "models[0] (acme-1): Value error, price periods overlap: 2025-12-01 ends 2026-02-01"),
        (GOOD_ENTRY + """  - id: acme-2
    aliases: [acme-1-2026-01-01]
    prices:
      - effective_from: 2026-01-01
        rates: {input: 1.00, output: 2.00}
        source: https://example.com/pricing
        checked: 2026-11-28
""", "`acme-1-2026-01-01` names both acme-1 and acme-2"),
        ("provider: acme\nmodels: [\n", "is not valid YAML"),
        (GOOD_ENTRY.replace("provider: acme", "provider: other"), "must match the file name `acme`"),
    ],
)
def test_catalogue_errors_name_the_file_and_the_entry(tmp_path: Path, text: str, message: str) -> None:
    folder = _catalogue_dir(tmp_path, text)
    with pytest.raises(CatalogueError) as error:
        load_catalogue(folder)
    assert str(error.value).startswith(f"{folder / 'acme.yaml'}:")
    assert message in str(error.value)


def test_rate_card_derives_long_context_variants_by_ratio() -> None:
    rows = {row.rate_id: row for row in build_rate_card(load_catalogue(bundled_pricing_dir())).rates}
    per_1m = Decimal(1_000_000)
    batch_long = rows["google/gemini-2.5-pro/2025-06-17/standard/batch/above-200000"]
    # 2.50 x (0.625 / 1.25) input, cache unchanged at 0.25, 15 x 0.5 output
    assert (batch_long.input * per_1m, batch_long.cache_read * per_1m, batch_long.output * per_1m) == (
        D("1.25"), D("0.25"), D("7.5"))
    priority_long = rows["google/gemini-2.5-pro/2025-06-17/priority/above-200000"]
    assert (priority_long.input * per_1m, priority_long.output * per_1m) == (D("4.5"), D("27"))
    o3_old = rows["openai/o3/2025-04-16/standard"]
    assert o3_old.effective_to == datetime(2025, 6, 10) and o3_old.input * per_1m == D("10")
    haiku_batch = rows["anthropic/claude-haiku-4-5/2025-10-15/standard/batch"]
    assert haiku_batch.cache_write_1h * per_1m == D("1") and haiku_batch.web_search == D("0.01")


@pytest.mark.parametrize(
    ("provider", "platform", "raw", "expected"),
    [
        ("openai", "direct", "gpt-4o-2024-08-06", ("openai", "gpt-4o", True, None)),
        ("openai", "direct", "gpt-4o-2024-05-13", ("openai", "gpt-4o-2024-05-13", True, None)),
        ("openai", "direct", "gpt-4o-mini-2024-07-18", ("openai", "gpt-4o-mini", True, None)),
        ("openai", "direct", "openai/gpt-5-2025-08-07", ("openai", "gpt-5", True, None)),
        ("anthropic", "direct", "claude-3-7-sonnet-latest", ("anthropic", "claude-3-7-sonnet", True, None)),
        ("google", "direct", "models/gemini-2.5-flash", ("google", "gemini-2.5-flash", True, None)),
        ("google", "direct", "publishers/google/models/gemini-2.5-flash-001",
         ("google", "gemini-2.5-flash", True, None)),
        ("google", "direct", "GEMINI-2.5-PRO", ("google", "gemini-2.5-pro", True, None)),
        # The serving platform's own catalogue prices it, and Bedrock's prefixes become the endpoint scope.
        ("anthropic", "vertex", "claude-sonnet-4-5@20250929", ("vertex", "claude-sonnet-4-5", True, None)),
        ("google", "vertex", "gemini-2.5-pro", ("vertex", "gemini-2.5-pro", True, None)),
        ("anthropic", "bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
         ("bedrock", "anthropic.claude-sonnet-4-5", True, "geo")),
        ("anthropic", "bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
         ("bedrock", "anthropic.claude-sonnet-4-5", True, "global")),
        ("anthropic", "bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0",
         ("bedrock", "anthropic.claude-sonnet-4-5", True, "in_region")),
        ("anthropic", "bedrock",
         "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
         ("bedrock", "anthropic.claude-sonnet-4-5", True, "geo")),
        # Unknown ids stay visible under their own name, never dropped or guessed.
        ("openai", "direct", "ft:gpt-4o-mini-2024-07-18:acme::abc",
         ("openai", "ft:gpt-4o-mini-2024-07-18:acme::abc", False, None)),
        ("anthropic", "direct", "gpt-4o", ("anthropic", "gpt-4o", False, None)),
        ("anthropic", "openrouter", "claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5", True, None)),
        # Gateway ids name the vendor's catalogue (OpenRouter `vendor/model`, LiteLLM `provider/model`).
        ("openrouter", "openrouter", "mistralai/mistral-large-2411", ("mistral", "mistral-large-2411", True, None)),
        ("openrouter", "openrouter", "x-ai/grok-3", ("xai", "grok-3", True, None)),
        # OpenRouter's dotted public slug, and its older version-first ids, name Anthropic's dashed ones.
        ("openai", "direct", "anthropic/claude-sonnet-4.5", ("anthropic", "claude-sonnet-4-5", True, None)),
        ("openai", "direct", "anthropic/claude-4.5-sonnet-20250929",
         ("anthropic", "claude-sonnet-4-5", True, None)),
        ("openrouter", "openrouter", "anthropic/claude-3.5-haiku", ("anthropic", "claude-3-5-haiku", True, None)),
        ("openai", "direct", "gpt-4.1", ("openai", "gpt-4.1", True, None)),
        ("anthropic", "direct", "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0",
         ("bedrock", "anthropic.claude-sonnet-4-5", True, "in_region")),
        # Path-style ids of their own catalogue, and ids only one catalogue lists, logged with no platform.
        ("openai", "direct", "meta-llama/Llama-3.3-70B-Instruct-Turbo",
         ("together", "meta-llama/llama-3.3-70b-instruct-turbo", True, None)),
        ("openai", "direct", "llama-3.3-70b-versatile", ("groq", "llama-3.3-70b-versatile", True, None)),
        ("openai", "direct", "mistral-large-2411", ("mistral", "mistral-large-2411", True, None)),
    ],
)
def test_model_ids_resolve_through_one_alias_layer(
    provider: str, platform: str, raw: str, expected: tuple[str, str, bool, str | None]
) -> None:
    index = ModelIndex.from_catalogue(load_catalogue(bundled_pricing_dir()))
    resolved = index.resolve(provider, raw, platform)
    assert (resolved.price_provider, resolved.model, resolved.known, resolved.endpoint_scope) == expected


def test_day_blocks_bridge_short_gaps_and_split_long_ones() -> None:
    days = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 10), date(2026, 1, 19), date(2026, 3, 1)]
    assert day_blocks(days) == [(date(2026, 1, 1), date(2026, 1, 10)), (date(2026, 1, 19), date(2026, 1, 19)),
                                (date(2026, 3, 1), date(2026, 3, 1))]
    assert day_blocks([]) == []


def test_sql_pricing_matches_the_reference_quote_on_every_demo_event(demo_run: Settings) -> None:
    catalogue = load_catalogue(bundled_pricing_dir())
    card = build_rate_card(catalogue)
    events = priced_usages(demo_run, "cost_status, list_cost_usd, contracted_cost_usd, rate_id")
    assert len(events) > 500
    statuses = set()
    for usage, (status, cost, contracted, rate_id) in events:
        expected = quote(card, usage, catalogue.exchange_rates)
        assert (expected.cost_status, expected.list_cost_usd) == (status, cost), usage
        assert contracted == cost  # no contract overlay in this run
        assert (expected.rate.rate_id if expected.rate else None) == rate_id
        statuses.add(status)
    assert statuses == {"priced", "unpriced_model"}


def test_azure_deployment_names_resolve_through_the_deployments_file(tmp_path: Path) -> None:
    path = tmp_path / "azure_deployments.yaml"
    path.write_text("deployments:\n  chat-prod: gpt-4o-2024-08-06\n  Reasoner: o3-2025-04-16\n")
    index = ModelIndex.from_catalogue(load_catalogue(bundled_pricing_dir()), load_deployments(path))
    assert index.resolve("openai", "chat-prod", "azure") == Resolution("azure", "gpt-4o", True, None)
    assert index.resolve("openai", "reasoner", "azure").model == "o3"
    # Only Azure reports deployment names; elsewhere the name is an unknown model, kept under its own name.
    assert index.resolve("openai", "chat-prod", "direct") == Resolution("openai", "chat-prod", False, None)
    assert Settings.resolve(pricing=tmp_path).azure_deployments == path


def test_a_broken_deployments_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "azure_deployments.yaml"
    path.write_text("deployments:\n  chat-prod: [gpt-4o]\n")
    with pytest.raises(CatalogueError, match=r"azure_deployments\.yaml"):
        load_deployments(path)
    with pytest.raises(CatalogueError, match="does not exist"):
        load_deployments(tmp_path / "missing.yaml")
