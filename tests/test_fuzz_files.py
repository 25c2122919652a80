"""Fuzzing whole landing files through the real ingest into a real DuckDB file: no crash, nothing lost.

Each format family gets more than 10,000 damaged records, built from the realistic records of every format of that
family (`pipelines/demo/formats.py`): keys deleted, values of the wrong type, negative, huge, NaN, infinite or
fractional counts, text where a count belongs, lines cut short, bytes that are not UTF-8, cells added or dropped.
Then files that are damaged as files: empty, binary, a cut gzip or zstd stream, a 10 MB line, a directory named
`*.jsonl`, a link loop, a broken link.

The accounting is counted by the test, per file: every record it wrote (a non-blank line, a CSV row, an element
of a JSON array) has a staged row or a reject with its line, or is one of the records the file declares skipped
(a stream's content chunks). A cut stream or document accounts for what follows the cut with one reject that says
where it broke.
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
import os
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
import zstandard

from pipelines.demo.formats import (
    DOCUMENT_SAMPLES,
    JSONL_SAMPLES,
    LITELLM_CSV,
    OPENAI_USAGE_CSV,
    litellm_row,
    openai_usage_row,
)
from pipelines.ingest.loader import IngestReport, ingest_landing
from pipelines.ingest.parse import INTERNAL_ERROR
from pipelines.warehouse import ensure_schema

AT = datetime(2026, 3, 10, 9, 0, 0)
PER_FAMILY = 10_200
NAME = "regexp_extract(source_file, '[^/]+$')"
TOKEN_COLUMNS = ("input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
                 "output_tokens", "reasoning_tokens", "input_audio_tokens", "output_audio_tokens",
                 "input_image_tokens", "output_image_tokens", "web_search_requests", "requests")
# Values a damaged record may hold where a count, a time, an id or an object belongs.
WRONG: list[Any] = [None, True, False, -1, -(2**63), 2**63 - 1, 10**15, 1e308, -0.0, 1.5, float(2**53), "", "-1",
                    "1e400", "NaN", "12.5", "7", "2026-13-45T25:61:00Z", "some words where a count belongs", [],
                    {}, [1, 2], {"a": 1}, [{"x": None}]]
# Bare JSON tokens orjson refuses or reads as a float: written into the line's text, not through a dict.
TOKENS = [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"18446744073709551616", b"-0", b"1.0e3"]
NOT_UTF8 = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x28\x8c\x28"]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def damaged(record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    record = orjson.loads(orjson.dumps(record))
    for _ in range(rng.randint(1, 3)):
        paths = _paths(record)
        if not paths:
            break
        *parents, last = rng.choice(paths)
        parent = record
        for part in parents:
            parent = parent[part]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[last]
        else:
            parent[last] = copy.deepcopy(rng.choice(WRONG))
    return record


def damaged_line(record: dict[str, Any], rng: random.Random) -> bytes:
    """A JSON line: damaged in its values (most), or in its bytes: cut short, not UTF-8, a bare token."""
    choice = rng.random()
    if choice < 0.7:
        return orjson.dumps(damaged(record, rng))
    line = orjson.dumps(record)
    if choice < 0.8:
        return line[: rng.randrange(1, len(line))]
    at = rng.randrange(1, len(line))
    if choice < 0.9:
        return line[:at] + rng.choice(NOT_UTF8) + line[at:]
    number = line.find(b":", at)
    return line[: number + 1] + rng.choice(TOKENS) + b"," + line[number + 1 :] if number > 0 else line + b"}"


def _sources(samples: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [sample.build(index, AT, "fuzzed text") for sample in samples for index in range(3)]


def _jsonl_family(folder: Path, rng: random.Random) -> dict[str, set[int]]:
    sources = _sources(JSONL_SAMPLES)
    lines = [damaged_line(rng.choice(sources), rng) for _ in range(PER_FAMILY)]
    payload = b"\n".join(lines) + b"\n"
    (folder / "family.jsonl").write_bytes(payload[: len(payload) // 2])
    (folder / "family.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(payload[len(payload) // 2 :]))
    first = payload[: len(payload) // 2].split(b"\n")
    second = payload[len(payload) // 2 :].split(b"\n")
    return {"family.jsonl": _records(first), "family.jsonl.zst": _records(second)}


def _records(lines: list[bytes]) -> set[int]:
    return {number for number, line in enumerate(lines, 1) if line.strip()}


def _document_family(folder: Path, rng: random.Random) -> dict[str, set[int]]:
    items = [damaged(rng.choice(_sources(DOCUMENT_SAMPLES)), rng) for _ in range(PER_FAMILY)]
    (folder / "family.json").write_bytes(orjson.dumps(items, option=orjson.OPT_INDENT_2))
    return {"family.json": set(range(1, PER_FAMILY + 1))}


def _damaged_row(row: list[str], rng: random.Random) -> list[str]:
    row = list(row)
    for _ in range(rng.randint(1, 3)):
        choice, at = rng.random(), rng.randrange(len(row))
        if choice < 0.6:
            row[at] = str(rng.choice(WRONG))
        elif choice < 0.8:
            del row[at]
        else:
            row.insert(at, "an extra cell")
    return row


def _csv_family(folder: Path, rng: random.Random) -> dict[str, set[int]]:
    expected = {}
    for name, header, build, delimiter in (
            ("family.tsv", OPENAI_USAGE_CSV, lambda i: openai_usage_row(i, AT), "\t"),
            ("family.csv", LITELLM_CSV, lambda i: litellm_row(i, AT, "fuzzed text"), ",")):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(_damaged_row(build(i), rng) for i in range(PER_FAMILY // 2))
        lines = buffer.getvalue().encode().split(b"\n")
        for index in rng.sample(range(1, len(lines) - 1), 100):
            lines[index] = lines[index] + rng.choice(NOT_UTF8)
        (folder / name).write_bytes(b"\n".join(lines))
        expected[name] = set(range(2, PER_FAMILY // 2 + 2))
    return expected


def _ingest(warehouse: Path, landing: Path) -> IngestReport:
    with duckdb.connect(str(warehouse)) as conn:
        ensure_schema(conn)
        return ingest_landing(conn, landing)


def _outcomes(warehouse: Path) -> dict[str, tuple[set[int], int, list[str]]]:
    """Per file: the lines with a staged row or a reject, the records it declared skipped, its reject reasons."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        found: dict[str, tuple[set[int], int, list[str]]] = {}
        for name, skipped in conn.execute("SELECT source_file, records_skipped FROM raw.file_ledger").fetchall():
            found[Path(name).name] = (set(), skipped, [])
        for name, line in conn.execute(
                "SELECT source_file, source_line FROM staging.usage_records UNION ALL"
                " SELECT source_file, source_line FROM staging.reported_costs UNION ALL"
                " SELECT source_file, source_line FROM raw.rejects").fetchall():
            found.setdefault(Path(name).name, (set(), 0, []))[0].add(line)
        for name, reason in conn.execute("SELECT source_file, reason FROM raw.rejects").fetchall():
            found[Path(name).name][2].append(reason)
        for column in TOKEN_COLUMNS:
            (negative,) = conn.execute(f"SELECT count(*) FROM staging.usage_records WHERE {column} < 0").fetchone()
            assert negative == 0, column
        (over,) = conn.execute(
            "SELECT count(*) FROM staging.usage_records WHERE reasoning_tokens > output_tokens").fetchone()
        assert over == 0
    return found


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, set[int]], IngestReport]:
    root = tmp_path_factory.mktemp("fuzz")
    landing = root / "landing"
    landing.mkdir()
    rng = random.Random(20261207)
    expected = {**_jsonl_family(landing, rng), **_document_family(landing, rng), **_csv_family(landing, rng)}
    warehouse = root / "fuzz.duckdb"
    return warehouse, landing, expected, _ingest(warehouse, landing)


