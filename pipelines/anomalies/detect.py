"""Score each day of each spend series, group anomalous days into episodes, and keep episodes stable across runs.

A day is anomalous when all of these hold (finops-anchors section 4):
- its usage at constant prices is above the upper bound of the forecast interval (the one-step in-sample fit);
- its residual, relative to the fit (noise in dollars grows with the level, noise in shares does not), is far out
  by a robust score, 0.6745 x (r - median) / MAD over the 56 days before it, so earlier spikes do not raise the bar
  the way a standard deviation would;
- its dollar impact (actual list spend - expected) clears both the dollar and the percentage floor.
Days inside a series' first `min_history_days` are never scored: their baseline is too short.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from models.alerts import AnomalySettings
from pipelines.forecast.fit import MAD_FLOOR, relative_residuals

SCORE_WINDOW_DAYS = 56
SEVERITIES = ("minor", "major", "critical")
SERIES = ["level", "provider", "model"]


def severity(impact_pct: float) -> str:
    """minor under 50%, major 50-200%, critical 200% and more (finops-anchors section 4.3)."""
    return "critical" if impact_pct >= 200 else "major" if impact_pct >= 50 else "minor"


def _trailing(values: np.ndarray, window: int) -> np.ndarray:
    """Row t holds values[t-window .. t-1] (NaN where there are none), so day t is scored on days before it."""
    padded = np.concatenate([np.full(window, np.nan), values])
    return sliding_window_view(padded, window)[: len(values)]


def robust_scores(residuals: np.ndarray, min_prior: int) -> np.ndarray:
    """The modified z-score of each relative residual against the SCORE_WINDOW_DAYS residuals before it."""
    prior = _trailing(residuals, SCORE_WINDOW_DAYS)
    counts = np.sum(~np.isnan(prior), axis=1)
    # Days before a series has any scored history give all-NaN windows; they are masked out below.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(prior, axis=1)
        mad = np.nanmedian(np.abs(prior - median[:, None]), axis=1)
        scores = 0.6745 * (residuals - median) / np.maximum(np.nan_to_num(mad), MAD_FLOOR)
    scores[counts < min_prior] = np.nan
    return scores


def score_days(fitted: pd.DataFrame, settings: AnomalySettings) -> pd.DataFrame:
    """Per series and day: expected and actual spend, impact, score and whether the day is anomalous.

    `fitted` is Outlook.fitted: sid, level, provider, model, usage_date, y (usage at constant prices), mean and
    bounds of the one-step fit, actual_usd.
    """
    frame = fitted.sort_values(["sid", "usage_date"]).reset_index(drop=True)
    upper = frame[f"hi_{settings.interval}"].to_numpy(dtype=float)
    y = frame["y"].to_numpy(dtype=float)
    mean = frame["mean"].to_numpy(dtype=float)
    actual = frame["actual_usd"].to_numpy(dtype=float)
    # Constant-price usage converts to dollars at the day's own prices, so impact is in the dollars billed.
    with np.errstate(all="ignore"):
        to_dollars = np.where(y > 0, actual / y, 1.0)
    expected = np.maximum(mean, 0) * to_dollars
    relative = relative_residuals(frame.rename(columns={"sid": "unique_id"})).to_numpy(dtype=float)
    scores = np.full(len(frame), np.nan)
    for _, index in frame.groupby("sid").indices.items():
        scores[index] = robust_scores(relative[index], settings.min_history_days - 1)
    impact = actual - expected
    with np.errstate(all="ignore"):
        impact_pct = np.where(expected > 0, impact / expected * 100, np.inf)
    anomalous = ((y > upper) & (scores >= settings.min_score) & (impact >= float(settings.min_impact_usd))
                 & (impact_pct >= float(settings.min_impact_pct)))
    return frame.assign(expected_usd=expected, impact_usd=impact, impact_pct=impact_pct, score=scores,
                        anomalous=anomalous)


@dataclass(frozen=True)
class Episode:
    level: str
    provider: str
    model: str
    start_date: date
    end_date: date
    days: list[date]
    actual_usd: float
    expected_usd: float
    max_daily_impact_usd: float
    score_max: float

    @property
    def impact_usd(self) -> float:
        return self.actual_usd - self.expected_usd

    @property
    def impact_pct(self) -> float:
        return self.impact_usd / self.expected_usd * 100 if self.expected_usd > 0 else 10_000.0

    @property
    def severity(self) -> str:
        return severity(self.impact_pct)


def episodes(scored: pd.DataFrame, close_after_days: int) -> list[Episode]:
    """Anomalous days of a series separated by fewer than `close_after_days` normal days are one episode."""
    found: list[Episode] = []
    days = scored[scored["anomalous"]].sort_values(["sid", "usage_date"])
    for _, group in days.groupby("sid"):
        run: list[pd.Series] = []
        for _, row in group.iterrows():
            if run and (row["usage_date"] - run[-1]["usage_date"]).days > close_after_days:
                found.append(_episode(run))
                run = []
            run.append(row)
        found.append(_episode(run))
    return found


def _episode(rows: list[pd.Series]) -> Episode:
    first = rows[0]
    return Episode(level=first["level"], provider=first["provider"], model=first["model"],
                   start_date=first["usage_date"], end_date=rows[-1]["usage_date"],
                   days=[row["usage_date"] for row in rows],
                   actual_usd=float(sum(row["actual_usd"] for row in rows)),
                   expected_usd=float(sum(row["expected_usd"] for row in rows)),
                   max_daily_impact_usd=float(max(row["impact_usd"] for row in rows)),
                   score_max=float(max(row["score"] for row in rows)))


def status_of(end_date: date, start_date: date, as_of: date, close_after_days: int) -> str:
    if (as_of - end_date).days >= close_after_days:
        return "closed"
    return "open" if start_date == as_of else "ongoing"


def episode_id(level: str, provider: str, model: str, start_date: date, found_on: date | None = None) -> str:
    """Stable for a series and start day; `found_on` tells apart an episode that starts where a closed one did."""
    key = f"{level}\x1f{provider}\x1f{model}\x1f{start_date.isoformat()}"
    if found_on is not None:
        key += f"\x1f{found_on.isoformat()}"
    return "anm_" + hashlib.sha256(key.encode()).hexdigest()[:16]


def match_existing(found: Episode, existing: pd.DataFrame, close_after_days: int, as_of: date,
                   taken: set[str]) -> pd.Series | None:
    """The stored episode of the same series that `found` continues or restates (overlapping, or within
    `close_after_days` of it), so a refit that moves a start by a day keeps the episode's id and its alert.

    A closed episode is matched only by a found one that is closed too (the same history, found again): new
    anomalous days after a close are a new episode, alerted as such. Ids in `taken` are already matched this run.
    """
    if existing.empty:
        return None
    same = existing[(existing["level"] == found.level) & (existing["provider"] == found.provider)
                    & (existing["model"] == found.model) & ~existing["anomaly_id"].isin(taken)]
    found_closed = status_of(found.end_date, found.start_date, as_of, close_after_days) == "closed"
    for _, row in same.sort_values("start_date").iterrows():
        if row["status"] == "closed" and not found_closed:
            continue
        if (row["start_date"] - found.end_date).days <= close_after_days and \
                (found.start_date - row["end_date"]).days <= close_after_days:
            return row
    return None


def covering(episode: pd.Series, table: pd.DataFrame) -> str | None:
    """The id of an episode one level up (the total over a provider, the provider or the total over a model) on
    overlapping days: that one is alerted, with this one among its causes."""
    ancestors = {"model": [("total", "*"), ("provider", episode["provider"])], "provider": [("total", "*")]}
    for level, provider in ancestors.get(episode["level"], []):
        above = table[(table["level"] == level) & (table["provider"] == provider)
                      & (table["start_date"] <= episode["end_date"]) & (table["end_date"] >= episode["start_date"])]
        if episode["status"] != "closed":
            # A live episode is covered only by a live one that lasts as long: a parent's close must not silence
            # a child that goes on.
            above = above[(above["status"] != "closed") & (above["end_date"] >= episode["end_date"])]
        if not above.empty:
            return str(above.sort_values("start_date").iloc[0]["anomaly_id"])
    return None
