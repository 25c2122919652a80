"""`meterline report`: a period's spend in the terminal and, with --html, as one page that opens offline."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.markup import escape

from pipelines.settings import Settings


@click.command()
@click.option("--from", "date_from", help="First day, YYYY-MM-DD (default: 29 days before the last day, or the first"
              " day with spend if later)")
@click.option("--to", "date_to", help="Last day, YYYY-MM-DD (default: the last day with spend)")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report, charts and tables, to this self-contained HTML file")
@click.option("--warehouse", help="DuckDB file [env METERLINE_WAREHOUSE; default ./warehouse/meterline.duckdb]")
def report(date_from: str | None, date_to: str | None, html_file: Path | None, warehouse: str | None) -> None:
    """Spend for a period: totals, spend per model, forecast, anomalies and the month-end projection."""
    # pipelines.cli imports this module to register the command: its helpers are fully loaded only by now.
    from pipelines.cli import _day, console, err
    from pipelines.report.data import ReportError, load_report
    from pipelines.report.terminal import print_report
    from pipelines.warehouse import WarehouseLocked, connect

    first, last = _day(date_from, "--from"), _day(date_to, "--to")
    settings = Settings.resolve(None, warehouse, None)
    if not settings.warehouse.is_file():
        err.print(f"[bold red]error:[/] warehouse {escape(str(settings.warehouse))} does not exist")
        sys.exit(1)
    try:
        with connect(settings.warehouse, read_only=True) as conn:
            data = load_report(conn, first, last)
    except (ReportError, WarehouseLocked) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(1)
    print_report(data, console)
    if html_file is None:
        return
    from pipelines.report.html import render_html

    target = html_file.expanduser().resolve()
    # Written aside and renamed, so a browser or a sync never picks up half a report.
    aside = target.with_name(target.name + ".tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        aside.write_text(render_html(data), encoding="utf-8")
        os.replace(aside, target)
    except OSError as exc:
        aside.unlink(missing_ok=True)
        err.print(f"[bold red]error:[/] cannot write {escape(str(target))}: {escape(str(exc))}")
        sys.exit(1)
    console.print(f"HTML report: [bold]{escape(str(target))}[/] ({target.stat().st_size:,} bytes)", soft_wrap=True)
