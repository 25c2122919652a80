"""The `meterline` command: the demo, runs over a landing folder, admin-API pulls, the summary, the catalogue tools."""

from __future__ import annotations

import logging
import shutil
import sys
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from pipelines.cli_alerts import alerts
from pipelines.cli_pricing import pricing
from pipelines.cli_report import report
from pipelines.cli_whatif import whatif
from pipelines.pricing.catalogue import CatalogueError
from pipelines.run_lock import WarehouseBusy
from pipelines.settings import Settings
from pipelines.warehouse import WarehouseLocked

if TYPE_CHECKING:
    from pipelines.run_path import RunOutcome

console = Console()
if not console.is_terminal:
    # Piped or logged output gets room for the spend table instead of rich's 80-column default.
    console = Console(width=130)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def _quiet_dagster() -> None:
    # The CLI reports in its own words; Dagster's event stream stays in the run history for the UI.
    warnings.filterwarnings("ignore")
    logging.getLogger("dagster").setLevel(logging.WARNING)


def _day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.UsageError(f"{flag} expects YYYY-MM-DD, got {value!r}") from None


def _days(date_from: str | None, date_to: str | None) -> tuple[date | None, date | None]:
    """--from and --to, refused when they are the wrong way round before anything is read (found after an ingest,
    the run would have loaded the landing for nothing)."""
    first, last = _day(date_from, "--from"), _day(date_to, "--to")
    if first and last and first > last:
        raise click.UsageError(f"--from {first} is after --to {last}")
    return first, last


def _execute(settings: Settings, first: date | None, last: date | None) -> None:
    from pipelines.run_path import RunError, run_pipeline

    try:
        with console.status("Running the asset graph through Dagster (ingest, then price the days)..."):
            outcome = run_pipeline(settings, first, last)
    except (RunError, CatalogueError, WarehouseLocked, WarehouseBusy) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
    if outcome.nothing_new:
        console.print(f"Nothing new: {outcome.files_skipped} files in the ledger, every day built with the current "
                      "catalogue, contracts and settings, monitoring current; nothing rebuilt.")
        _print_alerts(outcome)
        return
    if outcome.recovered_runs:
        console.print(f"[yellow]note:[/] {len(outcome.recovered_runs)} Dagster run(s) a killed meterline process had "
                      "left open were marked failed and their pool slots freed: "
                      + ", ".join(outcome.recovered_runs))
    console.print(
        f"Ingested {outcome.files_loaded} new or changed files ({outcome.files_skipped} unchanged, skipped"
        + (f"; {outcome.files_duplicate} of them hold the bytes of files already loaded from another path"
           if outcome.files_duplicate else "") + "): "
        f"{outcome.rows_loaded:,} usage rows, {outcome.cost_rows:,} provider cost rows, "
        f"{outcome.rows_rejected:,} rejected records, {outcome.records_skipped:,} skipped (not usage: stream chunks,"
        " failed calls)."
    )
    for (first, last), run_id in zip(outcome.blocks, outcome.daily_run_ids, strict=True):
        console.print(f"Rebuilt days {first} .. {last} in one Dagster run ({run_id}).")
    if not outcome.blocks:
        console.print("No day needed rebuilding: every day is built from its current rows and inputs.")
    if not outcome.monitored:
        console.print("Forecasts, anomalies, budgets, savings and the published copy are current: not recomputed.")
    for note in outcome.warnings:
        console.print(f"[yellow]warning:[/] {note}")
    _print_alerts(outcome)


def _print_alerts(outcome: RunOutcome) -> None:
    if outcome.alerts_raised or outcome.alerts_sent or outcome.delivery_errors:
        console.print(f"Alerts: {outcome.alerts_raised} raised, {outcome.alerts_sent} deliveries sent, "
                      f"{len(outcome.delivery_errors)} failed (pending, retried later).")
    for error in outcome.delivery_errors:
        console.print(f"[yellow]warning:[/] {error}")


def _print_summary(settings: Settings) -> None:
    from pipelines.summary import print_summary
    from pipelines.warehouse import connect

    with connect(settings.warehouse, read_only=True) as conn:
        print_summary(conn, console, settings.warehouse)


