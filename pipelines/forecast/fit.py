"""Fit daily series with statsforecast: forecasts with 80% and 95% intervals, in-sample one-step fits, backtests.

Pure functions over long frames (`unique_id`, `ds`, `y`), one row per series and day with no gaps. The method
depends on how much history a series has:
- 14 days or more: MSTL with a weekly season and an AutoETS trend without its own season (`ZZN`). Measured on 200
  generated weekly series of 90 days (2 cores): 15 ms a series against 96 ms for a full AutoETS search, which
  would take minutes on thousands of series; its accuracy is in benchmarks/ANOMALIES.md.
- 7 to 13 days: HistoricAverage, whose interval is as wide as the days are spread (status `low_history`).
- under 7 days: not forecast (status `insufficient_history`), as AWS Cost Explorer refuses too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import MSTL, AutoETS, HistoricAverage, SeasonalNaive

LEVELS = (80, 95)
SEASON = 7
MIN_DAYS = 7
FULL_DAYS = 2 * SEASON
BOUNDS = ("lo_80", "hi_80", "lo_95", "hi_95")
MSTL_NAME = "MSTL(7)+AutoETS"
AVERAGE_NAME = "HistoricAverage"
OUTLIER_SCORE = 5.0
OUTLIER_BASE_SHARE = 0.1
# Relative residuals of a perfectly regular series have a MAD of 0; 1% keeps rounding noise from being an outlier.
MAD_FLOOR = 0.01


def _jobs() -> int:
    # statsforecast forks a pool per call; on small inputs the pool costs more than it saves.
    return min(2, os.cpu_count() or 1)


def _mstl() -> MSTL:
    return MSTL(season_length=SEASON, trend_forecaster=AutoETS(model="ZZN"), alias="MSTL")


@dataclass(frozen=True)
class Fit:
    """`forecast`: unique_id, ds, mean and BOUNDS for each future day; `fitted`: the same for each past day (the
    one-step in-sample fit); `method` and `status`: per unique_id, for every series given."""

    forecast: pd.DataFrame
    fitted: pd.DataFrame
    method: dict[int, str]
    status: dict[int, str]


def _rename(frame: pd.DataFrame, alias: str) -> pd.DataFrame:
    columns = {alias: "mean", **{f"{alias}-{side}-{level}": f"{side}_{level}" for side in ("lo", "hi")
                                 for level in LEVELS}}
    return frame.rename(columns=columns)[["unique_id", "ds", "mean", *BOUNDS]]


def history_days(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("unique_id")["ds"].count()


def _fit_once(frame: pd.DataFrame, horizon: int) -> Fit:
    days = history_days(frame)
    full = days.index[days >= FULL_DAYS]
    short = days.index[(days >= MIN_DAYS) & (days < FULL_DAYS)]
    forecasts, fits = [], []
    method: dict[int, str] = {}
    status = {int(uid): "insufficient_history" for uid in days.index[days < MIN_DAYS]}
    for ids, model, alias, name, state in ((full, _mstl(), "MSTL", MSTL_NAME, "ok"),
                                           (short, HistoricAverage(), "HistoricAverage", AVERAGE_NAME, "low_history")):
        if len(ids) == 0:
            continue
        part = frame[frame["unique_id"].isin(ids)]
        engine = StatsForecast(models=[model], freq="D", n_jobs=_jobs() if len(ids) > 50 else 1)
        forecasts.append(_rename(engine.forecast(df=part, h=horizon, level=list(LEVELS), fitted=True), alias))
        fits.append(_rename(engine.forecast_fitted_values(), alias).merge(part, on=["unique_id", "ds"]))
        method.update({int(uid): name for uid in ids})
        status.update({int(uid): state for uid in ids})
    columns = ["unique_id", "ds", "mean", *BOUNDS]
    forecast = pd.concat(forecasts, ignore_index=True) if forecasts else pd.DataFrame(columns=columns)
    forecast[["mean", *BOUNDS]] = forecast[["mean", *BOUNDS]].clip(lower=0)
    fitted_frame = pd.concat(fits, ignore_index=True) if fits else pd.DataFrame(columns=[*columns, "y"])
    return Fit(forecast=forecast, fitted=fitted_frame, method=method, status=status)


def relative_residuals(fitted: pd.DataFrame) -> pd.Series:
    """(y - fit) / fit, with the fit floored at a tenth of the series' mean, so a day expected near 0 (a quiet
    weekend) does not turn a few tokens into a huge share. Spend noise grows with its level; shares do not."""
    level = fitted.groupby("unique_id")["y"].transform("mean").abs()
    base = np.maximum(fitted["mean"].astype(float), OUTLIER_BASE_SHARE * level).replace(0, np.nan)
    return ((fitted["y"] - fitted["mean"]) / base).fillna(0.0)


def outliers(fitted: pd.DataFrame) -> pd.Series:
    """Days whose relative residual is OUTLIER_SCORE robust deviations (median/MAD of its own series) out."""
    residual = relative_residuals(fitted)
    grouped = residual.groupby(fitted["unique_id"])
    median = grouped.transform("median")
    mad = (residual - median).abs().groupby(fitted["unique_id"]).transform("median")
    return 0.6745 * (residual - median).abs() / np.maximum(mad, MAD_FLOOR) > OUTLIER_SCORE


def fit_forecast(frame: pd.DataFrame, horizon: int) -> Fit:
    """Forecast `horizon` days after each series' last day; negative values are cut to 0 (spend is never below).

    Two passes: days far off the first fit (a spike, an outage) are replaced by that fit's value and the series is
    fitted again, so an anomaly neither bends the expected value of the days around it nor widens the interval
    other days are judged by (finops-anchors 4.3: keep anomalies out of training). `fitted` keeps the real `y`.
    """
    first = _fit_once(frame, horizon)
    if first.fitted.empty:
        return first
    flagged = first.fitted[outliers(first.fitted)]
    ids = flagged["unique_id"].unique()
    if len(ids) == 0:
        return first
    cleaned = frame[frame["unique_id"].isin(ids)].merge(
        flagged[["unique_id", "ds", "mean"]], on=["unique_id", "ds"], how="left")
    cleaned["y"] = cleaned["mean"].clip(lower=0).where(cleaned["mean"].notna(), cleaned["y"])
    second = _fit_once(cleaned[["unique_id", "ds", "y"]], horizon)
    refitted = second.fitted.drop(columns="y").merge(frame, on=["unique_id", "ds"])
    keep = ~first.forecast["unique_id"].isin(ids)
    kept_fits = ~first.fitted["unique_id"].isin(ids)
    return Fit(forecast=pd.concat([first.forecast[keep], second.forecast], ignore_index=True),
               fitted=pd.concat([first.fitted[kept_fits], refitted], ignore_index=True),
               method=first.method, status=first.status)


def backtest_windows(days: int, horizon: int, windows: int) -> int:
    """How many weekly origins fit in `days` when the first must leave FULL_DAYS of training data."""
    return max(0, min(windows, (days - FULL_DAYS - horizon) // SEASON + 1))


def backtest(frame: pd.DataFrame, horizon: int, windows: int) -> pd.DataFrame:
    """Rolling-origin backtest, one origin a week: the method and the seasonal-naive baseline from each origin.

    Returns unique_id, cutoff, ds, y, mean, BOUNDS and `baseline` for every series long enough for a window.
    Series are grouped by how many windows they allow, since one statsforecast call needs one window count.
    """
    days = history_days(frame)
    parts = []
    for count, ids in days.groupby(days.map(lambda n: backtest_windows(int(n), horizon, windows))).groups.items():
        if count == 0:
            continue
        part = frame[frame["unique_id"].isin(ids)]
        engine = StatsForecast(models=[_mstl(), SeasonalNaive(SEASON, alias="Baseline")], freq="D",
                               n_jobs=_jobs() if len(ids) > 50 else 1)
        result = engine.cross_validation(df=part, h=horizon, step_size=SEASON, n_windows=int(count),
                                         level=list(LEVELS))
        renamed = _rename(result.rename(columns={"cutoff": "cutoff_"}), "MSTL")
        renamed["cutoff"] = result["cutoff"].to_numpy()
        renamed["y"] = result["y"].to_numpy()
        renamed["baseline"] = result["Baseline"].to_numpy()
        parts.append(renamed)
    if not parts:
        return pd.DataFrame(columns=["unique_id", "ds", "mean", *BOUNDS, "cutoff", "y", "baseline"])
    out = pd.concat(parts, ignore_index=True)
    out[["mean", *BOUNDS, "baseline"]] = out[["mean", *BOUNDS, "baseline"]].clip(lower=0)
    return out


def seasonal_scale(frame: pd.DataFrame) -> pd.Series:
    """MASE's denominator per series: the mean absolute change from the same weekday a week before."""
    ordered = frame.sort_values(["unique_id", "ds"])
    change = (ordered["y"] - ordered.groupby("unique_id")["y"].shift(SEASON)).abs()
    return change.groupby(ordered["unique_id"]).mean()


