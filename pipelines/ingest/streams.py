"""Streams logged event by event: the events that make one request are read as that request.

OpenAI's Responses stream (also xAI's): `response.completed` (or `.incomplete`, `.failed`) holds the whole response
with its usage, every other event (`response.created`, deltas, output items) is a declared skip.

A Realtime session (OpenAI's or Azure's websocket events): `response.done` holds one response with its usage, every
other server event is a declared skip. Cohere's v2 chat stream: `message-start` (the id) and `message-end` (the
billed units) are one response.

Anthropic's stream: a `message_start` and its `message_delta` are one request.

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


class StreamSkip:
    """A stream event that is no request of its own (a delta, a progress event, an event paired into another
    line's row): counted as a declared skip."""

    __slots__ = ()


SKIP = StreamSkip()
_RESPONSES_FINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})


# Server events of the Realtime API (a websocket session logged event by event): each has an event_id and a type.
_REALTIME_EVENTS = ("response.", "session.", "conversation.", "input_audio_buffer.", "output_audio_buffer.",
                    "rate_limits.", "transcription_session.")


def _eventlike(value: Any) -> bool:
    """Whether the record (or the object in its `response`) has a text `type` other than an Anthropic message's: no
    stream event lacks one, so every other record passes the stream readers at the cost of a few lookups."""
    if type(value) is not dict:
        return False
    kind = value.get("type")
    if type(kind) is not str:
        inner = value.get("response")
        kind = inner.get("type") if type(inner) is dict else None
    return type(kind) is str and kind != "message"


def is_stream_event(value: Any) -> bool:
    """Whether the record is an event of a Responses or Cohere stream or a Realtime session, which no record
    detector knows on its own."""
    return _stream_event(value) is not value or _cohere_event(value)[0] is not None


def _stream_event(value: Any) -> Any:
    found = _responses_event(value)
    return _realtime_event(value) if found is value else found


def _realtime_event(value: Any) -> Any:
    """For a Realtime server event (bare or in the envelope): a `response.done` event's response (in the same
    envelope), else SKIP; any other record unchanged."""
    inner = value.get("response") if type(value) is dict else None
    enveloped = type(inner) is dict and "event_id" in inner
    event = inner if enveloped else value
    if type(event) is not dict or "event_id" not in event:
        return value
    kind = event.get("type")
    if type(kind) is not str or not (kind == "error" or kind.startswith(_REALTIME_EVENTS)):
        return value
    done = event.get("response")
    if kind != "response.done" or type(done) is not dict or not done.get("usage"):
        # A response cancelled before it used a token carries no usage.
        return SKIP
    return {**value, "response": done} if enveloped else done


def _responses_event(value: Any) -> Any:
    """For a Responses stream event (bare or in the envelope): the final response (in the same envelope) or SKIP;
    any other record unchanged."""
    event = value.get("response") if type(value) is dict and "sequence_number" not in value else value
    if type(event) is not dict or "sequence_number" not in event:
        return value
    kind = event.get("type")
    if type(kind) is not str or not kind.startswith("response."):
        return value
    final = event.get("response")
    if kind not in _RESPONSES_FINAL or type(final) is not dict:
        return SKIP
    if kind == "response.failed" and not final.get("usage"):
        return SKIP
    return {**value, "response": final} if event is not value else final


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
    if not isinstance(first, dict):
        return {**message, "type": "message", "usage": last}
    usage = {**first, **last}
    split = first.get("cache_creation")
    written = last.get("cache_creation_input_tokens")
    if "cache_creation" not in last and isinstance(split, dict) and written != first.get("cache_creation_input_tokens"):
        # The delta's final cache-write total comes without the 5m/1h split (a server tool's turns wrote more):
        # it keeps the start's TTL when the start wrote with one only, and cannot be split when it used both.
        short, long = split.get("ephemeral_5m_input_tokens"), split.get("ephemeral_1h_input_tokens")
        if long in (0, None):
            usage["cache_creation"] = {"ephemeral_5m_input_tokens": written, "ephemeral_1h_input_tokens": 0}
        elif short in (0, None):
            usage["cache_creation"] = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": written}
        else:
            return Malformed("Anthropic message_delta changes cache_creation_input_tokens without its 5m/1h split,"
                             " and the message_start wrote with both")
    return {**message, "type": "message", "usage": usage}


