"""The first stages of a spilled scan (:func:`dedup.spilled.scan_spilled`): the records read
and their texts spilled, then the words stage, which takes each document's text to its word
count, signature, band keys, passage keys (spilled by key partition) and exact-copy key.

Two ways, with the same result bit for bit:

* :func:`words_as_read`, while the records come in increasing id order (as a corpus written
  in id order does): the words stage runs on the records as they are read, a job of about
  ``BATCH_CHARS`` characters at a time on the engine's threads
  (:func:`dedup.parallel.map_streamed`), while this thread goes on reading, so reading and
  parsing the input no longer run alone on one core before the other stages start;
* :func:`spill_records` then :func:`words_by_batch`: every record read and spilled first,
  then the words stage over the texts read back in id order, a batch at a time (records in
  any order, with repeated ids; any engine).

The words of a document do not depend on the documents next to it in a job, and the jobs'
results are kept in their order, so both give the same arrays and the same spill files.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from dedup.config import Config
from dedup.copies import exact_copy_keys
from dedup.lsh import band_keys, key_partition
from dedup.parallel import Engine, LocalEngine, map_streamed
from dedup.passage_keys import winnow
from dedup.shingle import shingle_hashes, tokenize
from dedup.sketch import compute_signatures
from dedup.spill import PartitionSpill, TextSpill, group_by_partition
from dedup.spilled_bags import BagWriter, bag_words
from dedup.stages import concat, cut_runs
from dedup.types import ProgressFn, Record, Reject
from dedup.words import BATCH_CHARS

#: rows of the spilled passage keys
KEY_ROW = np.dtype([("value", "<u8"), ("doc", "<u4"), ("position", "<u4")])

STREAM_AHEAD_PER_WORKER = 2  # words jobs read ahead of the one awaited, per worker


@dataclass(frozen=True, slots=True)
class WordsStage:
    """What the words stage of a spilled scan keeps in memory.

    spill_index : ndarray of int64, shape (n_docs,)
        Spill number of each scanned document (those with words, in id order).
    words : ndarray of int64, shape (n_docs,)
    band_keys : ndarray of uint64, shape (n_docs, bands)
    rejects : the documents without words
    exact_keys : ndarray of uint64, shape (n_docs,)
        :func:`dedup.copies.exact_copy_keys` of each document.
    """

    spill_index: np.ndarray
    words: np.ndarray
    band_keys: np.ndarray
    rejects: list[Reject]
    exact_keys: np.ndarray


def spill_records(records: Iterable[Record], texts: TextSpill) -> tuple[list[Record], np.ndarray]:
    """Write each record's text to ``texts``; keep its metadata (the record without its
    text, and without the input's other fields, which a scan does not report) and its
    length, in the order read."""
    meta: list[Record] = []
    chars = array("q")
    for record in records:
        texts.append(record.text)
        chars.append(len(record.text))
        meta.append(_meta_of(record))
    return meta, np.frombuffer(chars, dtype=np.int64).copy()


_NO_EXTRA: dict = {}  # one empty dict for all: these records stay inside the scan


def _meta_of(record: Record) -> Record:
    return Record(
        record.id, "", record.outlet, record.date, record.url, record.title, record.source,
        _NO_EXTRA,
    )  # fmt: skip


@dataclass
class _Kept:
    """The words stage's results, gathered job by job in document order: signatures to
    their file, passage keys to their partitions, the rest in memory."""

    meta: list[Record]
    keys: PartitionSpill
    signature_file: BinaryIO
    bands: int
    bags: BagWriter | None = None  # the words of the sentence-bag route (dedup.spilled_bags)
    band_rows: list[np.ndarray] = field(default_factory=list)
    index: list[np.ndarray] = field(default_factory=list)
    words: list[np.ndarray] = field(default_factory=list)
    exact: list[np.ndarray] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    n_kept: int = 0

    def add(self, numbers: np.ndarray, done: tuple) -> None:
        """One job's results (:func:`words_job`) for the records spilled as ``numbers``."""
        n_words, signatures, bands, rows, counts, exact, bag = done
        if self.bags is not None:
            self.bags.add(bag)
        has = n_words > 0
        for i in numbers[~has].tolist():
            record = self.meta[i]
            self.rejects.append(Reject(record.source or record.id, "no words", record.id))
        self.signature_file.write(np.ascontiguousarray(signatures, dtype=np.uint32).tobytes())
        self.band_rows.append(bands)
        if self.n_kept:
            rows = rows if rows.flags.writeable else rows.copy()  # Ray's are not
            rows["doc"] += self.n_kept
        self.keys.append_grouped(rows, counts)
        self.index.append(numbers[has])
        self.words.append(n_words[has])
        self.exact.append(exact)
        self.n_kept += len(bands)

    def stage(self) -> WordsStage:
        return WordsStage(
            concat(self.index, np.int64),
            concat(self.words, np.int64),
            np.concatenate(self.band_rows)
            if self.band_rows
            else np.zeros((0, self.bands), np.uint64),
            self.rejects,
            concat(self.exact, np.uint64),
        )


