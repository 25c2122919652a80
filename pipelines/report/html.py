"""The report as one HTML document: plotly.js inlined once, so the page opens offline, with the tables it charts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from html import escape

import plotly.graph_objects as go

from pipelines.report.data import Anomaly, DaySpend, ReportData
from pipelines.summary import money

CHART_HEIGHT = 420
MAX_TICKS = 12
DAY_MS = 86_400_000
ANOMALY_FILL = "rgba(214, 39, 40, 0.15)"
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px;
       padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
.kpis { display: flex; gap: 2rem; flex-wrap: wrap; } .kpi b { display: block; font-size: 1.4rem; }
.note { color: #555; } .empty { color: #8a6d00; background: #fff8dc; padding: 0.5rem 0.75rem; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { padding: 0.25rem 0.75rem; border-bottom: 1px solid #eee; white-space: nowrap; }
td:last-child { white-space: normal; }
th { text-align: left; background: #f6f6f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""



def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: frozenset[int]) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{escape(str(cell))}</td>' if index in numeric
                         else f"<td>{escape(str(cell))}</td>" for index, cell in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _note(text: str, empty: bool = False) -> str:
    return f'<p class="{"empty" if empty else "note"}">{escape(text)}</p>'


def _layout(fig: go.Figure, title: str, first: date, last: date) -> go.Figure:
    # Whole days between ticks, about a dozen of them: left alone, plotly ticks a short period every 12 hours.
    step = max(1, -(-((last - first).days + 1) // MAX_TICKS))
    fig.update_layout(title=title, height=CHART_HEIGHT, template="plotly_white", hovermode="x unified",
                      xaxis={"tick0": first.isoformat(), "dtick": step * DAY_MS, "tickformat": "%b %-d"},
                      yaxis={"title": "USD, list price", "tickprefix": "$"}, legend={"orientation": "h", "y": -0.15},
                      margin={"t": 50, "b": 40, "l": 60, "r": 20})
    return fig


def _shade(fig: go.Figure, anomalies: Sequence[Anomaly]) -> None:
    # Bars are centred on midnight of their day: the span runs half a day either side so it covers them whole.
    for anomaly in anomalies:
        fig.add_vrect(x0=datetime.combine(anomaly.start_date, time()) - timedelta(hours=12),
                      x1=datetime.combine(anomaly.end_date, time()) + timedelta(hours=12),
                      fillcolor=ANOMALY_FILL, line_width=0, layer="below")


def spend_by_model(data: ReportData) -> go.Figure:
    series: dict[tuple[str, str], list[DaySpend]] = {(m.provider, m.model): [] for m in data.models}
    for day in data.daily:
        series[day.provider, day.model].append(day)
    fig = go.Figure()
    # Traces in data.models' order, largest spend first: the biggest model sits at the bottom of each stack.
    for (provider, model), days in series.items():
        fig.add_bar(name=f"{provider}/{model}", x=[day.usage_date for day in days],
                    y=[float(day.list_cost_usd) for day in days])
    fig.update_layout(barmode="stack")
    _shade(fig, data.marked_anomalies)
    return _layout(fig, "Daily spend by model", data.first, data.last)


def cache_savings(data: ReportData) -> go.Figure:
    days = [total.usage_date for total in data.totals]
    fig = go.Figure()
    fig.add_bar(name="cache savings", x=days, y=[float(total.cache_savings_usd) for total in data.totals],
                marker_color="#2ca02c")
    fig.add_scatter(name="what cache reads cost", x=days, y=[float(total.cache_read_cost_usd) for total in data.totals],
                    mode="lines+markers", line_color="#7f7f7f")
    return _layout(fig, "Prompt-cache savings per day", data.first, data.last)


def _band(fig: go.Figure, name: str, x: list[date], lo: list[float], hi: list[float], color: str) -> None:
    # One closed polygon, upper edge forward and lower edge back, so the band is a single legend entry.
    fig.add_scatter(name=name, x=x + x[::-1], y=hi + lo[::-1], fill="toself", fillcolor=color, mode="lines",
                    line_width=0, hoverinfo="skip")


def forecast(data: ReportData) -> go.Figure:
    fig = go.Figure()
    if data.forecast is not None:
        days = list(data.forecast.days)
        x = [day.forecast_date for day in days]
        _band(fig, "95% interval", x, [float(d.lo_95_usd) for d in days], [float(d.hi_95_usd) for d in days],
              "rgba(31, 119, 180, 0.12)")
        _band(fig, "80% interval", x, [float(d.lo_80_usd) for d in days], [float(d.hi_80_usd) for d in days],
              "rgba(31, 119, 180, 0.25)")
        fig.add_scatter(name="forecast", x=x, y=[float(day.spend_usd) for day in days], mode="lines",
                        line={"color": "#1f77b4", "dash": "dash"})
    fig.add_scatter(name="actual", x=[total.usage_date for total in data.totals],
                    y=[float(total.list_cost_usd) for total in data.totals], mode="lines+markers",
                    line_color="#222")
    marked = data.marked_anomalies
    flagged = [total for total in data.totals
               if any(a.start_date <= total.usage_date <= a.end_date for a in marked)]
    if flagged:
        fig.add_scatter(name="anomaly", x=[total.usage_date for total in flagged],
                        y=[float(total.list_cost_usd) for total in flagged], mode="markers",
                        marker={"color": "#d62728", "size": 12, "symbol": "x"})
    _shade(fig, marked)
    last = max(data.last, data.forecast.days[-1].forecast_date) if data.forecast else data.last
    return _layout(fig, "Daily total spend, forecast and anomalies", data.first, last)


def _forecast_note(data: ReportData) -> str:
    if data.forecast is None:
        return _note("No forecast yet: marts.spend_forecast holds no total forecast. `meterline run` forecasts once"
                     " there are 7 days of spend.", empty=True)
    f = data.forecast
    low = " Short history: a flat average with a wide interval." if f.status == "low_history" else ""
    return _note(f"Latest forecast, made on {f.generated_on} from spend through {f.trained_through} ({f.method}):"
                 f" {money(sum(day.spend_usd for day in f.days))} over the next {len(f.days)} days. Bands: 80% and"
                 f" 95% prediction intervals; red spans and crosses: anomaly episodes.{low}")


def _anomalies(data: ReportData) -> str:
    if not data.anomalies:
        return _note("No anomaly episodes in this period.", empty=True)
    levels = {a.anomaly_id: a.level for a in data.anomalies}

    def explained(a: Anomaly) -> str:
        if a.covered_by is None:
            return a.explanation
        return f"{a.explanation} (inside the {levels.get(a.covered_by, a.covered_by)} episode)"

    rows = [(a.start_date, a.end_date, a.level, a.provider, a.model, a.severity, a.status, money(a.impact_usd),
             f"{a.impact_pct:+}%", explained(a)) for a in data.anomalies]
    return _table(("from", "to", "level", "provider", "model", "severity", "status", "impact", "impact %",
                   "explanation"), rows, frozenset({7, 8}))


def _projection(data: ReportData) -> str:
    if not data.projection:
        return _note("No month-end projection yet: it comes with the first forecast.", empty=True)
    first = data.projection[0]
    rows = [("all spend" if p.level == "total" else p.provider, money(p.mtd_actual_usd), money(p.projected_usd),
             f"{money(p.lo_80_usd)} - {money(p.hi_80_usd)}", f"{money(p.lo_95_usd)} - {money(p.hi_95_usd)}")
            for p in data.projection]
    return (_note(f"{first.month:%B %Y}, actual through {first.actual_through} (run of {first.generated_on}).")
            + _table(("scope", "month to date", "projected", "80% interval", "95% interval"), rows,
                     frozenset({1, 2, 3, 4})))


def _chart(fig: go.Figure, div_id: str, with_plotlyjs: bool) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=with_plotlyjs, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def render_html(data: ReportData) -> str:
    title = f"meterline spend report {data.first} .. {data.last}"
    kpis = "".join(f'<div class="kpi">{escape(label)}<b>{escape(value)}</b></div>' for label, value in (
        ("list cost", money(data.list_cost_usd)), ("contracted cost", money(data.contracted_cost_usd)),
        ("cache savings", money(data.cache_savings_usd)), ("requests", f"{data.requests:,}"),
        ("days with spend", str(data.days_with_spend))))
    unpriced = (_note(f"{data.unpriced_requests:,} requests have no price and are not in these totals.", empty=True)
                if data.unpriced_requests else "")
    no_spend = "" if data.totals else _note("No spend in this period.", empty=True)
    models = _table(("provider", "model", "requests", "list cost", "contracted cost", "cache savings", "unpriced",
                     "share"),
                    [(m.provider, m.model, f"{m.requests:,}", money(m.list_cost_usd), money(m.contracted_cost_usd),
                      money(m.cache_savings_usd), f"{m.unpriced_requests:,}", _share(m.share)) for m in data.models],
                    frozenset(range(2, 8)))
    projects = _table(("project", "requests", "list cost", "share"),
                      [(p.project, f"{p.requests:,}", money(p.list_cost_usd), _share(p.share)) for p in data.projects],
                      frozenset({1, 2, 3}))
    savings = _note(f"What cache reads would have cost at the uncached input rate, less what they cost:"
                    f" {money(data.cache_savings_usd)} over the period.")
    body = "\n".join([
        f"<h1>{escape(title)}</h1>", f'<div class="kpis">{kpis}</div>', unpriced, no_spend,
        "<h2>Daily spend by model</h2>", _chart(spend_by_model(data), "chart-spend-by-model", True),
        "<h2>Spend by model</h2>", models,
        "<h2>Top projects</h2>", projects if data.projects else _note("No project spend in this period.", empty=True),
        "<h2>Cache savings</h2>", savings, _chart(cache_savings(data), "chart-cache-savings", False),
        "<h2>Forecast and anomalies</h2>", _forecast_note(data), _chart(forecast(data), "chart-forecast", False),
        "<h2>Anomaly episodes</h2>", _anomalies(data),
        "<h2>Month-end projection</h2>", _projection(data),
    ])
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{escape(title)}</title>\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")
