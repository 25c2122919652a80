"""`meterline report`: a period's spend from a real warehouse, in the terminal and as a self-contained HTML page.

Four weeks, 2026-10-01 .. 2026-10-28, of two models a day:
- 60 Claude Haiku 4.5 requests on project `search`, each 20,000 uncached input, 80,000 cache-read and 2,000 output
  tokens: 20,000 x $1/M + 80,000 x $0.10/M + 2,000 x $5/M = $0.038 a request, $2.28 a day; the cache saves
  80,000 x ($1 - $0.10)/M = $0.072 a request, $4.32 a day.
- 40 gpt-4.1-mini requests on project `chat`, each 10,000 prompt tokens of which 4,000 cached, and 500 completion
  tokens: 6,000 x $0.40/M + 4,000 x $0.10/M + 500 x $1.60/M = $0.0036 a request, $0.144 a day; the cache saves
  4,000 x ($0.40 - $0.10)/M = $0.0012 a request, $0.048 a day.
A normal day costs $2.424. On the last two days the cache hit rate on `search` falls to 5% (95,000 uncached, 5,000
read): $0.1055 a Haiku request, $6.33 + $0.144 = $6.474 a day, an anomaly the pipeline finds at the total level.
Four weeks: 26 x $2.424 + 2 x $6.474 = $75.972 list cost; cache savings 26 x $4.368 + 2 x (60 x $0.0045 + $0.048)
= $114.204.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.report.data import DayTotal, ReportData, ReportError, load_report, period
from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from pipelines.warehouse import connect, ensure_schema
from tests.conftest import envelope, make_settings, read, write_jsonl

FIRST, LAST = date(2026, 10, 1), date(2026, 10, 28)
SPIKE = (date(2026, 10, 27), date(2026, 10, 28))
CHARTS = ("chart-spend-by-model", "chart-cache-savings", "chart-forecast")


def _write_days(settings: Settings) -> None:
    day = FIRST
    while day <= LAST:
        uncached, cached = (95_000, 5_000) if day in SPIKE else (20_000, 80_000)
        records = [envelope(f"{day}T08:{index:02d}:00Z", {
            "id": f"msg_{day:%Y%m%d}_{index}", "type": "message", "model": "claude-haiku-4-5-20251001",
            "usage": {"input_tokens": uncached, "cache_read_input_tokens": cached, "output_tokens": 2000}},
            provider="anthropic", project="search") for index in range(60)]
        records += [envelope(f"{day}T09:{index:02d}:00Z", {
            "id": f"chatcmpl-{day:%Y%m%d}-{index}", "object": "chat.completion",
            "created": int(datetime(day.year, day.month, day.day, 9, index, tzinfo=UTC).timestamp()),
            "model": "gpt-4.1-mini-2025-04-14",
            "usage": {"prompt_tokens": 10_000, "completion_tokens": 500, "total_tokens": 10_500,
                      "prompt_tokens_details": {"cached_tokens": 4_000}}},
            provider="openai", project="chat") for index in range(40)]
        write_jsonl(settings.landing / f"{day}.jsonl", records)
        day += timedelta(days=1)


@pytest.fixture(scope="module")
def four_weeks(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("report_four_weeks")
    settings = make_settings(root)
    _write_days(settings)
    # The default anomaly floor is $25 of impact; this traffic is a few dollars a day.
    alerts = root / "alerts.yaml"
    alerts.write_text("anomalies: {min_impact_usd: 1}\n", encoding="utf-8")
    settings = dataclasses.replace(settings, alerts=alerts, today=LAST + timedelta(days=1))
    run_pipeline(settings)
    return settings


@pytest.fixture(scope="module")
def html_report(four_weeks: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    target = tmp_path_factory.mktemp("report_html") / "out" / "report.html"
    result = CliRunner().invoke(main, ["report", "--warehouse", str(four_weeks.warehouse), "--html", str(target)])
    assert result.exit_code == 0, result.output
    return target, result.stdout


def _report(settings: Settings, first: date | None = None, last: date | None = None) -> ReportData:
    with connect(settings.warehouse, read_only=True) as conn:
        return load_report(conn, first, last)


def test_the_period_defaults_to_the_last_30_days_with_spend() -> None:
    present = (date(2026, 1, 1), date(2026, 10, 28))
    assert period(present, None, None) == (date(2026, 9, 29), date(2026, 10, 28))
    assert period(present, None, date(2026, 6, 30)) == (date(2026, 6, 1), date(2026, 6, 30))
    assert period(present, date(2026, 10, 20), None) == (date(2026, 10, 20), date(2026, 10, 28))
    # Less than 30 days of spend: the period starts on the first day there is.
    assert period((date(2026, 10, 20), date(2026, 10, 28)), None, None) == (date(2026, 10, 20), date(2026, 10, 28))
    assert period(None, date(2026, 10, 1), date(2026, 10, 2)) == (date(2026, 10, 1), date(2026, 10, 2))
    with pytest.raises(ReportError, match="no usage in the warehouse yet"):
        period(None, None, None)
    with pytest.raises(ReportError, match="after its last day"):
        period(present, date(2026, 11, 1), None)


def test_totals_are_the_hand_computed_dollars_and_the_marts_sum(four_weeks: Settings) -> None:
    data = _report(four_weeks)
    assert (data.first, data.last, data.days_with_spend, data.requests) == (FIRST, LAST, 28, 2800)
    assert data.list_cost_usd == Decimal("75.972")
    [(marts_total,)] = read(four_weeks, "SELECT sum(list_cost_usd) FROM marts.daily_model_spend")
    assert data.list_cost_usd == marts_total
    assert data.contracted_cost_usd == data.list_cost_usd  # no contract overlay
    assert data.cache_savings_usd == Decimal("114.204")
    assert [(m.provider, m.model, m.requests, m.list_cost_usd) for m in data.models] == [
        ("anthropic", "claude-haiku-4-5", 1680, Decimal("71.94")),  # 26 x $2.28 + 2 x $6.33
        ("openai", "gpt-4.1-mini", 1120, Decimal("4.032"))]  # 28 x $0.144
    assert sum(m.share or 0 for m in data.models) == pytest.approx(1)
    assert [(p.project, p.list_cost_usd) for p in data.projects] == [
        ("search", Decimal("71.94")), ("chat", Decimal("4.032"))]
    assert len(data.daily) == 56 and len(data.totals) == 28
    # The last day: cache reads cost 60 x 5,000 x $0.10/M + $0.016 and saved 60 x 5,000 x $0.90/M + $0.048.
    assert data.totals[-1] == DayTotal(LAST, Decimal("6.474"), Decimal("0.046"), Decimal("0.318"))
    # The latest forecast: 30 days after the last day of spend; its intervals hold the mean.
    assert data.forecast is not None
    assert (data.forecast.generated_on, data.forecast.trained_through) == (LAST + timedelta(days=1), LAST)
    assert [d.forecast_date for d in data.forecast.days] == [LAST + timedelta(days=n) for n in range(1, 31)]
    assert all(d.lo_95_usd <= d.lo_80_usd <= d.spend_usd <= d.hi_80_usd <= d.hi_95_usd for d in data.forecast.days)
    # One episode drawn, at the total level; its provider and model episodes are listed, covered by it.
    [marked] = data.marked_anomalies
    assert (marked.level, marked.start_date, marked.end_date) == ("total", *SPIKE)
    assert "cache hit rate fell from 80% to 5% on project search" in marked.explanation
    assert {a.level for a in data.anomalies} == {"total", "provider", "model"}
    assert data.projection[0].level == "total" and data.projection[0].mtd_actual_usd == Decimal("75.972")


def test_from_and_to_bound_every_table(four_weeks: Settings) -> None:
    week = _report(four_weeks, date(2026, 10, 5), date(2026, 10, 11))
    assert week.list_cost_usd == Decimal("16.968")  # 7 x $2.424
    assert (week.requests, len(week.daily), len(week.totals), week.days_with_spend) == (700, 14, 7, 7)
    assert {t.usage_date for t in week.totals} == {date(2026, 10, 5) + timedelta(days=n) for n in range(7)}
    assert [p.list_cost_usd for p in week.projects] == [Decimal("15.96"), Decimal("1.008")]
    assert week.anomalies == ()
    # A period that reaches the first spike day holds the episodes that overlap it.
    overlap = _report(four_weeks, date(2026, 10, 20), date(2026, 10, 27))
    assert overlap.list_cost_usd == Decimal("23.442")  # 7 x $2.424 + $6.474
    assert len(overlap.anomalies) == 3 and len(overlap.marked_anomalies) == 1

    result = CliRunner().invoke(main, ["report", "--warehouse", str(four_weeks.warehouse),
                                       "--from", "2026-10-05", "--to", "2026-10-11"])
    assert result.exit_code == 0, result.output
    assert "Report 2026-10-05 .. 2026-10-11" in result.stdout and "$16.97 list cost" in result.stdout
    assert "Anomalies in the period: none." in result.stdout
    bad = CliRunner().invoke(main, ["report", "--warehouse", str(four_weeks.warehouse), "--from", "2026-10-12",
                                    "--to", "2026-10-11"])
    assert bad.exit_code == 1 and "the period starts on 2026-10-12, after its last day 2026-10-11" in bad.stderr
    assert CliRunner().invoke(main, ["report", "--from", "10/05/2026"]).exit_code == 2


class _Refs(HTMLParser):
    """Every URL the page's own tags load: a script's src, a stylesheet's href, an image's src."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.refs += [value or "" for name, value in attrs if name in ("src", "href")]


