"""Readers: folders of .txt files, JSON lines, CSV/TSV and Parquet → :class:`Record`.

Every reader yields records and, for each bad record, a :class:`Reject` naming the file and
line and saying what is wrong. With ``strict`` the first bad record raises
:class:`InputError` instead. Input files are opened read-only and never modified. Nothing is
guessed: a field the input does not give stays None.

Formats
-------
* a folder: every ``*.txt`` below it (hidden files skipped), id = path relative to the folder
  without ``.txt``; the text is the file's decoded bytes exactly (a UTF-8 BOM removed), so
  offsets into it are offsets into the file. Metadata (id, outlet, date, url, title) comes
  from a sidecar ``metadata.csv``, ``metadata.jsonl`` or ``metadata.json`` in the folder, or
  from ``ReadOptions.metadata``. A sidecar row with a ``file`` column names the file
  (relative to the folder) whose id is the row's ``id`` (as ``dedup clean`` writes it).
* a folder holding no ``.txt`` file but shards (``.jsonl``, ``.json``, ``.csv``, ``.tsv``,
  ``.parquet``, compressed or not, at any depth): each shard read as its extension says, in
  path order. A damaged shard is skipped from where it breaks; the others are read.
* a glob pattern (``"feeds/*.jsonl.zst"``, ``"crawl/**/*.csv"``) that is not itself a path:
  every file (or folder) it matches, in sorted order.
* ``.jsonl`` / ``.ndjson``, or ``-`` for standard input: one JSON object a line. A record
  without an id gets ``<file stem>:<line>``.
* ``.json``: a JSON array of objects (each one a record; a record without an id gets
  ``<file stem>:<record number>``, its source is the line where the object starts), or JSON
  lines when the file does not start with ``[``.
* ``.csv`` / ``.tsv``: a header row, then one record a row.
* ``.parquet``: one record a row.
* a single ``.txt`` file: one record, id = file name without extension.

Any file but Parquet may be compressed: ``.gz``, ``.bz2``, ``.xz`` or ``.zst`` after the
format's own extension (``feed.jsonl.zst``). Standard input is read in ``ReadOptions.format``
(JSON lines when it is "auto").
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import csv
import dataclasses
import email.utils
import functools
import glob
import gzip
import io
import json
import lzma
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, cast

from dedup.errors import ConfigError, InputError
from dedup.types import Record, Reject

FORMATS = ("auto", "txt", "jsonl", "json", "csv", "parquet", "warc", "html")
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
SIDECARS = ("metadata.csv", "metadata.jsonl", "metadata.json")
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
_META_FIELDS = ("outlet", "date", "url", "title")


@dataclass(frozen=True)
class ReadOptions:
    """How to read the input; field names are those of the input's columns or keys."""

    format: str = "auto"
    encoding: str = "utf-8"
    id_field: str = "id"
    text_field: str = "text"
    title_field: str = "title"
    date_field: str = "date"
    outlet_field: str = "outlet"
    url_field: str = "url"
    metadata: str | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ConfigError("format", f"must be one of {', '.join(FORMATS)}, got {self.format!r}")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ConfigError("encoding", f"unknown encoding {self.encoding!r}") from None

    @property
    def decoding(self) -> str:
        """The codec that decodes the input (UTF-8 with an optional BOM for "utf-8")."""
        name = codecs.lookup(self.encoding).name
        return "utf-8-sig" if name == "utf-8" else name


@dataclass(frozen=True, slots=True)
class Note:
    """Something worth saying about the input that skipped no record."""

    warning: Reject


@dataclass
class Corpus:
    """Records read, sorted by id, and what was not used."""

    records: list[Record]
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[Reject] = field(default_factory=list)
    files: int = 0


