"""Real responses of many providers and hosts, as recorded (`fixtures/recorded/SOURCES.md`), through one real run.

Each file's expected outcome was worked out by hand from the README's format rules and the catalogue
(`fixtures/recorded/expected.yaml`, with the arithmetic): how many requests it holds, their cost status and their
list cost to the micro-dollar and beyond. Records are wrapped in the meterline envelope only for what the response
lacks (a time, a model, the host that served it). Shapes meterline does not read (Realtime and Live API messages,
embeddings without output counts, transcription, the Gemini Interactions API, Cohere's v2 stream, xAI's gRPC stream)
are expected as rejects, so reading one later shows here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import make_settings, read

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
EXPECTED: list[dict[str, Any]] = yaml.safe_load((RECORDED / "expected.yaml").read_text())
# Read by tests of their own (test_recorded_anthropic.py, test_recorded_claude_code.py).
ELSEWHERE = {"anthropic/compaction-usage-with-cache.json", "anthropic/compaction-end-to-end-turn1.json",
             "anthropic/advisor-tool.json", "anthropic/task-budget.json"}


def _landing_name(file: str) -> str:
    return file.replace("/", "__").removesuffix(".json").removesuffix(".jsonl") + ".jsonl"


def _records(entry: dict[str, Any]) -> list[Any]:
    raw = (RECORDED / entry["file"]).read_bytes()
    records = [orjson.loads(raw)] if entry["file"].endswith(".json") else \
        [orjson.loads(line) for line in raw.splitlines() if line.strip()]
    wrap = entry.get("envelope")
    return [{**wrap, "response": record} for record in records] if wrap else records


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("payloads"))
    settings.landing.mkdir(parents=True, exist_ok=True)
    for entry in EXPECTED:
        lines = b"".join(orjson.dumps(record) + b"\n" for record in _records(entry))
        (settings.landing / _landing_name(entry["file"])).write_bytes(lines)
    run_pipeline(settings)
    return settings


@pytest.mark.parametrize("entry", EXPECTED, ids=[entry["file"] for entry in EXPECTED])
def test_each_recorded_response_is_read_and_priced_as_worked_out_by_hand(recorded_run: Settings,
                                                                        entry: dict[str, Any]) -> None:
    source = str(recorded_run.landing / _landing_name(entry["file"]))
    ids = [event for (event,) in read(recorded_run, "SELECT DISTINCT event_id FROM staging.usage_records"
                                                    " WHERE source_file = ?", [source])]
    rejects = read(recorded_run, "SELECT reason FROM raw.rejects WHERE source_file = ?", [source])
    if entry["status"] == "rejected":
        assert ids == [] and rejects, entry["notes"] if "notes" in entry else entry["file"]
        return
    assert rejects == []
    assert len(ids) == entry["rows"]
    # By event id, not file: two recordings with the same placeholder id are one request to the warehouse.
    priced = read(recorded_run, "SELECT cost_status, list_cost_usd FROM core.usage_priced"
                                " WHERE event_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
    assert len(priced) == entry["rows"]
    statuses = entry["status"] if isinstance(entry["status"], list) else [entry["status"]] * entry["rows"]
    assert sorted(status for status, _ in priced) == sorted(statuses)
    # The warehouse keeps money to 12 decimals (a rate converted from CNY has more).
    expected = Decimal(entry["cost_usd"]).quantize(Decimal("1e-12"), ROUND_HALF_UP)
    assert sum((cost or Decimal(0) for _, cost in priced), Decimal(0)) == expected


def test_every_recorded_file_has_its_source_and_its_expected_outcome() -> None:
    files = {str(path.relative_to(RECORDED)) for path in RECORDED.rglob("*.json*")
             if path.parent.name != "claude_code"}
    listed = [entry["file"] for entry in EXPECTED]
    assert len(listed) == len(set(listed))
    assert files - ELSEWHERE == set(listed)
    sources = (RECORDED / "SOURCES.md").read_text()
    assert [file for file in listed if f"`{file}`" not in sources] == []
    providers = {file.split("/")[0] for file in listed}
    assert len(listed) >= 100 and len(providers) >= 20
    # Dedup of the two 'stub' recordings is the one shared id; any other would hide a file's row.
    shared = [entry["file"] for entry in EXPECTED if "same_id_as" in entry]
    assert shared == ["groq/chat_stream_compound_web_search.jsonl"]
