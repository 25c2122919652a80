"""Anomalies, budgets and alert delivery end to end: real Dagster runs, a real webhook server and a real SMTP server.

Two months of Claude Haiku 4.5 traffic: 70 requests a day on project `search`, 30 on `chat`, each 20,000 uncached
input, 80,000 cache-read and 2,000 output tokens: $0.038 a request (20,000 x $1/M + 80,000 x $0.10/M + 2,000 x
$5/M), $3.80 a day. On the last two days the cache hit rate on `search` falls to 5% (95,000 uncached, 5,000 read):
$0.1055 a request, $8.525 a day (+124%).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from pipelines.automation import range_tags
from pipelines.definitions import build_definitions
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import envelope, read, write_jsonl
from tests.test_alert_channels import Hook, Mailbox, free_port

FIRST = date(2026, 9, 16)
SPIKE = (date(2026, 10, 29), date(2026, 10, 30))


def _message(rid: str, uncached: int, read_tokens: int) -> dict[str, object]:
    return {"id": rid, "type": "message", "model": "claude-haiku-4-5-20251001",
            "usage": {"input_tokens": uncached, "cache_read_input_tokens": read_tokens, "output_tokens": 2000}}


def _write_days(settings: Settings, first: date, last: date) -> None:
    day = first
    while day <= last:
        records = []
        for index in range(100):
            project = "search" if index < 70 else "chat"
            dropped = project == "search" and day in SPIKE
            uncached, read_tokens = (95_000, 5_000) if dropped else (20_000, 80_000)
            stamp = f"{day.isoformat()}T{8 + index // 10:02d}:{index % 60:02d}:00Z"
            records.append(envelope(stamp, _message(f"msg_{day:%Y%m%d}_{index:03d}", uncached, read_tokens),
                                    provider="anthropic", project=project))
        write_jsonl(settings.landing / f"{day.isoformat()}.jsonl", records)
        day += timedelta(days=1)


ALERTS_YAML = """\
channels:
  - {{type: webhook, name: ops, url_env: OPS_URL}}
  - {{type: email, name: mail, host: 127.0.0.1, port: {port}, security: none, sender: meterline@example.com,
     to: [finops@example.com]}}
budgets:
  - {{name: all, amount_usd: 100, thresholds: [0.5, 1]}}
  - {{name: chat, amount_usd: 35, project: chat, thresholds: [0.8, 1]}}
anomalies:
  min_impact_usd: 1
delivery:
  backoff_seconds: 0
