"""`meterline` on the command line: its version, arguments caught before anything is read, the files it finds."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner

from pipelines.cli import main
from pipelines.settings import Settings


def test_version() -> None:
    shown = CliRunner().invoke(main, ["--version"])
    assert shown.exit_code == 0
    assert shown.output == f"meterline {version('meterline')}\n"


def test_from_after_to_is_refused_before_the_landing_is_read(tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "wh" / "meterline.duckdb"
    landing.mkdir()
    for command in (["run", "--landing", str(landing)], ["reprice"]):
        shown = CliRunner().invoke(main, [*command, "--warehouse", str(warehouse), "--from", "2026-03-10",
                                          "--to", "2026-03-01"])
        assert shown.exit_code == 2
        assert "--from 2026-03-10 is after --to 2026-03-01" in shown.output
    assert not warehouse.parent.exists()  # nothing was opened, let alone ingested


def test_contracts_yaml_beside_the_warehouse_is_read_like_alerts_yaml(tmp_path: Path
) -> None:
    warehouse = tmp_path / "wh" / "meterline.duckdb"
    warehouse.parent.mkdir()
    assert Settings.resolve(tmp_path, warehouse).contracts is None
    (warehouse.parent / "contracts.yaml").write_text("contracts: []\n")
    (warehouse.parent / "alerts.yaml").write_text("channels: []\n")
    found = Settings.resolve(tmp_path, warehouse)
    assert (found.contracts, found.alerts) == (warehouse.parent / "contracts.yaml", warehouse.parent / "alerts.yaml")
    # One in a catalogue folder of your own wins, and a flag over both.
    catalogue = tmp_path / "pricing"
    catalogue.mkdir()
    (catalogue / "contracts.yaml").write_text("contracts: []\n")
    assert Settings.resolve(tmp_path, warehouse, catalogue).contracts == catalogue / "contracts.yaml"
    named = tmp_path / "mine.yaml"
    assert Settings.resolve(tmp_path, warehouse, catalogue, named).contracts == named
