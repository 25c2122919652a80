"""The Dagster layer: definitions load, partitions materialise in-process, checks block, schedule and sensors."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.automation import RANGE_END, RANGE_START, rebuild_after_ingest
from pipelines.definitions import build_definitions
from pipelines.settings import Settings
from tests.conftest import envelope, read, write_jsonl

ASSET_KEYS = {("raw", "provider_pulls"), ("raw", "usage_files"), ("core", "price_rates"), ("core", "contract_terms"),
              ("core", "usage_events"), ("core", "usage_priced"), ("core", "gpu_allocation"),
              ("marts", "selfhosted_daily"),
              ("marts", "daily_model_spend"), ("marts", "daily_project_spend"), ("marts", "spend_forecast"),
              ("marts", "month_end_projection"), ("marts", "forecast_accuracy"), ("marts", "spend_anomalies"),
              ("marts", "budget_status"), ("raw", "alerts"), ("marts", "savings_opportunities"),
              ("published", "analytics")}


def _message(rid: str, uncached: int = 1000, output: int = 100) -> dict[str, object]:
    return {"id": rid, "type": "message", "model": "claude-haiku-4-5-20251001",
            "usage": {"input_tokens": uncached, "output_tokens": output}}


def _landing(settings: Settings) -> None:
    write_jsonl(settings.landing / "a.jsonl", [
        envelope("2026-03-10T08:00:00Z", _message("msg_a1"), provider="anthropic"),
        envelope("2026-03-10T09:00:00Z", _message("msg_a2"), provider="anthropic"),
        envelope("2026-03-11T09:00:00Z", _message("msg_a3"), provider="anthropic"),
    ])


def test_definitions_load_with_assets_checks_jobs_schedule_and_sensors(settings: Settings) -> None:
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    assert {tuple(key.path) for key in graph.get_all_asset_keys()} == ASSET_KEYS
    assert {check.name for check in graph.asset_check_keys} == {
        "usage_events_non_negative_tokens", "usage_events_unique_event_id", "daily_model_spend_unique_grain",
        "daily_project_spend_unique_grain", "usage_priced_unpriced_share",
        "usage_events_aggregates_beside_requests", "cost_reconciliation_drift"}
    for job in ("ingest_job", "daily_job", "metering_job", "monitoring_job"):
        assert defs.resolve_job_def(job).name == job
    assert defs.resolve_schedule_def("daily_schedule").cron_schedule == "0 2 * * *"
    assert defs.resolve_sensor_def("landing_sensor").job_name == "ingest_job"
    assert defs.resolve_sensor_def("rebuild_after_ingest").name == "rebuild_after_ingest"
    assert defs.resolve_sensor_def("monitor_after_rebuild").name == "monitor_after_rebuild"
    assert defs.resolve_sensor_def("alert_delivery").default_status == dg.DefaultSensorStatus.RUNNING
    daily = graph.get(dg.AssetKey(["core", "usage_events"])).partitions_def
    assert isinstance(daily, dg.DailyPartitionsDefinition) and daily.timezone == "UTC"


def test_the_repo_code_location_loads_as_dagster_dev_would_load_it() -> None:
    import pipelines.definitions

    assert isinstance(pipelines.definitions.defs, dg.Definitions)
    pipelines.definitions.defs.resolve_job_def("metering_job")


def test_one_partition_materialises_in_process_with_passing_checks(settings: Settings) -> None:
    _landing(settings)
    defs = build_definitions(settings)
    job = defs.resolve_job_def("metering_job")
    result = job.execute_in_process(partition_key="2026-03-10", instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert all(evaluation.passed for evaluation in result.get_asset_check_evaluations())
    assert len(result.get_asset_check_evaluations()) == 7
    # Only the partition's day is built, though the staged file holds two days.
    # haiku-4.5: 2 x (1000 x $1 + 100 x $5) per 1M = $0.003
    assert read(settings, "SELECT usage_date, requests, list_cost_usd FROM marts.daily_model_spend") == [
        (date(2026, 3, 10), 2, Decimal("0.003"))]


def test_a_failing_blocking_check_stops_downstream_assets(settings: Settings) -> None:
    _landing(settings)
    defs = build_definitions(settings)
    instance = dg.DagsterInstance.ephemeral()
    seeded = defs.resolve_job_def("metering_job").execute_in_process(partition_key="2026-03-11", instance=instance)
    assert seeded.success
    with duckdb.connect(str(settings.warehouse)) as conn:
        conn.execute("INSERT INTO core.usage_events SELECT * FROM core.usage_events WHERE usage_date = '2026-03-11'")
    result = defs.resolve_job_def("daily_job").execute_in_process(
        partition_key="2026-03-10", instance=instance, raise_on_error=False)
    assert not result.success
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed == {"usage_events_unique_event_id"}
    assert result.asset_materializations_for_node("core__usage_priced") == []


def test_schedule_requests_yesterday_and_three_late_days_as_one_run(settings: Settings) -> None:
    schedule = build_definitions(settings).resolve_schedule_def("daily_schedule")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 11, 28, 2, 0, tzinfo=UTC))
    (request,) = schedule.evaluate_tick(context).run_requests or []
    assert request.tags[RANGE_START] == "2026-11-24"
    assert request.tags[RANGE_END] == "2026-11-27"
    assert schedule.job_name == "metering_job"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_landing_sensor_requests_an_ingest_run_for_new_and_changed_files(settings: Settings) -> None:
    sensor = build_definitions(settings).resolve_sensor_def("landing_sensor")
    with dg.instance_for_test() as instance:
        empty = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
        assert not empty.run_requests
        _landing(settings)
        first = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=empty.cursor))
        assert len(first.run_requests or []) == 1 and first.run_requests[0].job_name in (None, "ingest_job")
        quiet = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=first.cursor))
        assert not quiet.run_requests
        path = settings.landing / "a.jsonl"
        path.write_bytes(path.read_bytes() + path.read_bytes().splitlines(keepends=True)[0])
        os.utime(path, (1, 1))
        again = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=quiet.cursor))
        assert len(again.run_requests or []) == 1


def _after(instance: dg.DagsterInstance, run: dg.ExecuteInProcessResult) -> dg.RunStatusSensorContext:
    """The context rebuild_after_ingest sees when `run` has succeeded."""
    return dg.build_run_status_sensor_context(sensor_name="rebuild_after_ingest", dagster_instance=instance,
                                              dagster_run=run.dagster_run, dagster_event=run.get_run_success_event())


def test_after_an_ingest_run_the_touched_days_are_rebuilt_in_one_run(settings: Settings) -> None:
    _landing(settings)
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        ingest = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance)
        context = _after(instance, ingest)
        request = rebuild_after_ingest(context)
        assert isinstance(request, dg.RunRequest)
        assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026-03-10", "2026-03-11")
        again = defs.resolve_job_def("ingest_job").execute_in_process(instance=instance)
        context = _after(instance, again)
        assert isinstance(rebuild_after_ingest(context), dg.SkipReason)


def test_a_scheduled_run_that_rebuilt_the_touched_days_asks_for_nothing_more(settings: Settings) -> None:
    _landing(settings)
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        covering = defs.resolve_job_def("metering_job").execute_in_process(
            instance=instance, tags={RANGE_START: "2026-03-09", RANGE_END: "2026-03-11"})
        context = _after(instance, covering)
        assert isinstance(rebuild_after_ingest(context), dg.SkipReason)
        write_jsonl(settings.landing / "late.jsonl",
                    [envelope("2026-02-01T08:00:00Z", _message("msg_late"), provider="anthropic")])
        narrow = defs.resolve_job_def("metering_job").execute_in_process(
            instance=instance, tags={RANGE_START: "2026-03-10", RANGE_END: "2026-03-11"})
        context = _after(instance, narrow)
        request = rebuild_after_ingest(context)
        assert isinstance(request, dg.RunRequest)
        assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026-02-01", "2026-02-01")


def test_dagster_yaml_limits_runs_and_writers_to_one(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    (tmp_path / "dagster.yaml").write_text((repo / "dagster.yaml").read_text())
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        config = instance.get_concurrency_config()
        assert config.run_queue_config.max_concurrent_runs == 1
        assert config.pool_config.default_pool_limit == 1
    finally:
        instance.dispose()
