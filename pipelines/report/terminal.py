"""The report in the terminal: the period's totals, spend per model, and one line each for the outlook."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.table import Table

from pipelines.report.data import ReportData
from pipelines.summary import money


def print_report(data: ReportData, console: Console) -> None:
    contracted = (f" ({money(data.contracted_cost_usd)} under your contracts)"
                  if data.contracted_cost_usd != data.list_cost_usd else "")
    console.print(f"\n[bold]Report {data.first} .. {data.last}[/] ({data.days_with_spend} days with spend):"
                  f" [bold green]{money(data.list_cost_usd)}[/] list cost{contracted} over {data.requests:,} requests;"
                  f" prompt caching saved [bold]{money(data.cache_savings_usd)}[/].")
    if data.unpriced_requests:
        console.print(f"[bold red]Unpriced:[/] {data.unpriced_requests:,} requests have no price and are not in the"
                      " totals.")
    if data.models:
        table = Table(title="Spend per model")
        for name, justify in (("provider", "left"), ("model", "left"), ("requests", "right"),
                              ("list cost", "right"), ("share", "right")):
            table.add_column(name, justify=justify, overflow="fold")
        for m in data.models:
            table.add_row(m.provider, m.model, f"{m.requests:,}", money(m.list_cost_usd),
                          "-" if m.share is None else f"{m.share:.1%}")
        console.print(table)
    else:
        console.print("[yellow]No spend in this period.[/]")

    total = next((p for p in data.projection if p.level == "total"), None)
    if total is None:
        console.print("Month end: no projection yet.")
    else:
        console.print(f"Month end {total.month:%B %Y}: {money(total.mtd_actual_usd)} so far, projected"
                      f" {money(total.projected_usd)} (80%: {money(total.lo_80_usd)} to {money(total.hi_80_usd)}).")
    if data.forecast is None:
        console.print("Forecast: no forecast yet.")
    else:
        f = data.forecast
        console.print(f"Forecast: {money(sum((d.spend_usd for d in f.days), Decimal(0)))} over the {len(f.days)} days"
                      f" after {f.trained_through} (made on {f.generated_on}).")
    marked = data.marked_anomalies
    still_open = sum(1 for a in marked if a.status != "closed")
    episodes = f"{len(marked)} episode{'' if len(marked) == 1 else 's'}"
    console.print(f"Anomalies in the period: {episodes}, {still_open} open or ongoing."
                  if marked else "Anomalies in the period: none.")