def demo_contracts(first_day: date) -> str:
    """The demo's contract overlay: the shape of a real one, kept beside the public catalogue (see README)."""
    return f"""\
contracts:
  - name: openai-enterprise-example
    provider: openai
    models: ["gpt-4.1*", "gpt-5*"]
    effective_from: {first_day}
    effective_to: {first_day + timedelta(days=365)}
    discount_percent: 15
    commitment_usd: 2000
    notes: an example negotiated discount and annual commitment; list_cost_usd stays the public price
"""


# The demo's alerts file: a budget to show budget_status; no channel, so nothing is sent anywhere.
DEMO_ALERTS = """\
budgets:
  - {name: all-llm-spend, amount_usd: 250, thresholds: [0.8, 1]}
"""


# The demo's savings file: a model swap, a class of cheaper models and a self-hosted deployment to price against.
DEMO_SAVINGS = """\
classes:
  workhorse: [openai/gpt-4.1-mini, anthropic/claude-haiku-4-5, google/gemini-2.5-flash]
swaps:
  - {from: gpt-4.1, to: gpt-4.1-mini}
  - {from: "claude-opus-*", to_class: workhorse}
self_host:
  - {name: llama-70b-2xh100, gpu_type: H100, gpus: 2, usd_per_gpu_hour: 2.5, tokens_per_second: 3000,
     replaces: ["gpt-4.1*", "claude-*"]}
"""


@click.group()
@click.version_option(package_name="meterline", message="meterline %(version)s")
def main() -> None:
    """meterline: LLM usage logs in, priced daily spend out."""
    _quiet_dagster()


@main.command()
@click.option("--landing", help="Folder of usage logs [env METERLINE_LANDING; default ./landing]")
@click.option("--warehouse", help="DuckDB file [env METERLINE_WAREHOUSE; default ./warehouse/meterline.duckdb]")
@click.option("--pricing", help="Pricing catalogue folder [env METERLINE_PRICING; default: bundled]")
@click.option("--contracts", help="Contract overlay YAML [env METERLINE_CONTRACTS; default: contracts.yaml in the "
              "catalogue folder, else beside the warehouse, else none]")
@click.option("--alerts", "alerts_file", help="Alerts file: channels, budgets, anomaly thresholds [env "
              "METERLINE_ALERTS; default: alerts.yaml beside the warehouse, else none]")
@click.option("--savings", help="Savings file: model swaps and self-hosted deployments to price the traffic against "
              "[env METERLINE_SAVINGS; default: savings.yaml beside the warehouse, else caching and batch only]")
@click.option("--selfhosted", help="Self-hosted GPU deployments whose cost is allocated to the requests they served "
              "[env METERLINE_SELFHOSTED; default: selfhosted.yaml beside the warehouse, else none]")
@click.option("--from", "date_from", help="First day to rebuild, YYYY-MM-DD (default: first day present)")
@click.option("--to", "date_to", help="Last day to rebuild, YYYY-MM-DD (default: last day present)")
def run(landing: str | None, warehouse: str | None, pricing: str | None, contracts: str | None,
        alerts_file: str | None, savings: str | None, selfhosted: str | None, date_from: str | None,
        date_to: str | None) -> None:
    """Ingest new files, rebuild the daily partitions, then forecast, score anomalies, price the what-if savings and
    raise alerts."""
    first, last = _days(date_from, date_to)
    settings = Settings.resolve(landing, warehouse, pricing, contracts, alerts_file, savings, selfhosted)
    _execute(settings, first, last)
    _print_summary(settings)


@main.command()
@click.option("--dir", "directory", default="meterline-demo", show_default=True,
              help="Where to write the sample logs and the warehouse (replaced on each demo)")
