"""Pull one provider's admin reports into the landing folder and move its cursor."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb

from pipelines.pull import landing, state
from pipelines.pull.client import AdminClient, Notify, PullError, RetryPolicy
from pipelines.pull.provider import Provider, Report
from pipelines.pull.state import PullRecord

Warehouse = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


def _silent(_: str) -> None:
    return None


def configured(provider: Provider) -> bool:
    return bool(os.environ.get(provider.key_env))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def pull_provider(
    provider: Provider,
    landing_dir: Path,
    warehouse: Warehouse,
    *,
    since: date | None = None,
    now: datetime | None = None,
    policy: RetryPolicy | None = None,
    notify: Notify = _silent,
) -> list[PullRecord]:
    """Fetch every report of `provider` from its first day (see `state.first_day`) through today, UTC.

    Today is fetched but not counted complete. Each report's files are written and its cursor saved only once all
    its pages have arrived; the warehouse is opened only to read and save the cursors, never during HTTP.
    """
    key = os.environ.get(provider.key_env)
    if not key:
        raise PullError(f"{provider.key_env} is not set: export an {provider.name} admin key to pull its reports")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    today = moment.date()
    restate = state.restate_days()
    with warehouse() as conn:
        cursors = state.cursors(conn, provider.name)
    base = os.environ.get(provider.base_env) or provider.default_base
    records: list[PullRecord] = []
    with AdminClient(base, provider.headers(key), key, provider.key_env, policy or RetryPolicy.from_env(),
                     notify) as client:
        for report in provider.reports:
            cursor = cursors.get(report.name)
            start = state.first_day(cursor, since, today, restate)
            record = _pull_report(client, provider, report, landing_dir, start, moment, notify)
            if cursor is not None and start > cursor + timedelta(days=1):
                # A --since after the cursor skipped days: keep the cursor, so the next pull fetches them.
                record = replace(record, last_complete_day=cursor)
                skipped = f"{cursor + timedelta(days=1)} .. {start - timedelta(days=1)}"
                notify(f"{provider.name} {report.name}: {skipped} were not pulled; the cursor stays at {cursor},"
                       " so the next pull without --since fetches them")
            with warehouse() as conn:
                state.save(conn, record)
            records.append(record)
    return records


def _pull_report(client: AdminClient, provider: Provider, report: Report, landing_dir: Path, start: date,
                 moment: datetime, notify: Notify) -> PullRecord:
    today = moment.date()
    label = f"{provider.name} {report.name}"
    notify(f"{label}: fetching {start} .. {today} (today is incomplete)")
    retries_before = client.retries
    buckets = []
    pages = 0
    for page in client.pages(report.path, report.params(_midnight(start), _midnight(today + timedelta(days=1)))):
        data = page.get("data")
        if not isinstance(data, list) or not all(isinstance(bucket, dict) for bucket in data):
            raise PullError(f"GET {client.base}{report.path} returned a page whose data is not a list of buckets")
        pages += 1
        buckets.extend(data)
        rows = sum(len(bucket.get("results") or ()) for bucket in data)
        notify(f"{label}: page {pages}, {len(data)} buckets, {rows} rows")
    try:
        days = landing.by_day(buckets, provider.bucket_day)
    except ValueError as exc:
        raise PullError(f"GET {client.base}{report.path} returned an unexpected bucket: {exc}") from None
    folder = landing.report_folder(landing_dir, provider.name, report.name)
    written = sum(landing.write_day(folder, day, day_buckets) for day, day_buckets in days.items())
    record = PullRecord(
        provider=provider.name, report=report.name, first_day=start, last_complete_day=today - timedelta(days=1),
        pulled_at=moment.replace(tzinfo=None, microsecond=0), days_fetched=len(days), days_written=written,
        pages=pages, rows=sum(len(bucket["results"]) for day_buckets in days.values() for bucket in day_buckets),
        retries=client.retries - retries_before,
    )
    notify(f"{label}: {record.days_fetched} days, {record.rows} rows; {written} day files written, "
           f"{record.days_fetched - written} unchanged")
    return record
