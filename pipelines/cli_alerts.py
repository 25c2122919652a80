"""`meterline alerts ...`: try every channel, and send what the outbox holds."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from rich.console import Console

from pipelines.pricing.catalogue import CatalogueError
from pipelines.settings import Settings
from pipelines.warehouse import WarehouseLocked

console = Console()
err = Console(stderr=True, soft_wrap=True, highlight=False)
_ALERTS = "Alerts file [env METERLINE_ALERTS; default: alerts.yaml beside the warehouse]"
_WAREHOUSE = "DuckDB file [env METERLINE_WAREHOUSE; default ./warehouse/meterline.duckdb]"


@click.group()
def alerts() -> None:
    """Alert channels and the alert outbox."""


@alerts.command(name="test")
@click.option("--alerts", "alerts_file", help=_ALERTS)
@click.option("--warehouse", help=_WAREHOUSE)
def test_command(alerts_file: str | None, warehouse: str | None) -> None:
    """Send a test message to every configured channel, now, outside the outbox."""
    from pipelines.alerts.channels import DeliveryError, send
    from pipelines.alerts.config import load_alerts
    from pipelines.alerts.message import Message

    settings = Settings.resolve(None, warehouse, None, None, alerts_file)
    try:
        config = load_alerts(settings.alerts)
    except CatalogueError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
    if not config.channels:
        where = settings.alerts or "no alerts file"
        err.print(f"[bold red]error:[/] no channels configured ({where})")
        sys.exit(1)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    failed = 0
    for channel in config.channels:
        message = Message(alert_id=f"test:{channel.name}:{stamp}", kind="test", severity="info",
                          title="meterline test alert", text=f"A test of the {channel.name} channel ({channel.type}),"
                          f" sent {stamp}. Nothing is wrong.", details={"channel": channel.name})
        try:
            send(channel, message)
            console.print(f"[green]sent[/]   {channel.name} ({channel.type})")
        except DeliveryError as exc:
            failed += 1
            console.print(f"[red]failed[/] {exc}")
    sys.exit(1 if failed else 0)


@alerts.command(name="deliver")
@click.option("--alerts", "alerts_file", help=_ALERTS)
@click.option("--warehouse", help=_WAREHOUSE)
def deliver_command(alerts_file: str | None, warehouse: str | None) -> None:
    """Send the outbox's pending deliveries that are due (what the alert_delivery sensor does each minute)."""
    from pipelines.alerts.config import load_alerts
    from pipelines.alerts.outbox import channel_router, deliver_due, route_live_alerts, utc_now
    from pipelines.warehouse import connect

    settings = Settings.resolve(None, warehouse, None, None, alerts_file)
    if not settings.warehouse.is_file():
        err.print(f"[bold red]error:[/] warehouse {settings.warehouse} does not exist")
        sys.exit(1)
    try:
        config = load_alerts(settings.alerts)
        # Channels added to the file since the live alerts were raised get them now, not at the next run.
        with connect(settings.warehouse) as conn:
            route_live_alerts(conn, channel_router(config), utc_now())
        report = deliver_due(settings.warehouse, config)
    except (CatalogueError, WarehouseLocked) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        sys.exit(1)
    console.print(f"{report.sent} sent, {report.failed} failed (still pending, retried after backoff)")
    for error in report.errors:
        console.print(f"[yellow]warning:[/] {error}")
