"""Open landing files whatever their compression (told by magic bytes, not by name) and stream their lines."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from pathlib import Path

import zstandard

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_BOM = b"\xef\xbb\xbf"
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


def _zstd_chunks(path: Path) -> Iterator[bytes]:
    """Decompress frame by frame; the stream reader would end quietly on a cut file, this raises instead."""
    decompressor = zstandard.ZstdDecompressor()
    frame = decompressor.decompressobj()
    in_frame = False
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            while block:
                in_frame = True
                out = frame.decompress(block)
                if out:
                    yield out
                if frame.eof:
                    block, frame, in_frame = frame.unused_data, decompressor.decompressobj(), False
                else:
                    block = b""
    if in_frame:
        raise zstandard.ZstdError("the file ends inside a zstd frame")


def _split(chunks: Iterator[bytes]) -> Iterator[bytes]:
    rest = b""
    for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _raw_lines(path: Path, compression: str) -> Iterator[bytes]:
    if compression == "zstd":
        yield from _split(_zstd_chunks(path))
        return
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as handle:
        yield from handle


def read_lines(path: Path, compression: str) -> Iterator[tuple[int, bytes]]:
    """Yield (1-based line number, raw line without newline); raise TruncatedFile on a broken stream."""
    number = 0
    try:
        for number, line in enumerate(_raw_lines(path, compression), start=1):
            if number == 1 and line.startswith(_BOM):
                line = line[len(_BOM) :]
            yield number, line.rstrip(b"\r\n")
    except (EOFError, zlib.error, gzip.BadGzipFile, zstandard.ZstdError) as exc:
        raise TruncatedFile(f"{compression} stream is truncated or corrupt after line {number}: {exc}") from exc
