"""Input shards read by the workers themselves, for a scan on Ray with no driver bottleneck.

Each input file (a JSON lines file, compressed or not, a Parquet or CSV file, a shard of a
folder of shards; a folder of ``.txt`` files or a glob pattern is one shard) is read by a task
of its own (:func:`read_shard`), which writes the texts of its records to a text file of its
own in the scan's scratch folder and hands back only their metadata, their lengths and where
each text lies in that file. The driver puts the shards' records, rejects and warnings back
in input order (:class:`ShardMerger`), so that what it holds is what :class:`CorpusReader`
would have read, without the texts; later tasks read the texts they need by offset
(:func:`read_texts`).

On a cluster of several machines the scratch folder must be one every node sees at the same
path (a shared file system), since the texts a task writes are read by others.
"""

from __future__ import annotations

import glob
import os
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dedup.ingest import CorpusReader, ReadOptions, folder_files, format_of
from dedup.ingest.dates import _check_date
from dedup.ingest.folders import _guarded, _read_file
from dedup.ingest.options import Note, _reject
from dedup.ingest.reader import iter_path
from dedup.ingest.rows import record_problem
from dedup.prepare import printable_source
from dedup.ray_meta import RecordColumns, RecordColumnsBuilder
from dedup.types import Record, Reject

TEXT_ERRORS = "surrogatepass"  # as dedup.spill.TextSpill


@dataclass(frozen=True, slots=True)
class Shard:
    """One unit of input a task reads: ``path`` read as an input of its own (``whole``), or
    as a file of a folder of shards, in the format ``kind``."""

    number: int
    path: str
    kind: str | None = None  # None: read as an input path (iter_path)


def input_shards(paths: Sequence[str | os.PathLike], options: ReadOptions) -> list[Shard] | None:
    """The shards of ``paths`` in reading order, or None when they are to be read here:
    standard input; ``--strict``, whose first bad record stops the run; a path that does not
    exist, a pattern matching nothing or a file of unknown format (whose one-line error the
    reader gives)."""
    if options.strict:
        return None
    shards: list[Shard] = []
    for path in paths:
        name = str(path)
        if name == "-":
            return None
        if Path(name).is_dir():
            shards += _shards_of(Path(name), options, len(shards))
            continue
        if Path(name).exists():  # a file given by name: read as the input it is
            shards.append(Shard(len(shards), name))
            continue
        if not glob.has_magic(name):
            return None
        # a pattern, as the reader has it: every match, in sorted order
        targets = [Path(match) for match in sorted(glob.glob(name, recursive=True))]
        if not targets or not all(t.is_dir() or format_of(t, options) for t in targets):
            return None
        shards += _file_shards(targets, options, len(shards))
    return shards


def _shards_of(target: Path, options: ReadOptions, first: int) -> list[Shard]:
    """A folder of shards (no ``.txt`` file, no web page), a shard a file; anything else,
    one shard read as the input it is."""
    if target.is_dir():
        listing = folder_files(target, options)
        html = any(format_of(p, options) == "html" for p in listing.files)
        if listing.kind == "shards" and not html:
            return _file_shards(listing.files, options, first)
    return [Shard(first, str(target))]


def _file_shards(files: Sequence[Path], options: ReadOptions, first: int) -> list[Shard]:
    """Each of ``files`` a shard read in its format; a folder among them as
    :func:`_shards_of` has it."""
    found: list[Shard] = []
    for file in files:
        if file.is_dir():
            found += _shards_of(file, options, first + len(found))
        else:
            found.append(Shard(first + len(found), str(file), format_of(file, options)))
    return found


@dataclass(slots=True)
class ShardRead:
    """What a task read from one shard, without the texts, as columns (a few objects a
    record, so that the driver makes no more than it keeps).

    ids, outlets, dates, sources : of each record (its date as checked)
    events : what else the reader met: ``(records before it, 1, Reject)`` a bad record,
        ``(records before it, 2, Reject)`` a warning about the input (a Note)
    date_warnings, problems : of the records that have one, by record number
    chars : characters of each record's text
    starts, ends : byte span of each usable record's text in the shard's text file
    """

    ids: list[str] = field(default_factory=list)
    outlets: list[str | None] = field(default_factory=list)
    dates: list[str | None] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    events: list[tuple[int, int, Reject]] = field(default_factory=list)
    date_warnings: dict[int, Reject] = field(default_factory=dict)
    problems: dict[int, Reject] = field(default_factory=dict)
    chars: array = field(default_factory=lambda: array("q"))
    starts: array = field(default_factory=lambda: array("q"))
    ends: array = field(default_factory=lambda: array("q"))


def text_path(folder: str | os.PathLike, shard: int) -> Path:
    return Path(folder) / f"texts-{shard:05d}.bin"


