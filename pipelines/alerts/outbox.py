"""The alert outbox: alerts and their deliveries are written in one transaction, and sent later by whoever drains it.

Delivery is at least once: a send that succeeded is recorded right after it, so only a process that dies in that
instant can send one alert twice, and the receiver can tell by the alert id (webhook Idempotency-Key, email
Message-ID). Nothing else sends twice: raising an alert again is a no-op, and a sent delivery is never picked again.
The warehouse is held only to read what is due and to record outcomes, never while a channel is being called, so a
slow channel never blocks a pipeline run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from models.alerts import AlertsFile, DeliverySettings
from pipelines.alerts.channels import DeliveryError, send
from pipelines.alerts.events import Alert
from pipelines.alerts.message import Message
from pipelines.warehouse import connect


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def raised(conn: duckdb.DuckDBPyConnection, kind: str) -> dict[str, str]:
    """Alert id -> severity of every alert of `kind` raised before."""
    rows = conn.execute("SELECT alert_id, severity FROM raw.alerts WHERE kind = ?", [kind]).fetchall()
    return {str(alert_id): str(severity) for alert_id, severity in rows}


def write_alerts(conn: duckdb.DuckDBPyConnection, alerts: list[Alert], channels_for: Callable[[Alert], list[str]],
                 now: datetime) -> int:
    """Insert the alerts not raised before and a pending delivery per channel; returns how many were new."""
    new = 0
    conn.execute("BEGIN TRANSACTION")
    try:
        for alert in alerts:
            message = alert.message
            inserted = conn.execute(
                "INSERT INTO raw.alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING alert_id",
                [message.alert_id, alert.kind, alert.subject, alert.event, message.severity, message.title,
                 message.text, json.dumps(message.details, default=str), now],
            ).fetchall()
            if not inserted:
                continue
            new += 1
            for channel in channels_for(alert):
                conn.execute(
                    "INSERT INTO raw.alert_deliveries VALUES (?, ?, 'pending', 0, ?, ?, NULL, NULL, NULL)"
                    " ON CONFLICT DO NOTHING", [message.alert_id, channel, now, now])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return new


# A claimed delivery is not handed to another drainer (the sensor and the end of `meterline run` may overlap) for
# this long; if the claimer dies, it is due again after it.
CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class Due:
    channel: str
    attempts: int
    message: Message


def claim_due(conn: duckdb.DuckDBPyConnection, now: datetime) -> list[Due]:
    """The pending deliveries that are due, claimed in one statement so two drainers never both take one."""
    claimed = conn.execute(
        "UPDATE raw.alert_deliveries SET next_attempt_at = ? WHERE status = 'pending' AND next_attempt_at <= ?"
        " RETURNING alert_id, channel, attempts", [now + CLAIM, now]).fetchall()
    if not claimed:
        return []
    alerts = {row[0]: row for row in conn.execute(
        "SELECT alert_id, kind, severity, title, text, details FROM raw.alerts WHERE alert_id IN"
        " (SELECT unnest(?::VARCHAR[])) ORDER BY created_at, alert_id", [sorted({row[0] for row in claimed})]
    ).fetchall()}
    order = list(alerts)
    claimed.sort(key=lambda row: (order.index(row[0]), row[1]))
    return [Due(channel=channel, attempts=int(attempts),
                message=Message(alert_id=alerts[alert_id][0], kind=alerts[alert_id][1],
                                severity=alerts[alert_id][2], title=alerts[alert_id][3], text=alerts[alert_id][4],
                                details=json.loads(alerts[alert_id][5])))
            for alert_id, channel, attempts in claimed]


def backoff(settings: DeliverySettings, attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: backoff_seconds, doubling, at most max_backoff_seconds."""
    return timedelta(seconds=min(settings.backoff_seconds * 2 ** max(0, attempts - 1), settings.max_backoff_seconds))


def record(conn: duckdb.DuckDBPyConnection, item: Due, error: str | None, now: datetime,
           settings: DeliverySettings) -> None:
    attempts = item.attempts + 1
    if error is None:
        conn.execute("UPDATE raw.alert_deliveries SET status = 'sent', attempts = ?, last_attempt_at = ?,"
                     " sent_at = ?, last_error = NULL WHERE alert_id = ? AND channel = ?",
                     [attempts, now, now, item.message.alert_id, item.channel])
    else:
        conn.execute("UPDATE raw.alert_deliveries SET attempts = ?, last_attempt_at = ?, next_attempt_at = ?,"
                     " last_error = ? WHERE alert_id = ? AND channel = ?",
                     [attempts, now, now + backoff(settings, attempts), error, item.message.alert_id, item.channel])


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int
    errors: tuple[str, ...]


def deliver_due(warehouse: Path, config: AlertsFile, now: datetime | None = None,
                env: Mapping[str, str] | None = None) -> DeliveryReport:
    """Send every pending delivery that is due and record each outcome as soon as it is known. A failure stays
    pending, due again after the backoff."""
    moment = now or utc_now()
    with connect(warehouse) as conn:
        pending = claim_due(conn, moment)
    channels = {channel.name: channel for channel in config.channels}
    errors: list[str] = []
    for item in pending:
        channel = channels.get(item.channel)
        error = None
        try:
            if channel is None:
                raise DeliveryError(f"channel {item.channel} is no longer in the alerts file")
            send(channel, item.message, env if env is not None else os.environ)
        except DeliveryError as exc:
            error = str(exc)
            errors.append(error)
        with connect(warehouse) as conn:
            record(conn, item, error, moment, config.delivery)
    return DeliveryReport(sent=len(pending) - len(errors), failed=len(errors), errors=tuple(errors))
