"""Files as bytes: the format an extension names, and compressed files (``.gz``, ``.bz2``,
``.xz``, ``.zst``) opened through the matching decompressor."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from pathlib import Path
from typing import Any, BinaryIO, cast

from dedup.ingest.options import ReadOptions

# What reading one file can raise that concerns that file only: the system refusing it, a
# damaged compressed stream (gzip and bz2 raise OSError, EOFError or zlib.error, xz
# LZMAError; a damaged zstd stream is turned into OSError here), text that does not decode.
# The file is skipped from there on with its name and line; the rest is read.
READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    UnicodeDecodeError,
)
#: Extensions of compressed files, read through the matching decompressor.
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")
_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_CSV_SUFFIXES = (".csv", ".tsv")
#: The format each extension names (after any compression extension is taken off).
_SUFFIX_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".txt": "txt",
    ".warc": "warc",
    ".html": "html",
    ".htm": "html",
}


def read_error_message(err: BaseException) -> str:
    """What went wrong reading a file, in one line, without repeating its name."""
    if isinstance(err, UnicodeDecodeError):
        return f"not valid {err.encoding} at byte {err.start} (try --encoding)"
    if isinstance(err, OSError) and err.strerror:
        return f"cannot read: {err.strerror}"
    if isinstance(err, CutShort):
        return f"cannot read: {err}"
    if isinstance(err, EOFError):
        return "cannot read: the compressed file is cut short"
    if isinstance(err, lzma.LZMAError):
        return f"cannot read: damaged xz data ({err})"
    return f"cannot read: {err}"


class CutShort(EOFError):
    """A file that ends inside a record, which its format knows (the message says which)."""


def format_of(path: Path, options: ReadOptions) -> str | None:
    """The reader a file goes to: txt, jsonl, json, csv or parquet (None when unknown)."""
    if options.format != "auto":
        return options.format
    return _suffix_format(path)


def _suffix_format(path: Path) -> str | None:
    return _SUFFIX_FORMATS.get(plain_suffix(path))


def plain_suffix(path: Path) -> str:
    """The extension that names the format (``.jsonl`` for ``feed.jsonl.gz``)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (*COMPRESSIONS, *_SUFFIX_FORMATS):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


#: Bytes read from a file at a time: lines are read from a buffer this size (with the
#: default of 8 KiB, reading a file of JSON lines took a system call every two lines).
READ_BUFFER = 1 << 20


def open_binary(path: Path) -> BinaryIO:
    """``path`` opened read-only, decompressed as its extension says."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return cast(BinaryIO, gzip.open(path, "rb"))  # a BufferedIOBase: reads bytes
    if suffix == ".bz2":
        return cast(BinaryIO, bz2.open(path, "rb"))  # a BufferedIOBase: reads bytes
    if suffix == ".xz":
        return cast(BinaryIO, lzma.open(path, "rb"))  # a BufferedIOBase: reads bytes
    if suffix == ".zst":
        return io.BufferedReader(_ZstdReader(open(path, "rb")))
    return open(path, "rb", buffering=READ_BUFFER)


class _ZstdReader(io.RawIOBase):
    """A zstd stream (any number of frames) decompressed. Unlike zstandard's own
    ``stream_reader``, a file cut inside a frame raises EOFError (as gzip, bz2 and xz do)
    instead of ending quietly, and damaged data raises OSError (one of READ_ERRORS)."""

    _CHUNK = 1 << 17

    def __init__(self, raw: BinaryIO) -> None:
        import zstandard

        self._raw = raw
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._error = zstandard.ZstdError
        self._frame = self._new()
        self._in_frame = False  # part of a frame has been fed and its end not seen yet
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._raw.read(self._CHUNK)
            if not chunk:
                if self._in_frame:
                    raise EOFError("the zstd stream is cut short")
                return 0
            self._pending = self._decompress(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _decompress(self, chunk: bytes) -> bytes:
        out = []
        try:
            while chunk:
                out.append(self._frame.decompress(chunk))
                self._in_frame = not self._frame.eof
                if not self._frame.eof:
                    break
                chunk = self._frame.unused_data
                self._frame = self._new()
        except self._error as err:
            raise OSError(f"damaged zstd data ({err})") from None
        return b"".join(out)

    def close(self) -> None:
        self._raw.close()
        super().close()
