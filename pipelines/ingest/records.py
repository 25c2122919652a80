"""Split a landing file into records, whatever its layout: JSON lines, one JSON document, or CSV/TSV.

A record is yielded as (position, path, value). For JSON lines and CSV the position is the file's line number; for
a JSON document it is the record's ordinal and the path says where it sat (`data[3]`). Everything is streamed: a
JSON document's big array (`[...]`, `data`, `resourceSpans`) is read one element at a time.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson
import orjson

from pipelines.ingest.files import STREAM_ERRORS, TruncatedFile, open_stream, read_lines

Record = tuple[int, str | None, Any]
_PEEK = 1 << 16
_PEEK_MAX = 64 << 20
# Arrays whose elements are records, by ijson prefix: a bare top-level array, API pages, OTLP exports.
_STREAMED = {"item": "", "data.item": "data", "resourceSpans.item": "resourceSpans"}
_OPENERS = frozenset({"start_map", "start_array"})
_CLOSERS = frozenset({"end_map", "end_array"})


class Malformed:
    """A record that could not be decoded; carries the reject reason instead of a value."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def layout_of(path: Path, compression: str) -> str:
    """`jsonl`, `json` (one document), `csv` or `empty`, from the first decompressed bytes."""
    head = bytearray()
    with open_stream(path, compression) as stream:
        # A stream cut short still shows its layout; the record reader reports the truncation with line numbers.
        # Read on to the first line end (a JSON line may hold a long request body), within a bound.
        try:
            while len(head) < _PEEK or (b"\n" not in head and len(head) < _PEEK_MAX):
                block = stream.read1(1 << 16)
                if not block:
                    break
                head += block
        except STREAM_ERRORS as exc:
            if not head:
                raise TruncatedFile(f"{compression} stream is corrupt from its start: {exc}") from exc
    text = bytes(head).removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        return "empty"
    if text[:1] == b"[":
        return "json"
    # JSON lines when most whole lines decode alone; a pretty-printed document's lines mostly do not.
    lines = [line for line in text.split(b"\n")[:-1][:10] if line.strip()] or [text]
    decoded = 0
    for line in lines:
        with contextlib.suppress(orjson.JSONDecodeError):
            decoded += isinstance(orjson.loads(line), dict)
    if text[:1] != b"{":
        # No CSV line is a JSON object, so JSON lines whose first line is damaged are still JSON lines.
        return "jsonl" if decoded * 2 > len(lines) else "csv"
    return "jsonl" if decoded * 2 >= len(lines) else "json"


def jsonl_records(path: Path, compression: str) -> Iterator[Record]:
    for line, raw in read_lines(path, compression):
        if not raw.strip():
            continue
        try:
            yield line, None, orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield line, None, Malformed(f"malformed JSON: {exc}"[:300])


class _Overflow(Exception):
    """The fast parser met an integer beyond 64 bits, which is valid JSON."""


def json_records(path: Path, compression: str) -> Iterator[Record]:
    """Elements of each document's record array one by one; a document without one is a single record.

    Several documents may follow each other (`jq .` output): each is read the same way.
    """
    done = 0
    try:
        for item in _document_records(path, compression, ijson):
            done += 1
            yield item
    except _Overflow:
        # yajl reads integers in 64 bits and stops at a bigger one, which would lose every record after it; the
        # pure-Python parser reads any integer, so the file is read again with it from where the first one stopped.
        for index, item in enumerate(_document_records(path, compression, ijson.get_backend("python"))):
            if index >= done:
                yield item


