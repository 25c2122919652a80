"""The episodes table across runs: new episodes get an id, continuing ones keep theirs, vanished ones close."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from models.alerts import AnomalySettings
from pipelines.anomalies.causes import cache_drops, contributions, explain, in_scope
from pipelines.anomalies.detect import Episode, covering, episode_id, match_existing, status_of

COLUMNS = ["anomaly_id", "level", "provider", "model", "start_date", "end_date", "status", "anomalous_days",
           "actual_usd", "expected_usd", "impact_usd", "impact_pct", "max_daily_impact_usd", "score_max", "severity",
           "root_causes", "explanation", "covered_by", "first_detected_on", "last_evaluated"]


def label(level: str, provider: str, model: str) -> str:
    return {"total": "all spend", "provider": f"{provider} spend"}.get(level, f"{provider} {model}")


def merge_episodes(existing: pd.DataFrame, found: list[Episode], rows: pd.DataFrame, as_of: date,
                   generated_on: date, settings: AnomalySettings) -> pd.DataFrame:
    """The whole table after this run: `existing` is the stored table, `found` this run's episodes, `rows` the
    spend_anomalies.causes.sql rows the causes are drawn from.

    A stored episode no longer found (late data or a refit explained it away) is kept, closed, so its alert history
    still leads somewhere.
    """
    kept: dict[str, dict] = {str(row["anomaly_id"]): dict(row) for _, row in existing.iterrows()}
    seen: set[str] = set()
    for episode in found:
        match = match_existing(episode, existing, settings.close_after_days, as_of, seen)
        if match is not None:
            anomaly_id, first_detected = str(match["anomaly_id"]), match["first_detected_on"]
            start = min(match["start_date"], episode.start_date) if str(match["status"]) != "closed" \
                else episode.start_date
        else:
            anomaly_id = episode_id(episode.level, episode.provider, episode.model, episode.start_date)
            if anomaly_id in kept:
                anomaly_id = episode_id(episode.level, episode.provider, episode.model, episode.start_date,
                                        generated_on)
            first_detected, start = generated_on, episode.start_date
        scope = in_scope(rows, episode.level, episode.provider, episode.model)
        causes = contributions(scope, episode.days)
        name = label(episode.level, episode.provider, episode.model)
        kept[anomaly_id] = {
            "anomaly_id": anomaly_id, "level": episode.level, "provider": episode.provider, "model": episode.model,
            "start_date": start, "end_date": episode.end_date,
            "status": status_of(episode.end_date, start, as_of, settings.close_after_days),
            "anomalous_days": len(episode.days), "actual_usd": episode.actual_usd,
            "expected_usd": episode.expected_usd, "impact_usd": episode.impact_usd,
            "impact_pct": min(episode.impact_pct, 9_999_999.0),
            "max_daily_impact_usd": episode.max_daily_impact_usd, "score_max": episode.score_max,
            "severity": episode.severity, "root_causes": json.dumps(causes),
            "explanation": explain(name, episode.impact_usd, episode.expected_usd, len(episode.days), causes,
                                   cache_drops(scope, episode.days)),
            "covered_by": None, "first_detected_on": first_detected, "last_evaluated": as_of,
        }
        seen.add(anomaly_id)
    for anomaly_id, row in kept.items():
        if anomaly_id not in seen and row["status"] != "closed":
            row["status"] = "closed"
            row["last_evaluated"] = as_of
    table = pd.DataFrame(list(kept.values()), columns=COLUMNS)
    if not table.empty:
        table["covered_by"] = [covering(row, table) for _, row in table.iterrows()]
    return table
