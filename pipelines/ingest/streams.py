"""Anthropic streams logged event by event: a `message_start` and its `message_delta` are one request.

`message_start` holds the message's id, model and its input and cache counts with a provisional output count;
`message_delta` holds the final usage, cumulative, never an increment (Anthropic's streaming docs): always the
output count and server-tool counts, and since 2025 the final input and cache counts too, which can differ from the
start's (web-search results fed back, a compaction that moved the cache reads into `usage.iterations`). So the
request is the start's message with the delta's usage laid over the start's, field by field, and it keeps the
start's line. The delta names no message, so it belongs to the stream open before it: a delta with no start
before it, or a start whose stream ends (the file ends, or another message starts) without a delta, is a reject,
not a guess. The other events (content blocks, ping, message_stop) are declared skips, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pipelines.ingest.files import TruncatedFile
from pipelines.ingest.records import Malformed, Record

_START, _DELTA = "message_start", "message_delta"


class Paired:
    """A `message_delta` line whose usage went into its `message_start`'s row: counted as a declared skip."""

    __slots__ = ("start_line",)

    def __init__(self, start_line: int) -> None:
        self.start_line = start_line


def _event(value: Any) -> tuple[str | None, dict[str, Any] | None, dict[str, Any]]:
    """(the Anthropic usage event's type or None, the envelope around it or None, the event)."""
    if type(value) is not dict:
        return None, None, value
    inner = value.get("response")
    envelope = None
    if type(inner) is dict:
        envelope, value = value, inner
    kind = value.get("type")
    if (kind == _START and type(value.get("message")) is dict) or kind == _DELTA:
        return kind, envelope, value
    return None, None, value


def _message(start: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any] | Malformed:
    message = start["message"]
    first, last = message.get("usage"), delta.get("usage")
    if not isinstance(last, dict):
        return Malformed("Anthropic message_delta has no usage object")
    usage = {**first, **last} if isinstance(first, dict) else last
    return {**message, "type": "message", "usage": usage}


def _unfinished(line: int) -> Malformed:
    return Malformed(f"Anthropic stream cut off: the message_start on line {line} has no message_delta, so its final"
                     " output count is unknown")


def pair_anthropic_streams(records: Iterable[Record]) -> Iterator[Record]:
    """The records, with each start/delta pair of an Anthropic stream made one message at the start's line."""
    open_start: tuple[int, str | None, dict[str, Any] | None, dict[str, Any]] | None = None
    try:
        for line, record, value in records:
            kind, envelope, event = _event(value)
            if kind is None:
                yield line, record, value
            elif kind == _START:
                if open_start is not None:
                    yield open_start[0], open_start[1], _unfinished(open_start[0])
                open_start = (line, record, envelope, event)
            elif open_start is None:
                yield line, record, Malformed("Anthropic message_delta without a message_start before it: the"
                                              " message it finishes is unknown")
            else:
                start_line, start_record, start_envelope, start = open_start
                open_start = None
                message = _message(start, event)
                if start_envelope is not None and not isinstance(message, Malformed):
                    message = {**start_envelope, "response": message}
                yield start_line, start_record, message
                yield line, record, Paired(start_line)
    except TruncatedFile:
        # The file broke inside a stream: its start is reported too, not only the break.
        if open_start is not None:
            yield open_start[0], open_start[1], _unfinished(open_start[0])
        raise
    if open_start is not None:
        yield open_start[0], open_start[1], _unfinished(open_start[0])
