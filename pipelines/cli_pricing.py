"""`meterline pricing ...`: check the catalogue and quote one request line by line."""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fnmatch import fnmatchcase

import click
from rich.console import Console

from models.contracts import Contract
from models.pricing import HardwarePeriod, PricePeriod
from pipelines.pricing.aliases import ModelIndex
from pipelines.pricing.catalogue import Catalogue, CatalogueError, load_catalogue
from pipelines.pricing.contracts import Contracts, load_contracts
from pipelines.pricing.quote import Quote, Usage, quote
from pipelines.pricing.rates import build_rate_card
from pipelines.settings import Settings

console = Console(soft_wrap=True, highlight=False)
_PER_1M = Decimal(1_000_000)


def _plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 2.5, 10, 0.000215."""
    return f"{value.normalize():f}"


def _load(pricing: str | None) -> Catalogue:
    try:
        return load_catalogue(Settings.resolve(pricing=pricing).pricing)
    except CatalogueError as exc:
        Console(stderr=True, soft_wrap=True, highlight=False).print(f"error: {exc}")
        sys.exit(1)


# Token and call counts: a negative one would quote a negative cost.
COUNT = click.IntRange(min=0)


@click.group()
def pricing() -> None:
    """Check the pricing catalogue and quote requests against it."""


@pricing.command()
@click.option("--pricing", "pricing_dir", help="Catalogue folder [env METERLINE_PRICING; default: bundled]")
@click.option("--stale-days", default=180, show_default=True, help="Warn when an entry was checked longer ago")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, for CI jobs")
@click.option("--contracts", "contracts_file", help="Also check this contract overlay [env METERLINE_CONTRACTS]")
def validate(pricing_dir: str | None, stale_days: int, strict: bool, contracts_file: str | None) -> None:
    """Validate the schema, overlaps and aliases (errors), and report gaps and stale entries (warnings)."""
    catalogue = _load(pricing_dir)
    warnings = catalogue_warnings(catalogue, datetime.now(UTC).date(), stale_days)
    try:
        contracts = load_contracts(Settings.resolve(contracts=contracts_file).contracts)
    except CatalogueError as exc:
        Console(stderr=True, soft_wrap=True, highlight=False).print(f"error: {exc}")
        sys.exit(1)
    warnings += contract_warnings(catalogue, contracts) + currency_warnings(catalogue)
    entries = [entry for p in catalogue.providers.values() for entry in (*p.models, *p.hardware)]
    periods = sum(len(entry.prices) for entry in entries)
    models = sum(len(p.models) for p in catalogue.providers.values())
    for line in warnings:
        console.print(f"warning: {line}")
    console.print(f"{len(catalogue.providers)} providers, {models} models, {len(entries) - models} hardware SKUs, "
                  f"{periods} price periods, catalogue version {catalogue.version}: {len(warnings)} warnings")
    if strict and warnings:
        sys.exit(1)


def contract_warnings(catalogue: Catalogue, contracts: Contracts) -> list[str]:
    """Contract terms that can never apply: an unknown provider, or patterns that match no catalogue model."""
    found: list[str] = []
    for contract in contracts.terms.contracts:
        where = f"{contracts.path}: contract {contract.name}"
        entries = catalogue.providers.get(contract.provider)
        if entries is None:
            found.append(f"{where}: provider {contract.provider} is not in the catalogue")
            continue
        ids = [entry.id for entry in entries.models]
        for pattern in contract.models:
            # On a platform that bills hardware, a pattern may name the user's own apps and models.
            if contract.rates is None and not entries.hardware and not any(fnmatchcase(m, pattern) for m in ids):
                found.append(f"{where}: pattern {pattern!r} matches no {contract.provider} model")
        earlier = next((e for e in contracts.terms.contracts[:contracts.terms.contracts.index(contract)]
                        if _hides(e, contract)), None)
        if earlier is not None:
            found.append(f"{where}: never prices anything, contract {earlier.name} above it covers the same "
                         "requests first")
    return found


def _hides(first: Contract, later: Contract) -> bool:
    """`first` prices every request `later` could: same provider, every pattern covered, a term that contains it."""
    prices = first.discount_percent is not None or first.rates is not None
    later_prices = later.discount_percent is not None or later.rates is not None
    ends_later = first.effective_to is None or (
        later.effective_to is not None and later.effective_to <= first.effective_to)
    return (prices and later_prices and first.provider == later.provider
            and first.effective_from <= later.effective_from and ends_later
            and all(any(fnmatchcase(pattern, cover) for cover in first.models) for pattern in later.models))


def currency_warnings(catalogue: Catalogue) -> list[str]:
    """Non-USD periods that start before their currency's first exchange rate: they would be unpriced_fx."""
    found: list[str] = []
    for provider, entries in sorted(catalogue.providers.items()):
        if entries.currency == "USD":
            continue
        first = min(r.effective_from for r in catalogue.exchange_rates.rates if r.currency == entries.currency)
        for entry in (*entries.models, *entries.hardware):
            for period in entry.prices:
                if period.effective_from.date() < first:
                    found.append(f"{provider}/{entry.id} from {period.effective_from:%Y-%m-%d}: no {entries.currency}"
                                 f" exchange rate before {first}")
    return found


