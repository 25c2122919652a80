"""The monitoring step: read the spend marts, forecast, score anomalies, evaluate budgets, raise alerts.

The reading and writing lives here, the computing in pipelines/forecast, pipelines/anomalies and pipelines/alerts;
the Dagster assets in pipelines/assets/monitoring.py only call these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from models.alerts import AlertsFile, Budget
from pipelines.alerts.budgets import budget_rows
from pipelines.alerts.events import Alert, anomaly_alerts, budget_alerts
from pipelines.alerts.outbox import channel_router, raised, route_live_alerts, write_alerts
from pipelines.anomalies.causes import BASELINE_DAYS
from pipelines.anomalies.detect import episodes, score_days
from pipelines.anomalies.ledger import COLUMNS as ANOMALY_COLUMNS
from pipelines.anomalies.ledger import merge_episodes
from pipelines.forecast.outlook import Outlook, build_outlook, month_bounds
from pipelines.forecast.series import PRICE_WINDOW_DAYS
from pipelines.pricing.store import current_catalogue_version
from pipelines.warehouse import sql_text


def as_of_day(conn: duckdb.DuckDBPyConnection, run_day: date) -> date | None:
    """The last complete UTC day before the run that has spend, or None when the marts hold none."""
    row = conn.execute("SELECT max(usage_date) FROM marts.daily_model_spend WHERE usage_date < ?", [run_day]).fetchone()
    return row[0] if row and row[0] is not None else None


def _set(conn: duckdb.DuckDBPyConnection, values: dict[str, object]) -> None:
    for name, value in values.items():
        kind = "DATE" if isinstance(value, date) else "VARCHAR"
        conn.execute(f"SET VARIABLE {name} = ?::{kind}", [value])


def read_history(conn: duckdb.DuckDBPyConnection, first: date, last: date, budget: Budget | None = None
                 ) -> pd.DataFrame:
    _set(conn, {"date_from": first, "date_to": last,
                "scope_provider": budget.provider if budget else None,
                "scope_project": budget.project if budget else None,
                "scope_model": budget.model if budget else None})
    frame = conn.execute(sql_text("marts/spend_forecast.history")).df()
    frame["usage_date"] = pd.to_datetime(frame["usage_date"]).dt.date
    return frame


def read_rates(conn: duckdb.DuckDBPyConnection, first: date, last: date) -> pd.DataFrame:
    version = current_catalogue_version(conn)
    _set(conn, {"date_from": first, "date_to": last, "catalogue_version": version})
    frame = conn.execute(sql_text("marts/spend_forecast.rates")).df()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def _replace(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, where: str, params: list) -> None:
    """Delete the rows `where` selects and insert `frame` (columns in the table's order) in one transaction."""
    columns = [row[0] for row in conn.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name || '.' || table_name = ? ORDER BY column_index",
        [table]).fetchall()]
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"DELETE FROM {table} WHERE {where}", params)
        if not frame.empty:
            conn.register("meterline_rows", frame[columns])
            conn.execute(f"INSERT INTO {table} SELECT * FROM meterline_rows")
            conn.unregister("meterline_rows")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@dataclass(frozen=True)
class MonitoringResult:
    as_of: date | None
    outlook: Outlook | None
    anomalies: pd.DataFrame
    budgets: pd.DataFrame
    skipped_series: list[str]