def test_each_family_has_ten_thousand_damaged_records(fuzzed: tuple[Path, Path, dict[str, set[int]],
                                                                    IngestReport]) -> None:
    _, _, expected, _ = fuzzed
    families = {"jsonl": ("family.jsonl", "family.jsonl.zst"), "json": ("family.json",),
                "csv": ("family.tsv", "family.csv")}
    for family, names in families.items():
        assert sum(len(expected[name]) for name in names) >= 10_000, family


def test_every_damaged_record_is_a_row_a_reject_or_a_declared_skip(
        fuzzed: tuple[Path, Path, dict[str, set[int]], IngestReport]) -> None:
    warehouse, _, expected, report = fuzzed
    outcomes = _outcomes(warehouse)
    assert report.files_loaded == len(expected)
    for name, records in expected.items():
        covered, skipped, reasons = outcomes[name]
        assert covered <= records, name
        # The records with neither a row nor a reject are exactly as many as the file says it skipped, or fewer
        # (a skipped part may sit beside a kept one in a record).
        assert len(records - covered) <= skipped, (name, len(records - covered), skipped)
        assert len(covered) > len(records) // 10, name
        # The parser's safety net catches what a mapper did not foresee; every such case is a mapper bug.
        assert [reason for reason in reasons if INTERNAL_ERROR in reason] == [], name
    # The damage reached every kind of reject: a sample of the reasons.
    reasons = [reason for _, _, found in outcomes.values() for reason in found]
    for part in ("malformed JSON", "is not an integer", "negative token count", "CSV row has",
                 "CSV row is not valid UTF-8", "is out of range"):
        assert any(part in reason for reason in reasons), part


