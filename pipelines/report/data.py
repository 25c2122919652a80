"""What a report shows, read from the marts in one read-only pass: plain values, so rendering needs no warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import duckdb

DEFAULT_DAYS = 30


class ReportError(RuntimeError):
    """The warehouse cannot answer the report asked for."""


@dataclass(frozen=True)
class DaySpend:
    usage_date: date
    provider: str
    model: str
    list_cost_usd: Decimal


@dataclass(frozen=True)
class DayTotal:
    usage_date: date
    list_cost_usd: Decimal
    cache_read_cost_usd: Decimal
    cache_savings_usd: Decimal


@dataclass(frozen=True)
class ModelSpend:
    provider: str
    model: str
    requests: int
    list_cost_usd: Decimal
    contracted_cost_usd: Decimal
    cache_savings_usd: Decimal
    unpriced_requests: int
    share: float | None


@dataclass(frozen=True)
class ProjectSpend:
    project: str
    requests: int
    list_cost_usd: Decimal
    share: float | None


@dataclass(frozen=True)
class ForecastDay:
    forecast_date: date
    spend_usd: Decimal
    lo_80_usd: Decimal
    hi_80_usd: Decimal
    lo_95_usd: Decimal
    hi_95_usd: Decimal


@dataclass(frozen=True)
class Forecast:
    generated_on: date
    trained_through: date
    method: str
    status: str
    days: tuple[ForecastDay, ...]


@dataclass(frozen=True)
class Anomaly:
    anomaly_id: str
    level: str
    provider: str
    model: str
    start_date: date
    end_date: date
    status: str
    severity: str
    impact_usd: Decimal
    impact_pct: Decimal
    explanation: str
    covered_by: str | None


@dataclass(frozen=True)
class Projection:
    generated_on: date
    month: date
    level: str
    provider: str
    actual_through: date
    mtd_actual_usd: Decimal
    projected_usd: Decimal
    lo_80_usd: Decimal
    hi_80_usd: Decimal
    lo_95_usd: Decimal
    hi_95_usd: Decimal


@dataclass(frozen=True)
class ReportData:
    first: date
    last: date
    days_with_spend: int
    requests: int
    list_cost_usd: Decimal
    contracted_cost_usd: Decimal
    cache_savings_usd: Decimal
    unpriced_requests: int
    daily: tuple[DaySpend, ...]
    totals: tuple[DayTotal, ...]
    models: tuple[ModelSpend, ...]
    projects: tuple[ProjectSpend, ...]
    # The latest total forecast, whatever the period: it looks ahead from the last day the pipeline saw.
    forecast: Forecast | None
    anomalies: tuple[Anomaly, ...]
    projection: tuple[Projection, ...]

    @property
    def marked_anomalies(self) -> tuple[Anomaly, ...]:
        """Episodes drawn on the charts: one covered by a higher-level episode marks the same days again."""
        return tuple(anomaly for anomaly in self.anomalies if anomaly.covered_by is None)


def period(present: tuple[date, date] | None, first: date | None, last: date | None) -> tuple[date, date]:
    """The days to report: the flags as given, else the last DEFAULT_DAYS days ending on the last day with spend.

    A defaulted start never reaches before the first day with spend, so the heading names the days the data covers.
    """
    if last is None:
        if present is None:
            raise ReportError("no usage in the warehouse yet: run `meterline run` first")
        last = present[1]
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
        if present is not None and present[0] <= last:
            first = max(first, present[0])
    if first > last:
        raise ReportError(f"the period starts on {first}, after its last day {last}")
    return first, last


def load_report(conn: duckdb.DuckDBPyConnection, first: date | None, last: date | None) -> ReportData:
    bounds = conn.execute("SELECT min(usage_date), max(usage_date) FROM marts.daily_model_spend").fetchone()
    present = (bounds[0], bounds[1]) if bounds and bounds[0] is not None else None
    first, last = period(present, first, last)
    days = [first, last]
    days_with_spend, requests, list_cost, contracted, savings, unpriced = _one(conn, """
        SELECT count(DISTINCT usage_date), coalesce(sum(requests), 0), coalesce(sum(list_cost_usd), 0),
               coalesce(sum(contracted_cost_usd), 0), coalesce(sum(cache_savings_usd), 0),
               coalesce(sum(unpriced_requests), 0)
        FROM marts.daily_model_spend WHERE usage_date BETWEEN ? AND ?""", days)
    return ReportData(
        first=first, last=last, days_with_spend=days_with_spend, requests=requests, list_cost_usd=list_cost,
        contracted_cost_usd=contracted, cache_savings_usd=savings, unpriced_requests=unpriced,
        daily=tuple(DaySpend(*row) for row in conn.execute("""
            SELECT usage_date, provider, model, sum(list_cost_usd) FROM marts.daily_model_spend
            WHERE usage_date BETWEEN ? AND ? GROUP BY ALL ORDER BY ALL""", days).fetchall()),
        totals=tuple(DayTotal(*row) for row in conn.execute("""
            SELECT usage_date, sum(list_cost_usd), sum(cache_read_cost_usd), sum(cache_savings_usd)
            FROM marts.daily_model_spend WHERE usage_date BETWEEN ? AND ? GROUP BY ALL ORDER BY ALL""", days)
            .fetchall()),
        models=tuple(ModelSpend(*row) for row in conn.execute("""
            SELECT provider, model, sum(requests), sum(list_cost_usd), sum(contracted_cost_usd),
                   sum(cache_savings_usd), sum(unpriced_requests),
                   sum(list_cost_usd) / nullif(sum(sum(list_cost_usd)) OVER (), 0)
            FROM marts.daily_model_spend WHERE usage_date BETWEEN ? AND ?
            GROUP BY ALL ORDER BY 4 DESC, 3 DESC, 1, 2""", days).fetchall()),
        projects=tuple(ProjectSpend(*row) for row in conn.execute("""
            SELECT project, sum(requests), sum(list_cost_usd),
                   sum(list_cost_usd) / nullif(sum(sum(list_cost_usd)) OVER (), 0)
            FROM marts.daily_project_spend WHERE usage_date BETWEEN ? AND ?
            GROUP BY ALL ORDER BY 3 DESC, 2 DESC, 1 LIMIT 10""", days).fetchall()),
        forecast=_forecast(conn),
        anomalies=tuple(Anomaly(*row) for row in conn.execute("""
            SELECT anomaly_id, level, provider, model, start_date, end_date, status, severity, impact_usd, impact_pct,
                   explanation, covered_by
            FROM marts.spend_anomalies WHERE start_date <= ? AND end_date >= ?
            ORDER BY start_date DESC, covered_by IS NOT NULL, impact_usd DESC""", [last, first]).fetchall()),
        projection=tuple(Projection(*row) for row in conn.execute("""
            SELECT generated_on, month, level, provider, actual_through, mtd_actual_usd, projected_usd, lo_80_usd,
                   hi_80_usd, lo_95_usd, hi_95_usd
            FROM marts.month_end_projection
            WHERE generated_on = (SELECT max(generated_on) FROM marts.month_end_projection)
            ORDER BY level = 'provider', projected_usd DESC""").fetchall()),
    )


def _one(conn: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> tuple:
    row = conn.execute(sql, params).fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns its one row
    return row


def _forecast(conn: duckdb.DuckDBPyConnection) -> Forecast | None:
    rows = conn.execute("""
        SELECT generated_on, trained_through, method, status, forecast_date, spend_usd, lo_80_usd, hi_80_usd,
               lo_95_usd, hi_95_usd
        FROM marts.spend_forecast
        WHERE level = 'total' AND generated_on = (SELECT max(generated_on) FROM marts.spend_forecast
                                                  WHERE level = 'total')
        ORDER BY forecast_date""").fetchall()
    if not rows:
        return None
    generated_on, trained_through, method, status = rows[0][:4]
    return Forecast(generated_on, trained_through, method, status, tuple(ForecastDay(*row[4:]) for row in rows))
