"""Monthly budgets against actual and projected spend: the rows of marts.budget_status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from models.alerts import Budget


def scope_text(budget: Budget) -> str:
    parts = [f"{name} {value}" for name, value in
             (("provider", budget.provider), ("project", budget.project), ("model", budget.model)) if value]
    return ", ".join(parts) or "all spend"


def crossed(budget: Budget, spend: float) -> Decimal | None:
    """The highest threshold share that `spend` has reached."""
    reached = [share for share in budget.thresholds if Decimal(str(spend)) >= share * budget.amount_usd]
    return max(reached, default=None)


def budget_rows(budgets: list[Budget], projection: pd.DataFrame, month: date, final: bool = False) -> pd.DataFrame:
    """`projection` holds the outlook's budget rows (level `budget`, the budget name as provider). A budget whose
    scope has too little history to forecast is projected at its actual spend alone. `final`: the month has ended,
    its actual spend is all there is (no forecast crossing)."""
    rows = []
    for budget in budgets:
        match = projection[(projection["level"] == "budget") & (projection["provider"] == budget.name)]
        if match.empty:
            actual = projected = high = 0.0
        else:
            first = match.iloc[0]
            actual, projected, high = (float(first["mtd_actual_usd"]), float(first["projected_usd"]),
                                       float(first["hi_80_usd"]))
        amount = float(budget.amount_usd)
        rows.append({"budget": budget.name, "month": month, "scope": scope_text(budget),
                     "amount_usd": amount, "actual_usd": actual, "projected_usd": projected,
                     "projected_hi_80_usd": high, "actual_share": round(actual / amount, 4),
                     "projected_share": round(projected / amount, 4),
                     "crossed_actual": crossed(budget, actual),
                     "crossed_forecast": None if final else crossed(budget, projected)})
    columns = ["budget", "month", "scope", "amount_usd", "actual_usd", "projected_usd", "projected_hi_80_usd",
               "actual_share", "projected_share", "crossed_actual", "crossed_forecast"]
    return pd.DataFrame(rows, columns=columns)
