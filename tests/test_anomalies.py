"""Anomaly scoring, episodes and their lifecycle, and root causes, on hand-made series."""

from datetime import date, timedelta

import numpy as np
import pandas as pd

from models.alerts import AnomalySettings
from pipelines.anomalies.causes import cache_drops, contributions
from pipelines.anomalies.detect import covering, episode_id, episodes, score_days, severity, status_of
from pipelines.anomalies.ledger import merge_episodes

AS_OF = date(2026, 6, 30)
SETTINGS = AnomalySettings(min_impact_usd=5, min_impact_pct=20)


def _fitted(values: list[float], mean: float = 100.0, width: float = 10.0) -> pd.DataFrame:
    """A total series whose one-step fit is `mean` +- `width` (the 95% bound), ending AS_OF."""
    first = AS_OF - timedelta(days=len(values) - 1)
    return pd.DataFrame({
        "sid": 0, "level": "total", "provider": "*", "model": "*", "history_days": len(values),
        "usage_date": [first + timedelta(days=i) for i in range(len(values))],
        "y": values, "actual_usd": values, "mean": mean, "lo_80": mean - width / 2, "hi_80": mean + width / 2,
        "lo_95": mean - width, "hi_95": mean + width,
    })


def _noise(days: int) -> list[float]:
    rng = np.random.default_rng(5)
    return list(100 + rng.normal(0, 2, days))


def test_a_spike_is_one_episode_with_its_impact():
    values = _noise(40)
    values[35:37] = [200.0, 180.0]
    scored = score_days(_fitted(values), SETTINGS)
    assert scored["anomalous"].sum() == 2
    [found] = episodes(scored, close_after_days=2)
    assert (found.start_date, found.end_date) == (AS_OF - timedelta(days=4), AS_OF - timedelta(days=3))
    assert found.actual_usd == 380.0 and found.expected_usd == 200.0
    assert found.impact_usd == 180.0 and found.impact_pct == 90.0 and found.severity == "major"
    assert status_of(found.end_date, found.start_date, AS_OF, 2) == "closed"


def test_every_condition_must_hold():
    values = _noise(40)
    values[-1] = 125.0  # above the bound and far out, but only $25 over
    assert not score_days(_fitted(values), AnomalySettings(min_impact_usd=30)).iloc[-1]["anomalous"]
    assert not score_days(_fitted(values), AnomalySettings(min_impact_usd=5, min_impact_pct=30)).iloc[-1]["anomalous"]
    assert score_days(_fitted(values), SETTINGS).iloc[-1]["anomalous"]
    # Inside a wide interval, however far out by the robust score, it is not an anomaly.
    assert not score_days(_fitted(values, width=40), SETTINGS).iloc[-1]["anomalous"]


def test_the_first_days_of_a_series_are_never_scored():
    values = _noise(20)
    values[5] = 400.0
    scored = score_days(_fitted(values), SETTINGS)
    assert np.isnan(scored.iloc[5]["score"]) and not scored.iloc[5]["anomalous"]


def test_gaps_shorter_than_the_closing_days_stay_one_episode_and_status_follows_the_last_day():
    values = _noise(40)
    values[-5], values[-3], values[-1] = 200.0, 200.0, 200.0  # one normal day between each
    scored = score_days(_fitted(values), SETTINGS)
    [found] = episodes(scored, close_after_days=2)
    assert len(found.days) == 3 and found.end_date == AS_OF
    assert status_of(found.end_date, found.start_date, AS_OF, 2) == "ongoing"
    assert status_of(AS_OF, AS_OF, AS_OF, 2) == "open"
    assert len(episodes(scored, close_after_days=1)) == 3


def test_severity_bands():
    assert [severity(pct) for pct in (20, 49.9, 50, 199, 200)] == ["minor", "minor", "major", "major", "critical"]


def _rows(days: int, hit_rate_from: date | None = None) -> pd.DataFrame:
    """Two projects, $10 a day each; project search loses its cache hits from `hit_rate_from`."""
    rows = []
    first = AS_OF - timedelta(days=days - 1)
    for offset in range(days):
        day = first + timedelta(days=offset)
        for project in ("search", "chat"):
            dropped = project == "search" and hit_rate_from is not None and day >= hit_rate_from
            rows.append({"usage_date": day, "provider": "openai", "project": project, "api_key_id": f"k_{project}",
                         "model": "gpt-4o", "input_tokens": 950.0 if dropped else 200.0,
                         "cache_read_tokens": 50.0 if dropped else 800.0, "cache_write_tokens": 0.0,
                         "c_input": 25.0 if dropped else 5.0, "c_cache_read": 0.0, "c_cache_write": 0.0,
                         "c_output": 5.0, "c_web_search": 0.0, "c_audio_image": 0.0, "c_cache_storage": 0.0,
                         "c_compute": 0.0,
                         "list_cost_usd": 30.0 if dropped else 10.0})
    return pd.DataFrame(rows)