def _document_records(path: Path, compression: str, backend: Any) -> Iterator[Record]:
    counters = dict.fromkeys(_STREAMED.values(), 0)
    root: Any = None
    root_depth = streamed = 0
    item: Any = None
    depth = 0
    ordinal = 0
    with open_stream(path, compression) as stream:
        try:
            for prefix, event, value in backend.parse(stream, use_float=True, multiple_values=True):
                if item is not None:
                    item.event(event, value)
                    depth += 1 if event in _OPENERS else -1 if event in _CLOSERS else 0
                    if depth == 0:
                        ordinal += 1
                        streamed += 1
                        yield ordinal, _path(prefix, counters), item.value
                        item = None
                    continue
                container = _STREAMED.get(prefix)
                if container is not None and event != "map_key" and event not in _CLOSERS:
                    item = ijson.ObjectBuilder()
                    item.event(event, value)
                    if event in _OPENERS:
                        depth = 1
                        continue
                    ordinal += 1
                    streamed += 1
                    yield ordinal, _path(prefix, counters), item.value
                    item = None
                    continue
                if root is None:
                    root, root_depth, streamed = ijson.ObjectBuilder(), 0, 0
                root.event(event, value)
                root_depth += 1 if event in _OPENERS else -1 if event in _CLOSERS else 0
                if root_depth == 0:
                    # A whole document ended: it is a record itself unless its array was streamed (or is empty).
                    if not streamed and root.value != []:
                        ordinal += 1
                        yield ordinal, None, root.value
                    root = None
        except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
            if "integer overflow" in str(exc) and backend is ijson:
                raise _Overflow from exc
            # The parser's message quotes the text around the fault, which may be a prompt: never keep it.
            yield ordinal + 1, None, Malformed(f"malformed JSON document after record {ordinal}")
            return
        except STREAM_ERRORS as exc:
            raise TruncatedFile(f"{compression} stream is truncated or corrupt after record {ordinal}: {exc}") from exc


def _path(prefix: str, counters: dict[str, int]) -> str:
    container = _STREAMED[prefix]
    index = counters[container]
    counters[container] = index + 1
    return f"{container}[{index}]"


def csv_records(path: Path, compression: str) -> Iterator[Record]:
    """Rows as dicts of text keyed by the header; a tab in the header line makes it TSV."""
    # Exports that store prompts in a column (LiteLLM `messages`) have cells beyond csv's default 128 KiB limit.
    csv.field_size_limit(sys.maxsize)
    line = 1
    with open_stream(path, compression) as stream:
        # Bytes that are not UTF-8 spoil their row, not the rest of the file: they are kept as surrogates, found
        # below, and that row alone is rejected. Rows are only searched once the decoder has met such bytes.
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors=_COUNTED, newline="")
        clean = _decode_errors[0]
        try:
            header = text.readline()
            delimiter = "\t" if "\t" in header else ","
            names = next(csv.reader([header], delimiter=delimiter), [])
            reader = csv.DictReader(text, fieldnames=[name.strip() for name in names], delimiter=delimiter)
            for row in reader:
                line = reader.line_num + 1
                if None in row:
                    yield line, None, Malformed(f"CSV row has {len(row) - 1 + len(row[None])} cells, header has"
                                                f" {len(names)}")
                    continue
                if _decode_errors[0] != clean and _undecodable(row):
                    yield line, None, Malformed("CSV row is not valid UTF-8")
                    continue
                yield line, None, row
        except (csv.Error, UnicodeDecodeError) as exc:
            yield line + 1, None, Malformed(f"malformed CSV after line {line}: {exc}"[:300])
        except STREAM_ERRORS as exc:
            raise TruncatedFile(f"{compression} stream is truncated or corrupt after line {line}: {exc}") from exc


_COUNTED = "meterline-surrogateescape"
_decode_errors = [0]


def _count_and_escape(error: UnicodeError) -> tuple[str, int]:
    _decode_errors[0] += 1
    return codecs.lookup_error("surrogateescape")(error)


codecs.register_error(_COUNTED, _count_and_escape)


def _undecodable(row: dict[str, str | None]) -> bool:
    # A short row's missing cells are None.
    joined = "".join(value or "" for value in row.values())
    if joined.isascii():
        return False
    try:
        joined.encode()
    except UnicodeEncodeError:
        return True
    return False


READERS = {"jsonl": jsonl_records, "json": json_records, "csv": csv_records}
