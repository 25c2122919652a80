"""Open landing files whatever their compression (told by magic bytes, not by name) and stream their lines."""

from __future__ import annotations

import functools
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
_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 20


class TruncatedFile(Exception):
    """The compressed stream ended early or is corrupt; lines before it were read."""


def sha256_of(path: Path) -> str:
    """The file's sha256. A run hashes the landing once to decide whether there is work, then its ingest step looks
    again in the same process: a file whose size, modification time and inode are unchanged is not read twice
    within one run (`forget_hashes` starts each run afresh)."""
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)


def forget_hashes() -> None:
    _sha256.cache_clear()


@functools.lru_cache(maxsize=65_536)
def _sha256(path: str, size: int, mtime_ns: int, inode: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
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


class _ChunkStream(io.RawIOBase):
    """A read-only file over decompressed chunks, for readers (CSV, streamed JSON) that want a file."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def open_stream(path: Path, compression: str) -> BinaryIO:
    """The decompressed bytes of a file, read lazily; a cut stream raises as `read_lines` documents."""
    if compression == "zstd":
        return io.BufferedReader(_ChunkStream(_zstd_chunks(path)), buffer_size=_CHUNK)
    if compression == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


STREAM_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, zstandard.ZstdError)


def read_lines(path: Path, compression: str) -> Iterator[tuple[int, bytes]]:
    """Yield (1-based line number, raw line without newline); raise TruncatedFile on a broken stream."""
    number = 0
    try:
        for number, line in enumerate(_raw_lines(path, compression), start=1):
            if number == 1 and line.startswith(_BOM):
                line = line[len(_BOM) :]
            yield number, line.rstrip(b"\r\n")
    except STREAM_ERRORS as exc:
        raise TruncatedFile(f"{compression} stream is truncated or corrupt after line {number}: {exc}") from exc
