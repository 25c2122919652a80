"""Malformed and adversarial records against every parser (hypothesis): no crash, no negative token count, and
every record accounted for as rows, rejects or skips.

Each example takes a realistic record of one format (`pipelines/demo/formats.py`) and damages it: keys deleted,
values swapped for the wrong type, negative or huge numbers, empty containers, text where counts belong.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.demo.formats import (
    DOCUMENT_SAMPLES,
    JSONL_SAMPLES,
    LITELLM_CSV,
    OPENAI_USAGE_CSV,
    litellm_row,
    openai_usage_row,
)
from pipelines.ingest.files import compression_of
from pipelines.ingest.parse import INTERNAL_ERROR, FileResult, parse_file, parse_records

AT = datetime(2026, 3, 10, 9, 0, 0)
SHA = "cd" * 32
TOKEN_COLUMNS = ("input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
                 "output_tokens", "reasoning_tokens", "input_audio_tokens", "output_audio_tokens",
                 "input_image_tokens", "output_image_tokens", "web_search_requests", "requests")
SAMPLES: list[Any] = [sample.build(index, AT, "text") for sample in (*JSONL_SAMPLES, *DOCUMENT_SAMPLES)
                      for index in (0, 2)]
SAMPLES += [dict(zip(OPENAI_USAGE_CSV, openai_usage_row(0, AT), strict=True)),
            dict(zip(LITELLM_CSV, litellm_row(0, AT, "text"), strict=True))]

ADVERSARIAL = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12), st.sampled_from(["", "-1", "1e400",
                                                                                            "12.5", "NaN"]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=6), st.integers(), max_size=3),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _copy(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_copy(value) for value in node]
    return node


@st.composite
def damaged_records(draw: st.DrawFn) -> Any:
    record = _copy(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(record)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = record
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(ADVERSARIAL)
    return record


def _check(tables: list[tuple[str, pa.Table]], result: FileResult, records: int) -> None:
    usage = [table for kind, table in tables if kind == "usage"]
    rows = pa.concat_tables(usage).to_pylist() if usage else []
    for row in rows:
        for column in TOKEN_COLUMNS:
            assert row[column] >= 0, (column, row[column])
        assert row["reasoning_tokens"] <= row["output_tokens"]
        assert row["model_raw"]
    accounted = len(rows) + result.cost_rows + len(result.rejects) + result.skipped
    assert accounted >= records
    # The parser's safety net catches what a mapper did not foresee; every such case is a mapper bug to fix.
    assert not [reject.reason for reject in result.rejects if INTERNAL_ERROR in reject.reason]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_records())
def test_a_damaged_record_is_a_row_a_reject_or_a_skip(record: Any) -> None:
    result = FileResult(source_file="fuzz.jsonl")
    tables = list(parse_records([(1, None, record)], SHA, result))
    _check(tables, result, 1)


@settings(max_examples=150, deadline=None)
@given(st.lists(damaged_records(), min_size=1, max_size=6))
def test_a_file_of_damaged_records_never_stops_the_file(records: list[Any]) -> None:
    result = FileResult(source_file="fuzz.jsonl")
    tables = list(parse_records([(line, None, record) for line, record in enumerate(records, 1)], SHA, result))
    _check(tables, result, len(records))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_are_rejected_or_read_never_raise(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "garbage"
        path.write_bytes(data)
        result = FileResult(source_file=str(path))
        tables = list(parse_file(path, compression_of(path), SHA, result))
        if not result.recognised:
            assert tables == [] and len(result.rejects) == 1
        _check(tables, result, 0)
