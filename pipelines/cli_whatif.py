"""`meterline whatif`: ad-hoc what-if savings on the priced traffic, with the assumptions shown."""

from __future__ import annotations

import sys
from decimal import Decimal

import click
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from models.savings import SavingsFile, Swap
from pipelines.pricing.catalogue import CatalogueError, load_catalogue
from pipelines.pricing.rates import build_rate_card
from pipelines.settings import Settings
from pipelines.summary import money
from pipelines.warehouse import WarehouseLocked, connect
from pipelines.whatif.config import load_savings
from pipelines.whatif.levers import Opportunity, Pricer
from pipelines.whatif.opportunities import find_basis, find_opportunities, load_volumes, unknown_targets


def _swap(value: str) -> Swap:
    source, _, target = value.partition("=")
    try:
        if source and target:
            return Swap.model_validate({"from": source, "to": target})
    except ValidationError:
        pass
    raise click.UsageError(f"--swap expects FROM=TO with model ids (e.g. gpt-4.1=gpt-4.1-mini, or "
                           f"claude-opus-4-5=openai/gpt-4.1), got {value!r}")


def _adhoc(config: SavingsFile, swaps: tuple[str, ...]) -> SavingsFile:
    """The file's settings with only the swaps asked for, and no self-host deployments."""
    return config.model_copy(update={"swaps": [_swap(value) for value in swaps], "self_host": []})


def _table(found: list[Opportunity]) -> Table:
    table = Table(title="What if", title_justify="left")
    figures = ("cost", "what if", "saving / month", "ratio")
    for name in ("lever", "project", "model", "to", *figures):
        table.add_column(name, justify="right" if name in figures else "left")
    for o in sorted(found, key=lambda o: o.monthly_saving_usd, reverse=True):
        target = o.target
        if o.crossover_tokens_per_month is not None and o.tokens_per_month is not None:
            target += (f" (pays off above {o.crossover_tokens_per_month / 1_000_000:,.0f}M tokens/month; now "
                       f"{o.tokens_per_month / 1_000_000:,.1f}M)")
        table.add_row(o.lever, escape(o.project), escape(f"{o.provider}/{o.model}"), escape(target),
                      money(o.current_cost_usd), money(o.whatif_cost_usd), money(o.monthly_saving_usd),
                      f"{o.price_ratio}" if o.price_ratio is not None else "")
    return table


@click.command("whatif")
@click.option("--warehouse", help="DuckDB file [env METERLINE_WAREHOUSE; default ./warehouse/meterline.duckdb]")
@click.option("--pricing", help="Pricing catalogue folder [env METERLINE_PRICING; default: bundled]")
@click.option("--savings", help="Savings file: basis days, model classes, swaps, self-host deployments [env "
              "METERLINE_SAVINGS; default: savings.yaml beside the warehouse, else none]")
@click.option("--project", help="Only this project ('(none)' for traffic without one)")
@click.option("--swap", "swaps", multiple=True, help="FROM=TO: price FROM's traffic on TO (model id or provider/model);"
              " repeatable")
@click.option("--cache-hit", type=click.FloatRange(0, 1), help="Price the traffic at this cache hit rate (0..1)")
@click.option("--batch", "with_batch", is_flag=True, help="Price the interactive traffic through the batch API")
@click.option("--from", "date_from", help="First day of traffic, YYYY-MM-DD (default: the basis days before --to)")
@click.option("--to", "date_to", help="Last day of traffic, YYYY-MM-DD (default: the last day with priced spend)")
def whatif(warehouse: str | None, pricing: str | None, savings: str | None, project: str | None,
           swaps: tuple[str, ...], cache_hit: float | None, with_batch: bool, date_from: str | None,
           date_to: str | None) -> None:
    """What the priced traffic would cost with more cache hits, through batch, or on another model.

    With no lever given, every lever of the savings file is priced (as in marts.savings_opportunities).
    """
    # pipelines.cli imports this module to register the command: its helpers are fully loaded only by now.
    from pipelines.cli import _day, console, err

    settings = Settings.resolve(None, warehouse, pricing, None, None, savings)
    first, last = _day(date_from, "--from"), _day(date_to, "--to")
    adhoc = bool(swaps) or cache_hit is not None or with_batch
    try:
        config = load_savings(settings.savings)
        catalogue = load_catalogue(settings.pricing)
        if not settings.warehouse.is_file():
            raise CatalogueError(f"warehouse {settings.warehouse} does not exist: run `meterline run` first")
        with connect(settings.warehouse, read_only=True) as conn:
            basis = find_basis(conn, config.basis_days, first, last)
            volumes = load_volumes(conn, basis, project) if basis else []
    except (CatalogueError, WarehouseLocked) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(1)
    if basis is None or not volumes:
        err.print("[yellow]no priced traffic[/] in that range" + (f" for project {escape(project)}" if project else ""))
        sys.exit(1)
    pricer = Pricer(build_rate_card(catalogue), catalogue.exchange_rates)
    if adhoc:
        config = _adhoc(config, swaps)
        target = Decimal(str(cache_hit)) if cache_hit is not None else None
        found = find_opportunities(volumes, pricer, config, basis, cache_target=target, with_batch=with_batch)
        if target is None:
            found = [o for o in found if o.lever != "cache"]
    else:
        found = find_opportunities(volumes, pricer, config, basis)
    missing = unknown_targets(config, volumes, pricer)
    if missing:
        err.print("[yellow]warning:[/] not in the catalogue, so not priced: " + escape(", ".join(missing))
                  + " (another vendor's model needs provider/model)")
    console.print(f"Traffic {basis.first} .. {basis.last} ({basis.days} days"
                  + (f", project {escape(project)}" if project else "") + "): cost and what if over those days, at"
                  " the catalogue rates in force when each model was last used; savings per 30-day month.")
    if not found:
        console.print("No lever applies: the models have no cached-input or batch price, or no swap target is"
                      " priced.")
        return
    console.print(_table(found))
    console.print("Assumptions:")
    for assumption in dict.fromkeys(o.assumption for o in found):
        console.print(f"  - {escape(assumption)}")
