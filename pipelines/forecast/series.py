"""Turn daily usage into the series the forecasts fit: token quantities per class, and spend at constant prices.

A series is forecast in usage, never in dollars, so a price cut in the past is not read as falling demand and a
price change announced for next week shows in the forecast:
- a model's series are its token classes (input, cache read, cache writes, output, web search ...), each priced at
  its unit price at the last actual day (`unit_prices`) and at the rate change the catalogue dates after it
  (`price_factors`);
- an aggregate (a provider, all spend, a budget's scope) is one series of its spend at constant prices: each day's
  tokens valued at those same unit prices (`constant_price_volume`).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

CLASSES = ("input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "web_search", "audio", "image",
           "cache_storage", "compute")
QUANTITIES = [f"q_{name}" for name in CLASSES]
COSTS = [f"c_{name}" for name in CLASSES]
RATES = [f"r_{name}" for name in CLASSES]
# The unit price is the average of the last four weeks, so one odd day (a batch job, a long-context burst) does not
# set it.
PRICE_WINDOW_DAYS = 28
KEY = ["provider", "model"]


def _rate_ratio(rates: pd.DataFrame, to_day: date) -> pd.DataFrame:
    """rate on `to_day` / rate on each day, per provider, model, day and class; 1 where either is unknown or 0."""
    target = rates[rates["day"] == to_day][[*KEY, *RATES]]
    merged = rates.merge(target, on=KEY, how="left", suffixes=("", "_to"))
    out = merged[[*KEY, "day"]].copy()
    for column in RATES:
        ratio = merged[f"{column}_to"] / merged[column]
        out[column] = ratio.where(np.isfinite(ratio) & (ratio > 0), 1.0)
    return out


def unit_prices(daily: pd.DataFrame, rates: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Unit price of each class per provider and model at the rates in force on `as_of`, USD per unit.

    The last PRICE_WINDOW_DAYS days of cost are first brought to `as_of` rates, so a price change inside the
    window does not blur the price. A class unused in the window takes its price from all of the history.
    Returns provider, model, class, unit_price (classes with a quantity and a price only).
    """
    ratio = _rate_ratio(rates, as_of).rename(columns={"day": "usage_date"})
    frame = daily.merge(ratio, on=[*KEY, "usage_date"], how="left")
    recent = frame["usage_date"] > as_of - timedelta(days=PRICE_WINDOW_DAYS)
    parts = []
    for name in CLASSES:
        adjusted = frame[f"c_{name}"] * frame[f"r_{name}"].fillna(1.0)
        part = pd.DataFrame({"provider": frame["provider"], "model": frame["model"], "recent": recent,
                             "q": frame[f"q_{name}"], "c": adjusted})
        totals = part.groupby(KEY).agg(q=("q", "sum"), c=("c", "sum"))
        windowed = part[part["recent"]].groupby(KEY).agg(q=("q", "sum"), c=("c", "sum"))
        totals.loc[windowed.index[windowed["q"] > 0]] = windowed[windowed["q"] > 0]
        totals = totals[(totals["q"] > 0) & (totals["c"] > 0)]
        parts.append(pd.DataFrame({"class": name, "unit_price": totals["c"] / totals["q"]}, index=totals.index))
    prices = pd.concat(parts).reset_index()
    return prices[[*KEY, "class", "unit_price"]]


def price_factors(rates: pd.DataFrame, as_of: date, days: list[date]) -> pd.DataFrame:
    """rate on each of `days` / rate on `as_of`, per provider, model, class and day (long frame, column `factor`).

    A model or class the catalogue gives no standard rate for keeps factor 1: its price is taken as unchanged.
    """
    base = rates[rates["day"] == as_of][[*KEY, *RATES]]
    future = rates[rates["day"].isin(days)].merge(base, on=KEY, how="inner", suffixes=("", "_base"))
    rows = []
    for name in CLASSES:
        ratio = future[f"r_{name}"] / future[f"r_{name}_base"]
        rows.append(pd.DataFrame({"provider": future["provider"], "model": future["model"], "class": name,
                                  "day": future["day"], "factor": ratio.where(np.isfinite(ratio) & (ratio > 0), 1.0)}))
    columns = [*KEY, "class", "day", "factor"]
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)