def read_corpus(
    paths: Sequence[str | os.PathLike],
    options: ReadOptions | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Corpus:
    """Read every input; records sorted by id, the first of a repeated id kept.

    Parameters
    ----------
    paths : sequence of path-like or "-"
    on_progress : callable, optional
        Called with the number of characters of text read so far, once a record (compare
        with :func:`input_size`).
    """
    return CorpusReader(paths, options, on_progress).read_all()


class CorpusReader:
    """The records of every input, read lazily in input order: what :func:`read_corpus`
    reads, without holding them. Iterating yields each good record once, the first of a
    repeated id; ``rejects``, ``warnings`` and ``files`` fill in as the inputs are read
    (with ``options.strict``, the first bad record raises :class:`InputError` instead).

    Parameters
    ----------
    paths : sequence of path-like or "-"
    on_progress : callable, optional
        As for :func:`read_corpus`.
    on_done : callable, optional
        Called once the last input has been read.
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike],
        options: ReadOptions | None = None,
        on_progress: Callable[[int], None] | None = None,
        on_done: Callable[[], None] | None = None,
    ) -> None:
        self.paths = list(paths)
        self.options = options or ReadOptions()
        self.on_progress = on_progress
        self.on_done = on_done
        self.rejects: list[Reject] = []
        self.warnings: list[Reject] = []
        self.files = 0
        self.records = 0  # good records yielded so far

    def read_all(self) -> Corpus:
        """Every record (as :func:`read_corpus` has them: sorted by id), and what was not
        used."""
        records = sorted(self, key=lambda r: r.id)
        return Corpus(records, self.rejects, self.warnings, self.files)

    def __iter__(self) -> Iterator[Record]:
        first_seen: dict[str, str] = {}
        done_chars = 0
        for path in self.paths:
            for item in iter_path(path, self.options):
                if self.on_progress and isinstance(item, Record):
                    done_chars += len(item.text)
                    self.on_progress(done_chars)
                if isinstance(item, Note):
                    self.warnings.append(item.warning)
                    continue
                if isinstance(item, Reject):
                    _reject(self.rejects, item, self.options)
                    continue
                if item.id in first_seen:
                    _reject(
                        self.rejects,
                        Reject(
                            item.source,
                            f'duplicate id "{item.id}" (first at {first_seen[item.id]})',
                            item.id,
                        ),
                        self.options,
                    )
                    continue
                first_seen[item.id] = item.source
                record, warning = _check_date(item)
                if warning:
                    self.warnings.append(warning)
                self.records += 1
                yield record
            self.files += 1
        if self.on_done:
            self.on_done()


def iter_path(path: str | os.PathLike, options: ReadOptions) -> Iterator[Record | Reject | Note]:
    """Records, Rejects (bad records) and Notes (warnings) of one input path, lazily.

    A file that cannot be read from some point on (no permission, a damaged compressed
    stream or Parquet file, text that does not decode) gives a Reject naming the file and
    the line where reading stopped; the records before it are kept."""
    try:
        yield from _iter_path(path, options)
    except READ_ERRORS as err:
        yield _fail(InputError(str(path), None, read_error_message(err)), options)


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


def _iter_path(path: str | os.PathLike, options: ReadOptions) -> Iterator[Record | Reject | Note]:
    name = str(path)
    if name == "-":
        yield from _read_stdin(options)
        return
    source = Path(path)
    if not source.exists():
        if glob.has_magic(name):
            yield from _read_pattern(name, options)
            return
        raise InputError(name, None, "no such file or directory")
    if source.is_dir():
        yield from _read_folder(source, options)
        return
    kind = format_of(source, options)
    if kind is None:
        yield _fail(
            InputError(name, None, f"unknown input format (use --format {'|'.join(FORMATS[1:])})"),
            options,
        )
        return
    yield from _read_file(source, kind, options)


def _read_file(source: Path, kind: str, options: ReadOptions) -> Iterator[Record | Reject | Note]:
    """The records of one file in format ``kind``."""
    name = str(source)
    if kind == "txt":
        yield _read_txt(source, _stem(source), options)
    elif kind in ("jsonl", "json"):
        with _open_binary(source) as handle:
            reader = _read_json if kind == "json" else _read_jsonl
            yield from reader(handle, name, _stem(source), options)
    elif kind == "csv":
        yield from _read_csv(source, options)
    elif kind == "warc":
        with _open_binary(source) as handle:
            yield from _read_warc(handle, name, options)
    elif kind == "html":
        with _open_binary(source) as handle:
            data = handle.read()
        yield _read_html(data, name, _stem(source), options)
    else:
        yield from _read_parquet(source, options)


def _guarded(path: Path, items: Iterator[Record | Reject | Note], options: ReadOptions):
    """``items`` of one file of several: a file that cannot be read on is skipped from
    there with its name (the line, where known, is given by the reader), the others read."""
    try:
        yield from items
    except READ_ERRORS as err:
        yield _fail(InputError(str(path), None, read_error_message(err)), options)


def _read_pattern(pattern: str, options: ReadOptions) -> Iterator[Record | Reject | Note]:
    """Every file or folder a glob pattern matches, in sorted order."""
    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        raise InputError(pattern, None, "no file or folder matches this pattern")
    for match in matches:
        target = Path(match)
        if target.is_dir():
            yield from _read_folder(target, options)
            continue
        kind = format_of(target, options)
        if kind is None:
            yield _fail(InputError(match, None, "unknown input format"), options)
            continue
        yield from _guarded(target, _read_file(target, kind, options), options)


def _read_stdin(options: ReadOptions) -> Iterator[Record | Reject | Note]:
    """Standard input in ``options.format`` (JSON lines for "auto")."""
    handle = sys.stdin.buffer
    kind = "jsonl" if options.format == "auto" else options.format
    if kind == "jsonl":
        yield from _read_jsonl(handle, "<stdin>", "stdin", options)
    elif kind == "json":
        yield from _read_json(handle, "<stdin>", "stdin", options)
    elif kind == "csv":
        yield from _csv_records(lambda: handle, "<stdin>", "stdin", ",", options)
    elif kind == "parquet":
        yield from _read_parquet(io.BytesIO(handle.read()), options, name="<stdin>")
    elif kind == "warc":
        yield from _read_warc(handle, "<stdin>", options)
    elif kind == "html":
        yield _read_html(handle.read(), "<stdin>", "stdin", options)
    else:
        yield _txt_record(handle.read(), "<stdin>", "stdin", options)


@functools.lru_cache(maxsize=1 << 16)  # a corpus has few distinct dates, read many times
def parse_date(value: str | int | float) -> str | None:
    """A date as feeds give it, in ISO form; None when it is none of these:

    * ISO 8601 date (``2016-12-10``) or date-time (``2016-12-10T09:30:00Z``);
    * RFC 2822, as RSS and e-mail write it (``Sat, 10 Dec 2016 09:30:00 GMT``): the month
      is a name, so day and month cannot be mixed up;
    * Unix time in seconds or milliseconds, as a number or a string of 9–10 (seconds) or
      12–13 (milliseconds) digits, with an optional fraction: returned in UTC.

    A date-time keeps its time and, when given, its offset (``+00:00`` for GMT and Unix
    time). Nothing else is tried: ``10/12/2016`` could be either of two days."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _epoch_date(float(value), len(str(int(value))))
    text = value.strip()
    if not text:
        return None
    epoch = _EPOCH.fullmatch(text)
    if epoch:
        return _epoch_date(float(text), len(epoch.group(1)))
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        pass
    if _RFC2822.search(text):
        try:
            return email.utils.parsedate_to_datetime(text).isoformat()
        except (ValueError, TypeError, IndexError, OverflowError):
            return None
    return None


_EPOCH = re.compile(r"(\d{9,10}|\d{12,13})(?:\.\d+)?")
# a month name and a time: what an RFC 2822 date has and a free-text date may not
_RFC2822 = re.compile(
    r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b.*\d{1,2}:\d{2}"
)


def _epoch_date(seconds: float, digits: int) -> str | None:
    """Unix time of ``digits`` integer digits (9–10: seconds; 12–13: milliseconds)."""
    if digits in (12, 13):
        seconds /= 1000
    elif digits not in (9, 10):
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


# --- folders of .txt files ----------------------------------------------------------------


def _read_folder(folder: Path, options: ReadOptions) -> Iterator[Record | Reject | Note]:
    """A folder of ``.txt`` files (with a sidecar), or, when it holds no ``.txt`` file,
    the shards in it (see the module docstring)."""
    listing = folder_files(folder, options)
    if listing.kind == "txt":
        yield from _read_txt_folder(folder, listing.files, options)
        if listing.ignored:
            yield Note(
                Reject(
                    str(folder),
                    f"{len(listing.ignored)} other file(s) such as {listing.ignored[0].name} "
                    "not read: a folder holding .txt files is read as .txt files",
                )
            )
        return
    pages = [p for p in listing.files if _suffix_format(p) == "html"]
    metadata: dict[str, tuple[dict[str, Any], str]] = {}
    if pages:
        metadata, problems = _read_sidecar(folder, options)
        yield from problems
    for path in listing.files:
        kind = format_of(path, options)
        assert kind is not None
        if kind == "html" and _suffix_format(path) == "html":
            yield from _guarded(path, _read_page_file(path, folder, metadata, options), options)
            continue
        yield from _guarded(path, _read_file(path, kind, options), options)


def _read_page_file(
    path: Path, folder: Path, metadata: dict[str, tuple[dict[str, Any], str]], options: ReadOptions
) -> Iterator[Record | Reject]:
    """An HTML page of a folder: id its path relative to the folder without extension, the
    sidecar's fields (when it has a row for the page) over what the page states."""
    doc_id = _relative_id(path, folder)
    with _open_binary(path) as handle:
        item = _read_html(handle.read(), str(path), doc_id, options)
    if isinstance(item, Record) and doc_id in metadata:
        fields = {k: v for k, v in metadata[doc_id][0].items() if v is not None}
        item = dataclasses.replace(item, **fields)
    yield item


@dataclass(frozen=True)
class FolderListing:
    """What a folder is read as: ``kind`` ("txt" or "shards"), the files read, in order,
    and the readable files left out (shards beside ``.txt`` files)."""

    kind: str
    files: list[Path]
    ignored: list[Path]


def folder_files(folder: Path, options: ReadOptions) -> FolderListing:
    """The files of ``folder`` that are read, and as what (see :func:`_read_folder`):
    hidden files and folders are skipped, and so is a sidecar at the top."""
    found = sorted(
        p
        for p in folder.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and not (p.parent == folder and p.name in SIDECARS)
        and p.is_file()
    )
    kinds = {p: _suffix_format(p) for p in found}
    wanted = None if options.format == "auto" else options.format
    txt = [p for p in found if kinds[p] == "txt"]
    if wanted == "txt" or (wanted is None and txt):
        others = [p for p in found if kinds[p] not in (None, "txt")]
        return FolderListing("txt", txt, others)
    shards = [p for p in found if kinds[p] is not None and kinds[p] == (wanted or kinds[p])]
    return FolderListing("shards", shards, [])


def _read_txt_folder(
    folder: Path, files: list[Path], options: ReadOptions
) -> Iterator[Record | Reject | Note]:
    metadata, problems = _read_sidecar(folder, options)
    yield from problems
    ids = set()
    for path in files:
        doc_id = _relative_id(path, folder)
        ids.add(doc_id)
        item = _read_txt(path, doc_id, options)
        if isinstance(item, Record) and doc_id in metadata:
            meta, _source = metadata[doc_id]
            fields = dict(meta)
            item = Record(fields.pop("id", item.id), item.text, **fields, source=item.source)
        yield item
    for doc_id, (_meta, meta_source) in sorted(metadata.items()):
        if doc_id not in ids:
            yield Note(Reject(meta_source, f'metadata for "{doc_id}", which has no .txt file'))


def _relative_id(path: Path, folder: Path) -> str:
    """A file's id in a folder: its path relative to the folder, without the format's
    extension (nor a compression extension after it)."""
    relative = path.relative_to(folder)
    if relative.suffix.lower() in COMPRESSIONS:
        relative = relative.with_suffix("")
    return relative.with_suffix("").as_posix()


def _read_txt(path: Path, doc_id: str, options: ReadOptions) -> Record | Reject:
    try:
        with _open_binary(path) as handle:
            data = handle.read()
    except READ_ERRORS as err:
        return _fail(InputError(str(path), None, read_error_message(err)), options)
    return _txt_record(data, str(path), doc_id, options)


def _txt_record(data: bytes, name: str, doc_id: str, options: ReadOptions) -> Record | Reject:
    if b"\x00" in data and not options.decoding.startswith("utf-16"):
        return _fail(InputError(name, None, "binary file, not text"), options)
    try:
        text = data.decode(options.decoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return _fail(InputError(name, line, _decode_message(err, options)), options)
    if not text.strip():
        return _fail(InputError(name, None, "empty text"), options)
    return Record(doc_id, text, source=name)


def _read_sidecar(
    folder: Path, options: ReadOptions
) -> tuple[dict[str, tuple[dict[str, Any], str]], list[Reject | Note]]:
    """id → (metadata fields, source) from the folder's sidecar file, if any; unreadable
    rows are Notes (they skip no article), an unreadable file a Reject."""
    if options.metadata:
        path: Path | None = Path(options.metadata)
    else:
        path = next((folder / name for name in SIDECARS if (folder / name).is_file()), None)
    if path is None:
        return {}, []
    rows: list[tuple[dict[str, Any], str]] = []
    problems: list[Reject | Note] = []
    sidecar_options = ReadOptions(encoding=options.encoding, strict=options.strict)
    if path.suffix == ".csv":
        for item in _csv_rows(path, sidecar_options, required=("id",)):
            (problems if isinstance(item, Reject) else rows).append(item)  # type: ignore[arg-type]
    elif path.suffix == ".json":
        try:
            data = json.loads(path.read_bytes().decode(options.decoding))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            return {}, [_fail(InputError(str(path), None, f"cannot read metadata: {err}"), options)]
        if not isinstance(data, list):
            return {}, [
                _fail(InputError(str(path), None, "expected a JSON list of objects"), options)
            ]
        for n, row in enumerate(data, 1):
            if not isinstance(row, dict):
                continue
            bad = surrogate_field(row)
            if bad is not None:
                problems.append(Note(Reject(f"{path}:{n}", _surrogate_message(bad))))
                continue
            rows.append((row, f"{path}:{n}"))
    else:
        with _open_binary(path) as handle:
            for item in _jsonl_objects(handle, str(path), sidecar_options):
                (problems if isinstance(item, Reject) else rows).append(item)  # type: ignore[arg-type]
    metadata: dict[str, tuple[dict[str, Any], str]] = {}
    for row, source in rows:
        doc_id = _text_or_none(row.get("id"))
        if doc_id is None:
            problems.append(Note(Reject(source, 'metadata row without "id"')))
            continue
        fields = {k: _text_or_none(row.get(k)) for k in _META_FIELDS}
        file_name = _text_or_none(row.get("file"))
        if file_name is not None:  # the row names its file: the id may differ from it
            fields["id"] = doc_id
            doc_id = Path(file_name).with_suffix("").as_posix()
        metadata[doc_id] = (fields, source)
    return metadata, problems


# --- JSON lines ---------------------------------------------------------------------------


def _read_jsonl(
    handle: BinaryIO, name: str, stem: str, options: ReadOptions
) -> Iterator[Record | Reject]:
    for item in _jsonl_objects(handle, name, options):
        if isinstance(item, Reject):
            yield item
            continue
        row, source = item
        line = int(source.rsplit(":", 1)[1])
        yield _record_from_row(row, name, line, f"{stem}:{line}", options)


def _read_json(
    handle: BinaryIO, name: str, stem: str, options: ReadOptions
) -> Iterator[Record | Reject]:
    """A JSON array of objects, one record each; JSON lines when the first character that
    is not white space is not ``[``. A record's source is the line where its object starts;
    its default id ``<stem>:<record number>``."""
    data = handle.read()
    start = len(data) - len(data.lstrip())
    if data[start : start + 1] != b"[":
        yield from _read_jsonl(io.BytesIO(data), name, stem, options)
        return
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
        yield _json_array_item(row, name, line, f"{stem}:{number}", options)
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
    lines = _text_lines(handle, options)
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
        bad = surrogate_field(row)
        if bad is not None:
            yield _fail(InputError(name, line_number, _surrogate_message(bad)), options)
            continue
        yield row, f"{name}:{line_number}"


def _text_lines(
    handle: BinaryIO, options: ReadOptions
) -> Iterator[tuple[int, str | UnicodeDecodeError]]:
    """``(line number, text)`` of each line; a line that does not decode comes as its
    UnicodeDecodeError, and the next line is read on. An encoding in which a newline is not
    the byte ``\\n`` (UTF-16, UTF-32) is decoded as one stream, so a decoding error there
    ends the file (raised)."""
    if not _ascii_compatible(options.encoding):
        text = io.TextIOWrapper(handle, encoding=options.decoding, newline="")
        yield from enumerate(text, 1)
        return
    decoder = codecs.getincrementaldecoder(options.decoding)()
    for line_number, raw in enumerate(handle, 1):
        try:
            yield (
                line_number,
                decoder.decode(raw) if line_number > 1 else raw.decode(options.decoding),
            )
        except UnicodeDecodeError as err:
            decoder.reset()
            yield line_number, err


@functools.lru_cache(maxsize=64)
def _ascii_compatible(encoding: str) -> bool:
    """Whether ``encoding`` writes a newline (and any ASCII) as the same single bytes."""
    return "a\n".encode(codecs.lookup(encoding).name) == b"a\n"


def surrogate_field(row: dict[str, Any]) -> str | None:
    """The first field of ``row`` (a JSON object) whose key or value holds a lone
    surrogate (``"\\ud800"``): JSON can say it, but no UTF-8 file can hold it."""
    for key, value in row.items():
        if _holds_surrogate(key) or _holds_surrogate(value):
            return str(key).encode("utf-8", "backslashreplace").decode("utf-8")
    return None


def _holds_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        # isascii() is O(1), and UTF-8 refuses exactly the surrogates: both many times faster
        # than a regular-expression search (0.4 s of CPU per 36 MB read, twice)
        if value.isascii():
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_holds_surrogate(k) or _holds_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_surrogate(v) for v in value)
    return False


def _surrogate_message(field_name: str) -> str:
    return (
        f'field "{field_name}" holds a lone surrogate (an escape such as \\ud800 with no '
        "pair), which is not text"
    )


def record_problem(record: Record) -> str | None:
    """Why ``record`` (given through the API) cannot be used, or None: a field holding a
    lone surrogate, which no output file could hold."""
    for name in ("id", "text", "outlet", "date", "url", "title"):
        if _holds_surrogate(getattr(record, name)):
            return _surrogate_message(name)
    for key, value in record.extra.items():
        if _holds_surrogate(key) or _holds_surrogate(value):
            return _surrogate_message(str(key).encode("utf-8", "backslashreplace").decode())
    return None


# --- CSV / TSV ----------------------------------------------------------------------------


def _read_csv(path: Path, options: ReadOptions) -> Iterator[Record | Reject]:
    delimiter = "\t" if plain_suffix(path) == ".tsv" else ","
    yield from _csv_records(lambda: _open_binary(path), str(path), _stem(path), delimiter, options)


def _csv_records(
    open_binary: Callable[[], BinaryIO],
    name: str,
    stem: str,
    delimiter: str,
    options: ReadOptions,
) -> Iterator[Record | Reject]:
    for item in _csv_rows_of(open_binary, name, delimiter, options, required=(options.text_field,)):
        if isinstance(item, Reject):
            yield item
            continue
        row, source = item
        line = int(source.rsplit(":", 1)[1])
        yield _record_from_row(row, name, line, f"{stem}:{line}", options)


def _csv_rows(
    path: Path, options: ReadOptions, required: Sequence[str]
) -> Iterator[tuple[dict[str, Any], str] | Reject]:
    delimiter = "\t" if plain_suffix(path) == ".tsv" else ","
    yield from _csv_rows_of(lambda: _open_binary(path), str(path), delimiter, options, required)


def _csv_rows_of(
    open_binary: Callable[[], BinaryIO],
    name: str,
    delimiter: str,
    options: ReadOptions,
    required: Sequence[str],
) -> Iterator[tuple[dict[str, Any], str] | Reject]:
    csv.field_size_limit(sys.maxsize)
    try:
        with open_binary() as binary:
            text = io.TextIOWrapper(binary, encoding=options.decoding, newline="")
            reader = csv.reader(text, delimiter=delimiter)
            try:
                header = next(reader)
            except StopIteration:
                yield _fail(InputError(name, 1, "empty file: no header row"), options)
                return
            missing = [column for column in required if column not in header]
            if missing:
                yield _fail(
                    InputError(
                        name,
                        1,
                        f'no column "{missing[0]}" (columns: {", ".join(header)}; '
                        "choose one with --text-field/--id-field)",
                    ),
                    options,
                )
                return
            line = reader.line_num + 1
            rows = iter(reader)
            while True:
                try:
                    values = next(rows)
                except StopIteration:
                    return
                except READ_ERRORS as err:
                    yield _fail(InputError(name, line, read_error_message(err)), options)
                    return
                start, line = line, reader.line_num + 1
                if not values:
                    continue
                if len(values) != len(header):
                    yield _fail(
                        InputError(
                            name,
                            start,
                            f"expected {len(header)} columns, found {len(values)}",
                        ),
                        options,
                    )
                    continue
                yield dict(zip(header, values)), f"{name}:{start}"
    except READ_ERRORS as err:  # opening the file, or reading its header
        yield _fail(InputError(name, None, read_error_message(err)), options)
    except csv.Error as err:
        yield _fail(InputError(name, None, f"malformed CSV: {err}"), options)


# --- Parquet ------------------------------------------------------------------------------


def _read_parquet(
    path: Path | io.BytesIO, options: ReadOptions, name: str | None = None
) -> Iterator[Record | Reject]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = name or str(path)
    stem = "stdin" if isinstance(path, io.BytesIO) else _stem(path)

    try:
        handle = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several unrelated types for a bad file
        yield _fail(InputError(name, None, f"not a readable Parquet file: {err}"), options)
        return
    columns = handle.schema_arrow.names
    if options.text_field not in columns:
        yield _fail(
            InputError(
                name,
                None,
                f'no column "{options.text_field}" (columns: {", ".join(columns)}; '
                "choose one with --text-field)",
            ),
            options,
        )
        return
    row_number = 0
    batches = handle.iter_batches(batch_size=4096)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (*READ_ERRORS, pa.ArrowException) as err:  # a damaged row group
            yield _fail(
                InputError(name, row_number + 1, f"not a readable Parquet file: {err}"),
                options,
            )
            return
        for row in batch.to_pylist():
            row_number += 1
            yield _record_from_row(row, name, row_number, f"{stem}:{row_number}", options)


# --- web archives and HTML pages ----------------------------------------------------------

#: What to install for WARC and HTML input (lxml parses pages, warcio reads web archives).
WARC_EXTRA = "pip install 'dedup[warc]'"


@dataclass(frozen=True, slots=True)
class PageText:
    """What :func:`extract_article` finds in a page: the article's main text (paragraphs
    separated by a blank line; the page's furniture left out) and what the page says of it.
    A field the page does not give is None."""

    text: str
    title: str | None = None
    date: str | None = None
    outlet: str | None = None
    url: str | None = None


def _lxml_html() -> Any:
    try:
        import lxml.html
    except ImportError:
        raise ImportError(f"reading HTML needs lxml: {WARC_EXTRA}") from None
    return lxml.html


# Blocks that are never article text.
_DROP_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "form", "button", "input",
    "select", "textarea", "iframe", "object", "embed", "canvas", "nav", "footer", "aside",
    "header", "figure", "figcaption", "menu", "dialog", "head",
)  # fmt: skip
# Class or id of page furniture: readability's "unlikely candidates" and the furniture of news
# sites (cookie banners, newsletters, sharing, "most read"), unless the name also looks like
# the article's ("ok maybe its a candidate").
_UNLIKELY = re.compile(
    r"-ad-|banner|breadcrumbs|combx|comment|community|disqus|extra|footer|gdpr|header|legends|"
    r"menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|"
    r"ad-break|agegate|pagination|pager|popup|cookie|consent|newsletter|subscribe|signup|"
    r"trending|most-?read|popular|recommend|outbrain|taboola|share|promo|navigation|\bnav\b",
    re.IGNORECASE,
)
_LIKELY = re.compile(r"and|article|body|column|content|main|shadow", re.IGNORECASE)
# readability's class weights: +25 for a name like the article's, -25 for furniture
_POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|"
    r"footnote|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|"
    r"skyscraper|sponsor|shopping|tags|tool|widget|byline|author",
    re.IGNORECASE,
)
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "br",
        "hr",
        "address",
        "center",
    ]
)
_DATE_KEYS = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "publish-date", "publish_date", "date", "dc.date", "dc.date.issued", "dcterms.created",
    "dcterms.issued", "sailthru.date", "parsely-pub-date", "article.published",
    "publisheddate", "published_time", "published-date", "original-publish-date",
    "citation_publication_date", "dc.date.created",
)  # fmt: skip
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def _read_warc(handle: BinaryIO, name: str, options: ReadOptions) -> Iterator[Record | Reject]:
    """Each HTML page a WARC file holds (``response`` or ``resource`` records with status
    2xx and an HTML content type) as an article: id and url the WARC-Target-URI, text the
    page's main text, title, date and outlet as the page states them, and the crawl's
    WARC-Date (ISO) as the extra field ``crawl_date``. Other records are passed over. A
    record is named by its number in the file (``name:N``)."""
    try:
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed

        _lxml_html()
    except ImportError:
        raise InputError(name, None, f"reading web archives needs {_WARC_LIBRARIES}") from None
    try:
        start = handle.peek(8)[:8] if hasattr(handle, "peek") else b"WARC/"
    except READ_ERRORS as err:
        yield _fail(InputError(name, 1, read_error_message(err)), options)
        return
    if start and not start.startswith(b"WARC/"):
        yield _fail(InputError(name, 1, "not a WARC file (it does not start with WARC/)"), options)
        return
    number = 0
    watched = _ErrorWatch(handle)
    records = ArchiveIterator(watched)
    while True:
        try:
            record = next(records)
        except StopIteration:
            if watched.error is not None:  # warcio takes a cut stream for its end
                message = read_error_message(watched.error)
                yield _fail(InputError(name, number + 1, message), options)
            return
        except READ_ERRORS as err:
            yield _fail(InputError(name, number + 1, read_error_message(err)), options)
            return
        except Exception as err:  # warcio's parser meets damage with assorted types
            if watched.error is not None:
                message = read_error_message(watched.error)
            else:
                detail = "damaged headers"
                if isinstance(err, ArchiveLoadFailed) and str(err):
                    detail = str(err).splitlines()[0][:80]
                message = f"not a readable WARC record ({detail})"
            yield _fail(InputError(name, number + 1, message), options)
            return
        number += 1
        try:
            page = _warc_page(record)
            _drain(record)
        except READ_ERRORS as err:
            yield _fail(InputError(name, number, read_error_message(err)), options)
            return
        if page is None:
            continue
        uri, crawled, body, charset = page
        yield _page_record(body, charset, uri, name, number, options, crawled, uri)