def read_shard(options: ReadOptions, folder: str, shard: Shard) -> ShardRead:
    """Read ``shard`` (on a worker): its texts to its own file in ``folder``, the rest
    returned. The checks are the reader's and the scan's own (a date that does not parse,
    a record that cannot be written out), made here so that the driver never sees a text."""
    found = ShardRead()
    offset = 0
    with open(text_path(folder, shard.number), "wb") as out:
        for item in _items(shard, options):
            if isinstance(item, Note):
                found.events.append((len(found.ids), 2, item.warning))
                continue
            if isinstance(item, Reject):
                found.events.append((len(found.ids), 1, item))
                continue
            record, warning = _check_date(item)
            problem = record_problem(record)
            number = len(found.ids)
            # a scan reports neither url nor title: they are left behind with the text
            found.ids.append(record.id)
            found.outlets.append(record.outlet)
            found.dates.append(record.date)
            found.sources.append(record.source)
            if warning is not None:
                found.date_warnings[number] = warning
            if problem is not None:
                found.problems[number] = Reject(printable_source(record), problem, None)
            found.chars.append(len(record.text))
            found.starts.append(offset)
            if problem is None:
                data = record.text.encode("utf-8", TEXT_ERRORS)
                out.write(data)
                offset += len(data)
            found.ends.append(offset)
    return found


def _items(shard: Shard, options: ReadOptions) -> Iterator[Record | Reject | Note]:
    if shard.kind is None:
        return iter_path(shard.path, options)
    path = Path(shard.path)
    return _guarded(path, _read_file(path, shard.kind, options), options)


@dataclass(frozen=True, slots=True)
class ShardedCorpus:
    """The usable records of every shard in reading order (the first of each id), as a
    spilled scan keeps them: metadata, lengths, and where each text lies.

    shard, start, end : ndarray (shard number, byte span in its text file) of each record
    unusable : the records the scan cannot write out, as ``usable_records`` rejects them
    """

    meta: RecordColumns
    chars: np.ndarray
    shard: np.ndarray
    start: np.ndarray
    end: np.ndarray
    unusable: list[Reject]


class ShardMerger:
    """The shards' records in reading order, the first of each id, as :class:`CorpusReader`
    yields them, each shard added as it is read (:meth:`add`, in shard order); ``reader``'s
    ``rejects``, ``warnings``, ``records`` and ``files`` are filled in as reading the inputs
    here would have (so the command reports them the same way)."""

    def __init__(self, reader: CorpusReader) -> None:
        self.reader = reader
        self.first_seen: dict[str, str] = {}
        self.meta = RecordColumnsBuilder()
        self.unusable: list[Reject] = []
        self.columns = [array("q") for _ in range(4)]  # chars, shard, start, end
        self.shards = 0

    def add(self, read: ShardRead) -> None:
        events = iter(read.events)
        event = next(events, None)
        for number in range(len(read.ids)):
            while event is not None and event[0] == number:
                self._event(event[1], event[2])
                event = next(events, None)
            self._record(read, number)
        while event is not None:
            self._event(event[1], event[2])
            event = next(events, None)
        self.shards += 1

    def _event(self, kind: int, reject: Reject) -> None:
        if kind == 2:
            self.reader.warnings.append(reject)
        else:
            _reject(self.reader.rejects, reject, self.reader.options)

    def _record(self, read: ShardRead, number: int) -> None:
        reader = self.reader
        doc_id, source = read.ids[number], read.sources[number]
        if doc_id in self.first_seen:
            reason = f'duplicate id "{doc_id}" (first at {self.first_seen[doc_id]})'
            _reject(reader.rejects, Reject(source, reason, doc_id), reader.options)
            return
        self.first_seen[doc_id] = source
        warning = read.date_warnings.get(number)
        if warning is not None:
            reader.warnings.append(warning)
        reader.records += 1
        problem = read.problems.get(number)
        if problem is not None:
            self.unusable.append(problem)
            return
        # as columns: outlets and dates repeat, and are kept once each
        self.meta.add(doc_id, read.outlets[number], read.dates[number], source)
        chars, shard, start, end = self.columns
        chars.append(read.chars[number])
        shard.append(self.shards)
        start.append(read.starts[number])
        end.append(read.ends[number])

    def finish(self) -> ShardedCorpus:
        """The corpus of the shards added; the reader is done."""
        self.first_seen.clear()
        self.reader.files = len(self.reader.paths)
        if self.reader.on_done:
            self.reader.on_done()
        chars, shard, start, end = (
            np.frombuffer(values, dtype=np.int64).copy() for values in self.columns
        )
        return ShardedCorpus(self.meta.finish(), chars, shard, start, end, self.unusable)


def read_texts(folder: str, shards: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[str]:
    """The texts at these spans of the shards' text files (on a worker)."""
    handles: dict[int, int] = {}
    texts = []
    try:
        for shard, start, end in zip(shards.tolist(), starts.tolist(), ends.tolist()):
            handle = handles.get(shard)
            if handle is None:
                handle = handles[shard] = os.open(text_path(folder, shard), os.O_RDONLY)
            data = os.pread(handle, end - start, start)
            if len(data) != end - start:
                raise OSError(f"{text_path(folder, shard)}: short read at byte {start}")
            texts.append(data.decode("utf-8", TEXT_ERRORS))
    finally:
        for handle in handles.values():
            os.close(handle)
    return texts