def accuracy(cv: pd.DataFrame, scale: pd.Series) -> pd.DataFrame:
    """MASE, WAPE and interval coverage per series of a backtest, for the method and the baseline.

    `cv` holds unique_id, cutoff, y, mean, BOUNDS, baseline; `scale` is seasonal_scale of the same series.
    """
    frame = cv.assign(error=(cv["y"] - cv["mean"]).abs(), base_error=(cv["y"] - cv["baseline"]).abs(),
                      in_80=(cv["y"] >= cv["lo_80"]) & (cv["y"] <= cv["hi_80"]),
                      in_95=(cv["y"] >= cv["lo_95"]) & (cv["y"] <= cv["hi_95"]))
    grouped = frame.groupby("unique_id")
    out = pd.DataFrame({
        "windows": grouped["cutoff"].nunique(),
        "mae": grouped["error"].mean(),
        "base_mae": grouped["base_error"].mean(),
        "abs_error": grouped["error"].sum(),
        "base_abs_error": grouped["base_error"].sum(),
        "actual": grouped["y"].apply(lambda y: float(np.abs(y).sum())),
        "coverage_80": grouped["in_80"].mean(),
        "coverage_95": grouped["in_95"].mean(),
    })
    denominator = scale.reindex(out.index).replace(0, np.nan)
    out["mase"] = out["mae"] / denominator
    out["baseline_mase"] = out["base_mae"] / denominator
    actual = out["actual"].replace(0, np.nan)
    out["wape"] = out["abs_error"] / actual
    out["baseline_wape"] = out["base_abs_error"] / actual
    out["skill"] = 1 - out["mase"] / out["baseline_mase"].replace(0, np.nan)
    return out[["windows", "mase", "wape", "coverage_80", "coverage_95", "baseline_mase", "baseline_wape", "skill"]]
