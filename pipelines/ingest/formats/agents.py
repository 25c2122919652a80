"""Coding-agent transcripts: Claude Code's session logs (`~/.claude/projects/<project>/<session>.jsonl`).

Each line is one event of a session: the user's turns, tool progress, summaries, and the assistant's answers. An
answer is one API message, written once per content block (thinking, text, each tool call), every line with the
same `message.id` and `requestId`: the input and cache counts repeat, and `output_tokens` is a placeholder until
the message's last line, which holds the whole. So each line maps to the message's id and the warehouse keeps one
copy, the file's last line (core.usage_events); a sum would count the input once per block. Lines without usage
(the user's turns, progress, summaries, Claude Code's own `<synthetic>` messages) are declared skips. The project is
the session's working directory. No message text is read.
"""

from __future__ import annotations

from typing import Any

from pipelines.ingest.fields import RecordError, text, timestamp
from pipelines.ingest.formats.base import Format, Outcome, Skip
from pipelines.ingest.providers import anthropic_message

_SYNTHETIC = "<synthetic>"


# Lines of a session file that belong to no turn: file snapshots Claude Code keeps for undo, session summaries.
_BOOKKEEPING = {"file-history-snapshot": "snapshot", "summary": "leafUuid"}


def _is_claude_code(record: dict[str, Any]) -> bool:
    if "sessionId" in record and "uuid" in record and "type" in record:
        return True
    kind = record.get("type")
    # A damaged line may carry any JSON value as its type; only a text names a bookkeeping line.
    key = _BOOKKEEPING.get(kind) if isinstance(kind, str) else None
    return key is not None and key in record


def claude_code_line(record: dict[str, Any]) -> Outcome:
    kind = text(record, "type")
    message = record.get("message")
    if kind != "assistant":
        return Skip(f"Claude Code {kind} line: no usage")
    if not isinstance(message, dict):
        raise RecordError("missing field message")
    if message.get("model") == _SYNTHETIC or message.get("usage") is None:
        return Skip("Claude Code message written by Claude Code itself: not billed")
    try:
        outcome = anthropic_message(message)
    except RecordError as exc:
        raise RecordError(f"message.{exc}") from None
    moment = timestamp(record.get("timestamp"), "timestamp")
    project = text(record, "cwd")
    for part in (outcome,) if type(outcome) is dict else (part for _, part in outcome):
        if type(part) is dict:
            part["provider_time"] = moment
            part["project"] = project
    return outcome


FORMATS = (Format("claude_code_transcript", "anthropic", _is_claude_code, claude_code_line),)