def catalogue_warnings(catalogue: Catalogue, today: date, stale_days: int) -> list[str]:
    """Gaps between a model's price periods, and entries not checked within `stale_days`."""
    found: list[str] = []
    oldest = today - timedelta(days=stale_days)
    for provider, entries in sorted(catalogue.providers.items()):
        for entry in (*entries.models, *entries.hardware):
            periods: list[PricePeriod] | list[HardwarePeriod] = sorted(entry.prices, key=lambda p: p.effective_from)
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
@click.option("--provider", required=True, help="Who bills it: openai, anthropic, google, bedrock, vertex ...")
@click.option("--model", required=True, help="Model id as logged; aliases, dated ids and Bedrock ids resolve")
@click.option("--platform", default="direct", show_default=True,
              help="Serving platform (bedrock, vertex, azure ...); its catalogue is tried first")
@click.option("--input", "input_tokens", default=0, show_default=True, type=COUNT,
              help="Uncached text input tokens (cache reads and writes not included)")
@click.option("--cache-read", default=0, show_default=True, type=COUNT, help="Input tokens read from the cache")
@click.option("--cache-write-5m", default=0, show_default=True, type=COUNT,
              help="Input tokens written with a 5-minute TTL")
@click.option("--cache-write-1h", default=0, show_default=True, type=COUNT,
              help="Input tokens written with a 1-hour TTL")
@click.option("--output", "output_tokens", default=0, show_default=True, type=COUNT,
              help="Text output tokens, reasoning included")
@click.option("--reasoning", default=0, show_default=True, type=COUNT, help="Of the output, reasoning tokens")
@click.option("--input-audio", default=0, show_default=True, type=COUNT, help="Uncached audio input tokens")
@click.option("--output-audio", default=0, show_default=True, type=COUNT, help="Audio output tokens")
@click.option("--input-image", default=0, show_default=True, type=COUNT, help="Image input tokens billed as images")
@click.option("--output-image", default=0, show_default=True, type=COUNT, help="Image output tokens")
@click.option("--cache-storage-hours", default="0", show_default=True, help="Explicit cache held, in token-hours")
@click.option("--web-search", default=0, show_default=True, type=COUNT, help="Web-search calls")
@click.option("--web-search-used", default=0, show_default=True, type=COUNT,
              help="Calls already made in the free allowance's day or month")
@click.option("--hardware", help="The SKU the request ran on, for platforms that bill time (gpu-a100-large, h100)")
@click.option("--seconds", "compute_seconds", default="0", show_default=True,
              help="Seconds of one unit of --hardware (GPU-seconds on Modal, instance-seconds on Replicate)")
@click.option("--tier", default="standard", show_default=True,
              type=click.Choice(["standard", "priority", "flex", "scale", "fast"]), help="Service tier as served")
@click.option("--batch", is_flag=True, help="Sent through a batch API")
@click.option("--scope", "endpoint_scope", type=click.Choice(["global", "geo", "in_region"]),
              help="Endpoint scope (default: from the model id's prefix, else global)")
