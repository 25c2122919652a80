"""`meterline pricing ...`: check the catalogue and quote one request line by line."""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import click
from rich.console import Console

from pipelines.pricing.aliases import ModelIndex
from pipelines.pricing.catalogue import Catalogue, CatalogueError, load_catalogue
from pipelines.pricing.quote import TOKEN_RATES, Usage, quote
from pipelines.pricing.rates import build_rate_rows
from pipelines.settings import Settings

console = Console(soft_wrap=True, highlight=False)
_PER_1M = Decimal(1_000_000)
_LABELS = {"input": "input (uncached)", "cache_read": "cache read", "cache_write_5m": "cache write 5m",
           "cache_write_1h": "cache write 1h", "output": "output"}


def _plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 2.5, 10, 0.000215."""
    return f"{value.normalize():f}"


def _load(pricing: str | None) -> Catalogue:
    try:
        return load_catalogue(Settings.resolve(pricing=pricing).pricing)
    except CatalogueError as exc:
        Console(stderr=True, soft_wrap=True, highlight=False).print(f"error: {exc}")
        sys.exit(1)


@click.group()
def pricing() -> None:
    """Check the pricing catalogue and quote requests against it."""


@pricing.command()
@click.option("--pricing", "pricing_dir", help="Catalogue folder [env METERLINE_PRICING; default: bundled]")
@click.option("--stale-days", default=180, show_default=True, help="Warn when an entry was checked longer ago")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, for CI jobs")
def validate(pricing_dir: str | None, stale_days: int, strict: bool) -> None:
    """Validate the schema, overlaps and aliases (errors), and report gaps and stale entries (warnings)."""
    catalogue = _load(pricing_dir)
    warnings = catalogue_warnings(catalogue, datetime.now(UTC).date(), stale_days)
    periods = sum(len(m.prices) for p in catalogue.providers.values() for m in p.models)
    models = sum(len(p.models) for p in catalogue.providers.values())
    for line in warnings:
        console.print(f"warning: {line}")
    console.print(f"{len(catalogue.providers)} providers, {models} models, {periods} price periods, catalogue "
                  f"version {catalogue.version}: {len(warnings)} warnings")
    if strict and warnings:
        sys.exit(1)


def catalogue_warnings(catalogue: Catalogue, today: date, stale_days: int) -> list[str]:
    """Gaps between a model's price periods, and entries not checked within `stale_days`."""
    found: list[str] = []
    oldest = today - timedelta(days=stale_days)
    for provider, entries in sorted(catalogue.providers.items()):
        for entry in entries.models:
            periods = sorted(entry.prices, key=lambda p: p.effective_from)
            for earlier, later in itertools.pairwise(periods):
                if earlier.effective_to is not None and earlier.effective_to < later.effective_from:
                    found.append(f"{provider}/{entry.id}: no price from {earlier.effective_to:%Y-%m-%d} "
                                 f"to {later.effective_from:%Y-%m-%d}")
            for period in periods:
                if period.checked < oldest:
                    found.append(f"{provider}/{entry.id} from {period.effective_from:%Y-%m-%d}: last checked "
                                 f"{period.checked}, more than {stale_days} days ago")
    return found


@pricing.command(name="quote")
@click.option("--provider", required=True, help="openai, anthropic, google ...")
@click.option("--model", required=True, help="Model id as logged; aliases and dated ids resolve")
@click.option("--input", "input_tokens", default=0, show_default=True,
              help="Uncached input tokens (cache reads and writes not included)")
@click.option("--cache-read", default=0, show_default=True, help="Input tokens read from the cache")
@click.option("--cache-write-5m", default=0, show_default=True, help="Input tokens written with a 5-minute TTL")
@click.option("--cache-write-1h", default=0, show_default=True, help="Input tokens written with a 1-hour TTL")
@click.option("--output", "output_tokens", default=0, show_default=True, help="Output tokens, reasoning included")
@click.option("--web-search", default=0, show_default=True, help="Web-search calls")
@click.option("--tier", default="standard", show_default=True,
              type=click.Choice(["standard", "priority", "flex", "scale"]), help="Service tier as served")
@click.option("--batch", is_flag=True, help="Sent through a batch API")
@click.option("--at", "at", help="When, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS UTC (default: now)")
@click.option("--pricing", "pricing_dir", help="Catalogue folder [env METERLINE_PRICING; default: bundled]")
def quote_command(provider: str, model: str, input_tokens: int, cache_read: int, cache_write_5m: int,
                  cache_write_1h: int, output_tokens: int, web_search: int, tier: str, batch: bool,
                  at: str | None, pricing_dir: str | None) -> None:
    """Price one request and show each line with the rule that produced it."""
    catalogue = _load(pricing_dir)
    try:
        moment = datetime.fromisoformat(at) if at else datetime.now(UTC).replace(tzinfo=None)
    except ValueError:
        raise click.UsageError(f"--at expects YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, got {at!r}") from None
    canonical, known = ModelIndex.from_catalogue(catalogue).resolve(provider, model)
    usage = Usage(provider=provider, model=canonical, event_time=moment, service_tier=tier, is_batch=batch,
                  input_tokens=input_tokens, cache_read_tokens=cache_read, cache_write_5m_tokens=cache_write_5m,
                  cache_write_1h_tokens=cache_write_1h, output_tokens=output_tokens, web_search_requests=web_search)
    result = quote(build_rate_rows(catalogue), usage)
    console.print(f"{provider}/{canonical} at {moment:%Y-%m-%d %H:%M:%S} UTC, {tier}{', batch' if batch else ''}, "
                  f"catalogue {catalogue.version}")
    if result.rate is None:
        reason = "not in the catalogue" if not known else "no price for this date, tier and batch combination"
        console.print(f"{result.cost_status}: {reason}")
        sys.exit(1)
    rate = result.rate
    console.print(f"rule: {rate.rate_id} ({rate.source}, checked {rate.checked})")
    if rate.context_above:
        console.print(f"  long-context band: input_total {usage.input_total:,} > {rate.context_above:,} tokens")
    for usage_field, rate_field in TOKEN_RATES:
        count = getattr(usage, usage_field)
        per_token = rate.per_token(rate_field)
        if not count:
            continue
        if per_token is None:
            console.print(f"  {_LABELS[rate_field]:<17}{count:>12,} tokens  x  no rate in the catalogue")
            continue
        console.print(f"  {_LABELS[rate_field]:<17}{count:>12,} tokens  x  ${_plain(per_token * _PER_1M)} / 1M"
                      f"  = ${_plain(result.costs[rate_field])}")
    if web_search:
        if rate.web_search is None:
            console.print(f"  {'web search':<17}{web_search:>12,} calls   x  no rate in the catalogue")
        else:
            console.print(f"  {'web search':<17}{web_search:>12,} calls   x  ${_plain(rate.web_search * 1000)} / 1k"
                          f"  = ${_plain(result.costs['web_search'])}")
    if result.list_cost_usd is None:
        console.print(f"{result.cost_status}: some usage has no rate, so there is no total")
        sys.exit(1)
    console.print(f"  {'total':<17}{'':>12}                        ${_plain(result.list_cost_usd)}")