def _shared(config: Config, parts: int) -> tuple:
    """The arguments every :func:`words_job` of a scan shares."""
    return (
        config.shingle_size, config.num_perm, config.seed, config.bands, config.rows,
        config.passage_window, parts, config.min_shuffled_sentences > 0,
    )  # fmt: skip


def _bag_writer(config: Config, signature_path: Path) -> BagWriter | None:
    """The writer of the bag stage's words, beside the signatures, when it runs."""
    return BagWriter(signature_path.parent) if config.min_shuffled_sentences > 0 else None


def words_by_batch(
    texts: TextSpill,
    meta: list[Record],
    chars: np.ndarray,
    order: np.ndarray,
    keys: PartitionSpill,
    signature_path: Path,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None,
    batch_chars: int,
) -> WordsStage:
    """Words, signatures, band keys and passage keys of every document, batch by batch in
    id order; the signatures are appended to ``signature_path``, the passage keys (with
    the document's number among those with words) to ``keys``. ``order`` holds the
    numbers of the records to scan, in id order.

    Each batch is split in jobs of about ``BATCH_CHARS`` characters, run on ``engine``;
    a job takes its texts from words to grouped keys (:func:`words_job`), so
    nothing of a batch is put together but what is kept."""
    ends = np.cumsum(chars[order])
    assert config.bands is not None  # set by Config
    shared = _shared(config, keys.parts)
    with open(signature_path, "wb") as signature_file:
        kept = _Kept(meta, keys, signature_file, config.bands, _bag_writer(config, signature_path))
        for first, last in cut_runs(ends, batch_chars):
            batch = order[first:last]
            batch_texts = [texts.read(i) for i in batch.tolist()]
            runs = cut_runs(ends[first:last], BATCH_CHARS)
            jobs = [(batch_texts[lo:hi],) for lo, hi in runs]
            done = engine.map_ordered(words_job, shared, jobs)
            for (lo, hi), results in zip(runs, done):
                kept.add(batch[lo:hi], results)
            if progress:
                progress("words", last, len(order))
    if kept.bags is not None:
        kept.bags.close()
    return kept.stage()


@dataclass(frozen=True, slots=True)
class ReadWords:
    """What :func:`words_as_read` read: every record's metadata and length, in the order
    read, and the words stage, or None when the ids did not come in increasing order (the
    words stage is then still to run, :func:`words_by_batch`, on a new ``keys`` spill)."""

    meta: list[Record]
    chars: np.ndarray
    words: WordsStage | None


