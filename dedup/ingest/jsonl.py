"""JSON lines and JSON arrays of objects → records, each bad line a Reject naming the file and
line."""

from __future__ import annotations

import codecs
import dataclasses
import functools
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from dedup.errors import InputError
from dedup.ingest.compressed import READ_ERRORS, _stem, open_binary, read_error_message
from dedup.ingest.options import ReadOptions, _decode_message, _fail
from dedup.ingest.rows import (
    _record_from_row,
    _surrogate_message,
    records_of_rows,
    surrogate_field,
)
from dedup.types import Record, Reject

# --- JSON lines ---------------------------------------------------------------------------


def _read_jsonl(
    handle: BinaryIO, name: str, stem: str, options: ReadOptions
) -> Iterator[Record | Reject]:
    yield from records_of_rows(_jsonl_objects(handle, name, options), name, stem, options)


def _read_json(
    handle: BinaryIO, name: str, stem: str, options: ReadOptions
) -> Iterator[Record | Reject]:
    """A JSON array of objects, one record each; JSON lines when the first character that
    is not white space is not ``[``. A record's source is the line where its object starts;
    its default id ``<stem>:<record number>``."""
    data = handle.read()
    if not is_json_array(data):
        yield from _read_jsonl(io.BytesIO(data), name, stem, options)
        return
    number = 0
    for item in json_array_rows(data, name, options):
        if isinstance(item, Reject):
            yield item
            continue
        row, line = item
        number += 1
        yield _json_array_item(row, name, line, f"{stem}:{number}", options)


def is_json_array(data: bytes) -> bool:
    """Whether ``data`` (a ``.json`` file's bytes) holds a JSON array: its first character
    that is not white space is ``[`` (else it is read as JSON lines)."""
    start = len(data) - len(data.lstrip())
    return data[start : start + 1] == b"["


def json_array_rows(
    data: bytes, name: str, options: ReadOptions
) -> Iterator[tuple[Any, int] | Reject]:
    """Each item of the JSON array in ``data`` (any JSON value) with the line it starts at,
    in order; where the array is broken, a Reject and nothing after it."""
    try:
        text = data.decode(options.decoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        yield _fail(InputError(name, line, _decode_message(err, options)), options)
        return
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    line = text.count("\n", 0, position) + 1
    number = 0
    while True:
        at = _skip_space(text, position)
        line += text.count("\n", position, at)
        position = at
        if text.startswith("]", position) and number == 0:
            return
        try:
            row, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as err:
            where = line + text.count("\n", position, err.pos)
            yield _fail(
                InputError(name, where, f"malformed JSON: {err.msg}; the rest of the file skipped"),
                options,
            )
            return
        number += 1
        yield row, line
        line += text.count("\n", position, end)
        position = _skip_space(text, end)
        line += text.count("\n", end, position)
        if text.startswith("]", position):
            return
        if not text.startswith(",", position):
            found = repr(text[position]) if position < len(text) else "the end of the file"
            yield _fail(
                InputError(
                    name,
                    line,
                    f"malformed JSON: expected ',' or ']' after record {number}, "
                    f"found {found}; the rest of the file skipped",
                ),
                options,
            )
            return
        position += 1


def _json_array_item(
    row: Any, name: str, line: int, default_id: str, options: ReadOptions
) -> Record | Reject:
    if not isinstance(row, dict):
        kind = type(row).__name__.replace("dict", "object")
        return _fail(InputError(name, line, f"expected a JSON object, found {kind}"), options)
    bad = surrogate_field(row)
    if bad is not None:
        return _fail(InputError(name, line, _surrogate_message(bad)), options)
    return _record_from_row(row, name, line, default_id, options)


_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, position: int) -> int:
    return _SPACE.match(text, position).end()  # type: ignore[union-attr]


def _jsonl_objects(
    handle: BinaryIO, name: str, options: ReadOptions
) -> Iterator[tuple[dict[str, Any], str] | Reject]:
    line_number = 0
    lines = text_lines(handle, options)
    while True:
        try:
            line_number, line = next(lines)
        except StopIteration:
            return
        except READ_ERRORS as err:  # the rest of this file cannot be read
            yield _fail(InputError(name, line_number + 1, read_error_message(err)), options)
            return
        if isinstance(line, UnicodeDecodeError):
            yield _fail(InputError(name, line_number, _decode_message(line, options)), options)
            continue
        if not line or line.isspace():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            yield _fail(InputError(name, line_number, f"malformed JSON: {err.msg}"), options)
            continue
        if not isinstance(row, dict):
            kind = type(row).__name__.replace("dict", "object")
            yield _fail(
                InputError(name, line_number, f"expected a JSON object, found {kind}"), options
            )
            continue
        # the line decoded strictly, so a lone surrogate can only come from a \u escape
        bad = surrogate_field(row) if "\\u" in line else None
        if bad is not None:
            yield _fail(InputError(name, line_number, _surrogate_message(bad)), options)
            continue
        yield row, f"{name}:{line_number}"


def text_lines(
    handle: BinaryIO, options: ReadOptions
) -> Iterator[tuple[int, str | UnicodeDecodeError]]:
    """``(line number, text)`` of each line; a line that does not decode comes as its
    UnicodeDecodeError, and the next line is read on. An encoding in which a newline is not
    the byte ``\\n`` (UTF-16, UTF-32) is decoded as one stream, so a decoding error there
    ends the file (raised)."""
    if not _ascii_compatible(options.encoding):
        stream = io.TextIOWrapper(handle, encoding=options.decoding, newline="")
        yield from enumerate(stream, 1)
        return
    decoding = options.decoding
    decoder = codecs.getincrementaldecoder(decoding)()
    # UTF-8 (with or without a BOM): once the incremental decoder has decoded a line (the
    # decoder of "utf-8-sig" drops a BOM at the start of the first it is given), a line that
    # ends in a newline decodes as plain UTF-8 does (no character's bytes hold a newline, so
    # nothing is left pending): one C call instead of the decoder's Python wrapper
    plain = "utf-8" if decoding in ("utf-8", "utf-8-sig") else None
    fresh = True  # the decoder has decoded nothing since it was made or reset
    for line_number, raw in enumerate(handle, 1):
        try:
            if line_number == 1:
                text = raw.decode(decoding)
            elif plain is not None and not fresh and raw.endswith(b"\n"):
                text = raw.decode(plain)
            else:
                text = decoder.decode(raw)
                fresh = False
            yield line_number, text
        except UnicodeDecodeError as err:
            decoder.reset()
            fresh = True
            yield line_number, err


@functools.lru_cache(maxsize=64)
def _ascii_compatible(encoding: str) -> bool:
    """Whether ``encoding`` writes a newline (and any ASCII) as the same single bytes."""
    return "a\n".encode(codecs.lookup(encoding).name) == b"a\n"


def json_array_items(path: Path, options: ReadOptions) -> Iterator[tuple[Any, Record | Reject]]:
    """Each item of the JSON array in the file ``path`` (compressed or not), as it came, with
    the record (or reject) the reader makes of it; what follows a break in the array is not
    given. For writing a file back as it came (``dedup clean``)."""
    options = dataclasses.replace(options, strict=False)
    with open_binary(path) as handle:
        data = handle.read()
    name, stem = str(path), _stem(path)
    for number, item in enumerate(json_array_rows(data, name, options), 1):
        if isinstance(item, Reject):
            return
        row, line = item
        yield row, _json_array_item(row, name, line, f"{stem}:{number}", options)
