"""The spend summary printed after a run: per model, cache savings, what is unpriced or rejected."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from pipelines.reprice import RepriceOutcome


def money(value: Decimal | float | None) -> str:
    """Dollars to the cent, the way every report and table of the CLI shows them ("-" for no figure)."""
    if value is None:
        return "-"
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _tokens(value: int | None) -> str:
    if not value:
        return "0"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return str(value)


def print_summary(conn: duckdb.DuckDBPyConnection, console: Console, warehouse: Path) -> None:
    span = conn.execute(
        "SELECT min(usage_date), max(usage_date), count(DISTINCT usage_date), sum(requests), sum(list_cost_usd),"
        " sum(cache_savings_usd), sum(unpriced_requests), sum(contracted_cost_usd), sum(selfhosted_cost_usd)"
        " FROM marts.daily_model_spend"
    ).fetchone()
    if not span or span[0] is None:
        console.print("[yellow]No usage in the warehouse yet.[/]")
        return
    first, last, days, requests, cost, savings, unpriced, contracted, selfhosted = span
    under_contract = f" ({money(contracted)} under your contracts)" if contracted != cost else ""
    gpus = f", plus {money(selfhosted)} of self-hosted GPU time" if selfhosted else ""
    console.print(
        f"\n[bold]Spend {first} .. {last}[/] ({days} days): [bold green]{money(cost)}[/] list cost{under_contract}"
        f"{gpus} over {requests:,} requests; prompt caching saved [bold]{money(savings)}[/]."
    )
    table = Table(title="Spend per model", show_lines=False)
    table.add_column("provider/model", overflow="fold")
    for name in ("requests", "input tok", "cached tok", "output tok", "list cost", "cache saved", "unpriced"):
        table.add_column(name, justify="right")
    rows = conn.execute(
        "SELECT provider, model, sum(requests), sum(input_tokens + cache_write_5m_tokens + cache_write_1h_tokens),"
        " sum(cache_read_tokens), sum(output_tokens), sum(list_cost_usd), sum(cache_savings_usd),"
        " sum(unpriced_requests) FROM marts.daily_model_spend GROUP BY ALL ORDER BY 7 DESC, 3 DESC"
    ).fetchall()
    for provider, model, reqs, tokens_in, tokens_cached, tokens_out, list_cost, saved, unpriced_n in rows:
        table.add_row(f"{provider}/{model}", f"{reqs:,}", _tokens(tokens_in), _tokens(tokens_cached),
                      _tokens(tokens_out), money(list_cost), money(saved),
                      f"[red]{unpriced_n:,}[/]" if unpriced_n else "0")
    console.print(table)

    projects = conn.execute(
        "SELECT project, sum(list_cost_usd), sum(requests) FROM marts.daily_project_spend"
        " GROUP BY ALL ORDER BY 2 DESC LIMIT 8"
    ).fetchall()
    console.print("[bold]By project:[/] " + "; ".join(f"{p} {money(c)}" for p, c, _ in projects))
    for name, days_up, gpu_cost, per_million, idle in conn.execute(
            "SELECT deployment, count(*), sum(gpu_cost_usd), sum(gpu_cost_usd) * 1000000"
            " / nullif(sum(input_tokens + output_tokens), 0), sum(idle_cost_usd) FROM marts.selfhosted_daily"
            " GROUP BY ALL ORDER BY 1").fetchall():
        console.print(f"[bold]Self-hosted[/] {name}: {money(gpu_cost)} of GPU time over {days_up} days, "
                      + (f"{money(per_million)} per 1M tokens" if per_million is not None else "no tokens served")
                      + (f", {money(idle)} idle" if idle is not None else "") + " (marts.selfhosted_daily)")
    for name, committed, spent, used, elapsed in conn.execute(
        "SELECT contract_name, commitment_usd, contracted_spend_usd, share_consumed, share_of_term_elapsed"
        " FROM marts.contract_commitments ORDER BY contract_name"
    ).fetchall():
        console.print(f"[bold]Commitment[/] {name}: {money(spent)} of {money(committed)} used ({used:.1%}), "
                      f"{elapsed:.1%} of the term elapsed")

    if unpriced:
        missing = conn.execute(
            "SELECT provider, model_raw, cost_status, sum(requests) FROM core.usage_priced"
            " WHERE cost_status <> 'priced' AND event_id NOT IN (SELECT event_id FROM core.gpu_allocation)"
            " GROUP BY ALL ORDER BY 4 DESC LIMIT 10"
        ).fetchall()
        console.print(f"[bold red]Unpriced:[/] {unpriced:,} requests have no price and are not in the totals:")
        for provider, model_raw, status, n in missing:
            console.print(f"  {provider}/{model_raw}: {n:,} requests ({status})")
    rejects = conn.execute(
        "SELECT count(*), count(DISTINCT source_file) FROM raw.rejects"
    ).fetchone() or (0, 0)
    if rejects[0]:
        console.print(f"[bold yellow]Rejected:[/] {rejects[0]:,} lines in {rejects[1]} files, for example:")
        for source_file, line, reason in conn.execute(
            "SELECT source_file, source_line, reason FROM raw.rejects ORDER BY source_file, source_line LIMIT 5"
        ).fetchall():
            where = f"{source_file}:{line}" if line is not None else source_file
            console.print(f"  {where}: {reason}")
    _print_outlook(conn, console)
    console.print(f"\nWarehouse: [bold]{warehouse}[/]")


def _print_outlook(conn: duckdb.DuckDBPyConnection, console: Console) -> None:
    """The latest run's month-end projection, budgets and the anomaly episodes still open."""
    latest = conn.execute("SELECT max(generated_on) FROM marts.month_end_projection").fetchone()
    if latest and latest[0] is not None:
        row = conn.execute(
            "SELECT month, mtd_actual_usd, projected_usd, lo_80_usd, hi_80_usd FROM marts.month_end_projection"
            " WHERE generated_on = ? AND level = 'total'", [latest[0]]).fetchone()
        if row:
            console.print(f"Month end {row[0]:%B %Y}: ${row[1]:,.2f} so far, projected ${row[2]:,.2f} "
                          f"(80%: ${row[3]:,.2f} to ${row[4]:,.2f}); forecasts in marts.spend_forecast")
        for name, month, actual, amount, projected in conn.execute(
                "SELECT budget, month, actual_usd, amount_usd, projected_usd FROM marts.budget_status"
                " WHERE generated_on = ? ORDER BY budget, month", [latest[0]]).fetchall():
            console.print(f"Budget {name} {month:%Y-%m}: ${actual:,.2f} of ${amount:,.2f} ({actual / amount:.0%}),"
                          f" projected ${projected:,.2f} ({projected / amount:.0%})")
    for status, explanation in conn.execute(
            "SELECT status, explanation FROM marts.spend_anomalies WHERE status <> 'closed' AND covered_by IS NULL"
            " ORDER BY impact_usd DESC LIMIT 5").fetchall():
        console.print(f"[bold yellow]Anomaly ({status}):[/] {explanation}")
    for lever, project, provider, model, target, saving in conn.execute(
            "SELECT lever, project, provider, model, target, monthly_saving_usd FROM marts.savings_opportunities"
            " WHERE monthly_saving_usd > 0 ORDER BY monthly_saving_usd DESC LIMIT 3").fetchall():
        console.print(f"Saving: ${saving:,.2f}/month from {lever} on {project} {provider}/{model} -> {target}"
                      " (marts.savings_opportunities, meterline whatif)", markup=False)