def test_the_cli_writes_one_self_contained_page(html_report: tuple[Path, str]) -> None:
    target, stdout = html_report
    assert "$75.97 list cost" in stdout and "claude-haiku-4-5" in stdout
    assert "Month end October 2026: $75.97 so far" in stdout
    assert "Anomalies in the period: 1 episode, 1 open or ongoing." in stdout
    assert f"({target.stat().st_size:,} bytes)" in stdout and str(target) in stdout.replace("\n", "")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # nothing left aside
    page = target.read_text(encoding="utf-8")
    refs = _Refs()
    refs.feed(page)
    assert not [ref for ref in refs.refs if ref.lower().startswith(("http:", "https:", "//"))]
    assert page.count("window.PlotlyConfig") == 1  # plotly.js inlined once, for every chart
    assert all(page.count(f'id="{chart}"') == 1 for chart in CHARTS)
    assert "$75.97" in page and "$114.20" in page
    assert "cache hit rate fell from 80% to 5% on project search" in page
    assert "No forecast yet" not in page and "October 2026, actual through 2026-10-28" in page


def test_a_warehouse_without_forecast_or_anomalies_says_so(four_weeks: Settings, tmp_path: Path) -> None:
    # The four weeks' warehouse as it stands before its first forecast (fewer than seven days of spend): the spend
    # marts filled, the monitoring marts empty. Emptied in a copy, not run again, to spare the test a pipeline run.
    warehouse = tmp_path / "meterline.duckdb"
    shutil.copyfile(four_weeks.warehouse, warehouse)
    with connect(warehouse) as conn:
        for table in ("spend_forecast", "month_end_projection", "spend_anomalies"):
            conn.execute(f"DELETE FROM marts.{table}")
    target = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--warehouse", str(warehouse), "--html", str(target),
                                       "--from", "2026-10-24"])
    assert result.exit_code == 0, result.output
    # 3 x $2.424 + 2 x $6.474
    assert "Report 2026-10-24 .. 2026-10-28 (5 days with spend): $20.22 list cost" in result.stdout
    assert "Forecast: no forecast yet." in result.stdout and "Month end: no projection yet." in result.stdout
    page = target.read_text(encoding="utf-8")
    assert "No forecast yet" in page and "No anomaly episodes in this period." in page
    assert "No month-end projection yet" in page
    assert all(f'id="{chart}"' in page for chart in CHARTS)


