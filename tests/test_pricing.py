"""The catalogue: validation errors that name file and entry, the flattened rate card, aliases, and the reference
quote agreeing with the SQL pricing on every demo event."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.demo.generate import generate
from pipelines.pricing.aliases import ModelIndex
from pipelines.pricing.catalogue import CatalogueError, load_catalogue
from pipelines.pricing.quote import Usage, quote
from pipelines.pricing.rates import build_rate_rows
from pipelines.runner import day_blocks, run_pipeline
from pipelines.settings import Settings, bundled_pricing_dir
from tests.conftest import make_settings, read

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


def test_bundled_catalogue_loads_and_prices_every_demo_model() -> None:
    catalogue = load_catalogue(bundled_pricing_dir())
    assert set(catalogue.providers) == {"openai", "anthropic", "google"}
    assert len(catalogue.version) == 12
    index = ModelIndex.from_catalogue(catalogue)
    from pipelines.demo.generate import STREAMS

    known = {stream.model: index.resolve(stream.provider, stream.model)[1] for stream in STREAMS}
    assert [model for model, ok in known.items() if not ok] == ["ft:gpt-4o-mini-2024-07-18:acme:support:9xYzQ1"]


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
    rows = {row.rate_id: row for row in build_rate_rows(load_catalogue(bundled_pricing_dir()))}
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
    ("provider", "raw", "expected"),
    [
        ("openai", "gpt-4o-2024-08-06", ("gpt-4o", True)),
        ("openai", "gpt-4o-2024-05-13", ("gpt-4o-2024-05-13", True)),
        ("openai", "gpt-4o-mini-2024-07-18", ("gpt-4o-mini", True)),
        ("openai", "openai/gpt-5-2025-08-07", ("gpt-5", True)),
        ("anthropic", "claude-sonnet-4-5@20250929", ("claude-sonnet-4-5", True)),
        ("anthropic", "claude-3-7-sonnet-latest", ("claude-3-7-sonnet", True)),
        ("google", "models/gemini-2.5-flash", ("gemini-2.5-flash", True)),
        ("google", "publishers/google/models/gemini-2.5-flash-001", ("gemini-2.5-flash", True)),
        ("google", "GEMINI-2.5-PRO", ("gemini-2.5-pro", True)),
        ("openai", "ft:gpt-4o-mini-2024-07-18:acme::abc", ("ft:gpt-4o-mini-2024-07-18:acme::abc", False)),
        ("anthropic", "gpt-4o", ("gpt-4o", False)),
    ],
)
def test_model_ids_resolve_through_one_alias_layer(provider: str, raw: str, expected: tuple[str, bool]) -> None:
    index = ModelIndex.from_catalogue(load_catalogue(bundled_pricing_dir()))
    assert index.resolve(provider, raw) == expected


def test_day_blocks_bridge_short_gaps_and_split_long_ones() -> None:
    days = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 10), date(2026, 1, 19), date(2026, 3, 1)]
    assert day_blocks(days) == [(date(2026, 1, 1), date(2026, 1, 10)), (date(2026, 1, 19), date(2026, 1, 19)),
                                (date(2026, 3, 1), date(2026, 3, 1))]
    assert day_blocks([]) == []


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("agree"))
    generate(settings.landing, date(2026, 10, 31), days=6, scale=0.2)
    run_pipeline(settings)
    return settings


def test_sql_pricing_matches_the_reference_quote_on_every_demo_event(demo_settings: Settings) -> None:
    rows = build_rate_rows(load_catalogue(bundled_pricing_dir()))
    events = read(demo_settings, """
        SELECT provider, model, event_time, service_tier, is_batch, input_tokens, cache_read_tokens,
               cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, web_search_requests,
               cost_status, list_cost_usd, rate_id
        FROM core.usage_priced""")
    assert len(events) > 500
    statuses = set()
    for *fields, status, cost, rate_id in events:
        usage = Usage(*fields)
        expected = quote(rows, usage)
        assert (expected.cost_status, expected.list_cost_usd) == (status, cost), usage
        assert (expected.rate.rate_id if expected.rate else None) == rate_id
        statuses.add(status)
    assert statuses == {"priced", "unpriced_model"}
