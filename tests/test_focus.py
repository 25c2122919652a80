"""marts.focus_v1_2 and its Parquet export: FOCUS 1.2 rows for LLM usage, checked column by column.

Prices (bundled catalogue): gpt-4o $2.50/M input, $1.25/M cached input, $10/M output, the same on OpenAI and Azure;
claude-haiku-4-5 on Bedrock $1/M input, $5/M output, +10% on a regional endpoint (an id without a `us.`/`global.`
prefix). The contract overlay takes 20% off gpt-4o* on OpenAI.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import FOCUS_UNDECIDABLE, envelope, focus_validation, make_settings, read, write_jsonl

# FOCUS 1.2 mandatory columns, and which of them may be null (finops-anchors.md §1.3).
MANDATORY = ("BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
             "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
             "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
             "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName")
NULLABLE = {"BillingAccountName", "ChargeClass", "ChargeDescription", "PricingQuantity", "PricingUnit"}
CONTRACTS = """\
contracts:
  - name: openai-discount
    provider: openai
    models: ["gpt-4o*"]
    effective_from: 2026-01-01
    discount_percent: 20
"""


def _chat(rid: str, prompt: int, cached: int, completion: int) -> dict[str, Any]:
    return {"id": rid, "object": "chat.completion", "created": 1774947600, "model": "gpt-4o-2024-08-06",
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "prompt_tokens_details": {"cached_tokens": cached}}}


def _message(rid: str, model: str) -> dict[str, Any]:
    return {"id": rid, "type": "message", "model": model, "usage": {"input_tokens": 1000, "output_tokens": 100}}


@pytest.fixture(scope="module")
def focus_run(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("focus"))
    write_jsonl(settings.landing / "app.jsonl", [
        # Mar 31, project search: 60,000 uncached + 40,000 cached input, 10,000 output, direct to OpenAI.
        envelope("2026-03-31T10:00:00Z", _chat("chatcmpl-1", 100_000, 40_000, 10_000), provider="openai",
                 project="search"),
        # The same on Azure: billed by Microsoft, outside the OpenAI contract.
        envelope("2026-03-31T11:00:00Z", _chat("chatcmpl-2", 100_000, 40_000, 10_000), provider="openai",
                 platform="azure", project="search"),
        # Apr 1: Claude on Bedrock, billed by AWS, made by Anthropic; no project.
        envelope("2026-04-01T09:00:00Z", _message("msg_1", "anthropic.claude-haiku-4-5-20251001-v1:0"),
                 provider="anthropic", platform="bedrock", project=None),
        # A model no catalogue knows: no price, so no FOCUS cost row.
        envelope("2026-04-01T09:30:00Z", {**_chat("chatcmpl-3", 1000, 0, 10), "model": "gpt-unknown-9"},
                 provider="openai", project="search"),
    ])
    contracts = settings.landing.parent / "contracts.yaml"
    contracts.write_text(CONTRACTS, encoding="utf-8")
    settings = dataclasses.replace(settings, contracts=contracts)
    run_pipeline(settings)
    return settings


def _rows(settings: Settings) -> list[dict[str, Any]]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
        cursor = conn.execute("SELECT * FROM marts.focus_v1_2 ORDER BY ChargePeriodStart, ServiceName, SkuPriceId")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_focus_rows_by_hand(focus_run: Settings) -> None:
    settings = focus_run
    rows = _rows(settings)
    table = {(row["ServiceName"], row["x_TokenClass"]): row for row in rows}
    assert len(rows) == len(table) == 8  # 3 classes x OpenAI + 3 x Azure + 2 x Bedrock; the unknown model has none

    openai_input = table[("OpenAI API", "input")]
    assert openai_input["ListUnitPrice"] == Decimal("0.0000025")
    assert openai_input["PricingQuantity"] == openai_input["ConsumedQuantity"] == 60_000
    assert openai_input["ListCost"] == Decimal("0.15")
    # 20% off: $2.00/M, so 60,000 tokens cost $0.12, billed and effective alike.
    assert openai_input["ContractedUnitPrice"] == Decimal("0.000002")
    assert openai_input["ContractedCost"] == openai_input["BilledCost"] == openai_input["EffectiveCost"] \
        == Decimal("0.12")
    assert openai_input["x_ContractName"] == "openai-discount"
    cached = table[("OpenAI API", "cache_read")]
    assert (cached["ListUnitPrice"], cached["ListCost"], cached["ContractedCost"]) == \
        (Decimal("0.00000125"), Decimal("0.05"), Decimal("0.04"))
    # 40,000 cached tokens at $2.50/M would have cost $0.10: $0.05 saved.
    assert (cached["x_UncachedEquivalentCost"], cached["x_CacheSavings"]) == (Decimal("0.1"), Decimal("0.05"))
    assert cached["SkuMeter"] == "Cache Read Input Tokens"
    assert openai_input["x_CacheSavings"] is None
    assert table[("OpenAI API", "output")]["ListCost"] == Decimal("0.1")
    assert (openai_input["InvoiceIssuerName"], openai_input["ProviderName"], openai_input["PublisherName"]) == \
        ("OpenAI", "OpenAI", "OpenAI")
    assert (openai_input["SubAccountId"], openai_input["SubAccountName"], openai_input["SubAccountType"]) == \
        ("search", "search", "Project")
    assert openai_input["SkuId"] == "openai/gpt-4o/input"
    assert openai_input["SkuPriceId"].endswith("/input") and openai_input["SkuPriceId"].startswith("openai/gpt-4o/")
    assert json.loads(openai_input["SkuPriceDetails"]) == {
        "x_TokenClass": "input", "x_ServiceTier": "standard", "x_Batch": False, "x_ContextBand": "base",
        "x_TimeWindow": None}
    assert openai_input["ChargeDescription"] == "gpt-4o input tokens"

    azure = table[("Azure OpenAI", "input")]
    assert (azure["InvoiceIssuerName"], azure["ProviderName"], azure["PublisherName"], azure["BillingAccountId"]) \
        == ("Microsoft", "Microsoft", "OpenAI", "azure")
    assert azure["ListCost"] == azure["ContractedCost"] == Decimal("0.15")  # the OpenAI contract is not Azure's

    bedrock = table[("Amazon Bedrock", "input")]
    assert (bedrock["InvoiceIssuerName"], bedrock["ProviderName"], bedrock["PublisherName"]) == \
        ("AWS", "AWS", "Anthropic")
    assert (bedrock["ListUnitPrice"], bedrock["ListCost"]) == (Decimal("0.0000011"), Decimal("0.0011"))
    assert table[("Amazon Bedrock", "output")]["ListCost"] == Decimal("0.00055")
    assert bedrock["SubAccountId"] is None and bedrock["SubAccountType"] is None

    # Periods: the usage day, inside its calendar month, in UTC.
    assert str(openai_input["ChargePeriodStart"].astimezone().isoformat()).startswith("2026-03-31")
    periods = {(row["ChargePeriodStart"].isoformat(), row["ChargePeriodEnd"].isoformat(),
                row["BillingPeriodStart"].isoformat(), row["BillingPeriodEnd"].isoformat()) for row in rows}
    assert {tuple(value[:10] for value in period) for period in periods} == {
        ("2026-03-31", "2026-04-01", "2026-03-01", "2026-04-01"),
        ("2026-04-01", "2026-04-02", "2026-04-01", "2026-05-01")}
    assert all(row["ChargePeriodStart"].utcoffset().total_seconds() == 0 for row in rows)


def test_every_mandatory_column_and_invariant(focus_run: Settings) -> None:
    settings = focus_run
    rows = _rows(settings)
    assert rows
    for row in rows:
        for column in MANDATORY:
            assert column in row, column
            assert column in NULLABLE or row[column] is not None, (column, row)
        assert row["ListCost"] == row["ListUnitPrice"] * row["PricingQuantity"]
        assert row["ContractedCost"] == row["ContractedUnitPrice"] * row["PricingQuantity"]
        assert row["BillingCurrency"] == "USD" and row["ChargeCategory"] == "Usage"
        assert row["ChargeClass"] is None and row["ChargeFrequency"] == "Usage-Based"
        assert row["ServiceCategory"] == "AI and Machine Learning" and row["ServiceSubcategory"] == "Generative AI"
        assert row["PricingCategory"] == "Standard" and row["PricingUnit"] == row["ConsumedUnit"] == "Tokens"
        assert row["ChargePeriodStart"] < row["ChargePeriodEnd"]
        assert row["BillingPeriodStart"] <= row["ChargePeriodStart"] < row["BillingPeriodEnd"]
        assert all(not name[0].islower() or name.startswith("x_") for name in row)
    # Nothing priced is lost or doubled: the rows add up to the priced requests, to the micro-dollar and beyond.
    (list_cost, contracted, savings), = read(
        settings, "SELECT sum(list_cost_usd), sum(contracted_cost_usd), sum(cache_savings_usd)"
                  " FROM core.usage_priced WHERE cost_status = 'priced'")
    assert sum(row["ListCost"] for row in rows) == list_cost == Decimal("0.60165")
    assert sum(row["ContractedCost"] for row in rows) == contracted == Decimal("0.54165")
    assert sum(row["x_CacheSavings"] or 0 for row in rows) == savings == Decimal("0.1")
    # The view is a pure function of the warehouse: a second run gives the same rows.
    run_pipeline(settings)
    assert _rows(settings) == rows


def test_focus_parquet_by_billing_month(focus_run: Settings) -> None:
    settings = focus_run
    folder = settings.warehouse.parent / "parquet" / "focus_v1_2"
    files = sorted(str(path.relative_to(folder)) for path in folder.rglob("*.parquet"))
    assert files == ["billing_period=2026-03/data.parquet", "billing_period=2026-04/data.parquet"]
    march = pq.read_table(folder / files[0])
    # The file holds the FOCUS columns of the view and nothing else; costs stay exact decimals, periods UTC.
    assert march.column_names == [name for name in _rows(settings)[0]]
    assert march.num_rows == 6
    assert str(march.schema.field("ListCost").type) == "decimal128(38, 24)"
    assert str(march.schema.field("ChargePeriodStart").type) == "timestamp[us, tz=UTC]"
    assert sum(value.as_py() for value in march.column("ListCost")) == Decimal("0.6")
    total = duckdb.sql(f"SELECT sum(ListCost)::DECIMAL(18, 6)::VARCHAR FROM read_parquet('{folder}/*/*.parquet',"
                       " hive_partitioning = true)").fetchall()
    assert total == [("0.601650",)]


def test_focus_published_with_comments(focus_run: Settings) -> None:
    settings = focus_run
    with duckdb.connect(str(settings.warehouse.parent / "analytics.duckdb"), read_only=True) as conn:
        comments = dict(conn.execute("SELECT column_name, comment FROM duckdb_columns()"
                                     " WHERE table_name = 'focus_v1_2'").fetchall())
        (count,), = conn.execute("SELECT count(*) FROM marts.focus_v1_2").fetchall()
    assert count == 8
    assert all(comments.values()) and comments["ListCost"].startswith("FOCUS: ListUnitPrice x PricingQuantity")


def test_the_finops_focus_validator_passes_the_export(focus_run: Settings, tmp_path: Path) -> None:
    folder = focus_run.warehouse.parent / "parquet" / "focus_v1_2"
    for month in ("2026-03", "2026-04"):
        passed, failed = focus_validation(folder / f"billing_period={month}" / "data.parquet", tmp_path)
        # 578 rules: most apply only to columns an LLM bill has no use for and are skipped; 136 run and pass.
        assert passed >= 130
        assert failed <= FOCUS_UNDECIDABLE, sorted(failed)


def test_changed_contract_terms_leave_focus_at_the_priced_contracted_cost(focus_run: Settings, tmp_path: Path) -> None:
    # A new contracts file loads before the days are rebuilt: the rows keep the contracted cost they were priced at.
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(focus_run.warehouse.read_bytes())
    with duckdb.connect(str(copy)) as conn:
        conn.execute("UPDATE core.contract_terms SET discount_factor = 0.5, contracts_version = 'newer'")
        (focus,), = conn.execute("SELECT sum(ContractedCost) FROM marts.focus_v1_2").fetchall()
        (core,), = conn.execute("SELECT sum(contracted_cost_usd) FROM core.usage_priced WHERE cost_status = 'priced'"
                                ).fetchall()
    assert focus == core == Decimal("0.54165")


def test_export_focus_as_csv_and_parquet(focus_run: Settings, tmp_path: Path) -> None:
    """`meterline export focus`: the same rows as the mart, in one file of either format; March alone by date."""
    from click.testing import CliRunner

    from pipelines.cli import main

    columns = list(_rows(focus_run)[0])
    written = {}
    for fmt, extra in (("csv", []), ("parquet", []), ("csv", ["--from", "2026-03-01", "--to", "2026-03-31"])):
        out = tmp_path / f"focus-{len(written)}.{fmt}"
        shown = CliRunner().invoke(main, ["export", "focus", "--format", fmt, "--out", str(out),
                                          "--warehouse", str(focus_run.warehouse), *extra])
        assert shown.exit_code == 0, shown.output
        reader = "read_csv" if fmt == "csv" else "read_parquet"
        with duckdb.connect() as conn:
            header = [name for (name, *_) in conn.execute(f"DESCRIBE SELECT * FROM {reader}('{out}')").fetchall()]
            (rows, total), = conn.execute(f"SELECT count(*), sum(ListCost)::DECIMAL(18, 6)::VARCHAR"
                                          f" FROM {reader}('{out}')").fetchall()
        assert header == columns
        written[out.name] = (rows, total)
        assert f"Wrote {rows} FOCUS 1.2 rows" in shown.output
    # 8 rows, $0.601650 in all (as the Parquet partitions above); March's 6 rows are $0.60.
    assert written == {"focus-0.csv": (8, "0.601650"), "focus-1.parquet": (8, "0.601650"),
                       "focus-2.csv": (6, "0.600000")}
    missing = CliRunner().invoke(main, ["export", "focus", "--out", str(tmp_path / "x.csv"),
                                        "--warehouse", str(tmp_path / "none" / "meterline.duckdb")])
    assert missing.exit_code == 1 and "no published copy at" in missing.output