"""


@pytest.fixture
def servers() -> Iterator[tuple[Hook, Mailbox, int]]:
    hook, mailbox, port = Hook(), Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield hook, mailbox, port
    controller.stop()
    hook.close()


def _settings(settings: Settings, port: int, today: date) -> Settings:
    path = settings.warehouse.parent / "alerts.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ALERTS_YAML.format(port=port), encoding="utf-8")
    return dataclasses.replace(settings, alerts=path, today=today)


def _ids(mailbox: Mailbox) -> list[str]:
    return sorted(str(message["Subject"]) for message in mailbox.messages())


def test_anomaly_and_budgets_alert_once_through_a_failing_then_recovering_channel(
        settings: Settings, servers: tuple[Hook, Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    hook, mailbox, port = servers
    monkeypatch.setenv("OPS_URL", hook.url)
    settings = _settings(settings, port, date(2026, 10, 31))
    _write_days(settings, FIRST, SPIKE[1])
    for _ in range(4):
        hook.reply(500, "Service Unavailable")

    first = run_pipeline(settings)
    assert first.alerts_raised == 4
    assert first.alerts_sent == 4  # the four emails
    assert first.delivery_errors == ("channel ops (webhook): HTTP 500",) * 4

    # The episode: found at the total level, its model and provider rows covered by it, explained by the cache.
    [(anomaly_id, start, status, severity, explanation)] = read(
        settings, "SELECT anomaly_id, start_date, status, severity, explanation FROM marts.spend_anomalies"
        " WHERE level = 'total'")
    assert start == SPIKE[0] and status in ("open", "ongoing") and severity in ("major", "critical")
    assert "cache hit rate fell from 80% to 5% on project search" in explanation
    assert "mostly project search" in explanation
    covered = read(settings, "SELECT level, covered_by FROM marts.spend_anomalies WHERE level <> 'total'")
    assert covered and all(cover == anomaly_id for _, cover in covered)
    (actual, expected), = read(settings, "SELECT actual_usd, expected_usd FROM marts.spend_anomalies"
                                         " WHERE level = 'total'")
    # One or both spike days met every condition (the fit may adapt after the first); either way in whole days.
    assert float(actual) in (pytest.approx(8.525), pytest.approx(17.05))
    assert float(expected) < float(actual) / 1.5

    # Budgets for October: all spend $3.80 x 28 + $8.525 x 2 = $123.45 has passed 100%; chat $1.14 x 30 = $34.20
    # is past 80% and on course to pass 100% ($35.34 at month end).
    budgets = read(settings, "SELECT budget, actual_usd, projected_usd, crossed_actual, crossed_forecast"
                             " FROM marts.budget_status ORDER BY budget")
    assert [(name, float(actual), float(crossed_actual or 0), float(crossed_forecast or 0))
            for name, actual, _, crossed_actual, crossed_forecast in budgets] == [
        ("all", pytest.approx(123.45), 1.0, 1.0), ("chat", pytest.approx(34.2), 0.8, 1.0)]
    assert float(budgets[1][2]) == pytest.approx(35.34, abs=0.01)
    assert sorted(row[0] for row in read(settings, "SELECT alert_id FROM raw.alerts")) == sorted([
        f"anomaly:{anomaly_id}:opened", "budget:all:2026-10:actual:1", "budget:chat:2026-10:actual:0.8",
        "budget:chat:2026-10:forecast:1"])
    pending = read(settings, "SELECT attempts, last_error FROM raw.alert_deliveries WHERE channel = 'ops'")
    assert pending == [(1, "channel ops (webhook): HTTP 500")] * 4
    assert len(mailbox.messages()) == 4

    # The same run again raises nothing new; the webhook is back, so its four deliveries go out, once each.
    second = run_pipeline(settings)
    assert (second.alerts_raised, second.alerts_sent, second.delivery_errors) == (0, 4, ())
    delivered = [seen.headers["idempotency-key"] for seen in hook.requests[4:]]
    assert sorted(delivered) == sorted(row[0] for row in read(settings, "SELECT alert_id FROM raw.alerts"))
    third = run_pipeline(settings)
    assert (third.alerts_raised, third.alerts_sent) == (0, 0)
    assert len(hook.requests) == 8 and len(mailbox.messages()) == 4
    assert read(settings, "SELECT count(*) FROM raw.alert_deliveries WHERE status <> 'sent'") == [(0,)]
    assert any("Budget all: 100% of $100.00 spent" in subject for subject in _ids(mailbox))


def test_a_run_that_dies_before_sending_loses_nothing_and_the_sensor_sends_once(
        settings: Settings, servers: tuple[Hook, Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    hook, mailbox, port = servers
    monkeypatch.setenv("OPS_URL", hook.url)
    settings = _settings(settings, port, date(2026, 10, 31))
    _write_days(settings, FIRST, SPIKE[1])
    run_pipeline(settings)
    assert len(hook.requests) == 4 and len(mailbox.messages()) == 4

    # Three normal days later the episode has closed. This time the jobs run as the schedule runs them: they write
    # the outbox and stop; a process that died here would have sent nothing, and lost nothing.
    _write_days(settings, date(2026, 10, 31), date(2026, 11, 2))
    settings = dataclasses.replace(settings, today=date(2026, 11, 3))
    defs = build_definitions(settings)
    with dg.DagsterInstance.ephemeral() as instance:
        assert defs.resolve_job_def("ingest_job").execute_in_process(instance=instance).success
        assert defs.resolve_job_def("daily_job").execute_in_process(
            instance=instance, tags=range_tags(date(2026, 10, 31), date(2026, 11, 2))).success
        assert defs.resolve_job_def("monitoring_job").execute_in_process(instance=instance).success
    (status,), = read(settings, "SELECT status FROM marts.spend_anomalies WHERE level = 'total'")
    assert status == "closed"
    # The backtest runs once a week: three days on, the accuracy rows are still those of October 31.
    assert read(settings, "SELECT DISTINCT generated_on FROM marts.forecast_accuracy") == [(date(2026, 10, 31),)]
    assert read(settings, "SELECT DISTINCT generated_on FROM marts.spend_forecast ORDER BY 1") == [
        (date(2026, 10, 31),), (date(2026, 11, 3),)]
    waiting = read(settings, "SELECT a.alert_id, count(*) FROM raw.alert_deliveries AS d JOIN raw.alerts AS a"
                             " USING (alert_id) WHERE d.status = 'pending' GROUP BY ALL ORDER BY 1")
    assert any(alert_id.endswith(":closed") for alert_id, _ in waiting)
    assert all(count == 2 for _, count in waiting)
    assert len(hook.requests) == 4

    # A new process: the delivery sensor's tick sends each pending alert once; the next tick sends nothing.
    sensor = build_definitions(settings).resolve_sensor_def("alert_delivery")
    with dg.instance_for_test() as instance:
        result = sensor(dg.build_sensor_context(instance=instance))
        assert f"sent {2 * len(waiting)}, failed 0" in str(result)
        again = sensor(dg.build_sensor_context(instance=instance))
        assert "sent 0, failed 0" in str(again)
    assert len(hook.requests) == 4 + len(waiting)
    assert len(mailbox.messages()) == 4 + len(waiting)
    assert any("Spend anomaly over: all spend" in subject for subject in _ids(mailbox))


def test_alerts_test_command_tries_every_channel(settings: Settings, servers: tuple[Hook, Mailbox, int]) -> None:
    hook, mailbox, port = servers
    settings = _settings(settings, port, date(2026, 10, 31))
    env = {**os.environ, "OPS_URL": hook.url}
    command = [str(Path(sys.executable).parent / "meterline"), "alerts", "test", "--alerts", str(settings.alerts)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "sent   ops (webhook)" in done.stdout and "sent   mail (email)" in done.stdout
    assert hook.requests[0].body["kind"] == "test"
    assert [str(m["Subject"]) for m in mailbox.messages()] == ["[meterline] meterline test alert"]

    hook.reply(503, "")
    failed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert failed.returncode == 1
    assert "channel ops (webhook): HTTP 503" in failed.stdout
    assert hook.url not in failed.stdout + failed.stderr


def test_alerts_file_errors_name_the_file_and_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text("budgets:\n  - {name: all, amount_usd: -5}\n", encoding="utf-8")
    done = subprocess.run([str(Path(sys.executable).parent / "meterline"), "alerts", "test", "--alerts", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert str(path) in done.stderr and "amount_usd" in done.stderr


def test_a_channel_added_later_gets_the_live_alerts_once(
        settings: Settings, servers: tuple[Hook, Mailbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Email only at first; then the webhook is added to the file: `alerts deliver` sends it the alerts still live
    (the open episode, October's budgets), once each, and nothing goes to email twice."""
    from click.testing import CliRunner

    from pipelines.cli import main

    hook, mailbox, port = servers
    monkeypatch.setenv("OPS_URL", hook.url)
    settings = _settings(settings, port, date(2026, 10, 31))
    full = settings.alerts.read_text(encoding="utf-8")
    settings.alerts.write_text(full.replace("  - {type: webhook, name: ops, url_env: OPS_URL}\n", ""),
                               encoding="utf-8")
    _write_days(settings, FIRST, SPIKE[1])
    first = run_pipeline(settings)
    assert (first.alerts_raised, first.alerts_sent, len(hook.requests)) == (4, 4, 0)
    raised_ids = sorted(row[0] for row in read(settings, "SELECT alert_id FROM raw.alerts"))

    settings.alerts.write_text(full, encoding="utf-8")
    shown = CliRunner().invoke(main, ["alerts", "deliver", "--alerts", str(settings.alerts),
                                      "--warehouse", str(settings.warehouse)])
    assert shown.exit_code == 0, shown.output
    assert "4 sent, 0 failed" in shown.output
    assert sorted(seen.headers["idempotency-key"] for seen in hook.requests) == raised_ids
    # The next run (the alerts file changed, so monitoring runs again) adds and sends nothing more.
    again = run_pipeline(settings)
    assert (again.alerts_raised, again.alerts_sent) == (0, 0)
    assert (len(hook.requests), len(mailbox.messages())) == (4, 4)
    assert read(settings, "SELECT channel, count(*) FROM raw.alert_deliveries GROUP BY 1 ORDER BY 1") == [
        ("mail", 4), ("ops", 4)]