def run_monitoring(conn: duckdb.DuckDBPyConnection, config: AlertsFile, run_day: date) -> MonitoringResult:
    """Forecast, project, backtest, score anomalies and evaluate budgets; write the five marts."""
    as_of = as_of_day(conn, run_day)
    empty = pd.DataFrame(columns=ANOMALY_COLUMNS)
    if as_of is None:
        return MonitoringResult(None, None, empty, pd.DataFrame(), [])
    settings = config.forecast
    first = as_of - timedelta(days=settings.history_days - 1)
    month_first, month_last = month_bounds(as_of)
    daily = read_history(conn, first, as_of)
    rates = read_rates(conn, as_of - timedelta(days=PRICE_WINDOW_DAYS),
                       max(as_of + timedelta(days=settings.horizon_days), month_last))
    scopes = {budget.name: read_history(conn, first, as_of, budget) for budget in config.budgets}
    last = conn.execute("SELECT max(generated_on) FROM marts.forecast_accuracy WHERE generated_on <= ?",
                        [run_day]).fetchone()
    due = not last or last[0] is None or last[0] == run_day or (run_day - last[0]).days >= settings.backtest_every_days
    outlook = build_outlook(daily, rates, as_of, settings.horizon_days, settings.backtest_windows if due else 0,
                            settings.backtest_horizon_days, scopes)
    stamp = {"generated_on": run_day, "trained_through": as_of}
    _replace(conn, "marts.spend_forecast", outlook.forecast.assign(**stamp), "generated_on = ?", [run_day])
    _replace(conn, "marts.month_end_projection",
             outlook.projection[outlook.projection["level"] != "budget"].assign(generated_on=run_day),
             "generated_on = ?", [run_day])
    if due:
        _replace(conn, "marts.forecast_accuracy", outlook.accuracy.assign(generated_on=run_day), "generated_on = ?",
                 [run_day])

    scored = score_days(outlook.fitted[outlook.fitted["history_days"] >= config.anomalies.min_history_days],
                        config.anomalies)
    found = episodes(scored, config.anomalies.close_after_days)
    rows = _cause_rows(conn, found, as_of)
    existing = conn.execute("SELECT * FROM marts.spend_anomalies").df()
    for column in ("start_date", "end_date", "first_detected_on", "last_evaluated"):
        existing[column] = pd.to_datetime(existing[column]).dt.date
    table = merge_episodes(existing, found, rows, as_of, run_day, config.anomalies)
    _replace(conn, "marts.spend_anomalies", table, "true", [])

    budgets = budget_rows(config.budgets, outlook.projection, month_first)
    if month_first == as_of + timedelta(days=1):
        # The last day of a month is in: that month is evaluated once more on its whole actual spend, or a
        # crossing on its last day would never be seen (the projection has moved on to the next month).
        ended = as_of.replace(day=1)
        spent = pd.DataFrame([{"level": "budget", "provider": name, "mtd_actual_usd": total,
                               "projected_usd": total, "hi_80_usd": total}
                              for name, rows in scopes.items()
                              for total in [float(rows[rows["usage_date"] >= ended]["list_cost_usd"].sum())]])
        budgets = pd.concat([budget_rows(config.budgets, spent, ended, final=True), budgets], ignore_index=True)
    budgets = budgets.assign(generated_on=run_day)
    _replace(conn, "marts.budget_status", budgets, "generated_on = ?", [run_day])
    skipped = outlook.series[(outlook.series["level"] != "budget")
                             & (outlook.series["history_days"] < config.anomalies.min_history_days)]
    return MonitoringResult(as_of, outlook, table, budgets,
                            [f"{r.level} {r.provider} {r.model} ({r.history_days} days)"
                             for r in skipped.itertuples(index=False)])


def _cause_rows(conn: duckdb.DuckDBPyConnection, found: list, as_of: date) -> pd.DataFrame:
    first = min((episode.start_date for episode in found), default=as_of) - timedelta(days=BASELINE_DAYS)
    _set(conn, {"date_from": first, "date_to": as_of})
    frame = conn.execute(sql_text("marts/spend_anomalies.causes")).df()
    frame["usage_date"] = pd.to_datetime(frame["usage_date"]).dt.date
    return frame


def raise_alerts(conn: duckdb.DuckDBPyConnection, config: AlertsFile, now: datetime) -> list[Alert]:
    """Write this run's new alerts to the outbox, one pending delivery per channel; returns the new ones."""
    anomalies = conn.execute("SELECT * FROM marts.spend_anomalies").df()
    # The latest evaluation, not the clock's day: a run that passes midnight between its two steps still alerts.
    status = conn.execute("SELECT * FROM marts.budget_status WHERE generated_on ="
                          " (SELECT max(generated_on) FROM marts.budget_status)").df()
    before = {**raised(conn, "anomaly"), **raised(conn, "budget")}
    alerts = [*anomaly_alerts(anomalies, before), *budget_alerts(status, config.budgets, set(before))]
    channels_for = channel_router(config)
    write_alerts(conn, alerts, channels_for, now)
    # A channel added since an alert that is still live was raised gets it too.
    route_live_alerts(conn, channels_for, now)
    return [alert for alert in alerts if alert.alert_id not in before]
