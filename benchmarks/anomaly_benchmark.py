"""Benchmark spend anomaly detection and the forecasts under it, on generated series with known injected anomalies.

Generates `--models` provider x model series of `--days` days of daily usage (input, cache read and output tokens
priced at constant per-token rates: weekly pattern, mild trend, multiplicative noise), then injects one event into
about half of the models, in the last 60 days: a spike (1-3 days at 2.5-5x), a level shift (x1.8-2.5 to the end)
or a cache-rate drop (2-4 days at a 5% cache hit rate, the same prompt tokens billed as input). Then:

* detection: `build_outlook` -> `score_days` -> `episodes`, as `run_monitoring` calls them, scored per event and
  per episode against the ground truth (model level only);
* forecast accuracy: `Outlook.accuracy` (rolling-origin backtest) on a clean copy of the same series and on the
  injected one;
* speed: `build_outlook` on `--scale-series` models, with the time inside `fit_forecast` and `backtest` measured by
  wrapping them for the call (nothing is run twice for it).

Nothing asserts; results go to benchmarks/ANOMALIES.md.

    .venv/bin/python benchmarks/anomaly_benchmark.py --models 60 --days 120 --seed 11 --scale-series 2000 --repeats 3
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsforecast

from models.alerts import AnomalySettings
from pipelines.anomalies.detect import SCORE_WINDOW_DAYS, Episode, episodes, score_days
from pipelines.forecast import outlook as outlook_module
from pipelines.forecast.outlook import Outlook, build_outlook, month_bounds
from pipelines.forecast.series import CLASSES

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 2, 15)  # fixed so that the same arguments generate the same series
HORIZON, WINDOWS, BACKTEST_HORIZON = 30, 4, 14
PROVIDERS = ("openai", "anthropic", "google")
# USD per 1M tokens: input, cache read (a tenth of input, so a lost cache hit costs 10x), output.
RATES_PER_M = ((2.50, 0.25, 10.0), (1.25, 0.125, 10.0), (3.00, 0.30, 15.0), (1.00, 0.10, 5.0), (5.00, 0.50, 25.0),
               (0.30, 0.03, 2.50))
KINDS = ("spike", "level_shift", "cache_drop")
CLEAN_DAYS = 60  # events start after this many days, so the detector has a clean baseline first
SHIFT_MATCH_DAYS = 3  # a level shift counts as detected if an episode overlaps its first days
# min_impact_usd: the default $25 kept; base spend is $30-3,000 a day (median ~$300), so $25 is ~8% of a median
# model's day and the 20% floor binds first on all but the smallest models.
SETTINGS = AnomalySettings(min_impact_usd=Decimal(25))


@dataclass(frozen=True)
class Event:
    provider: str
    model: str
    kind: str
    start: date
    end: date  # last day of the window an episode must overlap (a level shift: its first SHIFT_MATCH_DAYS)
    factor: float  # spend multiple (spike, shift) or the cache hit rate before the drop
    base_usd: float  # the model's base daily spend
    excess_usd: float  # injected minus clean spend, summed over the window
    excess_pct: float  # that over the clean spend of the window, %


@dataclass(frozen=True)
class Generated:
    daily: pd.DataFrame  # with the injections
    clean: pd.DataFrame  # the same draws without them
    rates: pd.DataFrame
    events: list[Event]
    kinds: dict[tuple[str, str], str]  # injected models and their event kind


def _frame(dates: list[date], provider: str, model: str, q: dict[str, np.ndarray], r: dict[str, float]
           ) -> pd.DataFrame:
    columns: dict[str, Any] = {"usage_date": dates, "provider": provider, "model": model}
    for name in CLASSES:
        quantity = q.get(name, np.zeros(len(dates)))
        columns[f"q_{name}"] = quantity
        columns[f"c_{name}"] = quantity * r.get(name, 0.0)
    frame = pd.DataFrame(columns)
    frame["list_cost_usd"] = frame[[f"c_{name}" for name in CLASSES]].sum(axis=1)
    return frame


def generate(models: int, days: int, seed: int, as_of: date) -> Generated:
    rng = np.random.default_rng(seed)
    dates = [as_of - timedelta(days=days - 1 - i) for i in range(days)]
    weekend = np.array([d.weekday() >= 5 for d in dates])
    t = np.arange(days) - days / 2
    order = rng.permutation(models)
    kinds_by_index = {int(i): KINDS[j % len(KINDS)] for j, i in enumerate(order[: models // 2])}
    last_day = as_of + timedelta(days=max(HORIZON, (month_bounds(as_of)[1] - as_of).days))
    rate_days = [dates[0] + timedelta(days=i) for i in range((last_day - dates[0]).days + 1)]
    clean_parts, dirty_parts, rate_parts, events = [], [], [], []
    kinds: dict[tuple[str, str], str] = {}
    for i in range(models):
        provider, model = PROVIDERS[i % len(PROVIDERS)], f"m{i:03d}"
        r_in, r_cr, r_out = (v / 1e6 for v in RATES_PER_M[rng.integers(len(RATES_PER_M))])
        rate = {"input": r_in, "cache_read": r_cr, "output": r_out}
        base = float(np.clip(rng.lognormal(math.log(300), 1.0), 30, 3000))
        shape = np.where(weekend, 1 - rng.uniform(0.2, 0.5), 1.0) * np.exp(rng.uniform(-0.001, 0.003) * t)
        # One shared draw a day (a busy day is busy in every class) and small per-class jitter on the mix.
        spend = base * shape * np.exp(rng.normal(0, rng.uniform(0.08, 0.12), days))
        hit0, out_ratio = rng.uniform(0.50, 0.85), rng.uniform(0.05, 0.20)
        hit = np.clip(hit0 + rng.normal(0, 0.02, days), 0, 0.95)
        outs = out_ratio * np.exp(rng.normal(0, 0.05, days))
        prompt = spend / ((1 - hit0) * r_in + hit0 * r_cr + out_ratio * r_out)
        clean_q = {"input": prompt * (1 - hit), "cache_read": prompt * hit, "output": prompt * outs}
        clean_parts.append(_frame(dates, provider, model, clean_q, rate))
        rate_parts.append(pd.DataFrame({"provider": provider, "model": model, "day": rate_days,
                                        **{f"r_{name}": rate.get(name, 0.0) for name in CLASSES}}))
        kind = kinds_by_index.get(i)
        if kind is None:
            dirty_parts.append(clean_parts[-1])
            continue
        scale, dirty_hit = np.ones(days), hit.copy()
        if kind == "spike":
            length, factor = int(rng.integers(1, 4)), float(rng.uniform(2.5, 5.0))
            start = int(rng.integers(CLEAN_DAYS, days - length + 1))
            scale[start:start + length] = factor
        elif kind == "level_shift":
            length, factor = SHIFT_MATCH_DAYS, float(rng.uniform(1.8, 2.5))
            start = int(rng.integers(CLEAN_DAYS, days - SHIFT_MATCH_DAYS + 1))
            scale[start:] = factor
        else:
            length, factor = int(rng.integers(2, 5)), hit0
            start = int(rng.integers(CLEAN_DAYS, days - length + 1))
            dirty_hit[start:start + length] = np.clip(rng.normal(0.05, 0.01, length), 0, 1)
        dirty_q = {"input": prompt * scale * (1 - dirty_hit), "cache_read": prompt * scale * dirty_hit,
                   "output": prompt * scale * outs}
        dirty_parts.append(_frame(dates, provider, model, dirty_q, rate))
        window = slice(start, start + length)
        clean_usd = clean_parts[-1]["list_cost_usd"].to_numpy()[window].sum()
        excess = dirty_parts[-1]["list_cost_usd"].to_numpy()[window].sum() - clean_usd
        events.append(Event(provider, model, kind, dates[start], dates[start + length - 1], factor, base,
                            float(excess), float(excess / clean_usd * 100)))
        kinds[(provider, model)] = kind
    return Generated(daily=pd.concat(dirty_parts, ignore_index=True), clean=pd.concat(clean_parts, ignore_index=True),
                     rates=pd.concat(rate_parts, ignore_index=True), events=events, kinds=kinds)


def outlook_of(daily: pd.DataFrame, rates: pd.DataFrame) -> Outlook:
    return build_outlook(daily, rates, AS_OF, HORIZON, WINDOWS, BACKTEST_HORIZON)


def detect(outlook: Outlook) -> tuple[pd.DataFrame, list[Episode]]:
    # As run_monitoring: series shorter than min_history_days are left out before scoring.
    fitted = outlook.fitted[outlook.fitted["history_days"] >= SETTINGS.min_history_days]
    scored = score_days(fitted, SETTINGS)
    return scored, episodes(scored, SETTINGS.close_after_days)


def _overlaps(episode: Episode, event: Event) -> bool:
    return (episode.provider, episode.model) == (event.provider, event.model) and \
        episode.start_date <= event.end and episode.end_date >= event.start


def wilson(k: int, n: int, z: float = 1.96) -> str:
    """95% Wilson interval of k/n: with ten events a type, one event moves recall by ten points."""
    if n == 0:
        return "-"
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return f"{(centre - half) / (1 + z * z / n):.0%}-{(centre + half) / (1 + z * z / n):.0%}"


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} ({k / n:.0%})" if n else "-"


@dataclass(frozen=True)
class Detection:
    rows: list[dict[str, Any]]  # per type and overall: events, detected, episodes, true episodes
    misses: list[dict[str, Any]]  # per missed event: which condition never held in its window
    false_positives: int
    after_shift: int  # false episodes on level-shift models that start after the shift began
    clean_months: float
    aggregate_episodes: int


def evaluate(scored: pd.DataFrame, found: list[Episode], generated: Generated) -> Detection:
    model_episodes = [e for e in found if e.level == "model"]
    detected = {event: any(_overlaps(e, event) for e in model_episodes) for event in generated.events}
    true_episode = {id(e): any(_overlaps(e, event) for event in generated.events) for e in model_episodes}
    rows = []
    for kind in (*KINDS, "overall"):
        events = [e for e in generated.events if kind in ("overall", e.kind)]
        mine = model_episodes if kind == "overall" else \
            [e for e in model_episodes if generated.kinds.get((e.provider, e.model)) == kind]
        rows.append({"kind": kind, "events": len(events), "detected": sum(detected[e] for e in events),
                     "episodes": len(mine), "true": sum(true_episode[id(e)] for e in mine),
                     "over_floors": sum(_clears_floors(e) for e in events)})
    model_rows = scored[(scored["level"] == "model") & scored["score"].notna()]
    inside = np.zeros(len(model_rows), dtype=bool)
    for event in generated.events:
        inside |= ((model_rows["provider"] == event.provider) & (model_rows["model"] == event.model)
                   & (model_rows["usage_date"] >= event.start) & (model_rows["usage_date"] <= event.end)).to_numpy()
    misses = []
    for event in (e for e in generated.events if not detected[e]):
        days = scored[(scored["level"] == "model") & (scored["provider"] == event.provider)
                      & (scored["model"] == event.model) & (scored["usage_date"] >= event.start)
                      & (scored["usage_date"] <= event.end)]
        misses.append({"event": event, "above_band": bool((days["y"] > days[f"hi_{SETTINGS.interval}"]).any()),
                       "score": float(days["score"].max()), "impact_usd": float(days["impact_usd"].max()),
                       "impact_pct": float(days["impact_pct"].max())})
    false_positives = sum(not true_episode[id(e)] for e in model_episodes)
    shifts = {(e.provider, e.model): e.start for e in generated.events if e.kind == "level_shift"}
    after_shift = sum(not true_episode[id(e)] and (e.provider, e.model) in shifts
                      and e.start_date > shifts[(e.provider, e.model)] for e in model_episodes)
    return Detection(rows=rows, misses=misses, false_positives=false_positives, after_shift=after_shift,
                     clean_months=float((~inside).sum()) / 30, aggregate_episodes=len(found) - len(model_episodes))


def _clears_floors(event: Event) -> bool:
    """Whether the injected excess alone (window average a day) clears both impact floors: the most the
    thresholds let through, before the forecast bands and the robust score have their say."""
    days = (event.end - event.start).days + 1
    return event.excess_usd / days >= float(SETTINGS.min_impact_usd) and event.excess_pct >= float(
        SETTINGS.min_impact_pct)


def contamination(injected: Outlook, clean: Outlook, events: list[Event]) -> list[dict[str, Any]]:
    """How much each event moved its own expected value and band: the clean run has the same draws, so any change of
    `mean` or of the band between the two runs comes from the injection alone."""
    keys = ["provider", "model", "usage_date"]
    both = injected.fitted[injected.fitted["level"] == "model"].merge(
        clean.fitted[clean.fitted["level"] == "model"], on=keys, suffixes=("", "_clean")).set_index(keys)
    band = f"hi_{SETTINGS.interval}"
    rows = []
    for event in events:
        first = both.loc[(event.provider, event.model, event.start)]
        week_before = both.loc[(event.provider, event.model, event.start - timedelta(days=7))]
        window = both.loc[(event.provider, event.model, slice(event.start, event.end)), :]
        rows.append({"kind": event.kind,
                     "absorbed": (first["mean"] - first["mean_clean"]) / (first["y"] - first["y_clean"]),
                     "week_before": week_before["mean"] / week_before["mean_clean"] - 1,
                     "band": float((window[band] - window["mean"]).mean()
                                   / (window[f"{band}_clean"] - window["mean_clean"]).mean())})
    frame = pd.DataFrame(rows)
    return [{"kind": kind, "events": len(part), **part[["absorbed", "week_before", "band"]].median().to_dict()}
            for kind, part in frame.groupby("kind", sort=False)]


def calibration(scored: pd.DataFrame) -> dict[str, Any]:
    """Where the clean run's anomalous days fall: weekdays vs weekends, and days whose score window is not full."""
    models = scored[scored["level"] == "model"]
    first = models.groupby("sid")["usage_date"].transform("min")  # fitted rows start at each series' first day
    index = (pd.to_datetime(models["usage_date"]) - pd.to_datetime(first)).dt.days[models["score"].notna()]
    rows = models[models["score"].notna()]
    weekend = pd.to_datetime(rows["usage_date"]).dt.weekday >= 5
    early = index < SCORE_WINDOW_DAYS
    out: dict[str, Any] = {}
    for name, mask in (("weekday", ~weekend), ("weekend", weekend), ("early", early), ("full", ~early)):
        part = rows[mask]
        out[name] = {"days": len(part), "score_sd": float(part["score"].std()),
                     "over": float((part["score"] >= SETTINGS.min_score).mean()),
                     "anomalous": int(part["anomalous"].sum())}
    return out