def class_long(daily: pd.DataFrame) -> pd.DataFrame:
    """usage_date, provider, model, class, quantity, cost: one row per class with a quantity."""
    parts = [pd.DataFrame({"usage_date": daily["usage_date"], "provider": daily["provider"], "model": daily["model"],
                           "class": name, "quantity": daily[f"q_{name}"], "cost": daily[f"c_{name}"]})
             for name in CLASSES]
    frame = pd.concat(parts, ignore_index=True)
    return frame[frame["quantity"] > 0]


def constant_price_volume(daily: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """usage_date, provider, model, volume: each day's usage valued at the `unit_prices`, USD."""
    long = class_long(daily).merge(prices, on=[*KEY, "class"], how="inner")
    long["volume"] = long["quantity"] * long["unit_price"]
    return long.groupby(["usage_date", *KEY], as_index=False)["volume"].sum()


def mix_factor(volume: pd.DataFrame, daily: pd.DataFrame, prices: pd.DataFrame, factors: pd.DataFrame,
               as_of: date) -> pd.DataFrame:
    """The price factor of an aggregate per day: the class factors weighted by the aggregate's recent spend.

    `volume`/`daily` are the rows of the aggregate only. Returns day, factor (1 on days nothing changes).
    """
    recent = daily[daily["usage_date"] > as_of - timedelta(days=PRICE_WINDOW_DAYS)]
    long = class_long(recent).merge(prices, on=[*KEY, "class"], how="inner")
    long["volume"] = long["quantity"] * long["unit_price"]
    weights = long.groupby([*KEY, "class"], as_index=False)["volume"].sum()
    total = weights["volume"].sum()
    days = sorted(factors["day"].unique()) if len(factors) else []
    if total <= 0 or not days:
        return pd.DataFrame({"day": days, "factor": 1.0})
    weights["weight"] = weights["volume"] / total
    grid = weights.merge(pd.DataFrame({"day": days}), how="cross").merge(
        factors, on=[*KEY, "class", "day"], how="left")
    grid["factor"] = grid["factor"].fillna(1.0) * grid["weight"]
    out = grid.groupby("day", as_index=False)["factor"].sum()
    return out


def expand_days(starts: pd.DataFrame, last: date) -> pd.DataFrame:
    """Each row of `starts` repeated for every day from its `start` to `last`, as `usage_date`."""
    if starts.empty:
        return starts.drop(columns="start").assign(usage_date=pd.Series(dtype=object))
    first = pd.to_datetime(starts["start"])
    lengths = ((pd.Timestamp(last) - first).dt.days + 1).clip(lower=0).to_numpy()
    index = np.repeat(np.arange(len(starts)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out = starts.iloc[index].reset_index(drop=True)
    out["usage_date"] = (first.iloc[index].reset_index(drop=True) + pd.to_timedelta(offsets, unit="D")).dt.date
    return out.drop(columns="start")


def zero_filled(frame: pd.DataFrame, keys: list[str], value: str, last: date) -> pd.DataFrame:
    """Each key's days from its first day with a positive value to `last`, missing days as 0."""
    if not keys:
        return zero_filled(frame.assign(_all=0), ["_all"], value, last).drop(columns="_all")
    positive = frame[frame[value] > 0]
    starts = positive.groupby(keys, as_index=False)["usage_date"].min().rename(columns={"usage_date": "start"})
    grid = expand_days(starts, last)
    summed = frame.groupby([*keys, "usage_date"], as_index=False)[value].sum()
    out = grid.merge(summed, on=[*keys, "usage_date"], how="left")
    out[value] = out[value].fillna(0.0)
    return out[[*keys, "usage_date", value]]