_WARC_LIBRARIES = f"warcio and lxml: {WARC_EXTRA}"


class _ErrorWatch:
    """A stream that remembers the read error it raised: warcio ends quietly on an EOFError
    met while reading a record's headers, as if the file ended there."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            return self.stream.read(size)
        except READ_ERRORS as err:
            self.error = err
            raise

    def readline(self, size: int = -1) -> bytes:
        try:
            return self.stream.readline(size)
        except READ_ERRORS as err:
            self.error = err
            raise


def _warc_page(record: Any) -> tuple[str, str | None, bytes, str | None] | None:
    """(target URI, WARC-Date, body, charset) of a record holding an HTML page, or None."""
    if record.rec_type == "response":
        if record.http_headers is None:
            return None
        status = record.http_headers.get_statuscode() or ""
        if not status.startswith("2"):
            return None
        content_type = record.http_headers.get_header("Content-Type") or ""
    elif record.rec_type == "resource":
        content_type = record.rec_headers.get_header("Content-Type") or ""
    else:
        return None
    media = content_type.split(";")[0].strip().lower()
    if media not in ("text/html", "application/xhtml+xml"):
        return None
    charset = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    body = record.content_stream().read()
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    crawled = record.rec_headers.get_header("WARC-Date")
    return uri, crawled, body, charset.group(1) if charset else None


def _drain(record: Any) -> None:
    """Read the rest of a record and check that it was all there: warcio ends a file cut
    inside a record quietly."""
    raw = record.raw_stream
    while raw.read(1 << 16):
        pass
    if getattr(raw, "limit", 0) > 0:
        raise CutShort("the WARC record is cut short")


class CutShort(EOFError):
    """A file that ends inside a record, which its format knows (the message says which)."""


def _read_html(data: bytes, name: str, doc_id: str, options: ReadOptions) -> Record | Reject:
    """One HTML page as an article (see :func:`extract_article`)."""
    if b"\x00" in data and not options.decoding.startswith("utf-16"):
        return _fail(InputError(name, None, "binary file, not text"), options)
    try:
        _lxml_html()
    except ImportError:
        raise InputError(name, None, f"reading HTML pages needs lxml: {WARC_EXTRA}") from None
    return _page_record(data, None, doc_id, name, None, options)


def _page_record(
    body: bytes,
    charset: str | None,
    doc_id: str,
    name: str,
    number: int | None,
    options: ReadOptions,
    crawled: str | None = None,
    url: str | None = None,
) -> Record | Reject:
    """The article of a page read from ``name`` (record ``number`` of a WARC file)."""
    if charset is None and codecs.lookup(options.encoding).name != "utf-8":
        charset = options.encoding  # --encoding given: what a page does not declare
    page = extract_article(body, charset)
    if not page.text.strip():
        return _fail(InputError(name, number, "no article text found in the page"), options)
    source = name if number is None else f"{name}:{number}"
    extra: dict[str, Any] = {}
    if crawled is not None:
        extra["crawl_date"] = parse_date(crawled) or crawled
    return Record(
        id=doc_id,
        text=page.text,
        outlet=page.outlet,
        date=page.date,
        url=url or page.url,
        title=page.title,
        source=source,
        extra=extra,
    )


def decode_page(markup: bytes, charset: str | None = None) -> str:
    """A page's bytes as text: in the charset the HTTP header gives, else the one its
    ``<meta>`` declares, else UTF-8, else Windows-1252 (which decodes any byte)."""
    candidates = [charset]
    found = _META_CHARSET.search(markup[:4096])
    if found:
        candidates.append(found.group(1).decode("ascii", "replace"))
    for name in (*candidates, "utf-8"):
        if not name:
            continue
        try:
            return markup.decode(codecs.lookup(name).name)
        except (LookupError, UnicodeDecodeError):
            continue
    return markup.decode("cp1252", "replace")


def extract_article(markup: str | bytes, charset: str | None = None) -> PageText:
    """The article in an HTML page: its main text and its title, publication date, outlet
    and canonical URL where the page states them.

    The main text is found as readability does it: page furniture is dropped (navigation,
    headers, footers, asides, forms, and blocks whose class or id names comments, related
    articles, sharing, newsletters, cookie banners and the like); every paragraph of 25
    characters or more scores its parent (and half its grandparent) by its length and
    commas; the best container, its score lowered by the share of its text in links, is the
    article, with those of its siblings that score near it. Inside it, lists and blocks
    that are mostly links are left out. Block elements become paragraphs separated by a
    blank line, white space inside a paragraph is collapsed (kept in ``<pre>``).

    Parameters
    ----------
    markup : str or bytes
        The page (bytes are decoded by :func:`decode_page`).
    charset : str, optional
        The charset the HTTP response declared.
    """
    html = _lxml_html()
    text = markup if isinstance(markup, str) else decode_page(markup, charset)
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)  # lxml refuses a str that declares one
    if not text.strip():
        return PageText("")
    try:
        tree = html.document_fromstring(text)
    except (ValueError, TypeError, html.etree.ParserError):
        return PageText("")
    meta = _page_metadata(tree)
    body = tree.find("body")
    if body is None:
        body = tree
    for node in list(body.iter(*_DROP_TAGS)):
        _drop(node)
    for node in list(body.iter()):
        if not isinstance(node.tag, str) or node.tag in ("article", "main", "body"):
            continue
        names = f"{node.get('class', '')} {node.get('id', '')}"
        if names.strip() and _UNLIKELY.search(names) and not _LIKELY.search(names):
            _drop(node)
    chosen = _best_container(body)
    if chosen is None:
        return PageText("", **meta)
    return PageText(_block_text(chosen), **meta)


def page_metadata(markup: str) -> dict[str, str]:
    """The title, publication date (ISO), outlet and canonical URL a page states (only
    those found): ``og:title``, JSON-LD ``headline``, ``<h1>`` or ``<title>``; dates from
    ``article:published_time`` and other date meta tags, JSON-LD ``datePublished``, or a
    ``<time datetime>``."""
    html = _lxml_html()
    tree = html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*>", "", markup))
    return {k: v for k, v in _page_metadata(tree).items() if v is not None}


def _page_metadata(tree: Any) -> dict[str, str | None]:
    metas: dict[str, str] = {}
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").lower()
        value = (node.get("content") or "").strip()
        if key and value and key not in metas:
            metas[key] = value
    linked: dict[str, Any] = {}
    for node in tree.iter("script"):
        if (node.get("type") or "").lower() == "application/ld+json" and node.text:
            with contextlib.suppress(ValueError, RecursionError):
                _collect_json_ld(json.loads(node.text), linked)
    title = metas.get("og:title") or _text_or_none(linked.get("headline"))
    if title is None:
        heading = next(tree.iter("h1"), None)
        title = (
            _text_or_none(" ".join(heading.text_content().split())) if heading is not None else None
        )
    if title is None:
        page_title = tree.find(".//title")
        if page_title is not None:
            title = _text_or_none(" ".join(page_title.text_content().split()))
    day = None
    for value in (
        *(metas.get(key) for key in _DATE_KEYS),
        _text_or_none(linked.get("datePublished")),
        *_time_values(tree),
    ):
        if value and (day := parse_date(value)) is not None:
            break
    publisher = linked.get("publisher")
    outlet = metas.get("og:site_name") or (
        _text_or_none(publisher.get("name")) if isinstance(publisher, dict) else None
    )
    url = metas.get("og:url")
    canonical = next(
        (n.get("href") for n in tree.iter("link") if (n.get("rel") or "").lower() == "canonical"),
        None,
    )
    return {
        "title": title,
        "date": day,
        "outlet": outlet,
        "url": _text_or_none(canonical) or url,
    }


def _collect_json_ld(value: Any, found: dict[str, Any]) -> None:
    """The first headline, datePublished and publisher of any object in JSON-LD."""
    if isinstance(value, list):
        for item in value:
            _collect_json_ld(item, found)
    elif isinstance(value, dict):
        for key in ("headline", "datePublished", "publisher"):
            if key in value and key not in found:
                found[key] = value[key]
        for item in value.values():
            if isinstance(item, (list, dict)):
                _collect_json_ld(item, found)


def _time_values(tree: Any) -> Iterator[str]:
    """``datetime`` of ``<time>`` elements, the ones marked as publication first."""
    times = [n for n in tree.iter("time") if n.get("datetime")]
    marked = [
        n
        for n in times
        if "publish" in f"{n.get('class', '')} {n.get('itemprop', '')} {n.get('pubdate', '')}"
        or n.get("pubdate") is not None
    ]
    for node in marked + [n for n in times if n not in marked]:
        yield node.get("datetime")


def _drop(node: Any) -> None:
    """Remove ``node`` and what it holds, keeping the text that follows it."""
    parent = node.getparent()
    if parent is None:
        return
    node.drop_tree()


def _own_text_length(node: Any) -> int:
    return len(" ".join(node.text_content().split()))


def _link_density(node: Any, length: int) -> float:
    if not length:
        return 0.0
    linked = sum(_own_text_length(a) for a in node.iter("a"))
    return min(1.0, linked / length)


def _class_weight(node: Any) -> int:
    names = f"{node.get('class', '')} {node.get('id', '')}"
    weight = 0
    if _POSITIVE.search(names):
        weight += 25
    if _NEGATIVE.search(names):
        weight -= 25
    return weight


_TAG_WEIGHT = {"div": 5, "article": 10, "main": 5, "section": 3, "pre": 3, "td": 3, "blockquote": 3}


def _best_container(body: Any) -> Any | None:
    """The element holding the article (see :func:`extract_article`), or None."""
    scores: dict[Any, float] = {}
    for node in body.iter("p", "pre", "td", "div", "blockquote", "li"):
        if node.tag in ("div", "li", "td") and any(
            isinstance(child.tag, str) and child.tag in _BLOCKS for child in node
        ):
            continue  # a div of blocks: its paragraphs score for it
        length = _own_text_length(node)
        if length < 25:
            continue
        text = node.text_content()
        score = 1 + text.count(",") + text.count("\u3001") + min(length // 100, 3)
        parent = node.getparent()
        for ancestor, share in (
            (parent, 1.0),
            (parent.getparent() if parent is not None else None, 0.5),
        ):
            if ancestor is None or not isinstance(ancestor.tag, str):
                continue
            if ancestor not in scores:
                scores[ancestor] = _TAG_WEIGHT.get(ancestor.tag, 0) + _class_weight(ancestor)
            scores[ancestor] += score * share
    if not scores:
        return None
    ranked = {
        node: score * (1 - _link_density(node, _own_text_length(node)))
        for node, score in scores.items()
    }
    top = max(ranked, key=lambda node: ranked[node])
    parent = top.getparent()
    if parent is None:
        return top
    threshold = max(10.0, ranked[top] * 0.2)
    keep = []
    for sibling in parent:
        if sibling is top:
            keep.append(sibling)
            continue
        if not isinstance(sibling.tag, str):
            continue
        if ranked.get(sibling, -1e9) >= threshold:
            keep.append(sibling)
        elif sibling.tag == "p":
            length = _own_text_length(sibling)
            density = _link_density(sibling, length)
            if (length > 80 and density < 0.25) or (
                0 < length <= 80 and density == 0 and re.search(r"\.( |$)", sibling.text_content())
            ):
                keep.append(sibling)
    if len(keep) == 1:
        container = top
    else:
        container = html_element("div")
        for node in keep:
            container.append(_detached_copy(node))
    _clean_container(container)
    return container


def html_element(tag: str) -> Any:
    return _lxml_html().Element(tag)


def _detached_copy(node: Any) -> Any:
    import copy

    duplicate = copy.deepcopy(node)
    duplicate.tail = None
    return duplicate


def _clean_container(container: Any) -> None:
    """Leave out the lists, tables and blocks inside the article that are mostly links
    (related stories, tag lists) or look like furniture."""
    for node in list(container.iter("ul", "ol", "dl", "table", "div", "section")):
        if node is container or node.getparent() is None:
            continue
        length = _own_text_length(node)
        if _link_density(node, length) > 0.5 or (_class_weight(node) < 0 and length < 1000):
            _drop(node)


def _block_text(root: Any) -> str:
    """The text of ``root``: block elements as paragraphs separated by a blank line, white
    space inside a paragraph collapsed (not in ``<pre>``)."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = " ".join("".join(current).split())
        if text:
            paragraphs.append(text)
        current.clear()

    def walk(node: Any, in_pre: bool, top: bool = False) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in _BLOCKS
        if tag == "pre":
            flush()
            text = node.text_content().strip("\n")
            if text.strip():
                paragraphs.append(text)
        else:
            if block:
                flush()
            if node.text and tag:
                current.append(node.text)
            for child in node:
                walk(child, in_pre)
            if block:
                flush()
        if node.tail and not top:
            current.append(node.tail)

    walk(root, False, top=True)
    flush()
    return "\n\n".join(paragraphs)