def _delta(old: Decimal | None, new: Decimal | None) -> str:
    if old is None or new is None:
        return "-"
    return f"{'+' if new >= old else '-'}${abs(new - old):,.4f}"


def print_reprice(console: Console, outcome: RepriceOutcome) -> None:
    """What a re-price changed, per day, provider and model; the same rows are in core.reprice_log."""
    changes = outcome.changes
    if not changes:
        console.print(f"Re-priced {outcome.days} days (run {outcome.run_id}): no figure changed.")
        return
    table = Table(title=f"Re-price {outcome.reprice_id}: what changed")
    table.add_column("day")
    table.add_column("provider/model", overflow="fold")
    for name in ("requests", "old list", "new list", "change", "old contracted", "new contracted", "versions"):
        table.add_column(name, justify="right")
    for c in changes:
        table.add_row(str(c.usage_date), f"{c.provider}/{c.model}", f"{c.requests:,}", _money4(c.old_list),
                      _money4(c.new_list), _delta(c.old_list, c.new_list), _money4(c.old_contracted),
                      _money4(c.new_contracted), f"{(c.old_version or '-')[:7]} -> {(c.new_version or '-')[:7]}")
    console.print(table)
    old = sum((c.old_list or Decimal(0) for c in changes), Decimal(0))
    new = sum((c.new_list or Decimal(0) for c in changes), Decimal(0))
    console.print(f"{len(changes)} day x model rows changed over {outcome.days} days: list cost {_money4(old)} -> "
                  f"{_money4(new)} ({_delta(old, new)}). Logged in core.reprice_log as reprice_id "
                  f"{outcome.reprice_id}; the old rates stay in core.price_rates under their catalogue version.")


def _money4(value: Decimal | None) -> str:
    return "-" if value is None else f"${value:,.4f}"
