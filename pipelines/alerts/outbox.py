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
from typing import TYPE_CHECKING

import duckdb

from models.alerts import AlertsFile, DeliverySettings
from pipelines.alerts.channels import DeliveryError, send
from pipelines.alerts.message import Message
from pipelines.warehouse import connect, connect_waiting, sql_text

if TYPE_CHECKING:
    # Only a type here: the events module imports the forecasting stack, which `deliver_due` does not need.
    from pipelines.alerts.events import Alert


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def raised(conn: duckdb.DuckDBPyConnection, kind: str) -> dict[str, str]:
    """Alert id -> severity of every alert of `kind` raised before."""
    rows = conn.execute("SELECT alert_id, severity FROM raw.alerts WHERE kind = ?", [kind]).fetchall()
    return {str(alert_id): str(severity) for alert_id, severity in rows}


def channel_router(config: AlertsFile) -> Callable[[str, str], list[str]]:
    """The channels an alert of (kind, subject) goes to: its budget's or the anomaly settings', else every one."""
    everyone = [channel.name for channel in config.channels]
    budgets = {budget.name: budget for budget in config.budgets}

    def channels_for(kind: str, subject: str) -> list[str]:
        owner = budgets.get(subject.split("/")[0]) if kind == "budget" else config.anomalies
        if owner is None:
            return []  # a budget since removed from the file
        return everyone if owner.channels is None else list(owner.channels)

    return channels_for


def route_live_alerts(conn: duckdb.DuckDBPyConnection, channels_for: Callable[[str, str], list[str]],
                      now: datetime) -> int:
    """A pending delivery of every alert still live to every channel it goes to that has none yet (a channel added
    to the alerts file after the alert was raised); returns how many were added. Never twice: one row per alert and
    channel."""
    added = 0
    try:
        live = conn.execute(sql_text("raw/alerts.live")).fetchall()
    except duckdb.CatalogException:
        return 0  # a warehouse from before alerts: nothing was ever raised
    for alert_id, kind, subject in live:
        for channel in channels_for(kind, subject):
            added += len(conn.execute(
                "INSERT INTO raw.alert_deliveries VALUES (?, ?, 'pending', 0, ?, ?, NULL, NULL, NULL)"
                " ON CONFLICT DO NOTHING RETURNING alert_id", [alert_id, channel, now, now]).fetchall())
    return added


def write_alerts(conn: duckdb.DuckDBPyConnection, alerts: list[Alert], channels_for: Callable[[str, str], list[str]],
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
            for channel in channels_for(alert.kind, alert.subject):
                conn.execute(
                    "INSERT INTO raw.alert_deliveries VALUES (?, ?, 'pending', 0, ?, ?, NULL, NULL, NULL)"
                    " ON CONFLICT DO NOTHING", [message.alert_id, channel, now, now])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return new


# A claimed delivery is not handed to another drainer (the sensor and the end of `meterline run` may overlap) for
# this long; if the claimer dies, it is due again after it. One delivery is claimed at a time, and a send times out
# after at most 120 s, so a claim never runs out while its send is under way.
CLAIM = timedelta(minutes=5)
# Recording an outcome waits this long for a run that holds the warehouse: a lost outcome means a second send.
RECORD_WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class Due:
    channel: str
    attempts: int
    message: Message


def has_due(warehouse: Path, now: datetime) -> bool:
    """Whether any delivery is due, read without taking the write lock (the sensor asks every minute)."""
    with connect(warehouse, read_only=True) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM raw.alert_deliveries WHERE status = 'pending'"
                               " AND next_attempt_at <= ?", [now]).fetchone()
        except duckdb.CatalogException:
            return False  # a warehouse from before alerts: nothing was ever raised
    return bool(row and row[0])


def claim_next(conn: duckdb.DuckDBPyConnection, now: datetime) -> Due | None:
    """The oldest due delivery, claimed in one statement so two drainers never both take it."""
    claimed = conn.execute(
        "UPDATE raw.alert_deliveries SET next_attempt_at = ? WHERE rowid = ("
        " SELECT d.rowid FROM raw.alert_deliveries AS d JOIN raw.alerts AS a USING (alert_id)"
        " WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY a.created_at, a.alert_id, d.channel LIMIT 1)"
        " RETURNING alert_id, channel, attempts", [now + CLAIM, now]).fetchall()
    if not claimed:
        return None
    alert_id, channel, attempts = claimed[0]
    row = conn.execute("SELECT kind, severity, title, text, details FROM raw.alerts WHERE alert_id = ?",
                       [alert_id]).fetchone()
    assert row is not None
    return Due(channel=channel, attempts=int(attempts),
               message=Message(alert_id=alert_id, kind=row[0], severity=row[1], title=row[2], text=row[3],
                               details=json.loads(row[4])))


def backoff(settings: DeliverySettings, attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: backoff_seconds, doubling, at most max_backoff_seconds."""
    doubling = 2 ** min(max(0, attempts - 1), 40)
    return timedelta(seconds=min(settings.backoff_seconds * doubling, settings.max_backoff_seconds))


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
    """Send every delivery that is due, one at a time, recording each outcome as soon as it is known. A failure
    stays pending, due again after the backoff."""
    moment = now or utc_now()
    if not has_due(warehouse, moment):
        return DeliveryReport(0, 0, ())
    channels = {channel.name: channel for channel in config.channels}
    sent, errors = 0, []
    while True:
        with connect(warehouse) as conn:
            item = claim_next(conn, moment)
        if item is None:
            break
        channel = channels.get(item.channel)
        error = None
        try:
            if channel is None:
                raise DeliveryError(f"channel {item.channel} is no longer in the alerts file")
            send(channel, item.message, env if env is not None else os.environ)
            sent += 1
        except DeliveryError as exc:
            error = str(exc)
            errors.append(error)
        with connect_waiting(warehouse, RECORD_WAIT_SECONDS) as conn:
            record(conn, item, error, utc_now() if now is None else moment, config.delivery)
    return DeliveryReport(sent=sent, failed=len(errors), errors=tuple(errors))