# --- shared -------------------------------------------------------------------------------


def _record_from_row(
    row: dict[str, Any], name: str, line: int, default_id: str, options: ReadOptions
) -> Record | Reject:
    text = row.get(options.text_field)
    if options.text_field not in row:
        return _fail(InputError(name, line, f'missing field "{options.text_field}"'), options)
    if not isinstance(text, str):
        kind = "null" if text is None else type(text).__name__
        return _fail(
            InputError(name, line, f'field "{options.text_field}" is {kind}, not text'), options
        )
    if not text.strip():
        return _fail(InputError(name, line, "empty text"), options)
    doc_id = _text_or_none(row.get(options.id_field)) or default_id
    mapped = {
        options.id_field,
        options.text_field,
        options.outlet_field,
        options.date_field,
        options.url_field,
        options.title_field,
    }
    return Record(
        id=doc_id,
        text=text,
        outlet=_text_or_none(row.get(options.outlet_field)),
        date=_text_or_none(row.get(options.date_field)),
        url=_text_or_none(row.get(options.url_field)),
        title=_text_or_none(row.get(options.title_field)),
        source=f"{name}:{line}",
        extra={key: value for key, value in row.items() if key not in mapped},
    )


def _check_date(record: Record) -> tuple[Record, Reject | None]:
    if record.date is None:
        return record, None
    parsed = parse_date(record.date)
    if parsed is None:
        warning = Reject(
            record.source,
            f'unparsable date "{record.date}" (expected ISO 8601 such as 2016-12-10); '
            "date left empty",
            record.id,
        )
        return _replace_date(record, None), warning
    if parsed == record.date:
        return record, None
    return _replace_date(record, parsed), None