@click.option("--at", "at", help="When, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS UTC (default: now)")
@click.option("--pricing", "pricing_dir", help="Catalogue folder [env METERLINE_PRICING; default: bundled]")
@click.option("--contracts", "contracts_file", help="Contract overlay YAML [env METERLINE_CONTRACTS]")
def quote_command(provider: str, model: str, platform: str, input_tokens: int, cache_read: int,
                  cache_write_5m: int, cache_write_1h: int, output_tokens: int, reasoning: int, input_audio: int,
                  output_audio: int, input_image: int, output_image: int, cache_storage_hours: str,
                  web_search: int, web_search_used: int, hardware: str | None, compute_seconds: str, tier: str,
                  batch: bool, endpoint_scope: str | None,
                  at: str | None, pricing_dir: str | None, contracts_file: str | None) -> None:
    """Price one request and show each line with the rule that produced it."""
    catalogue = _load(pricing_dir)
    try:
        contracts = load_contracts(Settings.resolve(contracts=contracts_file).contracts)
    except CatalogueError as exc:
        Console(stderr=True, soft_wrap=True, highlight=False).print(f"error: {exc}")
        sys.exit(1)
    try:
        moment = datetime.fromisoformat(at) if at else datetime.now(UTC).replace(tzinfo=None)
    except ValueError:
        raise click.UsageError(f"--at expects YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, got {at!r}") from None
    try:
        storage = Decimal(cache_storage_hours)
    except ArithmeticError:
        raise click.UsageError(f"--cache-storage-hours expects a number, got {cache_storage_hours!r}") from None
    try:
        seconds = Decimal(compute_seconds)
    except ArithmeticError:
        raise click.UsageError(f"--seconds expects a number, got {compute_seconds!r}") from None
    if not seconds.is_finite() or seconds < 0:
        raise click.UsageError(f"--seconds expects a number of seconds, 0 or more, got {compute_seconds!r}")
    if seconds and not hardware:
        raise click.UsageError("--seconds counts time on --hardware: name the hardware too")
    if reasoning > output_tokens:
        raise click.UsageError("--reasoning counts part of --output, so it cannot exceed it")
    if provider not in catalogue.providers:
        raise click.UsageError(f"--provider {provider!r} is not in the catalogue; it has "
                               f"{', '.join(sorted(catalogue.providers))}")
    resolved = ModelIndex.from_catalogue(catalogue).resolve(provider, model, platform)
    scope = endpoint_scope or resolved.endpoint_scope or "global"
    # Seconds of hardware are priced by the platform that ran them (the vendor for direct calls), as in the run.
    billing = resolved.price_provider if not hardware else provider if platform == "direct" else platform
    usage = Usage(provider=billing, model=resolved.model, event_time=moment, service_tier=tier,
                  is_batch=batch, endpoint_scope=scope, input_tokens=input_tokens, cache_read_tokens=cache_read,
                  cache_write_5m_tokens=cache_write_5m, cache_write_1h_tokens=cache_write_1h,
                  output_tokens=output_tokens, reasoning_tokens=reasoning, input_audio_tokens=input_audio,
                  output_audio_tokens=output_audio, input_image_tokens=input_image, output_image_tokens=output_image,
                  cache_storage_token_hours=storage, web_search_requests=web_search,
                  web_search_used_before=web_search_used,
                  hardware=hardware.strip().lower() if hardware else None, compute_seconds=seconds)
    result = quote(build_rate_card(catalogue), usage, catalogue.exchange_rates, list(contracts.terms.contracts))
    console.print(f"{billing}/{resolved.model}{f' on {usage.hardware}' if usage.hardware else ''} at"
                  f" {moment:%Y-%m-%d %H:%M:%S} UTC, {tier}{', batch' if batch else ''}, scope {scope},"
                  f" catalogue {catalogue.version}")
    if result.rate is None:
        reason = (f"hardware {usage.hardware} is not in the {billing} catalogue" if usage.hardware
                  else "not in the catalogue" if not resolved.known
                  else "no price for this date, tier, batch and scope combination")
        console.print(f"{result.cost_status}: {reason}")
        _print_contracted(result)
        sys.exit(1)
    _print_lines(result, usage)
    if result.list_cost_usd is None:
        reason = (f"no {result.rate.currency} exchange rate in force at that time" if result.cost_status ==
                  "unpriced_fx" else "some usage has no rate")
        console.print(f"{result.cost_status}: {reason}, so there is no list total")
        _print_contracted(result)
        sys.exit(1)
    if result.rate.currency != "USD":
        label = f"total in {result.rate.currency}"
        console.print(f"  {label:<23}{'':>12}{'':>28}{result.rate.currency} {_plain(result.list_cost_original or 0)}"
                      f" x {_plain(result.usd_per_unit or 0)} USD/{result.rate.currency}")
    console.print(f"  {'total':<23}{'':>12}{'':>28}${_plain(result.list_cost_usd)}")
    _print_contracted(result)


