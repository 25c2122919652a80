"""Root causes of an anomaly episode: which models, projects, API keys and token classes spent more than usual.

Each value's contribution is its spend on the episode's days minus its baseline: its mean daily spend over the
BASELINE_DAYS before the episode, times the episode's days. The explanation names the largest contributor, and a
cache hit rate that fell on a project, the most common cause of an LLM bill that jumps with no more traffic.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

BASELINE_DAYS = 28
TOP = 3
CLASS_COSTS = {"c_input": "input", "c_cache_read": "cache read", "c_cache_write": "cache write",
               "c_output": "output", "c_web_search": "web search", "c_audio_image": "audio and image",
               "c_cache_storage": "cache storage", "c_compute": "compute time"}
DIMENSIONS = {"model": "model", "project": "project", "api_key_id": "api key"}
# A fall of this many points in a project's cache hit rate is named in the explanation.
CACHE_DROP_POINTS = 20.0


def in_scope(rows: pd.DataFrame, level: str, provider: str, model: str) -> pd.DataFrame:
    if level == "total":
        return rows
    if level == "provider":
        return rows[rows["provider"] == provider]
    return rows[(rows["provider"] == provider) & (rows["model"] == model)]


def _split(rows: pd.DataFrame, days: list[date]) -> tuple[pd.DataFrame, pd.DataFrame]:
    first = min(days)
    baseline = rows[(rows["usage_date"] < first) & (rows["usage_date"] >= first - timedelta(days=BASELINE_DAYS))]
    return rows[rows["usage_date"].isin(days)], baseline


def contributions(rows: pd.DataFrame, days: list[date]) -> list[dict[str, Any]]:
    """The TOP contributors of each dimension and token class, largest first, as JSON-ready dicts."""
    during, baseline = _split(rows, days)
    span = max(1, baseline["usage_date"].nunique())
    found: list[dict[str, Any]] = []
    for column, label in DIMENSIONS.items():
        now = during.groupby(column)["list_cost_usd"].sum()
        before = baseline.groupby(column)["list_cost_usd"].sum() / span * len(days)
        both = pd.DataFrame({"actual": now, "baseline": before}).fillna(0.0)
        both["contribution"] = both["actual"] - both["baseline"]
        for value, row in both.nlargest(TOP, "contribution").iterrows():
            if row["contribution"] > 0:
                # The only model of a model's episode explains nothing: it is kept, but not named as the cause.
                found.append({**_cause(label, str(value), row), "only_value": len(both) == 1})
    for column, label in CLASS_COSTS.items():
        row = pd.Series({"actual": during[column].sum(), "baseline": baseline[column].sum() / span * len(days)})
        row["contribution"] = row["actual"] - row["baseline"]
        if row["contribution"] > 0:
            found.append(_cause("token class", label, row))
    return sorted(found, key=lambda cause: -cause["contribution_usd"])


def _cause(dimension: str, value: str, row: pd.Series) -> dict[str, Any]:
    return {"dimension": dimension, "value": value, "actual_usd": round(float(row["actual"]), 6),
            "baseline_usd": round(float(row["baseline"]), 6),
            "contribution_usd": round(float(row["contribution"]), 6)}


def _hit_rate(rows: pd.DataFrame) -> float | None:
    prompt = rows["input_tokens"].sum() + rows["cache_read_tokens"].sum() + rows["cache_write_tokens"].sum()
    return float(rows["cache_read_tokens"].sum() / prompt * 100) if prompt > 0 else None


def cache_drops(rows: pd.DataFrame, days: list[date]) -> list[tuple[str, float, float]]:
    """Projects whose cache hit rate (cache reads over all prompt tokens) fell by CACHE_DROP_POINTS or more."""
    during, baseline = _split(rows, days)
    drops = []
    for project, now in during.groupby("project"):
        before = _hit_rate(baseline[baseline["project"] == project])
        after = _hit_rate(now)
        if before is not None and after is not None and before - after >= CACHE_DROP_POINTS:
            drops.append((str(project), before, after))
    return sorted(drops, key=lambda drop: drop[2] - drop[1])


def explain(label: str, impact_usd: float, expected_usd: float, days: int, causes: list[dict[str, Any]],
            drops: list[tuple[str, float, float]]) -> str:
    share = f"+{impact_usd / expected_usd * 100:.0f}%" if expected_usd > 0 else "from nothing"
    text = f"{label}: ${impact_usd:,.2f} above the expected ${expected_usd:,.2f} ({share}) over {days} day(s)"
    top = [cause for cause in causes if cause["dimension"] != "token class" and not cause.get("only_value")][:1]
    if top:
        text += f"; mostly {top[0]['dimension']} {top[0]['value']} (+${top[0]['contribution_usd']:,.2f})"
    for project, before, after in drops[:1]:
        text += f"; cache hit rate fell from {before:.0f}% to {after:.0f}% on project {project}"
    return text