def _replace_date(record: Record, value: str | None) -> Record:
    return dataclasses.replace(record, date=value)


def _text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def _fail(error: InputError, options: ReadOptions) -> Reject:
    """A reject, or the error itself under --strict."""
    if options.strict:
        raise error
    return Reject(error.location, error.reason)


def _reject(rejects: list[Reject], reject: Reject, options: ReadOptions) -> None:
    if options.strict:
        path, _, line = reject.source.rpartition(":")
        if path and line.isdigit():
            raise InputError(path, int(line), reject.reason)
        raise InputError(reject.source, None, reject.reason)
    rejects.append(reject)


def _decode_message(err: UnicodeDecodeError, options: ReadOptions) -> str:
    return f"not valid {options.encoding} at byte {err.start} (try --encoding)"


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


def _open_binary(path: Path) -> BinaryIO:
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
    return open(path, "rb")


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


def input_size(paths: Iterable[str | os.PathLike]) -> int:
    """Bytes of input to read (0 for standard input): the total of a reading progress bar."""
    total = 0
    for path in paths:
        if str(path) == "-":
            continue
        target = Path(path)
        if target.is_dir():
            files = folder_files(target, ReadOptions()).files
        elif target.exists():
            files = [target]
        else:
            files = [Path(p) for p in glob.glob(str(path), recursive=True)]
        for file in files:
            with contextlib.suppress(OSError):
                total += file.stat().st_size if file.is_file() else 0
    return total


def iter_records(paths: Iterable[str | os.PathLike], options: ReadOptions) -> Iterator[Record]:
    """Good records of several inputs, in input order, skipping bad ones (API convenience)."""
    for path in paths:
        for item in iter_path(path, options):
            if isinstance(item, Record):
                yield item
