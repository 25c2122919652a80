"""Budget rows and alerts, and the outbox's backoff, on hand-made figures."""

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from models.alerts import Budget, DeliverySettings
from pipelines.alerts.budgets import budget_rows, crossed
from pipelines.alerts.events import budget_alerts
from pipelines.alerts.outbox import backoff

MONTH = date(2026, 10, 1)


def _projection(name: str, actual: float, projected: float) -> pd.DataFrame:
    return pd.DataFrame([{"level": "budget", "provider": name, "mtd_actual_usd": actual, "projected_usd": projected,
                          "hi_80_usd": projected * 1.1}])


def test_thresholds_crossed_by_actual_and_projected_spend():
    budget = Budget(name="team", amount_usd=100, thresholds=[Decimal("0.5"), Decimal("0.9"), Decimal("1")])
    assert crossed(budget, 49.99) is None and crossed(budget, 50) == Decimal("0.5")
    [row] = budget_rows([budget], _projection("team", 60.0, 120.0), MONTH).to_dict("records")
    assert (row["crossed_actual"], row["crossed_forecast"]) == (Decimal("0.5"), Decimal("1"))
    assert (row["actual_share"], row["projected_share"]) == (0.6, 1.2)
    alerts = budget_alerts(pd.DataFrame([row]), [budget], set())
    assert [a.alert_id for a in alerts] == ["budget:team:2026-10:actual:0.5", "budget:team:2026-10:forecast:1"]
    # Raised before: nothing again; a higher threshold later alerts once more.
    raised = {a.alert_id for a in alerts}
    assert budget_alerts(pd.DataFrame([row]), [budget], raised) == []
    [later] = budget_rows([budget], _projection("team", 95.0, 130.0), MONTH).to_dict("records")
    assert [a.alert_id for a in budget_alerts(pd.DataFrame([later]), [budget], raised)] == [
        "budget:team:2026-10:actual:0.9"]


def test_a_forecast_only_budget_alerts_when_actual_and_projection_cross_together():
    budget = Budget(name="team", amount_usd=100, thresholds=[Decimal("1")], on=["forecast"])
    rows = budget_rows([budget], _projection("team", 120.0, 180.0), MONTH)
    assert [a.alert_id for a in budget_alerts(rows, [budget], set())] == ["budget:team:2026-10:forecast:1"]


def test_an_ended_month_is_judged_on_its_actual_spend_only():
    budget = Budget(name="team", amount_usd=155, thresholds=[Decimal("1")])
    [row] = budget_rows([budget], _projection("team", 155.0, 155.0), MONTH, final=True).to_dict("records")
    assert row["crossed_actual"] == Decimal("1") and row["crossed_forecast"] is None
    assert [a.alert_id for a in budget_alerts(pd.DataFrame([row]), [budget], set())] == [
        "budget:team:2026-10:actual:1"]


def test_backoff_doubles_to_its_cap_and_never_overflows():
    settings = DeliverySettings(backoff_seconds=60, max_backoff_seconds=3600)
    assert [backoff(settings, n) for n in (1, 2, 3, 7)] == [timedelta(seconds=s) for s in (60, 120, 240, 3600)]
    assert backoff(settings, 5000) == timedelta(hours=1)