def _print_contracted(result: Quote) -> None:
    if result.contract is not None and result.contracted_cost_usd is not None:
        console.print(f"  {'contracted':<23}{'':>12}{'':>28}${_plain(result.contracted_cost_usd)}"
                      f"   (contract {result.contract.name})")


def _print_lines(result: Quote, usage: Usage) -> None:
    rate = result.rate
    assert rate is not None
    console.print(f"rule: {rate.rate_id} ({rate.source}, checked {rate.checked})")
    if rate.context_above:
        measure = usage.input_uncached if rate.context_measure == "input_uncached" else usage.input_total
        console.print(f"  long-context band: {rate.context_measure} {measure:,} > {rate.context_above:,} tokens")
    if rate.window_id:
        console.print(f"  time window: {rate.window_id.rsplit('/', 1)[1]} applies at {usage.event_time:%a %H:%M} UTC")
    if result.web_search_free:
        console.print(f"  free allowance: {result.web_search_free:,} of {usage.web_search_requests:,} web searches "
                      f"free ({rate.web_search_free_calls:,} per {rate.web_search_free_period})")
    for line in result.lines:
        per, unit_label = _display_unit(line.rate_column)
        quantity = f"{line.quantity:,}" if line.unit not in ("token-hours", "seconds") else _plain(line.quantity)
        head = f"  {line.label:<23}{quantity:>12} {line.unit:<11}"
        if line.rate is None or line.cost is None:
            console.print(f"{head} x  no rate in the catalogue")
            continue
        note = "" if line.rate_column == line.own_column else f" ({line.rate_column} rate)"
        console.print(f"{head} x  {_money(rate.currency)}{_plain(line.rate * per)} / {unit_label}{note}"
                      f"  = {_money(rate.currency)}{_plain(line.cost)}")


def _display_unit(column: str) -> tuple[Decimal, str]:
    if column == "web_search":
        return Decimal(1000), "1k"
    if column == "cache_storage":
        return _PER_1M, "1M token-hours"
    if column == "compute_second":
        return Decimal(1), "second"
    return _PER_1M, "1M"


def _money(currency: str) -> str:
    return "$" if currency == "USD" else f"{currency} "


@pricing.command(name="compare")
@click.option("--at", "at", help="Compare the prices in force on this day at 03:00 UTC, YYYY-MM-DD (default: today)")
@click.option("--pricing", "pricing_dir", help="Catalogue folder [env METERLINE_PRICING; default: bundled]")
@click.option("--explained/--unexplained-only", default=True, show_default=True,
              help="Also list the differences the catalogue or a documented rule explains")
def compare_command(at: str | None, pricing_dir: str | None, explained: bool) -> None:
    """Compare every model both catalogues list with genai-prices; exit 1 on an unexplained difference."""
    from pipelines.pricing.compare import CompareUnavailable, compare_moment, compare_rates, genai_prices_version

    catalogue = _load(pricing_dir)
    try:
        day = date.fromisoformat(at) if at else datetime.now(UTC).date()
    except ValueError:
        raise click.UsageError(f"--at expects YYYY-MM-DD, got {at!r}") from None
    try:
        result = compare_rates(catalogue, compare_moment(day))
    except CompareUnavailable as exc:
        Console(stderr=True, soft_wrap=True, highlight=False).print(f"error: {exc}")
        sys.exit(2)
    unexplained = [d for d in result.disagreements if d.explanation is None]
    shown = result.disagreements if explained else unexplained
    for d in sorted(shown, key=lambda d: (d.explanation is not None, d.provider, d.model, d.variant, d.rate)):
        ours = "none" if d.ours is None else _plain(d.ours)
        theirs = "none" if d.theirs is None else _plain(d.theirs)
        status = f"explained: {d.explanation}" if d.explanation else "UNEXPLAINED"
        console.print(f"{d.provider}/{d.model} ({d.variant}) {d.rate}: meterline {ours}, genai-prices {theirs}"
                      f"  -- {status}", markup=False)
    console.print(f"genai-prices {genai_prices_version()} on {day}: {result.compared_models} models and "
                  f"{result.compared_rates} rates compared; {len(result.disagreements)} differ, "
                  f"{len(unexplained)} unexplained; {len(result.not_in_theirs)} models genai-prices does not list")
    if unexplained:
        sys.exit(1)