def _unfinished(line: int) -> Malformed:
    return Malformed(f"Anthropic stream cut off: the message_start on line {line} has no message_delta, so its final"
                     " output count is unknown")


_COHERE_START, _COHERE_END = "message-start", "message-end"
_COHERE_CONTENT = frozenset({"content-start", "content-delta", "content-end", "tool-plan-delta", "tool-call-start",
                             "tool-call-delta", "tool-call-end", "citation-start", "citation-end", "debug"})


def _cohere_event(value: Any) -> tuple[str | None, dict[str, Any] | None, Any]:
    """(the Cohere v2 stream event's type or None, the envelope around it or None, the event)."""
    inner = value.get("response") if type(value) is dict else None
    envelope, event = (value, inner) if type(inner) is dict else (None, value)
    kind = event.get("type") if type(event) is dict else None
    # A damaged record's type may be a list or an object, which no set holds.
    if type(kind) is str and (kind in (_COHERE_START, _COHERE_END) or kind in _COHERE_CONTENT):
        return kind, envelope, event
    return None, None, value


def _cohere_unfinished(line: int) -> Malformed:
    return Malformed(f"Cohere stream cut off: the message-start on line {line} has no message-end, which holds the"
                     " billed units")


def _cohere_streams(records: Iterable[Record]) -> Iterator[Record]:
    """Cohere's v2 chat stream: the `message-end` event holds the billed units (`delta.usage`) and the
    `message-start` before it the id, so the pair is one chat response at the start's line; content, tool and
    citation events are skips. An end with no start is a response without an id."""
    open_start: tuple[int, str | None, dict[str, Any]] | None = None
    try:
        for line, record, value in records:
            if not _eventlike(value):
                yield line, record, value
                continue
            kind, envelope, event = _cohere_event(value)
            if kind is None:
                yield line, record, value
            elif kind == _COHERE_START:
                if open_start is not None:
                    yield open_start[0], open_start[1], _cohere_unfinished(open_start[0])
                open_start = (line, record, event)
            elif kind in _COHERE_CONTENT:
                yield line, record, SKIP
            else:
                usage = event.get("delta", {}).get("usage") if type(event.get("delta")) is dict else None
                if not isinstance(usage, dict):
                    yield line, record, Malformed("Cohere message-end has no delta.usage")
                    continue
                where, first = (line, record) if open_start is None else open_start[:2]
                message: dict[str, Any] = {"usage": usage}
                if open_start is not None and open_start[2].get("id") is not None:
                    message["id"] = open_start[2]["id"]
                open_start = None
                yield where, first, message if envelope is None else {**envelope, "response": message}
                if (where, first) != (line, record):
                    yield line, record, SKIP
    except TruncatedFile:
        if open_start is not None:
            yield open_start[0], open_start[1], _cohere_unfinished(open_start[0])
        raise
    if open_start is not None:
        yield open_start[0], open_start[1], _cohere_unfinished(open_start[0])


def read_streams(records: Iterable[Record]) -> Iterator[Record]:
    """The records, each Responses stream as its final response, each Realtime session's responses, each
    start/delta pair of an Anthropic stream as one message at the start's line, and each Cohere stream as one
    chat response."""
    open_start: tuple[int, str | None, dict[str, Any] | None, dict[str, Any]] | None = None
    try:
        for line, record, value in _cohere_streams(records):
            if not _eventlike(value):
                yield line, record, value
                continue
            kind, envelope, event = _event(value)
            if kind is None:
                yield line, record, _stream_event(value)
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
                yield line, record, SKIP
    except TruncatedFile:
        # The file broke inside a stream: its start is reported too, not only the break.
        if open_start is not None:
            yield open_start[0], open_start[1], _unfinished(open_start[0])
        raise
    if open_start is not None:
        yield open_start[0], open_start[1], _unfinished(open_start[0])
