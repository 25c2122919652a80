"""Which alerts a run raises: anomaly episodes opened, escalated or closed, and budget thresholds crossed.

Every alert has an id that names its event, so raising it again is a no-op: an episode alerts when it opens, again
only when its severity rises or when it closes, and a budget threshold alerts once a month per basis.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from models.alerts import Budget
from pipelines.alerts.message import Message
from pipelines.anomalies.detect import SEVERITIES
from pipelines.anomalies.ledger import label


@dataclass(frozen=True)
class Alert:
    kind: str
    subject: str
    event: str
    message: Message

    @property
    def alert_id(self) -> str:
        return self.message.alert_id


def share(value: Decimal) -> str:
    return format(value.normalize(), "f")


def anomaly_alerts(table: pd.DataFrame, raised: Mapping[str, str]) -> list[Alert]:
    """Alerts for the episodes table after a run, given the alerts raised before (id -> severity)."""
    alerts = []
    for _, row in table.iterrows():
        anomaly_id = str(row["anomaly_id"])
        opened = f"anomaly:{anomaly_id}:opened"
        name = label(row["level"], row["provider"], row["model"])
        if row["status"] == "closed":
            closed = f"anomaly:{anomaly_id}:closed"
            if opened in raised and closed not in raised:
                text = (f"{name}: the episode that began {row['start_date']} ended on {row['end_date']} after "
                        f"{row['anomalous_days']} anomalous day(s), ${float(row['impact_usd']):,.2f} above expected.")
                alerts.append(_anomaly(row, closed, "closed", "info", f"Spend anomaly over: {name}", text))
            continue
        if row["covered_by"] is not None and not pd.isna(row["covered_by"]):
            continue
        title = (f"Spend anomaly ({row['severity']}): {name} +${float(row['impact_usd']):,.2f} "
                 f"(+{float(row['impact_pct']):.0f}%)")
        if opened not in raised:
            alerts.append(_anomaly(row, opened, "opened", str(row["severity"]), title, str(row["explanation"])))
            continue
        alerted = max([SEVERITIES.index(raised[opened]), *(
            i for i, level in enumerate(SEVERITIES) if f"anomaly:{anomaly_id}:escalated:{level}" in raised)])
        if SEVERITIES.index(str(row["severity"])) > alerted:
            escalated = f"anomaly:{anomaly_id}:escalated:{row['severity']}"
            alerts.append(_anomaly(row, escalated, "escalated", str(row["severity"]), "Escalated. " + title,
                                   str(row["explanation"])))
    return alerts


def _anomaly(row: pd.Series, alert_id: str, event: str, severity: str, title: str, text: str) -> Alert:
    causes = json.loads(str(row["root_causes"]))[:5]
    details = {
        "anomaly_id": str(row["anomaly_id"]), "level": row["level"], "provider": row["provider"],
        "model": row["model"], "start_date": str(row["start_date"]), "end_date": str(row["end_date"]),
        "status": row["status"], "actual_usd": round(float(row["actual_usd"]), 2),
        "expected_usd": round(float(row["expected_usd"]), 2), "impact_usd": round(float(row["impact_usd"]), 2),
        "impact_pct": round(float(row["impact_pct"]), 1),
        "top_causes": [f"{c['dimension']} {c['value']}: +${c['contribution_usd']:,.2f}" for c in causes],
    }
    return Alert(kind="anomaly", subject=str(row["anomaly_id"]), event=event,
                 message=Message(alert_id=alert_id, kind="anomaly", severity=severity, title=title, text=text,
                                 details=details))


def _highest_raised(raised: set[str], prefix: str) -> Decimal | None:
    shares = [Decimal(alert_id[len(prefix):]) for alert_id in raised if alert_id.startswith(prefix)]
    return max(shares, default=None)


def budget_alerts(status: pd.DataFrame, budgets: list[Budget], raised: set[str]) -> list[Alert]:
    """Alerts for marts.budget_status rows of this run: the highest threshold newly crossed, per basis."""
    by_name = {budget.name: budget for budget in budgets}
    alerts = []
    for _, row in status.iterrows():
        budget = by_name.get(str(row["budget"]))
        if budget is None:
            continue
        month = str(row["month"])[:7]
        actual_share = row["crossed_actual"]
        for basis, crossed in (("actual", row["crossed_actual"]), ("forecast", row["crossed_forecast"])):
            if basis not in budget.on or crossed is None or pd.isna(crossed):
                continue
            crossed = Decimal(str(crossed))
            # Once actual spend has crossed, the forecast has nothing to warn of, if actual alerts are wanted.
            if basis == "forecast" and "actual" in budget.on and actual_share is not None \
                    and not pd.isna(actual_share) and Decimal(str(actual_share)) >= crossed:
                continue
            prefix = f"budget:{budget.name}:{month}:{basis}:"
            before = _highest_raised(raised, prefix)
            if before is not None and before >= crossed:
                continue
            alerts.append(_budget(row, budget, basis, crossed, prefix + share(crossed)))
    return alerts


def _budget(row: pd.Series, budget: Budget, basis: str, crossed: Decimal, alert_id: str) -> Alert:
    amount = float(budget.amount_usd)
    actual, projected = float(row["actual_usd"]), float(row["projected_usd"])
    percent = f"{float(crossed) * 100:.0f}%"
    if basis == "actual":
        title = f"Budget {budget.name}: {percent} of ${amount:,.2f} spent"
        severity = "major" if crossed >= 1 else "minor"
    else:
        title = f"Budget {budget.name}: on course to pass {percent} of ${amount:,.2f} by month end"
        severity = "minor"
    text = (f"{row['scope']}: ${actual:,.2f} spent in {str(row['month'])[:7]} so far; projected month end "
            f"${projected:,.2f} (80% interval up to ${float(row['projected_hi_80_usd']):,.2f}) against a budget of "
            f"${amount:,.2f}.")
    details = {"budget": budget.name, "month": str(row["month"])[:7], "basis": basis, "threshold": float(crossed),
               "amount_usd": amount, "actual_usd": round(actual, 2), "projected_usd": round(projected, 2),
               "projected_hi_80_usd": round(float(row["projected_hi_80_usd"]), 2), "scope": str(row["scope"])}
    return Alert(kind="budget", subject=f"{budget.name}/{str(row['month'])[:7]}", event=basis,
                 message=Message(alert_id=alert_id, kind="budget", severity=severity, title=title, text=text,
                                 details=details))
