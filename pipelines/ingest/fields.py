"""Small, strict readers for fields of a decoded JSON record; each failure names the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

_FRACTION = re.compile(r"(\.\d{6})\d+")
_EARLIEST = datetime(2020, 1, 1)  # the daily partitions start here
_LATEST = datetime(2100, 1, 1)
_EPOCH = datetime(1970, 1, 1)
# A quadrillion tokens: far above any real request or daily bucket, and low enough that a row's sums of counts stay
# within the warehouse's BIGINT.
COUNT_LIMIT = 10**15
# A count written as text (a CSV cell, an OTLP intValue), integral floats included ("59200.0").
_WHOLE = re.compile(r"-?\d{1,30}(?:\.0*)?")


class RecordError(ValueError):
    """A record that cannot be used; the message is the reject reason."""


_QUOTABLE = re.compile(r"\S{1,32}|[-+0-9.,:/ TZtz]{1,40}")


def shown(value: Any) -> str:
    """A bad value as a reject reason may quote it: numbers, flags and short codes (`'12,50'`, `'flex'`) as they
    are, but text with a space or longer than an identifier only by its length, since a misaligned cell or a
    shifted field may put a prompt where a count belongs, and reasons are stored."""
    if isinstance(value, str):
        return repr(value) if _QUOTABLE.fullmatch(value) else f"a text of {len(value)} characters"
    if value is None or isinstance(value, bool | int | float | Decimal):
        text = repr(value) if not isinstance(value, Decimal) else str(value)
        return text if len(text) <= 40 else f"{text[:40]}…"
    if isinstance(value, dict | list):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'} of {len(value)} items"
    return f"a {type(value).__name__}"


@lru_cache(maxsize=256)
def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def get_path(obj: dict[str, Any], path: str) -> Any:
    node: Any = obj
    for part in _parts(path):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def count(obj: dict[str, Any], path: str, *, required: bool = False, prefix: str = "usage.") -> int:
    """A token or call count: a non-negative JSON integer. Missing or null is 0 unless required.

    Errors name the field as `prefix` + `path`, built only when there is an error: this runs for every count.
    """
    value = get_path(obj, path) if "." in path else obj.get(path)
    if type(value) is int and 0 <= value < COUNT_LIMIT:
        return value
    name = prefix + path
    if value is None:
        if required:
            raise RecordError(f"missing field {name}")
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise RecordError(f"field {name} is not an integer: {shown(value)}"[:200])
    if value < 0:
        raise RecordError(f"negative token count in {name}: {value}")
    if value >= COUNT_LIMIT:
        raise RecordError(f"field {name} is out of range: {value}")
    return value


def whole(value: Any, field: str, limit: int = COUNT_LIMIT) -> int:
    """A token count that may arrive as text (a CSV cell, an OTLP `intValue`) or as an integral float; missing,
    null or an empty cell is 0."""
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return 0
        if not _WHOLE.fullmatch(stripped):
            raise RecordError(f"field {field} is not an integer: {shown(value)}"[:200])
        value = int(stripped.split(".")[0])
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"field {field} is not an integer: {shown(value)}"[:200])
    if value < 0:
        raise RecordError(f"negative token count in {field}: {value}")
    if value >= limit:
        raise RecordError(f"field {field} is out of range: {value}")
    return value


def decimal(value: Any, field: str, *, digits: int, noun: str = "a number") -> Decimal | None:
    """A JSON number (through its shortest text, so 0.1 stays 0.1) or a text cell, as an exact Decimal; None when
    missing. Not finite, or `digits` integer digits or more, is out of range: checked before any arithmetic, which
    would overflow on an exponent like 1e999999999."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RecordError(f"field {field} is not {noun}: {shown(value)}"[:200])
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError):
        # ValueError: an int too long to turn into text.
        raise RecordError(f"field {field} is not {noun}: {shown(value)}"[:200]) from None
    if not number.is_finite() or (number and number.adjusted() >= digits):
        raise RecordError(f"field {field} is out of range: {shown(value)}"[:200])
    return number


def text(obj: dict[str, Any], path: str) -> str | None:
    value = get_path(obj, path) if "." in path else obj.get(path)
    if value is None or type(value) is str:
        return value
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise RecordError(f"field {path} is not a string: {type(value).__name__}")


def cell(row: dict[str, Any], name: str) -> str | None:
    """A text cell of a CSV row (or the same column of a JSON export), stripped; None when missing or blank."""
    value = row.get(name)
    if value is None:
        return None
    if type(value) is not str:
        raise RecordError(f"field {name} is not a text cell: {shown(value)}"[:200])
    return value.strip() or None


def timestamp(value: Any, field: str) -> datetime:
    """Unix seconds (int or float) or RFC 3339 text, returned as naive UTC."""
    if isinstance(value, bool) or value is None:
        raise RecordError(f"missing field {field}")
    try:
        if isinstance(value, (int, float)):
            moment = _EPOCH + timedelta(seconds=value)
        elif isinstance(value, str):
            if value.endswith("Z"):
                # The common spelling, read straight as naive UTC.
                try:
                    moment = datetime.fromisoformat(value[:-1])
                except ValueError:
                    moment = None
                if moment is not None and moment.tzinfo is None:
                    return _in_range(moment, value, field)
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                # Vertex writes nanoseconds; Python reads at most microseconds.
                parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()))
            if parsed.tzinfo is None:
                moment = parsed
            elif parsed.tzinfo is UTC:
                moment = parsed.replace(tzinfo=None)
            else:
                moment = parsed.astimezone(UTC).replace(tzinfo=None)
        else:
            raise RecordError(f"field {field} is not a timestamp: {shown(value)}"[:200])
    except (ValueError, OverflowError, OSError) as exc:
        raise RecordError(f"field {field} is not a timestamp: {shown(value)}"[:200]) from exc
    return _in_range(moment, value, field)


def _in_range(moment: datetime, value: Any, field: str) -> datetime:
    if not _EARLIEST <= moment < _LATEST:
        raise RecordError(
            f"field {field} is out of range ({shown(value)}); expected 2020 or later, in unix seconds, not milliseconds"
        )
    return moment