def _cut(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def test_files_damaged_as_files_are_rejected_with_a_reason_and_the_rest_loads(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "nested.jsonl").mkdir(parents=True)
    chat = {"id": "chatcmpl-{}", "object": "chat.completion", "created": 1773144000, "model": "gpt-4o-mini",
            "usage": {"prompt_tokens": 10, "completion_tokens": 2}}
    lines = [orjson.dumps({**chat, "id": f"chatcmpl-{i}"}) for i in range(3000)]
    payload = b"\n".join(lines) + b"\n"
    (landing / "nested.jsonl" / "inside.jsonl").write_bytes(payload[:4000])
    (landing / "empty.jsonl").write_bytes(b"")
    (landing / "blank.jsonl").write_bytes(b"\n  \n\n")
    (landing / "binary.jsonl").write_bytes(random.Random(7).randbytes(50_000))
    (landing / "cut.jsonl.gz").write_bytes(_cut(gzip.compress(payload, mtime=0)))
    (landing / "cut.jsonl.zst").write_bytes(_cut(zstandard.ZstdCompressor().compress(payload)))
    (landing / "fake.jsonl.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"not a frame" * 100)
    (landing / "cut.json").write_bytes(_cut(orjson.dumps([orjson.loads(line) for line in lines[:200]])))
    big = {**chat, "id": "chatcmpl-big", "choices": [{"message": {"content": "x" * (10 << 20)}}]}
    (landing / "ten_mb_lines.jsonl").write_bytes(orjson.dumps(big) + b"\n" + b"{" * (10 << 20) + b"\n" + lines[5])
    (landing / "not_utf8.jsonl").write_bytes(lines[7] + b"\n" + lines[8][:20] + b"\xff\xfe" + lines[8][20:]
                                             + b"\n" + lines[9] + b"\n")
    os.symlink("loop.jsonl", landing / "loop.jsonl")
    os.symlink(landing / "missing.jsonl", landing / "broken.jsonl")
    warehouse = tmp_path / "w.duckdb"
    first = _ingest(warehouse, landing)
    assert first.files_unreadable == 2
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = dict(conn.execute(f"SELECT {NAME}, count(*) FROM staging.usage_records GROUP BY ALL").fetchall())
        rejects: dict[str, list[tuple[int | None, str]]] = {}
        for name, line, reason in conn.execute(
                f"SELECT {NAME}, source_line, reason FROM raw.rejects ORDER BY ALL").fetchall():
            rejects.setdefault(name, []).append((line, reason))
        status = dict(conn.execute(f"SELECT {NAME}, status FROM raw.file_ledger").fetchall())
    assert rejects["empty.jsonl"] == rejects["blank.jsonl"] == [(None, "empty file: no records")]
    assert status["binary.jsonl"] == "rejected" and len(rejects["binary.jsonl"]) == 1
    [(line, reason)] = rejects["inside.jsonl"]
    assert rows["inside.jsonl"] == line - 1 and reason.startswith("malformed JSON")
    for name in ("cut.jsonl.gz", "cut.jsonl.zst"):
        [(line, reason)] = rejects[name]
        assert line is None and "truncated or corrupt after line" in reason
        kept = int(reason.split("after line ")[1].split(":")[0])
        # Every line up to the break is a row (the last may be cut mid-line, then it is a reject of its own).
        assert 0 < rows[name] <= kept <= rows[name] + 1 < 3000, (name, rows[name], kept)
    assert status["fake.jsonl.zst"] == "rejected" and "zstd" in rejects["fake.jsonl.zst"][0][1]
    [(line, reason)] = rejects["cut.json"]
    assert reason == f"malformed JSON document after record {line - 1}" and rows["cut.json"] == line - 1
    assert rows["ten_mb_lines.jsonl"] == 2 and [line for line, _ in rejects["ten_mb_lines.jsonl"]] == [2]
    assert rows["not_utf8.jsonl"] == 2 and rejects["not_utf8.jsonl"][0][0] == 2
    assert [reason for reason in rejects["loop.jsonl"] + rejects["broken.jsonl"]] == [
        (None, "a broken symbolic link or a link loop: nothing to read")] * 2
    # Again: nothing new is read, and no reject is written twice.
    second = _ingest(warehouse, landing)
    assert (second.files_loaded, second.files_unreadable) == (0, 2)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM raw.rejects").fetchone() == (sum(map(len, rejects.values())),)
