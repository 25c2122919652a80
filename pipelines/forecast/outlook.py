"""Daily spend forecasts, the month-end projection and the backtest, from daily usage and the dated rate card.

Levels: each provider x model (its token classes forecast one by one, then priced), each provider and the total
(each its own series of spend at constant prices). The levels are not reconciled: a provider's forecast is its own
model's, not the sum of its models' forecasts, so the two may differ a little. Bounds of a model are the sums of its
classes' bounds, because a model's classes move together (a busier day has more input and more output).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from pipelines.forecast.fit import BOUNDS, accuracy, backtest, fit_forecast, seasonal_scale
from pipelines.forecast.series import (
    KEY,
    PRICE_WINDOW_DAYS,
    class_long,
    constant_price_volume,
    expand_days,
    mix_factor,
    price_factors,
    unit_prices,
    zero_filled,
)

VALUES = ["mean", *BOUNDS]
SERIES = ["level", "provider", "model"]
ALL = "*"
FORECAST_COLUMNS = [*SERIES, "forecast_date", "horizon_days", "method", "status", "spend_usd",
                    *[f"{b}_usd" for b in BOUNDS], "price_factor"]
PROJECTION_COLUMNS = ["month", "level", "provider", "actual_through", "days_actual", "days_forecast",
                      "mtd_actual_usd", "forecast_rest_usd", "projected_usd", *[f"{b}_usd" for b in BOUNDS]]
ACCURACY_COLUMNS = [*SERIES, "method", "status", "history_days", "windows", "horizon_days", "mase", "wape",
                    "coverage_80", "coverage_95", "baseline_mase", "baseline_wape", "skill"]


@dataclass(frozen=True)
class Outlook:
    """Frames ready for the marts (see pipelines/sql/marts/*.sql), and `fitted` for anomaly scoring: per series
    and past day the constant-price volume, its one-step fit with BOUNDS, and the actual list spend."""

    forecast: pd.DataFrame
    projection: pd.DataFrame
    accuracy: pd.DataFrame
    fitted: pd.DataFrame
    series: pd.DataFrame


@dataclass(frozen=True)
class _Design:
    frame: pd.DataFrame  # unique_id, ds, y: what statsforecast fits
    registry: pd.DataFrame  # unique_id, sid, unit_price
    series: pd.DataFrame  # sid, level, provider, model
    actual: pd.DataFrame  # sid, usage_date, actual_usd
    factors: pd.DataFrame  # unique_id, usage_date, factor on future days


def month_bounds(as_of: date) -> tuple[date, date]:
    """The month the projection is for: the month of the day after the last actual day."""
    first = (as_of + timedelta(days=1)).replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _active(daily: pd.DataFrame, as_of: date) -> pd.DataFrame:
    recent = daily[daily["usage_date"] > as_of - timedelta(days=PRICE_WINDOW_DAYS)]
    return recent[recent["list_cost_usd"] > 0][KEY].drop_duplicates()


def _design(daily: pd.DataFrame, rates: pd.DataFrame, as_of: date, horizon: int,
            scopes: dict[str, pd.DataFrame]) -> _Design:
    prices = unit_prices(daily, rates, as_of)
    future = [as_of + timedelta(days=offset) for offset in range(1, horizon + 1)]
    factors = price_factors(rates, as_of, future)
    active = _active(daily, as_of)

    # Model level: one series per priced token class, all from the model's first day of spend.
    usage = class_long(daily).merge(prices, on=[*KEY, "class"]).merge(active, on=KEY)
    starts = (usage[usage["cost"] > 0].groupby(KEY, as_index=False)["usage_date"].min()
              .rename(columns={"usage_date": "start"}))
    classes = usage[[*KEY, "class", "unit_price"]].drop_duplicates([*KEY, "class"]).merge(starts, on=KEY)
    models = starts[KEY].sort_values(KEY).reset_index(drop=True)
    models = models.assign(sid=range(len(models)), level="model")
    classes = classes.merge(models[[*KEY, "sid"]], on=KEY).sort_values(["sid", "class"]).reset_index(drop=True)
    classes["unique_id"] = range(len(classes))
    grid = expand_days(classes[["unique_id", *KEY, "class", "start"]], as_of)
    grid = grid.merge(usage[[*KEY, "class", "usage_date", "quantity"]], on=[*KEY, "class", "usage_date"], how="left")
    model_frame = grid.rename(columns={"quantity": "y"}).fillna({"y": 0.0})[["unique_id", "usage_date", "y"]]

    # Provider and total levels: spend at constant prices.
    volume = constant_price_volume(daily, prices)
    aggregates: list[tuple[str, str, pd.DataFrame, pd.DataFrame]] = [("total", ALL, volume, daily)]
    for provider in sorted(volume["provider"].unique()):
        aggregates.append(("provider", provider, volume[volume["provider"] == provider],
                           daily[daily["provider"] == provider]))
    for name, rows in sorted(scopes.items()):
        aggregates.append(("budget", name, constant_price_volume(rows, prices), rows))
    next_uid, next_sid = len(classes), len(models)
    frames, registry_rows, series_rows, factor_rows = [model_frame], [], [], []
    for level, provider, part, rows in aggregates:
        filled = zero_filled(part, [], "volume", as_of) if not part.empty else part
        if filled.empty:
            continue
        frames.append(pd.DataFrame({"unique_id": next_uid, "usage_date": filled["usage_date"],
                                    "y": filled["volume"]}))
        registry_rows.append({"unique_id": next_uid, "sid": next_sid, "unit_price": 1.0})
        series_rows.append({"sid": next_sid, "level": level, "provider": provider, "model": ALL})
        factor = mix_factor(part, rows, prices, factors, as_of)
        factor_rows.append(pd.DataFrame({"unique_id": next_uid, "usage_date": factor["day"],
                                         "factor": factor["factor"]}))
        next_uid, next_sid = next_uid + 1, next_sid + 1

    registry = pd.concat([classes[["unique_id", "sid", "unit_price"]], pd.DataFrame(registry_rows)],
                         ignore_index=True)
    series = pd.concat([models[["sid", "level", *KEY]], pd.DataFrame(series_rows)], ignore_index=True)
    class_factors = classes[["unique_id", *KEY, "class"]].merge(
        factors.rename(columns={"day": "usage_date"}), on=[*KEY, "class"])[["unique_id", "usage_date", "factor"]]
    frame = pd.concat(frames, ignore_index=True)
    frame["usage_date"] = pd.to_datetime(frame["usage_date"])
    frame = frame.rename(columns={"usage_date": "ds"}).sort_values(["unique_id", "ds"]).reset_index(drop=True)

    spend = daily.groupby(["usage_date", *KEY], as_index=False)["list_cost_usd"].sum()
    actual_parts = [spend.merge(models[[*KEY, "sid"]], on=KEY)[["sid", "usage_date", "list_cost_usd"]]]
    for row in series_rows:
        if row["level"] == "budget":
            chosen = scopes[row["provider"]].groupby(["usage_date", *KEY], as_index=False)["list_cost_usd"].sum()
        elif row["level"] == "total":
            chosen = spend
        else:
            chosen = spend[spend["provider"] == row["provider"]]
        actual_parts.append(chosen.groupby("usage_date", as_index=False)["list_cost_usd"].sum().assign(sid=row["sid"]))
    actual = pd.concat(actual_parts, ignore_index=True).rename(columns={"list_cost_usd": "actual_usd"})
    return _Design(frame=frame, registry=registry, series=series, actual=actual,
                   factors=pd.concat([class_factors, *factor_rows], ignore_index=True))


def _combine(frame: pd.DataFrame, registry: pd.DataFrame, by: list[str], columns: list[str],
             weight: Callable[[pd.DataFrame], pd.Series]) -> pd.DataFrame:
    """Sum each series' parts (a model's classes) into the series, each part weighted (priced) by `weight`."""
    merged = frame.merge(registry, on="unique_id")
    scale = weight(merged)
    for column in columns:
        merged[column] = merged[column].astype(float) * scale
    return merged.groupby(["sid", *by], as_index=False)[columns].sum()


def build_outlook(daily: pd.DataFrame, rates: pd.DataFrame, as_of: date, horizon: int, windows: int,
                  backtest_horizon: int, scopes: dict[str, pd.DataFrame] | None = None) -> Outlook:
    """`daily`: spend_forecast.history.sql rows up to `as_of`; `rates`: spend_forecast.rates.sql rows for
    PRICE_WINDOW_DAYS before `as_of` through the horizon (or through the month end, if later).

    `windows` 0 skips the backtest (`accuracy` is then empty). `scopes` are budgets' rows of `daily` (by budget
    name): each is one more series, level `budget` with the name as its provider, projected to month end but left
    out of the forecast, accuracy and anomaly frames.
    """
    month_first, month_last = month_bounds(as_of)
    fit_horizon = max(horizon, (month_last - as_of).days)
    design = _design(daily, rates, as_of, fit_horizon, scopes or {})
    if design.frame.empty:
        # Nothing priced (every model unknown to the catalogue, say): nothing to forecast, and no failure.
        return Outlook(forecast=pd.DataFrame(columns=FORECAST_COLUMNS), projection=pd.DataFrame(
            columns=PROJECTION_COLUMNS), accuracy=pd.DataFrame(columns=ACCURACY_COLUMNS),
            fitted=pd.DataFrame(columns=["sid", "usage_date", "y", *VALUES, "actual_usd", *SERIES, "history_days"]),
            series=pd.DataFrame(columns=["sid", *SERIES, "status", "method", "history_days"]))
    fit = fit_forecast(design.frame, fit_horizon)
    days = design.frame.groupby("unique_id")["ds"].count()

    status = design.registry.assign(
        status=design.registry["unique_id"].map(fit.status), method=design.registry["unique_id"].map(fit.method),
        history_days=design.registry["unique_id"].map(days))
    # A model is as good as its weakest class (they share a start, so they differ only in an all-zero class).
    order = {"ok": 0, "low_history": 1, "insufficient_history": 2}
    status["rank"] = status["status"].map(order)
    per_series = status.sort_values("rank").groupby("sid").last()[["status", "method", "history_days"]]
    series = design.series.merge(per_series, left_on="sid", right_index=True)

    forecast = fit.forecast.rename(columns={"ds": "usage_date"})
    forecast["usage_date"] = pd.to_datetime(forecast["usage_date"]).dt.date
    forecast = forecast.merge(design.factors, on=["unique_id", "usage_date"], how="left")
    forecast["factor"] = forecast["factor"].fillna(1.0)
    priced = _combine(forecast, design.registry, ["usage_date"], VALUES,
                      lambda m: m["unit_price"] * m["factor"])
    unpriced = _combine(forecast, design.registry, ["usage_date"], ["mean"], lambda m: m["unit_price"])
    priced = priced.merge(unpriced.rename(columns={"mean": "base"}), on=["sid", "usage_date"])
    priced["price_factor"] = (priced["mean"] / priced["base"]).where(priced["base"] > 0, 1.0)
    priced = priced.merge(series[series["status"] != "insufficient_history"], on="sid")

    projection = _projection(priced, design.actual, series, as_of, month_first, month_last)
    horizon_last = as_of + timedelta(days=horizon)
    priced = priced[priced["usage_date"] <= horizon_last].copy()
    priced["horizon_days"] = priced["usage_date"].map(lambda day: (day - as_of).days)
    out = priced.rename(columns={"usage_date": "forecast_date", "mean": "spend_usd", **{b: f"{b}_usd" for b in BOUNDS}})
    out = out[out["level"] != "budget"][FORECAST_COLUMNS]

    fitted = _combine(fit.fitted.rename(columns={"ds": "usage_date"}), design.registry, ["usage_date"],
                      ["y", *VALUES], lambda m: m["unit_price"])
    fitted["usage_date"] = pd.to_datetime(fitted["usage_date"]).dt.date
    fitted = fitted.merge(design.actual, on=["sid", "usage_date"], how="left").fillna({"actual_usd": 0.0})
    fitted = fitted.merge(series[series["level"] != "budget"][["sid", *SERIES, "history_days"]], on="sid")

    return Outlook(forecast=out.reset_index(drop=True), projection=projection,
                   accuracy=_accuracy(design, series, backtest_horizon, windows).reset_index(drop=True)
                   if windows > 0 else pd.DataFrame(columns=ACCURACY_COLUMNS),
                   fitted=fitted, series=series)


def _projection(priced: pd.DataFrame, actual: pd.DataFrame, series: pd.DataFrame, as_of: date, month_first: date,
                month_last: date) -> pd.DataFrame:
    rows = []
    aggregates = series[series["level"] != "model"]
    for row in aggregates.itertuples(index=False):
        ahead = priced[(priced["sid"] == row.sid) & (priced["usage_date"] <= month_last)]
        days_forecast = (month_last - as_of).days
        if len(ahead) < days_forecast and row.level != "budget":
            continue
        spent = actual[(actual["sid"] == row.sid) & (actual["usage_date"] >= month_first)
                       & (actual["usage_date"] <= as_of)]["actual_usd"].sum()
        # A budget's scope too new to forecast still has its actual spend to compare with the amount.
        rest = ahead[VALUES].sum() if len(ahead) >= days_forecast else pd.Series(0.0, index=VALUES)
        rows.append({"month": month_first, "level": row.level, "provider": row.provider, "actual_through": as_of,
                     "days_actual": max(0, (as_of - month_first).days + 1), "days_forecast": days_forecast,
                     "mtd_actual_usd": float(spent), "forecast_rest_usd": float(rest["mean"]),
                     "projected_usd": float(spent + rest["mean"]),
                     **{f"{b}_usd": float(spent + rest[b]) for b in BOUNDS}})
    return pd.DataFrame(rows, columns=PROJECTION_COLUMNS)


def _accuracy(design: _Design, series: pd.DataFrame, horizon: int, windows: int) -> pd.DataFrame:
    cv = backtest(design.frame, horizon, windows)
    columns = ["y", *VALUES, "baseline"]
    combined = _combine(cv, design.registry, ["cutoff", "ds"], columns, lambda m: m["unit_price"])
    history = _combine(design.frame, design.registry, ["ds"], ["y"], lambda m: m["unit_price"])
    scores = accuracy(combined.rename(columns={"sid": "unique_id"}),
                      seasonal_scale(history.rename(columns={"sid": "unique_id"})))
    out = series.merge(scores, left_on="sid", right_index=True, how="left")
    out["windows"] = out["windows"].fillna(0).astype(int)
    out["horizon_days"] = horizon
    return out[out["level"] != "budget"][ACCURACY_COLUMNS]