def accuracy_rows(accuracy: pd.DataFrame, run: str) -> list[dict[str, Any]]:
    rows = []
    for label, part in (("model", accuracy[accuracy["level"] == "model"]),
                        ("provider + total", accuracy[accuracy["level"].isin(["provider", "total"])])):
        part = part.dropna(subset=["mase"])
        rows.append({"run": run, "level": label, "series": len(part),
                     "mase": part["mase"].median(), "baseline_mase": part["baseline_mase"].median(),
                     "wape": part["wape"].median(), "baseline_wape": part["baseline_wape"].median(),
                     "coverage_80": part["coverage_80"].mean(), "coverage_95": part["coverage_95"].mean(),
                     "skill_share": float((part["skill"] > 0).mean()) if len(part) else float("nan"),
                     "methods": ", ".join(sorted(part["method"].dropna().unique()))})
    return rows


@contextmanager
def split_timer(times: dict[str, float], series: dict[str, int]) -> Iterator[None]:
    """Time fit_forecast and backtest inside one build_outlook: outlook imports them by name, so the wrappers go
    into its namespace for the call and are put back after."""
    originals = {"fit_forecast": outlook_module.fit_forecast, "backtest": outlook_module.backtest}

    def wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(frame: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(frame, *args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - began
                series[name] = int(frame["unique_id"].nunique())
        return timed

    for name, function in originals.items():
        setattr(outlook_module, name, wrap(name, function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(outlook_module, name, function)


def scale_run(series: int, days: int, seed: int, repeats: int, budget_s: float) -> dict[str, Any]:
    generated = generate(series, days, seed + 1, AS_OF)
    samples: list[dict[str, float]] = []
    counts: dict[str, int] = {}
    for repeat in range(repeats):
        times: dict[str, float] = {}
        began = time.perf_counter()
        with split_timer(times, counts):
            outlook = outlook_of(generated.daily, generated.rates)
        times["build_outlook"] = time.perf_counter() - began
        began = time.perf_counter()
        detect(outlook)
        times["score_days + episodes"] = time.perf_counter() - began
        samples.append(times)
        print(f"scale repeat {repeat + 1}/{repeats}: build_outlook {times['build_outlook']:.1f} s"
              f" (fit {times['fit_forecast']:.1f}, backtest {times['backtest']:.1f})", flush=True)
        # Keep the whole benchmark near its budget on a slow or busy machine: stop early and say so.
        if repeat + 1 < repeats and sum(s["build_outlook"] for s in samples) * (repeat + 2) / (repeat + 1) > budget_s:
            break
    return {"samples": samples, "counts": counts, "models": series, "rows": len(generated.daily),
            "aggregates": int((outlook.series["level"] != "model").sum())}


def machine_note() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"{os.cpu_count()} cores ({cpu}), load average at start {load} (shared machine); Python"
            f" {platform.python_version()}, statsforecast {statsforecast.__version__}, pandas {pd.__version__}")


@dataclass(frozen=True)
class Results:
    generated: Generated
    detection: Detection
    clean_episodes: int
    clean_months: float
    calibration: dict[str, Any]
    contamination: list[dict[str, Any]]
    accuracy: list[dict[str, Any]]
    scale: dict[str, Any]


def _settings_lines(args: argparse.Namespace, generated: Generated) -> list[str]:
    base = [e.base_usd for e in generated.events]
    spend = generated.clean.groupby("model")["list_cost_usd"].mean()
    floor = float(SETTINGS.min_impact_usd)
    # Below floor / pct share of its day, the dollar floor binds before the percentage floor.
    dollar_bound = int((spend < floor / (float(SETTINGS.min_impact_pct) / 100)).sum())
    return [
        f"- {args.models} generated model series (providers {', '.join(PROVIDERS)}), {args.days} days ending"
        f" {AS_OF} (as_of), seed {args.seed}; classes input, cache_read, output at constant rates (no price"
        f" change); mean daily spend per model ${spend.min():,.0f} to ${spend.max():,.0f} (median"
        f" ${spend.median():,.0f}); weekends 20-50% lower, trend -0.1..+0.3%/day, multiplicative noise 8-12% a"
        " day, cache hit rate 50-85%.",
        f"- {len(generated.events)} models with one event each, starting after day {CLEAN_DAYS}: spike (1-3 days"
        f" x2.5-5), level shift (x1.8-2.5 to the end; detected if an episode overlaps its first {SHIFT_MATCH_DAYS}"
        f" days), cache-rate drop (2-4 days at a 5% hit rate); base spend of those models ${min(base):,.0f} to"
        f" ${max(base):,.0f}. {args.models - len(generated.events)} models have no event.",
        f"- `build_outlook(as_of={AS_OF}, horizon={HORIZON}, windows={WINDOWS},"
        f" backtest_horizon={BACKTEST_HORIZON})`, then `score_days` on `fitted` (series with at least"
        f" min_history_days, as run_monitoring) and `episodes`, AnomalySettings defaults: min_impact_usd"
        f" ${SETTINGS.min_impact_usd} (kept: {floor / spend.median():.0%} of the median model's day; it binds"
        f" before the {SETTINGS.min_impact_pct}% floor only on the {dollar_bound} models under"
        f" ${floor / (float(SETTINGS.min_impact_pct) / 100):,.0f} a day), min_impact_pct {SETTINGS.min_impact_pct},"
        f" min_score {SETTINGS.min_score}, interval {SETTINGS.interval}, min_history_days"
        f" {SETTINGS.min_history_days}, close_after_days {SETTINGS.close_after_days}.",
        "- An event is detected if a model-level episode of its model overlaps its window; a model-level episode"
        " that overlaps no event of its model is a false positive. Per-type precision counts the episodes on the"
        " models injected with that type; overall precision counts all model-level episodes (clean models too).",
    ]


def _detection_lines(results: Results) -> list[str]:
    detection, cal = results.detection, results.calibration
    lines = [
        "| type | events | detected (recall) | recall 95% CI | events whose excess clears both floors |"
        " episodes | true episodes (precision) |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for row in detection.rows:
        lines.append(f"| {row['kind']} | {row['events']} | {_pct(row['detected'], row['events'])} |"
                     f" {wilson(row['detected'], row['events'])} | {row['over_floors']} | {row['episodes']} |"
                     f" {_pct(row['true'], row['episodes'])} |")
    lines += [
        "",
        f"- False positives, injected run: {detection.false_positives} model-level episodes over"
        f" {detection.clean_months:.1f} clean series-months (scored days outside event windows / 30) ="
        f" **{detection.false_positives / detection.clean_months * 100:.1f} per 100 clean series-months**.",
        f"- False positives, clean run (same draws, no injection): {results.clean_episodes} episodes over"
        f" {results.clean_months:.1f} series-months = **{results.clean_episodes / results.clean_months * 100:.1f}"
        " per 100 series-months**.",
        f"- Provider/total episodes in the injected run (not scored): {detection.aggregate_episodes}.",
        "",
        "Clean run, model-level scored days: how the robust score behaves with no anomaly present (a day needs"
        f" score >= {SETTINGS.min_score}; for Gaussian residuals that is about 0.02% of days):",
        "",
        "| days | scored days | score sd | share with score >= min_score | anomalous days |",
        "|---|---:|---:|---:|---:|",
    ]
    labels = {"weekday": "Mon-Fri", "weekend": "Sat-Sun",
              "early": f"first {SCORE_WINDOW_DAYS} days of a series (score window not full)",
              "full": f"after day {SCORE_WINDOW_DAYS} (full window)"}
    for name, label in labels.items():
        part = cal[name]
        lines.append(f"| {label} | {part['days']:,} | {part['score_sd']:.2f} | {part['over']:.2%} |"
                     f" {part['anomalous']} |")
    lines += [
        "",
        "How much each event moved its own expected value and band (injected run vs clean run on the same draws;"
        " medians over events):",
        "",
        "| type | events | share of the day-1 excess already in `mean` on day 1 | `mean` on the same weekday a week"
        f" before the event | width of hi_{SETTINGS.interval} - mean in the window, injected / clean |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in results.contamination:
        lines.append(f"| {row['kind']} | {row['events']} | {row['absorbed']:.0%} | {row['week_before']:+.0%} |"
                     f" {row['band']:.2f}x |")
    lines.append("")
    if detection.misses:
        lines += ["Missed events, with the best value each condition reached on any day of the window (a day must"
                  f" meet all four: y > hi_{SETTINGS.interval}, score >= {SETTINGS.min_score}, impact >="
                  f" ${SETTINGS.min_impact_usd}, impact >= {SETTINGS.min_impact_pct}%):", "",
                  "| type | model | window | size | base $/day | injected excess (window) | above band |"
                  " max score | max impact $ | max impact % |",
                  "|---|---|---|---|---:|---:|---|---:|---:|---:|"]
        for miss in sorted(detection.misses, key=lambda m: (m["event"].kind, m["event"].model)):
            event = miss["event"]
            size = f"hit rate {event.factor:.0%} -> 5%" if event.kind == "cache_drop" else f"x{event.factor:.2f}"
            lines.append(f"| {event.kind} | {event.provider}/{event.model} | {event.start} .. {event.end} | {size} |"
                         f" {event.base_usd:,.0f} | ${event.excess_usd:,.0f} ({event.excess_pct:+.0f}%) |"
                         f" {'yes' if miss['above_band'] else 'no'} | {miss['score']:.2f} |"
                         f" {miss['impact_usd']:,.0f} | {miss['impact_pct']:.0f} |")
        lines.append("")
    return lines


def _accuracy_lines(results: Results) -> list[str]:
    lines = [
        "MASE and WAPE are medians over series; coverage is the mean share of backtest days inside the interval;"
        " baseline is the seasonal naive (same weekday last week); skill = 1 - MASE / baseline MASE.",
        "",
        "| run | level | series | method | median MASE | baseline median MASE | median WAPE | baseline median WAPE |"
        " coverage 80% | coverage 95% | share with skill > 0 |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results.accuracy:
        lines.append(f"| {row['run']} | {row['level']} | {row['series']} | {row['methods']} | {row['mase']:.3f} |"
                     f" {row['baseline_mase']:.3f} | {row['wape']:.1%} | {row['baseline_wape']:.1%} |"
                     f" {row['coverage_80']:.1%} | {row['coverage_95']:.1%} | {row['skill_share']:.0%} |")
    return [*lines, ""]


def _speed_lines(args: argparse.Namespace, scale: dict[str, Any]) -> list[str]:
    samples = scale["samples"]
    median = statistics.median(s["build_outlook"] for s in samples)
    lines = [
        f"Repeats asked {args.repeats}, run {len(samples)}"
        + ("" if len(samples) == args.repeats else
           " (stopped after the first: more would have taken the run past its time budget of ~15 minutes)")
        + f"; the same generated frame each time (seed {args.seed + 1}, half the models injected).",
        "",
        "| step | samples (s) | median (s) | ms per model series | share of build_outlook |",
        "|---|---|---:|---:|---:|",
    ]
    for step in ("build_outlook", "fit_forecast", "backtest", "score_days + episodes"):
        values = [s[step] for s in samples]
        step_median = statistics.median(values)
        share = f"{step_median / median:.0%}" if step != "score_days + episodes" else "(after it)"
        lines.append(f"| {step} | {', '.join(f'{v:.1f}' for v in values)} | {step_median:.1f} |"
                     f" {step_median / scale['models'] * 1000:.1f} | {share} |")
    rest = statistics.median(s["build_outlook"] - s["fit_forecast"] - s["backtest"] for s in samples)
    lines.append(f"| rest of build_outlook (design, pricing, merges) | | {rest:.1f} |"
                 f" {rest / scale['models'] * 1000:.1f} | {rest / median:.0%} |")
    return [*lines, ""]


def _interpretation(results: Results) -> list[str]:
    """Plain statements of what the tables show, filled from the figures."""
    rows = {row["kind"]: row for row in results.detection.rows}
    recall = ", ".join(f"{kind} {rows[kind]['detected']}/{rows[kind]['events']}" for kind in KINDS)
    total, floors = rows["overall"]["events"], rows["overall"]["over_floors"]
    floor_note = ("so no miss is down to the floors alone" if floors == total else
                  f"so {total - floors} event(s) could not pass the floors whatever the band and score")
    cal, cont = results.calibration, {row["kind"]: row for row in results.contamination}
    clean = next(r for r in results.accuracy if r["run"] == "clean" and r["level"] == "model")
    samples = results.scale["samples"]
    backtest = statistics.median(s["backtest"] / s["build_outlook"] for s in samples)
    return [
        f"- Recall by type: {recall}; {floors} of {total} events carry an injected excess (window average a day)"
        f" that clears both impact floors, {floor_note}.",
        f"- With no anomaly present the score passes {SETTINGS.min_score} on {cal['weekday']['over']:.2%} of"
        f" weekdays and {cal['weekend']['over']:.2%} of weekend days (score sd {cal['weekday']['score_sd']:.2f} vs"
        f" {cal['weekend']['score_sd']:.2f}), and on {cal['early']['over']:.2%} of days in a series' first"
        f" {SCORE_WINDOW_DAYS} days vs {cal['full']['over']:.2%} after; {cal['weekday']['anomalous']} of the"
        f" {cal['weekday']['anomalous'] + cal['weekend']['anomalous']} false anomalous days of the clean run fall on"
        " weekdays.",
        "- Each event moves its own expected value and band (medians; share of day-1 excess already in `mean`,"
        " `mean` a week before, band width vs clean): "
        + "; ".join(f"{k} {cont[k]['absorbed']:.0%}, {cont[k]['week_before']:+.0%}, {cont[k]['band']:.2f}x"
                    for k in KINDS if k in cont) + ".",
        f"- On level-shift models {rows['level_shift']['episodes'] - rows['level_shift']['true']} episodes match"
        f" no event; {results.detection.after_shift} of them start after the shift began, while the series runs"
        f" on at its new level.",
        f"- On the clean run the method's median MASE is {clean['mase']:.2f} against {clean['baseline_mase']:.2f}"
        f" for the seasonal naive (skill > 0 on {clean['skill_share']:.0%} of model series); its intervals cover"
        f" {clean['coverage_80']:.0%} and {clean['coverage_95']:.0%} of backtest days for nominal 80% and 95%.",
        f"- At {results.scale['models']:,} models the backtest is {backtest:.0%} of build_outlook's time.",
        "",
    ]


def report(args: argparse.Namespace, note: str, results: Results, seconds: float) -> str:
    scale = results.scale
    return "\n".join([
        "# meterline benchmark: anomaly detection and forecast accuracy on injected anomalies",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {seconds / 60:.1f} min in all; {note}.",
        f"Command: `.venv/bin/python benchmarks/anomaly_benchmark.py --models {args.models} --days {args.days}"
        f" --seed {args.seed} --scale-series {args.scale_series} --repeats {args.repeats}`.",
        "",
        "## Data and settings",
        "",
        *_settings_lines(args, results.generated),
        "",
        "## Detection (model level, event/episode matching)",
        "",
        *_detection_lines(results),
        f"## Forecast accuracy (backtest: {WINDOWS} weekly origins, {BACKTEST_HORIZON}-day horizon)",
        "",
        *_accuracy_lines(results),
        f"## Speed: `build_outlook` on {scale['models']:,} model series ({scale['rows']:,} daily rows;"
        f" {scale['counts'].get('fit_forecast', 0):,} fitted series = 3 classes a model + {scale['aggregates']}"
        " aggregates)",
        "",
        *_speed_lines(args, scale),
        "## What the numbers show",
        "",
        *_interpretation(results),
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=60)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--scale-series", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "ANOMALIES.md")
    args = parser.parse_args()
    if args.days < CLEAN_DAYS + 5:
        parser.error(f"--days must be at least {CLEAN_DAYS + 5}: events start after {CLEAN_DAYS} clean days")
    # robust_scores takes nanmedians over the empty windows of a series' first days on purpose.
    warnings.filterwarnings("ignore", message="(All-NaN slice|Mean of empty slice)", category=RuntimeWarning)

    began = time.perf_counter()
    note = machine_note()
    generated = generate(args.models, args.days, args.seed, AS_OF)
    injected = outlook_of(generated.daily, generated.rates)
    scored, found = detect(injected)
    detection = evaluate(scored, found, generated)
    clean = outlook_of(generated.clean, generated.rates)
    clean_scored, clean_found = detect(clean)
    clean_days = int(((clean_scored["level"] == "model") & clean_scored["score"].notna()).sum())
    print(f"detection and clean runs done in {time.perf_counter() - began:.0f} s", flush=True)

    # ~12 minutes for the scale part keeps the default run near 15 minutes in all.
    scale = scale_run(args.scale_series, args.days, args.seed, args.repeats, budget_s=720)
    results = Results(generated=generated, detection=detection,
                      clean_episodes=sum(e.level == "model" for e in clean_found), clean_months=clean_days / 30,
                      calibration=calibration(clean_scored),
                      contamination=contamination(injected, clean, generated.events),
                      accuracy=[*accuracy_rows(clean.accuracy, "clean"), *accuracy_rows(injected.accuracy, "injected")],
                      scale=scale)
    text = report(args, note, results, time.perf_counter() - began)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
