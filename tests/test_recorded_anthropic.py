"""Anthropic responses as recorded (`tests/fixtures/recorded/SOURCES.md`), priced through the real pipeline.

The top-level `usage` of a Messages response sums its `message` iterations only. A `compaction` iteration (the
context summarised before the answer) is billed as well, at the response's model; an `advisor_message` iteration is
billed at the model it names. Before, only the top level was read: the compaction request below was priced at
$0.000762 (229 input and 5 output tokens) instead of $0.209637.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipelines.run_path import run_pipeline
from pipelines.settings import Settings
from tests.conftest import envelope, make_settings, read, write_jsonl

RECORDED = Path(__file__).parent / "fixtures" / "recorded" / "anthropic"
FILES = ("compaction-usage-with-cache", "compaction-end-to-end-turn1", "advisor-tool", "task-budget")


def _recorded(name: str) -> dict[str, Any]:
    return orjson.loads((RECORDED / f"{name}.json").read_bytes())


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("recorded"))
    write_jsonl(settings.landing / "anthropic.jsonl",
                [envelope("2026-03-10T12:00:00Z", _recorded(name)) for name in FILES])
    run_pipeline(settings)
    return settings


def test_iterations_beside_the_answer_are_billed(recorded_run: Settings) -> None:
    rows = read(recorded_run, """
        SELECT event_id, model, input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
               output_tokens FROM core.usage_events ORDER BY event_id""")
    ids = {name: _recorded(name)["id"] for name in FILES}
    assert sorted(rows) == sorted([
        (f"anthropic:{ids['advisor-tool']}", "claude-sonnet-5", 2390, 0, 0, 0, 121),
        (f"anthropic:{ids['advisor-tool']}:iterations[1]", "claude-opus-4-8", 2518, 0, 0, 0, 22),
        # 220 + 55,196 input, 8 + 125 output
        (f"anthropic:{ids['compaction-end-to-end-turn1']}", "claude-sonnet-4-6", 220 + 55196, 0, 0, 0, 8 + 125),
        # 229 + 100 input, 5 + 131 output, and the compaction's cache writes
        (f"anthropic:{ids['compaction-usage-with-cache']}", "claude-sonnet-4-6", 229 + 100, 0, 55096, 0, 5 + 131),
        (f"anthropic:{ids['task-budget']}", "claude-opus-4-7", 53, 0, 0, 0, 14),
    ])


def test_a_compaction_is_priced_at_the_response_model(recorded_run: Settings) -> None:
    (status, cost), = read(recorded_run, "SELECT cost_status, list_cost_usd FROM core.usage_priced WHERE event_id = ?",
                           [f"anthropic:{_recorded('compaction-usage-with-cache')['id']}"])
    # claude-sonnet-4-6 at $3 input, $3.75 5-minute cache write, $15 output per 1M:
    # 329 x 3 + 55,096 x 3.75 + 136 x 15 = 987 + 206,610 + 2,040 = 209,637 per 1M
    assert (status, cost) == ("priced", Decimal("0.209637"))