@click.option("--days", default=90, show_default=True, help="Days of traffic to generate")
@click.option("--end", help="Last day of traffic, YYYY-MM-DD (default: yesterday, UTC)")
def demo(directory: str, days: int, end: str | None) -> None:
    """Write sample OpenAI, Anthropic and Gemini logs, run the whole pipeline on them, and summarise."""
    from pipelines.demo.generate import generate

    root = Path(directory).resolve()
    last = _day(end, "--end") or (datetime.now(UTC).date() - timedelta(days=1))
    landing = root / "landing"
    warehouse = root / "meterline.duckdb"
    shutil.rmtree(landing, ignore_errors=True)
    warehouse.unlink(missing_ok=True)
    with console.status("Writing sample logs..."):
        files = generate(landing, last, days=days)
    console.print(f"Wrote {files.requests:,} requests ({files.first_day} .. {files.last_day}) and "
                  f"{files.malformed_lines} malformed lines into {len(files.files)} files under {landing}")
    contracts = root / "contracts.yaml"
    contracts.write_text(demo_contracts(files.first_day), encoding="utf-8")
    alerts = root / "alerts.yaml"
    alerts.write_text(DEMO_ALERTS, encoding="utf-8")
    savings = root / "savings.yaml"
    savings.write_text(DEMO_SAVINGS, encoding="utf-8")
    settings = Settings.resolve(landing, warehouse, None, contracts, alerts, savings)
    _execute(settings, None, None)
    _print_summary(settings)
    home = warehouse.parent / "dagster_home"
    analytics = warehouse.parent / "analytics.duckdb"
    console.print(
        "\n[bold]Next:[/]\n"
        f"  query it:   duckdb -readonly {analytics} "
        "\"FROM marts.daily_model_spend ORDER BY usage_date DESC LIMIT 10\"\n"
        f"              or, without the duckdb CLI: {sys.executable} -c \"import duckdb; print(duckdb.connect("
        f"'{analytics}', read_only=True).sql('FROM marts.daily_model_spend ORDER BY usage_date DESC LIMIT 10'))\"\n"
        "              (analytics.duckdb is the published copy for BI tools; the pipeline writes meterline.duckdb)\n"
        f"  contracts:  {contracts} holds an example discount and commitment (contracted_cost_usd,"
        " marts.contract_commitments)\n"
        f"  alerts:     {alerts} holds an example budget; add channels to be alerted (README: Forecasts, anomalies,"
        " budgets and alerts)\n"
        f"  savings:    meterline whatif --warehouse {warehouse} --savings {savings}   (or --swap A=B, --cache-hit"
        " 0.6, --batch)\n"
        f"  report:     meterline report --warehouse {warehouse} --html {root / 'report.html'}\n"
        f"  Dagster UI: DAGSTER_HOME={home} METERLINE_LANDING={landing} METERLINE_WAREHOUSE={warehouse} "
        f"METERLINE_CONTRACTS={contracts} METERLINE_ALERTS={alerts} METERLINE_SAVINGS={savings} "
        f"{Path(sys.executable).parent / 'dagster'} dev   (then open http://127.0.0.1:3000)\n"
        f"  your logs:  meterline run --landing DIR --warehouse FILE",
        soft_wrap=True,
    )


@main.command(name="pull")
@click.argument("provider", type=click.Choice(["openai", "anthropic"]))
@click.option("--since", help="First UTC day to fetch, YYYY-MM-DD (default: the last complete day pulled before, "
              "less METERLINE_PULL_RESTATE_DAYS; on the first pull, 30 days ago)")
@click.option("--landing", help="Folder the day files go under, in pulled/ [env METERLINE_LANDING; default ./landing]")
@click.option("--warehouse", help="DuckDB file holding the cursor [env METERLINE_WAREHOUSE; default "
              "./warehouse/meterline.duckdb]")
@click.option("--run", "then_run", is_flag=True, help="Then ingest and rebuild, as `meterline run` does")
def pull_command(provider: str, since: str | None, landing: str | None, warehouse: str | None,
                 then_run: bool) -> None:
    """Fetch a provider's admin usage and cost reports into the landing folder (key from OPENAI_ADMIN_KEY or
    ANTHROPIC_ADMIN_KEY)."""
    from pipelines.pull import PROVIDERS, PullError, open_warehouse, pull_provider

    first = _day(since, "--since")
    settings = Settings.resolve(landing, warehouse, None)

    def progress(message: str) -> None:
        console.print(message, markup=False, highlight=False)

    try:
        with console.status(f"Pulling {provider}'s admin reports..."):
            records = pull_provider(PROVIDERS[provider], settings.landing, lambda: open_warehouse(settings.warehouse),
                                    since=first, notify=progress)
    except (PullError, WarehouseLocked) as exc:
        # Provider messages may hold brackets (the key's place is marked `[redacted]`): printed as they are.
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(1)
    days = max(record.days_fetched for record in records)
    written = sum(record.days_written for record in records)
    console.print(
        f"Pulled {provider}: {days} days ({min(r.first_day for r in records)} .. {records[0].last_complete_day} "
        f"complete, and today so far), "
        f"{sum(r.pages for r in records)} pages, {sum(r.rows for r in records):,} rows, "
        f"retries: {sum(r.retries for r in records)}; {written} day files written, "
        f"{sum(r.days_fetched for r in records) - written} unchanged, under {settings.landing / 'pulled' / provider}."
    )
    if not then_run:
        console.print("Run `meterline run` to ingest them (or pull with --run).")
        return
    _execute(settings, None, None)
    _print_summary(settings)


