"""Reading every input: :func:`read_corpus` and :class:`CorpusReader` over paths, glob patterns
and standard input, the first of a repeated id kept."""

from __future__ import annotations

import contextlib
import glob
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dedup.errors import InputError
from dedup.ingest.compressed import READ_ERRORS, format_of, read_error_message
from dedup.ingest.dates import _check_date
from dedup.ingest.folders import (
    _guarded,
    _read_file,
    _read_folder,
    _txt_record,
    folder_files,
    output_folder_input,
)
from dedup.ingest.jsonl import _read_json, _read_jsonl
from dedup.ingest.options import FORMATS, Note, ReadOptions, _fail, _reject
from dedup.ingest.tables import _csv_records, _read_parquet
from dedup.ingest.webpages import _read_html, _read_warc
from dedup.types import Record, Reject


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
    A folder that ``dedup clean`` wrote is read as the cleaned corpus in it, and the
    output folder of any other ``dedup`` run is refused (:func:`output_folder_input`).

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
        resolved = [output_folder_input(path) for path in paths]
        self.paths: list[str | os.PathLike] = [path for found, _note in resolved for path in found]
        self.options = options or ReadOptions()
        self.on_progress = on_progress
        self.on_done = on_done
        self.rejects: list[Reject] = []
        self.warnings: list[Reject] = [note.warning for _path, note in resolved if note]
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