def words_as_read(
    records: Iterable[Record],
    texts: TextSpill,
    keys: PartitionSpill,
    signature_path: Path,
    config: Config,
    engine: LocalEngine,
    progress: ProgressFn | None,
) -> ReadWords:
    """Spill every record's text as it is read and, while the ids come in increasing order,
    run :func:`words_by_batch`'s jobs on them at once, in the engine's threads, as this
    thread reads on: the same words stage, with the same results and spill files.

    A record whose id is not greater than the last one's ends it: the jobs still running
    are waited for and their results dropped (``keys``' files removed), and the rest of the
    records only spilled; the result's ``words`` is then None."""
    meta: list[Record] = []
    chars = array("q")
    assert config.bands is not None  # set by Config
    spans: deque[np.ndarray] = deque()  # the records' numbers of each job handed out
    in_order = True

    def jobs() -> Iterator[tuple[list[str]]]:
        nonlocal in_order
        batch: list[str] = []
        first = size = 0
        last_id: str | None = None
        for record in records:
            number = texts.append(record.text)
            chars.append(len(record.text))
            meta.append(_meta_of(record))
            if not in_order:
                continue
            if last_id is not None and record.id <= last_id:
                in_order = False
                continue
            last_id = record.id
            batch.append(record.text)
            size += len(record.text)
            if size >= BATCH_CHARS:
                spans.append(np.arange(first, number + 1, dtype=np.int64))
                yield (batch,)
                batch, first, size = [], number + 1, 0
        if in_order and batch:
            spans.append(np.arange(first, first + len(batch), dtype=np.int64))
            yield (batch,)

    ahead = STREAM_AHEAD_PER_WORKER * engine.workers
    with open(signature_path, "wb") as signature_file:
        kept = _Kept(meta, keys, signature_file, config.bands, _bag_writer(config, signature_path))
        done = map_streamed(words_job, _shared(config, keys.parts), jobs(), engine.workers, ahead)
        for results in done:
            kept.add(spans.popleft(), results)
            if progress:
                progress("words", kept.n_kept + len(kept.rejects), len(meta))
    if kept.bags is not None:
        kept.bags.close()
    lengths = np.frombuffer(chars, dtype=np.int64).copy()
    if not in_order:
        keys.close()
        for part in range(keys.parts):
            keys.drop(part)
        return ReadWords(meta, lengths, None)
    return ReadWords(meta, lengths, kept.stage())


def words_job(
    shingle_size: int,
    num_perm: int,
    seed: int,
    bands: int,
    rows_per_band: int,
    window: int,
    parts: int,
    bags: bool,
    texts: list[str],
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    tuple[np.ndarray, np.ndarray] | None,
]:
    """Words per document of ``texts``, and of those with words: signatures, band keys,
    and passage keys as :data:`KEY_ROW` rows (``doc`` numbered among them from 0), ordered
    by key partition (stable), with the number of rows of each partition, exact-copy
    keys, and with ``bags`` the words' hashes and flags for the sentence-bag route
    (:func:`dedup.spilled_bags.bag_words`; None without)."""
    tokens = tokenize(texts)
    bag = bag_words(texts, tokens) if bags else None
    n_words = np.diff(tokens.doc_ptr)
    has = n_words > 0
    # documents without words hold no word: dropping their pointers drops them
    doc_ptr = tokens.doc_ptr[np.append(np.flatnonzero(has), len(has))]
    shingles, shingle_ptr = shingle_hashes(tokens.hashes, doc_ptr, shingle_size)
    del tokens
    signatures = compute_signatures(shingles, shingle_ptr, num_perm, seed)
    winnowed = winnow(shingles, shingle_ptr, window)
    rows = np.empty(len(winnowed.values), dtype=KEY_ROW)
    rows["value"] = winnowed.values
    docs = np.arange(len(shingle_ptr) - 1, dtype=np.int64)
    rows["doc"] = np.repeat(docs, np.diff(winnowed.key_ptr))
    rows["position"] = winnowed.positions
    order, counts = group_by_partition(key_partition(winnowed.values, parts), parts)
    exact = exact_copy_keys(shingles, shingle_ptr, n_words[has])
    return (
        n_words,
        signatures,
        band_keys(signatures, bands, rows_per_band),
        rows[order],
        counts,
        exact,
        bag,
    )
