"""Forecasts priced with the dated catalogue, month-end projections and backtests, on hand-made daily usage."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from pipelines.forecast.outlook import build_outlook, month_bounds
from pipelines.forecast.series import CLASSES

AS_OF = date(2026, 11, 20)
INPUT_RATE = 2.5e-6  # gpt-4o input, USD per token
OUTPUT_RATE = 10e-6


def _daily(days: int, input_tokens: list[float] | float, output_tokens: float = 0.0,
           input_rate: list[float] | float = INPUT_RATE, model: str = "gpt-4o") -> pd.DataFrame:
    first = AS_OF - timedelta(days=days - 1)
    rows = []
    for index in range(days):
        tokens = input_tokens[index] if isinstance(input_tokens, list) else input_tokens
        rate = input_rate[index] if isinstance(input_rate, list) else input_rate
        row = {"usage_date": first + timedelta(days=index), "provider": "openai", "model": model}
        for name in CLASSES:
            row[f"q_{name}"] = 0.0
            row[f"c_{name}"] = 0.0
        row["q_input"], row["c_input"] = tokens, tokens * rate
        row["q_output"], row["c_output"] = output_tokens, output_tokens * OUTPUT_RATE
        row["list_cost_usd"] = row["c_input"] + row["c_output"]
        rows.append(row)
    return pd.DataFrame(rows)


def _rates(change_on: date | None = None, new_input: float = INPUT_RATE, before_input: float = INPUT_RATE,
           model: str = "gpt-4o") -> pd.DataFrame:
    """Standard rates from 28 days before AS_OF to 45 days after, input changing on `change_on`."""
    rows = []
    for offset in range(-28, 46):
        day = AS_OF + timedelta(days=offset)
        row = {"provider": "openai", "model": model, "day": day}
        for name in CLASSES:
            row[f"r_{name}"] = np.nan
        row["r_input"] = new_input if change_on is not None and day >= change_on else before_input
        row["r_output"] = OUTPUT_RATE
        rows.append(row)
    return pd.DataFrame(rows)


def _model_rows(frame: pd.DataFrame, level: str = "model") -> pd.DataFrame:
    return frame[frame["level"] == level].sort_values("forecast_date").reset_index(drop=True)


def test_a_scheduled_price_cut_shows_on_its_day():
    # 1M input tokens a day at $2.50/M; the catalogue halves the input rate from AS_OF + 10.
    change = AS_OF + timedelta(days=10)
    outlook = build_outlook(_daily(60, 1_000_000.0), _rates(change, new_input=1.25e-6), AS_OF, 30, 4, 14)
    rows = _model_rows(outlook.forecast)
    assert len(rows) == 30
    before = rows[rows["forecast_date"] < change]
    after = rows[rows["forecast_date"] >= change]
    assert before["spend_usd"].to_numpy() == pytest.approx(2.5, abs=1e-6)
    assert after["spend_usd"].to_numpy() == pytest.approx(1.25, abs=1e-6)
    assert after["price_factor"].to_numpy() == pytest.approx(0.5)
    assert before["price_factor"].to_numpy() == pytest.approx(1.0)
    total = _model_rows(outlook.forecast, "total")
    assert total[total["forecast_date"] >= change]["spend_usd"].to_numpy() == pytest.approx(1.25, abs=1e-6)


def test_a_past_price_cut_is_not_read_as_falling_demand():
    # Usage is flat; the price halved 20 days ago. Spend fell, demand did not: the forecast is the new price x the
    # same usage, flat, at every level, and no day is an anomaly.
    days = 60
    rates = [INPUT_RATE if index < days - 20 else INPUT_RATE / 2 for index in range(days)]
    rate_card = _rates(AS_OF - timedelta(days=19), new_input=INPUT_RATE / 2)
    outlook = build_outlook(_daily(days, 2_000_000.0, input_rate=rates), rate_card, AS_OF, 30, 4, 14)
    for level in ("model", "provider", "total"):
        rows = _model_rows(outlook.forecast, level)
        assert rows["spend_usd"].to_numpy() == pytest.approx(2.5, abs=1e-6), level
    fitted = outlook.fitted[outlook.fitted["level"] == "total"]
    assert fitted["y"].to_numpy() == pytest.approx(2.5, abs=1e-9)  # history valued at today's prices


def test_token_classes_are_forecast_and_priced_separately():
    # Input grows 10,000 tokens a day, output is flat: each class keeps its own shape and its own rate.
    days = 56
    growing = [1_000_000.0 + 10_000 * index for index in range(days)]
    outlook = build_outlook(_daily(days, growing, output_tokens=100_000.0), _rates(), AS_OF, 30, 4, 14)
    first = _model_rows(outlook.forecast).iloc[0]
    expected = (1_000_000 + 10_000 * days) * INPUT_RATE + 100_000 * OUTPUT_RATE  # $3.89
    assert first["spend_usd"] == pytest.approx(expected, rel=0.01)
    assert first["lo_95_usd"] <= first["lo_80_usd"] <= first["spend_usd"] <= first["hi_80_usd"] <= first["hi_95_usd"]


def test_month_end_projection_adds_actual_month_to_date_and_the_forecast():
    outlook = build_outlook(_daily(60, 1_000_000.0, output_tokens=50_000.0), _rates(), AS_OF, 30, 4, 14)
    month_first, month_last = month_bounds(AS_OF)
    assert (month_first, month_last) == (date(2026, 11, 1), date(2026, 11, 30))
    total = outlook.projection[outlook.projection["level"] == "total"].iloc[0]
    daily = 1_000_000 * INPUT_RATE + 50_000 * OUTPUT_RATE  # $3.00 a day
    assert total["days_actual"] == 20 and total["days_forecast"] == 10
    assert total["mtd_actual_usd"] == pytest.approx(20 * daily)
    assert total["forecast_rest_usd"] == pytest.approx(10 * daily, abs=1e-5)
    assert total["projected_usd"] == pytest.approx(30 * daily, abs=1e-5)
    assert total["lo_95_usd"] <= total["projected_usd"] <= total["hi_95_usd"]


def test_month_end_on_the_last_day_of_a_month_projects_the_next_month():
    as_of = date(2026, 10, 31)
    assert month_bounds(as_of) == (date(2026, 11, 1), date(2026, 11, 30))


def test_history_length_picks_the_method_or_refuses():
    frames = [_daily(5, 1_000_000.0, model="new-model"), _daily(10, 1_000_000.0, model="young-model"),
              _daily(40, 1_000_000.0, model="gpt-4o")]
    rates = pd.concat([_rates(model=name) for name in ("new-model", "young-model", "gpt-4o")])
    outlook = build_outlook(pd.concat(frames, ignore_index=True), rates, AS_OF, 30, 4, 14)
    series = outlook.series.set_index("model")
    assert series.loc["new-model", "status"] == "insufficient_history"
    assert series.loc["young-model", "status"] == "low_history"
    assert series.loc["young-model", "method"] == "HistoricAverage"
    assert series.loc["gpt-4o", "method"] == "MSTL(7)+AutoETS"
    forecast_models = set(outlook.forecast[outlook.forecast["level"] == "model"]["model"])
    assert forecast_models == {"young-model", "gpt-4o"}
    accuracy = outlook.accuracy.set_index(["level", "model"])
    assert accuracy.loc[("model", "new-model"), "status"] == "insufficient_history"
    assert accuracy.loc[("model", "young-model"), "windows"] == 0  # too short to backtest
    assert accuracy.loc[("model", "gpt-4o"), "windows"] == 2  # (40 - 14 - 14) // 7 + 1


def test_backtest_beats_the_seasonal_naive_baseline_on_a_trend():
    # A steady trend with a weekly pattern: last week's same day always lags, a trend model should not.
    days = 84
    rng = np.random.default_rng(3)
    week = [1.0, 1.1, 1.2, 1.15, 1.05, 0.6, 0.5]
    tokens = [1_000_000.0 * (1 + 0.02 * index) * week[index % 7] * rng.normal(1, 0.02) for index in range(days)]
    outlook = build_outlook(_daily(days, tokens), _rates(), AS_OF, 30, 4, 14)
    row = outlook.accuracy[outlook.accuracy["level"] == "model"].iloc[0]
    assert row["windows"] == 4
    assert row["mase"] < row["baseline_mase"]
    assert row["skill"] > 0
    assert 0 <= row["coverage_80"] <= row["coverage_95"] <= 1
    assert row["wape"] < row["baseline_wape"]


def test_a_model_idle_for_four_weeks_is_not_forecast():
    old = _daily(60, 1_000_000.0, model="retired")
    old = old[old["usage_date"] < AS_OF - timedelta(days=30)]
    current = _daily(60, 1_000_000.0)
    rates = pd.concat([_rates(model="retired"), _rates()])
    outlook = build_outlook(pd.concat([old, current], ignore_index=True), rates, AS_OF, 30, 4, 14)
    assert set(outlook.series[outlook.series["level"] == "model"]["model"]) == {"gpt-4o"}
    # Its past spend is still part of the total's history.
    total = outlook.fitted[outlook.fitted["level"] == "total"]
    assert total["usage_date"].min() == AS_OF - timedelta(days=59)
