"""Platforms billed by the second of hardware: Replicate predictions and Modal GPU-seconds, priced by hand.

Prices (pricing/replicate.yaml, pricing/modal.yaml): Replicate meta/meta-llama-3-70b-instruct $0.65 / $2.75 per 1M
tokens, gpu-a100-large $0.0014 a second, gpu-l40s $0.000975 a second; Modal h100 $0.001097, cpu $0.0000131 per
core-second, memory $0.00000222 per GiB-second.

Fixture sources: the prediction object and list page are those of Replicate's OpenAPI spec
(`schemas_prediction_response`, GET /v1/predictions: `next`, `previous`, `results`), with the token metrics of
replicate/cog docs/metrics.md (`input_token_count`, `output_token_count`). Modal's billing report is the output of
`modal billing report --show-resources --csv` (modal-labs/modal-client, modal/cli/billing.py: headers
`Object ID,Description,Environment,Interval Start,Resource,Cost`).
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.definitions import build_definitions
from pipelines.ingest.files import compression_of
from pipelines.ingest.parse import FileResult, parse_file
from pipelines.pricing.catalogue import CatalogueError, load_catalogue, load_provider_file
from pipelines.pricing.hardware_map import load_hardware_map
from pipelines.pricing.quote import quote
from pipelines.pricing.rates import build_rate_card
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings, bundled_pricing_dir
from tests.conftest import (
    FOCUS_UNDECIDABLE,
    focus_validation,
    make_settings,
    parse_records,
    priced_usages,
    read,
    reasons,
    write_jsonl,
)

DAY = "2026-03-10"


def _prediction(pid: str, model: str, status: str, metrics: dict[str, Any] | None, hour: int = 9) -> dict[str, Any]:
    created = f"{DAY}T{hour:02d}:00:00.765994Z"
    record = {"id": pid, "model": model, "version": "hidden", "status": status, "created_at": created,
              "started_at": created, "completed_at": created, "source": "api", "data_removed": False, "error": None,
              "input": {"prompt": "secret prompt"}, "output": ["secret", " completion"], "logs": "secret logs",
              "urls": {"get": f"https://api.replicate.com/v1/predictions/{pid}",
                       "cancel": f"https://api.replicate.com/v1/predictions/{pid}/cancel"}}
    if metrics is not None:
        record["metrics"] = metrics
    return record


PAGE = {"next": None, "previous": None, "results": [
    # 26 x $0.65/M + 84 x $2.75/M = $0.0000169 + $0.000231 = $0.0002479; its 2.1 s are not billed.
    _prediction("p-llama", "meta/meta-llama-3-70b-instruct", "succeeded",
                {"predict_time": 2.1, "total_time": 2.9, "input_token_count": 26, "output_token_count": 84}),
    # The hardware map puts acme/* on gpu-a100-large: 12.5 s x $0.0014 = $0.0175.
    _prediction("p-sdxl", "acme/sdxl-finetune", "succeeded", {"predict_time": 12.5, "total_time": 13.1}),
    # A failed prediction is billed for its time: 3 s x $0.0014 = $0.0042.
    _prediction("p-failed", "acme/sdxl-finetune", "failed", {"predict_time": 3.0}),
    # No hardware named anywhere: unknown, never $0.
    _prediction("p-unmapped", "stability-ai/sdxl", "succeeded", {"predict_time": 4.0}),
    # Still running: rejected with its reason, loaded again once the export is refreshed.
    _prediction("p-running", "acme/sdxl-finetune", "processing", None),
    # Aborted before it started: nothing billed, counted as skipped.
    _prediction("p-aborted", "acme/sdxl-finetune", "aborted", None),
    # Canceled before it started: no metrics, 0 seconds, $0 (priced, not unknown).
    _prediction("p-canceled", "acme/sdxl-finetune", "canceled", None),
    # The same prediction as the enveloped one below, without its hardware: the copy that names it is kept.
    _prediction("p-l40s", "acme/upscaler", "succeeded", {"predict_time": 10}, hour=10),
]}
# `meta/*` does not move Replicate's per-token official models onto hardware: only unpriced models are placed.
HARDWARE = 'hardware:\n  replicate:\n    "acme/*": gpu-a100-large\n    "meta/*": gpu-h100\n'
# One GPU-hour of H100, two core-hours of CPU and 10 GiB-hours of memory of one app: 3600 x $0.001097 = $3.9492,
# 7200 x $0.0000131 = $0.09432, 36000 x $0.00000222 = $0.07992; $4.12344 in all.
SECONDS_CSV = """\
provider,app,environment,interval_start,hardware,seconds
modal,llm-server,main,2026-03-10T00:00:00,H100,3600
modal,llm-server,main,2026-03-10T00:00:00,CPU,7200
modal,llm-server,main,2026-03-10T00:00:00,Memory,36000
modal,llm-server,main,2026-03-10T00:00:00,T4,0
modal,batch-job,dev,2026-03-10T00:00:00,B300,100
modal,,main,2026-03-10T00:00:00,H100,5
runpod,gpt-4o,,2026-03-10T00:00:00,H100,10
"""
MODAL_REPORT = """\
Object ID,Description,Environment,Interval Start,Resource,Cost
ap-AbCdEf123456,llm-server,main,2026-03-10T00:00:00,CPU,0.09432000
ap-AbCdEf123456,llm-server,main,2026-03-10T00:00:00,Memory,0.07992000
ap-AbCdEf123456,llm-server,main,2026-03-10T00:00:00,H100,3.94920000
"""


@pytest.fixture(scope="module")
def compute_run(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("compute"))
    (settings.landing / "replicate_page.json").write_text(json.dumps(PAGE, indent=2), encoding="utf-8")
    # The envelope names the hardware itself (any case) and wins over the map: 10 s x $0.000975 = $0.00975.
    write_jsonl(settings.landing / "replicate_with_hardware.jsonl", [
        {"timestamp": f"{DAY}T10:00:00Z", "hardware": "GPU-L40S", "project": "imaging",
         "response": _prediction("p-l40s", "acme/upscaler", "succeeded", {"predict_time": 10})}])
    (settings.landing / "gpu_seconds.csv").write_text(SECONDS_CSV, encoding="utf-8")
    (settings.landing / "modal_report.csv").write_text(MODAL_REPORT, encoding="utf-8")
    hardware = settings.landing.parent / "hardware.yaml"
    hardware.write_text(HARDWARE, encoding="utf-8")
    settings = dataclasses.replace(settings, hardware=hardware)
    run_pipeline(settings)
    return settings


PRICED = """SELECT event_id, model, hardware, compute_seconds, billed_by, cost_status, list_cost_usd, compute_cost_usd
            FROM core.usage_priced ORDER BY event_id"""


def test_each_prediction_and_gpu_second_is_priced_by_hand(compute_run: Settings) -> None:
    assert read(compute_run, PRICED) == [
        ("modal:seconds:batch-job:dev:2026-03-10T00:00:00:b300", "batch-job", "b300", Decimal(100), "seconds",
         "unpriced_model", None, None),
        ("modal:seconds:llm-server:main:2026-03-10T00:00:00:cpu", "llm-server", "cpu", Decimal(7200), "seconds",
         "priced", Decimal("0.09432"), Decimal("0.09432")),
        ("modal:seconds:llm-server:main:2026-03-10T00:00:00:h100", "llm-server", "h100", Decimal(3600), "seconds",
         "priced", Decimal("3.9492"), Decimal("3.9492")),
        ("modal:seconds:llm-server:main:2026-03-10T00:00:00:memory", "llm-server", "memory", Decimal(36000),
         "seconds", "priced", Decimal("0.07992"), Decimal("0.07992")),
        ("replicate:p-canceled", "acme/sdxl-finetune", "gpu-a100-large", Decimal(0), "seconds", "priced",
         Decimal(0), Decimal(0)),
        ("replicate:p-failed", "acme/sdxl-finetune", "gpu-a100-large", Decimal(3), "seconds", "priced",
         Decimal("0.0042"), Decimal("0.0042")),
        ("replicate:p-l40s", "acme/upscaler", "gpu-l40s", Decimal(10), "seconds", "priced", Decimal("0.00975"),
         Decimal("0.00975")),
        ("replicate:p-llama", "meta/meta-llama-3-70b-instruct", None, Decimal("2.1"), "tokens", "priced",
         Decimal("0.0002479"), Decimal(0)),
        ("replicate:p-sdxl", "acme/sdxl-finetune", "gpu-a100-large", Decimal("12.5"), "seconds", "priced",
         Decimal("0.0175"), Decimal("0.0175")),
        ("replicate:p-unmapped", "stability-ai/sdxl", None, Decimal(4), "tokens", "unpriced_model", None, None),
        # An app named like a model is priced by the platform that ran it, which has no catalogue here.
        ("runpod:seconds:gpt-4o::2026-03-10T00:00:00:h100", "gpt-4o", "h100", Decimal(10), "seconds",
         "unpriced_model", None, None),
    ]


def test_unfinished_and_incomplete_records_are_rejected_or_skipped_with_their_reason(compute_run: Settings) -> None:
    rejects = read(compute_run, "SELECT regexp_extract(source_file, '[^/]+$'), source_line, source_record, reason"
                                " FROM raw.rejects ORDER BY ALL")
    assert rejects == [
        ("gpu_seconds.csv", 7, None, "missing field app (or description): the app or function that ran"),
        ("replicate_page.json", 1, "results[4]",
         "prediction p-running is still processing: export it again once it has finished"),
    ]
    ledger = dict(read(compute_run, "SELECT regexp_extract(source_file, '[^/]+$'), [format, rows_loaded::VARCHAR,"
                                    " records_skipped::VARCHAR, cost_rows::VARCHAR] FROM raw.file_ledger"))
    assert ledger == {
        "replicate_page.json": ["replicate_predictions_page", "6", "1", "0"],
        "replicate_with_hardware.jsonl": ["replicate_prediction", "1", "0", "0"],
        "gpu_seconds.csv": ["gpu_seconds_export", "5", "1", "0"],
        "modal_report.csv": ["modal_billing_report", "0", "0", "3"],
    }


def test_no_prediction_text_is_stored(compute_run: Settings) -> None:
    assert b"secret" in (compute_run.landing / "replicate_page.json").read_bytes()
    assert b"secret" not in compute_run.warehouse.read_bytes()
    columns = read(compute_run, "SELECT schema_name, table_name, column_name FROM duckdb_columns()"
                                " WHERE data_type = 'VARCHAR' AND schema_name IN ('raw', 'staging', 'core')")
    for schema, table, column in columns:
        assert read(compute_run, f'SELECT count(*) FROM {schema}.{table} WHERE "{column}" LIKE \'%secret%\'') == [(0,)]


def test_spend_marts_keep_each_sku_apart(compute_run: Settings) -> None:
    rows = read(compute_run, """
        SELECT provider, model, hardware, compute_seconds, compute_cost_usd, list_cost_usd, requests,
               unpriced_requests
        FROM marts.daily_model_spend ORDER BY ALL""")
    assert rows == [
        ("modal", "batch-job", "b300", Decimal(100), Decimal(0), Decimal(0), 0, 0),
        ("modal", "llm-server", "cpu", Decimal(7200), Decimal("0.09432"), Decimal("0.09432"), 0, 0),
        ("modal", "llm-server", "h100", Decimal(3600), Decimal("3.9492"), Decimal("3.9492"), 0, 0),
        ("modal", "llm-server", "memory", Decimal(36000), Decimal("0.07992"), Decimal("0.07992"), 0, 0),
        ("replicate", "acme/sdxl-finetune", "gpu-a100-large", Decimal("15.5"), Decimal("0.0217"),
         Decimal("0.0217"), 3, 0),
        ("replicate", "acme/upscaler", "gpu-l40s", Decimal(10), Decimal("0.00975"), Decimal("0.00975"), 1, 0),
        # Billed by tokens: its 2.1 s are not the seconds of any hardware.
        ("replicate", "meta/meta-llama-3-70b-instruct", None, Decimal(0), Decimal(0), Decimal("0.0002479"), 1, 0),
        ("replicate", "stability-ai/sdxl", None, Decimal(0), Decimal(0), Decimal(0), 1, 1),
        ("runpod", "gpt-4o", "h100", Decimal(10), Decimal(0), Decimal(0), 0, 0),
    ]
    project = read(compute_run, "SELECT project, sum(compute_cost_usd) FROM marts.daily_project_spend"
                                " WHERE provider = 'modal' GROUP BY ALL ORDER BY ALL")
    assert project == [("dev", Decimal(0)), ("main", Decimal("4.12344"))]


def test_focus_prices_hardware_time_in_seconds(compute_run: Settings) -> None:
    rows = read(compute_run, """
        SELECT SkuId, PricingUnit, PricingQuantity, ListUnitPrice, ListCost, ChargeDescription, ProviderName,
               x_TokenClass, x_Hardware
        FROM marts.focus_v1_2 WHERE x_Model IN ('llm-server', 'acme/sdxl-finetune') ORDER BY SkuId""")
    assert rows == [
        ("modal/hardware/cpu", "Seconds", Decimal(7200), Decimal("0.0000131"), Decimal("0.09432"),
         "llm-server compute seconds on cpu", "Modal", "compute", "cpu"),
        ("modal/hardware/h100", "Seconds", Decimal(3600), Decimal("0.001097"), Decimal("3.9492"),
         "llm-server compute seconds on h100", "Modal", "compute", "h100"),
        ("modal/hardware/memory", "Seconds", Decimal(36000), Decimal("0.00000222"), Decimal("0.07992"),
         "llm-server compute seconds on memory", "Modal", "compute", "memory"),
        ("replicate/hardware/gpu-a100-large", "Seconds", Decimal("15.5"), Decimal("0.0014"), Decimal("0.0217"),
         "acme/sdxl-finetune compute seconds on gpu-a100-large", "Replicate", "compute", "gpu-a100-large"),
    ]
    llama = read(compute_run, "SELECT x_TokenClass, PricingQuantity, ListCost FROM marts.focus_v1_2"
                              " WHERE x_Model = 'meta/meta-llama-3-70b-instruct' ORDER BY 1")
    # Billed by tokens: its seconds are no SKU of their own.
    assert llama == [("input", Decimal(26), Decimal("0.0000169")), ("output", Decimal(84), Decimal("0.000231"))]
    totals = read(compute_run, "SELECT (SELECT sum(ListCost) FROM marts.focus_v1_2),"
                               " (SELECT sum(list_cost_usd) FROM core.usage_priced)")
    # Modal $4.12344 + Replicate $0.0002479 + $0.0175 + $0.0042 + $0.00975 = $4.1551379.
    assert totals[0][0] == totals[0][1] == Decimal("4.1551379")


def test_the_finops_focus_validator_passes_the_seconds_rows(compute_run: Settings, tmp_path: Path) -> None:
    data = compute_run.warehouse.parent / "parquet" / "focus_v1_2" / "billing_period=2026-03" / "data.parquet"
    passed, failed = focus_validation(data, tmp_path)
    assert passed >= 130
    assert failed <= FOCUS_UNDECIDABLE, sorted(failed)


def test_modal_billing_report_reconciles_with_the_priced_seconds(compute_run: Settings) -> None:
    rows = read(compute_run, "SELECT source, contracted_cost_usd, reported_cost_usd, difference_usd"
                             " FROM marts.cost_reconciliation WHERE provider = 'modal'")
    assert rows == [("cost_report", Decimal("4.12344"), Decimal("4.12344"), Decimal(0))]


def test_sql_pricing_matches_the_reference_quote(compute_run: Settings) -> None:
    catalogue = load_catalogue(bundled_pricing_dir())
    card = build_rate_card(catalogue)
    rows = priced_usages(compute_run, "cost_status, list_cost_usd, rate_id")
    assert len(rows) == 11
    for usage, (status, cost, rate_id) in rows:
        expected = quote(card, usage, catalogue.exchange_rates)
        assert (expected.cost_status, expected.list_cost_usd) == (status, cost), usage
        assert (expected.rate.rate_id if expected.rate else None) == rate_id


def test_rerunning_changes_nothing(compute_run: Settings) -> None:
    before = read(compute_run, PRICED)
    run_pipeline(compute_run)
    assert read(compute_run, PRICED) == before


def test_quote_prices_seconds_of_hardware() -> None:
    result = CliRunner().invoke(main, ["pricing", "quote", "--provider", "replicate", "--model", "acme/sdxl",
                                       "--hardware", "gpu-a100-large", "--seconds", "12.5", "--at", DAY])
    assert result.exit_code == 0, result.output
    assert "compute time" in result.output and "12.5 seconds" in result.output
    assert "$0.0014 / second" in result.output and "$0.0175" in result.output


def test_hardware_catalogue_and_map_errors_name_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "gpus.yaml"
    path.write_text("provider: gpus\nhardware:\n  - id: h100\n    prices:\n      - effective_from: 2026-01-01\n"
                    "        per_second: 0.00000000001\n        source: x\n        checked: 2026-01-01\n")
    with pytest.raises(CatalogueError, match=r"gpus\.yaml.*hardware.*per_second.*10 decimal places"):
        load_provider_file(path)
    path.write_text("provider: gpus\n")
    with pytest.raises(CatalogueError, match="at least one of `models` or `hardware`"):
        load_provider_file(path)
    hardware = tmp_path / "hardware.yaml"
    hardware.write_text('hardware:\n  replicate:\n    "acme/*": ""\n')
    with pytest.raises(CatalogueError, match=r"hardware\.yaml.*replicate: a model pattern or SKU is empty: acme/\*"):
        load_hardware_map(hardware)
    with pytest.raises(CatalogueError, match="hardware map file does not exist"):
        load_hardware_map(tmp_path / "missing.yaml")
    # Kept beside the catalogue, the map is found and is not read as a provider's prices.
    pricing = tmp_path / "pricing"
    pricing.mkdir()
    (pricing / "modal.yaml").write_bytes((bundled_pricing_dir() / "modal.yaml").read_bytes())
    (pricing / "hardware.yaml").write_text(HARDWARE)
    assert Settings.resolve(pricing=pricing).hardware == pricing / "hardware.yaml"
    assert set(load_catalogue(pricing).providers) == {"modal"}


def test_the_envelope_gives_hardware_and_seconds_and_bad_values_are_rejected(tmp_path: Path) -> None:
    done = _prediction("p-1", "acme/x", "succeeded", {"predict_time": 1.5})
    rows, result = parse_records(tmp_path, "enveloped.jsonl", [
        {"timestamp": f"{DAY}T10:00:00Z", "hardware": " GPU-T4 ", "compute_seconds": "2.25", "response": done},
        {"timestamp": f"{DAY}T10:00:00Z", "hardware": "gpu-t4", "compute_seconds": "abc", "response": done},
        {"timestamp": f"{DAY}T10:00:00Z", "hardware": "gpu-t4", "compute_seconds": -1, "response": done},
        {"timestamp": f"{DAY}T10:00:00Z", "hardware": ["gpu-t4"], "response": done},
        _prediction("p-2", "acme/x", "succeeded", {"total_time": 3}),
    ], "ab" * 32)
    assert [(row["hardware"], row["compute_seconds"]) for row in rows] == [("gpu-t4", Decimal("2.25"))]
    assert reasons(result) == [
        (2, "field compute_seconds is not a number: 'abc'"),
        (3, "field compute_seconds is out of range: -1"),
        (4, "field hardware is not a string: list"),
        (5, "missing field metrics.predict_time: the seconds a prediction ran are what it is billed"),
    ]


def test_a_gpu_seconds_export_with_modal_style_headers_is_read(tmp_path: Path) -> None:
    path = tmp_path / "modal_seconds.csv"
    path.write_text("Object ID,Description,Environment,Interval Start,Resource,Seconds,Provider\n"
                    "ap-1,llm-server,main,2026-03-11T00:00:00,L4,100,modal\n", encoding="utf-8")
    result = FileResult(source_file=path.name)
    tables = [table for kind, table in parse_file(path, compression_of(path), "ef" * 32, result) if kind == "usage"]
    (row,) = tables[0].to_pylist()
    assert (result.rejects, row["source_format"], row["provider"], row["model_raw"], row["project"]) == \
        ([], "gpu_seconds_export", "modal", "llm-server", "main")
    assert (row["hardware"], row["compute_seconds"], row["event_id"]) == \
        ("l4", Decimal(100), "modal:seconds:ap-1:main:2026-03-11T00:00:00:l4")


def test_seconds_on_unknown_hardware_fail_the_unpriced_check_though_no_request_is_counted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    (settings.landing / "gpu.csv").write_text("provider,app,interval_start,hardware,seconds\n"
                                              "modal,job,2026-03-10T00:00:00,B300,100\n"
                                              "modal,job,2026-03-10T00:00:00,H100,100\n", encoding="utf-8")
    result = build_definitions(settings).resolve_job_def("metering_job").execute_in_process(
        partition_key="2026-03-10", instance=dg.DagsterInstance.ephemeral())
    (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "usage_priced_unpriced_share"]
    assert not check.passed
    assert (check.metadata["unpriced_requests"].value, check.metadata["unpriced_hardware_seconds"].value) == (0, 100.0)