def test_root_causes_name_the_project_key_and_token_class_and_the_cache_drop():
    rows = _rows(40, hit_rate_from=AS_OF - timedelta(days=1))
    days = [AS_OF - timedelta(days=1), AS_OF]
    causes = contributions(rows, days)
    # Baseline $10 a day per project; over 2 days search spent $60 against $20: +$40, all of it uncached input.
    top = {(c["dimension"], c["value"]): c["contribution_usd"] for c in causes}
    assert top[("project", "search")] == 40.0
    assert top[("api key", "k_search")] == 40.0
    assert top[("token class", "input")] == 40.0
    assert ("project", "chat") not in top
    assert cache_drops(rows, days) == [("search", 80.0, 5.0)]


def test_an_episode_keeps_its_id_when_a_refit_moves_its_start_and_closes_when_it_vanishes():
    rows = _rows(40)
    values = _noise(40)
    values[-2:] = [200.0, 200.0]
    found = episodes(score_days(_fitted(values), SETTINGS), 2)
    table = merge_episodes(pd.DataFrame(columns=["anomaly_id"]), found, rows, AS_OF, AS_OF, SETTINGS)
    first_id = table.iloc[0]["anomaly_id"]
    assert first_id == episode_id("total", "*", "*", AS_OF - timedelta(days=1))

    # The next run's fit flags only the last day: the same episode, the same id, its first start kept.
    later = AS_OF + timedelta(days=1)
    values2 = [*_noise(39), 200.0, 200.0]
    values2[-3] = 100.0
    found2 = [e for e in episodes(score_days(_fitted(values2).assign(
        usage_date=lambda f: f["usage_date"] + timedelta(days=1)), SETTINGS), 2)]
    table2 = merge_episodes(table, found2, rows, later, later, SETTINGS)
    assert list(table2["anomaly_id"]) == [first_id]
    assert table2.iloc[0]["start_date"] == AS_OF - timedelta(days=1)

    # Late data explains it away: no episode found, the stored one is kept and closed.
    table3 = merge_episodes(table2, [], rows, later, later, SETTINGS)
    assert list(table3["anomaly_id"]) == [first_id] and table3.iloc[0]["status"] == "closed"


def _stored(anomaly_id: str, level: str, start: date, end: date, status: str, provider: str = "*") -> dict:
    return {"anomaly_id": anomaly_id, "level": level, "provider": provider, "model": "*", "start_date": start,
            "end_date": end, "status": status, "first_detected_on": start, "last_evaluated": end}


def test_new_days_after_a_closed_episode_are_a_new_episode():
    values = _noise(40)
    values[-3:] = [200.0, 200.0, 200.0]
    found = episodes(score_days(_fitted(values), SETTINGS), 2)
    closed = pd.DataFrame([_stored("anm_old", "total", AS_OF - timedelta(days=6), AS_OF - timedelta(days=4),
                                   "closed")])
    table = merge_episodes(closed, found, _rows(40), AS_OF, AS_OF, SETTINGS)
    assert len(table) == 2
    assert table.set_index("anomaly_id").loc["anm_old", "status"] == "closed"
    assert (table["status"] == "ongoing").sum() == 1


def test_two_episodes_found_beside_one_stored_keep_two_rows():
    values = _noise(40)
    values[-9], values[-8] = 200.0, 200.0
    values[-3], values[-2] = 220.0, 220.0
    found = episodes(score_days(_fitted(values), SETTINGS), 2)
    assert len(found) == 2
    stored = pd.DataFrame([_stored("anm_one", "total", AS_OF - timedelta(days=8), AS_OF - timedelta(days=4),
                                   "ongoing")])
    table = merge_episodes(stored, found, _rows(40), AS_OF, AS_OF, SETTINGS)
    assert sorted(table["anomalous_days"]) == [2, 2]
    assert table["anomaly_id"].nunique() == 2


def test_a_live_episode_is_not_covered_by_a_closed_parent():
    table = pd.DataFrame([
        {**_stored("anm_total", "total", AS_OF - timedelta(days=10), AS_OF - timedelta(days=9), "closed")},
        {**_stored("anm_model", "model", AS_OF - timedelta(days=9), AS_OF, "ongoing", provider="openai")},
        {**_stored("anm_open", "total", AS_OF - timedelta(days=1), AS_OF, "ongoing")},
        {**_stored("anm_child", "provider", AS_OF, AS_OF, "open", provider="openai")},
    ])
    assert covering(table.iloc[1], table.iloc[:2]) is None
    assert covering(table.iloc[3], table) == "anm_open"