def test_a_missing_or_empty_warehouse_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "meterline.duckdb"
    result = CliRunner().invoke(main, ["report", "--warehouse", str(missing)])
    assert result.exit_code == 1
    assert f"warehouse {missing} does not exist" in result.stderr.replace("\n", "")
    empty = tmp_path / "empty.duckdb"
    with duckdb.connect(str(empty)) as conn:
        ensure_schema(conn)
    result = CliRunner().invoke(main, ["report", "--warehouse", str(empty), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "no usage in the warehouse yet" in result.stderr
    assert not (tmp_path / "r.html").exists()


class _Rendered(HTMLParser):
    """Per chart div: plotly's SVG roots, trace groups, drawn points (bars and markers) and shapes inside it."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.counts = {chart: {"main-svg": 0, "trace": 0, "point": 0, "shape": 0} for chart in CHARTS}
        self.stack: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        inside = next((chart for chart in reversed(self.stack) if chart), None)
        if inside:
            classes = (values.get("class") or "").split()
            counts = self.counts[inside]
            counts["main-svg"] += "main-svg" in classes
            counts["trace"] += any(name == "trace" or name.startswith("trace") for name in classes)
            counts["point"] += "point" in classes
            counts["shape"] += "shape-group" in classes
        if tag not in self.VOID:
            self.stack.append(values.get("id") if values.get("id") in CHARTS else None)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()


def test_the_charts_render_in_a_browser_offline(html_report: tuple[Path, str], tmp_path: Path) -> None:
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if browser is None:
        pytest.skip("Chromium not installed (Debian package 'chromium'): the rendered-chart check needs it")
    target, _ = html_report
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom",
                           target.as_uri()], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    rendered = _Rendered()
    rendered.feed(done.stdout)
    counts = rendered.counts
    assert all(counts[chart]["main-svg"] >= 1 and counts[chart]["trace"] >= 1 for chart in CHARTS), counts
    # Each drawn bar and marker is one point: 28 days x 2 models stacked; 28 savings bars and 28 cache-read markers;
    # 28 actual days and 2 anomaly crosses (the forecast and its bands are lines, no points).
    assert counts["chart-spend-by-model"]["point"] == 56, counts
    assert counts["chart-cache-savings"]["point"] == 56, counts
    assert counts["chart-forecast"]["point"] == 30, counts
    # The anomaly episode's span, shaded on the two daily charts.
    assert [counts[chart]["shape"] for chart in CHARTS] == [1, 0, 1], counts
