"""Open landing files whatever their compression (told by magic bytes, not by name) and stream their lines."""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import zstandard

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_CHUNK = 1 << 20


class TruncatedFile(Exception):
    """The compressed stream ended early or is corrupt; lines before it were read."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def compression_of(path: Path) -> str:
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic.startswith(_GZIP):
        return "gzip"
    if magic == _ZSTD:
        return "zstd"
    return "none"


def _open(path: Path, compression: str) -> BinaryIO:
    if compression == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if compression == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True)
        return io.BufferedReader(reader, _CHUNK)  # type: ignore[arg-type]
    return path.open("rb")


def read_lines(path: Path, compression: str) -> Iterator[tuple[int, bytes]]:
    """Yield (1-based line number, raw line without newline); raise TruncatedFile on a broken stream."""
    number = 0
    try:
        with _open(path, compression) as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip(b"\r\n")
    except (EOFError, zlib.error, gzip.BadGzipFile, zstandard.ZstdError, OSError) as exc:
        raise TruncatedFile(f"{compression} stream is truncated or corrupt after line {number}: {exc}") from exc