@main.group(name="export")
def export_group() -> None:
    """Write marts as files for other tools."""


@export_group.command(name="focus")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="parquet", show_default=True)
@click.option("--out", required=True, help="File to write (replaced whole)")
@click.option("--from", "date_from", help="First charge day, YYYY-MM-DD (default: all)")
@click.option("--to", "date_to", help="Last charge day, YYYY-MM-DD (default: all)")
@click.option("--warehouse", help="DuckDB file [env METERLINE_WAREHOUSE; default ./warehouse/meterline.duckdb]; the "
              "rows are read from its published copy")
def export_focus_command(fmt: str, out: str, date_from: str | None, date_to: str | None,
                         warehouse: str | None) -> None:
    """The FOCUS 1.2 rows (marts.focus_v1_2) as one CSV or Parquet file."""
    from pipelines.export import export_focus
    from pipelines.publish import analytics_path

    first, last = _days(date_from, date_to)
    settings = Settings.resolve(None, warehouse, None)
    target = Path(out).expanduser().resolve()
    try:
        rows = export_focus(analytics_path(settings.warehouse), target, fmt, first, last)
    except FileNotFoundError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
    console.print(f"Wrote {rows:,} FOCUS 1.2 rows to {target} ({fmt}).")


@main.command()
@click.option("--warehouse", help="DuckDB file [env METERLINE_WAREHOUSE; default ./warehouse/meterline.duckdb]")
def summary(warehouse: str | None) -> None:
    """Print the spend summary of an existing warehouse."""
    settings = Settings.resolve(None, warehouse, None)
    if not settings.warehouse.is_file():
        err.print(f"[bold red]error:[/] warehouse {settings.warehouse} does not exist")
        sys.exit(1)
    _print_summary(settings)


@main.command(name="reprice")
@click.option("--from", "date_from", required=True, help="First day to re-price, YYYY-MM-DD")
@click.option("--to", "date_to", required=True, help="Last day to re-price, YYYY-MM-DD")
@click.option("--warehouse", help="DuckDB file [env METERLINE_WAREHOUSE; default ./warehouse/meterline.duckdb]")
@click.option("--pricing", help="Pricing catalogue folder [env METERLINE_PRICING; default: bundled]")
@click.option("--contracts", help="Contract overlay YAML [env METERLINE_CONTRACTS; default: contracts.yaml in the "
              "catalogue folder, else beside the warehouse, else none]")
@click.option("--selfhosted", help="Self-hosted GPU deployments [env METERLINE_SELFHOSTED; default: selfhosted.yaml "
              "beside the warehouse, else none]")
def reprice_command(date_from: str, date_to: str, warehouse: str | None, pricing: str | None,
                    contracts: str | None, selfhosted: str | None) -> None:
    """After a catalogue or contract change, re-price the days and show what changed per day and model."""
    from pipelines.reprice import reprice
    from pipelines.run_path import RunError
    from pipelines.summary import print_reprice

    settings = Settings.resolve(None, warehouse, pricing, contracts, selfhosted=selfhosted)
    first, last = _days(date_from, date_to)
    assert first is not None and last is not None
    try:
        with console.status(f"Re-pricing {first} .. {last} through Dagster..."):
            outcome = reprice(settings, first, last)
    except (RunError, CatalogueError, WarehouseLocked, WarehouseBusy) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
    print_reprice(console, outcome)


main.add_command(pricing)
main.add_command(alerts)
main.add_command(report)
main.add_command(whatif)
