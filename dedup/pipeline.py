"""Stage order of each job, and the Python API the CLI is a thin layer over.

``scan(records, config)`` runs: words and offsets (:mod:`dedup.shingle`) → document
signatures (:mod:`dedup.sketch`) → candidates from the document LSH and the passage keys
(:mod:`dedup.index`) → verification and alignment of every candidate (:mod:`dedup.align`)
→ passage clusters and pair measures.

``clean(records, config)`` finds each document's repeats with the same passage keys and
aligner, applies the rules of :mod:`dedup.clean`, and with ``drop_duplicates`` scans the
cleaned texts to collapse near-duplicate documents.
"""

from __future__ import annotations

import dataclasses
import errno
import itertools
import os
import re
import shutil
import tempfile
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from dedup import clean as rules
from dedup.align import (
    A_HI,
    A_LO,
    B_HI,
    B_LO,
    MATCHED_A,
    MATCHED_B,
    align_pairs,
    cluster_spans,
    shingle_overlaps,
    union_lengths,
)
from dedup.config import Config
from dedup.errors import StageError
from dedup.faults import fault_point

# kernels scan uses, and a query verifies and aligns with scan's own helpers.
from dedup.index import (
    PassageCandidates,
    PassageHits,
    PassageKeys,
    band_candidates_part,
    band_keys,
    candidate_pairs,
    concat_hits,
    group_hits,
    hit_partition,
    key_partition,
    merge_pairs,
    merge_passage_candidates,
    passage_candidates,
    passage_hits,
    postings_hits,
    two_hit_candidates,
    winnow,
)
from dedup.ingest import record_problem
from dedup.outputs import SCRATCH_PREFIX, remove_stale
from dedup.parallel import Engine, LocalEngine, resolve_engine
from dedup.shingle import (
    Tokens,
    shingle_counts,
    shingle_hashes,
    shingle_hashes_into,
    tokenize,
    tokenize_into,
    word_counts,
)
from dedup.sketch import compute_signatures, to_datasketch
from dedup.spill import PartitionSpill, TextSpill, group_by_partition
from dedup.store import DocumentRows, IndexStore
from dedup.types import (
    Alignment,
    ChainsResult,
    CleanedDocument,
    CleanResult,
    Cut,
    DocumentInfo,
    DuplicateDrop,
    Pair,
    PassageCluster,
    Record,
    Reject,
    ScanResult,
    StoriesResult,
    Witness,
)
from dedup.workspace import Workspace, input_digest

if TYPE_CHECKING:  # imported where used: scikit-learn takes half a second to import
    from dedup.stories import StoryClusterer

#: ``progress(stage, done, total)``: called as a stage advances (for a progress bar).
ProgressFn = Callable[[str, int, int], None]

BATCH_CHARS = 1 << 21  # characters of the documents tokenized in one job


@dataclass(frozen=True, slots=True)
class Shingled:
    """Words and shingles of every scanned document, in CSR layout (see dedup.shingle)."""

    tokens: Tokens
    shingles: np.ndarray
    shingle_ptr: np.ndarray

    def doc_shingles(self, doc: int) -> np.ndarray:
        return self.shingles[self.shingle_ptr[doc] : self.shingle_ptr[doc + 1]]


def shingle_corpus(
    texts: Sequence[str],
    shingle_size: int,
    progress: ProgressFn | None = None,
    *,
    workers: int | Engine = 1,
) -> Shingled:
    """Tokenize and shingle documents in batches of about ``BATCH_CHARS`` characters.

    With more than one worker (a number of threads, or an :class:`Engine`), batches are
    tokenized in parallel and put together in document order, so the arrays are the same
    whatever the number of workers.
    """
    engine = resolve_engine(workers)
    total = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=total)
    bounds = _runs(np.cumsum(lengths), BATCH_CHARS)
    if engine.objects_shared:
        return _shingle_in_place(texts, shingle_size, bounds, engine, progress)
    # each job carries its own texts, rather than every job unpickling all of them, and
    # sends its arrays back
    task, shared = _shingle_slice, (shingle_size,)
    jobs = [(list(texts[lo:hi]), lo) for lo, hi in bounds]
    parts = []
    for part in engine.map_ordered(task, shared, jobs):
        parts.append(part)
        if progress:
            progress("words", part[-1], total)
    # one list per column, each emptied as it is put together: the parts and the whole of
    # every column at once would need twice the memory of the words
    columns = [list(column) for column in zip(*parts)] if parts else [[] for _ in range(7)]
    del parts
    hashes, starts, ends, counts, shingles, shingle_counts, _ = columns
    doc_ptr = np.zeros(total + 1, dtype=np.int64)
    shingle_ptr = np.zeros(total + 1, dtype=np.int64)
    if counts:
        np.cumsum(_concat_clearing(counts, np.int64), out=doc_ptr[1:])
        np.cumsum(_concat_clearing(shingle_counts, np.int64), out=shingle_ptr[1:])
    word_hashes = _concat_clearing(hashes, np.uint64)
    word_starts = _concat_clearing(starts, np.int64)
    tokens = Tokens(word_hashes, word_starts, _concat_clearing(ends, np.int64), doc_ptr)
    return Shingled(tokens, _concat_clearing(shingles, np.uint64), shingle_ptr)


def _shingle_in_place(
    texts: Sequence[str],
    shingle_size: int,
    bounds: list[tuple[int, int]],
    engine: Engine,
    progress: ProgressFn | None,
) -> Shingled:
    """:func:`shingle_corpus` where the jobs share this process' memory: the words of each
    batch are counted first, so that the corpus' arrays are made once at their size and
    each batch fills its own part of them. Nothing is put together afterwards: on a virtual
    machine, writing to memory for the first time costs more than the tokenizing."""
    counts = list(engine.map_ordered(_count_words, (texts,), bounds))
    words = _concat(counts, np.int64)
    doc_ptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(words, out=doc_ptr[1:])
    shingle_ptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(shingle_counts(words, shingle_size), out=shingle_ptr[1:])
    n_words, n_shingles = int(doc_ptr[-1]), int(shingle_ptr[-1])
    tokens = Tokens(
        np.empty(n_words, dtype=np.uint64),
        np.empty(n_words, dtype=np.int64),
        np.empty(n_words, dtype=np.int64),
        doc_ptr,
    )
    shingled = Shingled(tokens, np.empty(n_shingles, dtype=np.uint64), shingle_ptr)
    for last in engine.map_ordered(_fill_words, (texts, shingle_size, shingled), bounds):
        if progress:
            progress("words", last, len(texts))
    return shingled


def _count_words(texts: Sequence[str], first: int, last: int) -> np.ndarray:
    return word_counts(texts[first:last])


def _fill_words(
    texts: Sequence[str], shingle_size: int, shingled: Shingled, first: int, last: int
) -> int:
    """Tokenize and shingle documents ``first`` to ``last - 1`` into their part of
    ``shingled``; returns ``last``."""
    tokens = shingled.tokens
    lo, hi = int(tokens.doc_ptr[first]), int(tokens.doc_ptr[last])
    words = slice(lo, hi)
    tokenize_into(texts[first:last], tokens.hashes[words], tokens.starts[words], tokens.ends[words])
    s_lo, s_hi = int(shingled.shingle_ptr[first]), int(shingled.shingle_ptr[last])
    shingle_hashes_into(
        tokens.hashes[words],
        tokens.doc_ptr[first : last + 1] - lo,
        shingle_size,
        shingled.shingle_ptr[first : last + 1] - s_lo,
        shingled.shingles[s_lo:s_hi],
    )
    return last


def _shingle_batch(
    texts: Sequence[str], shingle_size: int, first: int, last: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Words and shingles of the documents ``texts[first:last]``: hashes, starts, ends,
    words per document, shingles, shingles per document, and ``last``. Shingles never cross
    a document, so shingling a run of documents on its own gives its part of the corpus'
    shingles."""
    tokens = tokenize(texts[first:last])
    shingles, shingle_ptr = shingle_hashes(tokens.hashes, tokens.doc_ptr, shingle_size)
    return (
        tokens.hashes,
        tokens.starts,
        tokens.ends,
        np.diff(tokens.doc_ptr),
        shingles,
        np.diff(shingle_ptr),
        last,
    )


def _shingle_slice(
    shingle_size: int, texts: Sequence[str], first: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """:func:`_shingle_batch` of documents ``first`` to ``first + len(texts) - 1`` with
    only their texts."""
    *arrays, last = _shingle_batch(texts, shingle_size, 0, len(texts))
    return (*arrays, last + first)  # type: ignore[return-value]


def scan(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    progress: ProgressFn | None = None,
    workspace: Workspace | None = None,
    workers: int | Engine = 1,
) -> ScanResult:
    """Find the passages and documents that share copy.

    Parameters
    ----------
    records : iterable of Record
        Any order; ids must be unique (later duplicates are rejected).
    config : Config, optional
    workspace : Workspace, optional
        Where finished stages are kept, so that an interrupted run resumes (the CLI keeps
        them under the output folder); without it everything stays in memory.
    workers : int or Engine, default 1
        Threads for the stages that split into independent parts (words, signatures,
        candidates, alignment); 0 uses every available core. An :class:`Engine` (such as
        ``dedup.parallel.RayEngine``) runs them there instead. The result is the same for
        any number and any engine.

    Returns
    -------
    ScanResult
    """
    config = config or Config()
    engine = resolve_engine(workers)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    work = workspace or Workspace(None, config_digest="", input_digest="")

    docs, rejects = _prepare(records)
    shingled, kept = _words_stage(docs, config, work, progress, engine)
    kept_set = set(kept.tolist())
    rejects += [
        Reject(r.source or r.id, "no words", r.id)
        for index, r in enumerate(docs)
        if index not in kept_set
    ]
    docs = [docs[i] for i in kept.tolist()]
    seconds["words"], clock = _lap(clock)

    if work.has("signatures"):
        signatures = work.load("signatures")["signatures"]
    else:
        signatures = _signatures(shingled, config, engine)
        work.save("signatures", signatures=signatures)
    seconds["signatures"], clock = _lap(clock)

    if work.has("candidates"):
        found = work.load("candidates")
        lsh_pairs, passage_pairs = found["lsh_pairs"], found["passage_pairs"]
        self_docs, common_keys = found["self_docs"], int(found["common_keys"])
    else:
        keys = winnow(shingled.shingles, shingled.shingle_ptr, config.passage_window)
        lsh_pairs, passage = _candidates(
            band_keys(signatures, config.bands, config.rows), keys, config, engine
        )
        passage_pairs, self_docs, common_keys = (
            passage.pairs,
            passage.self_docs,
            passage.common_keys,
        )
        work.save(
            "candidates",
            lsh_pairs=lsh_pairs,
            passage_pairs=passage_pairs,
            self_docs=self_docs,
            common_keys=np.array(common_keys),
        )
    seconds["candidates"], clock = _lap(clock)

    table = _DocTable.of(docs, shingled.tokens)
    found, clock = _verify(
        _CorpusWords(shingled),
        table,
        lsh_pairs.tolist(),
        set(map(tuple, passage_pairs.tolist())),
        self_docs.tolist(),
        config,
        progress=progress,
        work=work,
        engine=engine,
        seconds=seconds,
        clock=clock,
    )
    candidates = (len(lsh_pairs), len(passage_pairs), len(self_docs), common_keys)
    return found.scan_result(config, table, rejects, signatures, candidates, seconds)


# --- Scanning a corpus larger than memory -----------------------------------------------------

SPILL_BATCH_CHARS = 1 << 25  # characters of text tokenized, sketched and keyed per batch
SPILL_PART_KEYS = 1 << 22  # passage keys per candidates partition aimed at
CHARS_PER_KEY = 15  # news text gives about one winnowed key per 15 characters (generated: 14.8)
SPILL_BLOCK_DOCS = 4096  # documents whose words one block of verified pairs holds
#: rows of the spilled passage keys and passage hits
KEY_ROW = np.dtype([("value", "<u8"), ("doc", "<u4"), ("position", "<u4")])
HIT_ROW = np.dtype([("doc_a", "<u4"), ("doc_b", "<u4"), ("pos_a", "<u4"), ("pos_b", "<u4")])


def scan_spilled(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    spill_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
    batch_chars: int = SPILL_BATCH_CHARS,
    partitions: int | None = None,
) -> ScanResult:
    """:func:`scan` for a corpus larger than memory, with the same result, bit for bit.

    The records are read once, their texts written to a spill file and only their metadata
    kept. Then, in batches of about ``batch_chars`` characters in id order, each batch's
    words, signatures, band keys and passage keys are computed; the signatures go to a file,
    the passage keys to files partitioned by key. Each key partition gives its passage hits
    (to files partitioned by document pair), each hit partition its two-hit candidates.
    Candidates are verified and aligned in blocks of pairs whose documents' texts are read
    back and tokenized again. Memory holds one batch, one partition or one block at a time,
    plus the band keys (8 bytes × bands per document), the records' metadata and the
    results.

    Parameters
    ----------
    records : iterable of Record
        Read once, lazily; any order; ids must be unique (later duplicates are rejected).
    spill_dir : path, optional
        Folder in which a scratch folder is made for the spill files (removed at the end);
        the system's temporary folder by default.
    batch_chars, partitions : int
        Batch size, and number of partitions of the keys and hits (by default, enough for
        about ``SPILL_PART_KEYS`` keys each). Neither changes the result.

    Returns
    -------
    ScanResult
        Its ``signatures`` are a read-only memory map of a file that no longer has a name.
    """
    config = config or Config()
    engine = resolve_engine(workers)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    where = Path(spill_dir or tempfile.gettempdir())
    try:
        where.mkdir(parents=True, exist_ok=True)
        if spill_dir is not None:  # a folder of the user's: what a killed scan left there
            remove_stale(where, SCRATCH_PREFIX)
        folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=where))
    except OSError as error:
        raise _spill_error(where, error) from error
    texts = TextSpill(folder / "texts.bin")
    unusable: list[Reject] = []
    try:
        meta, chars = _spill_records(_usable(records, unusable), texts)
        order, rejects = _first_of_each_id(meta)
        rejects = unusable + rejects
        parts = partitions or max(1, -(-int(chars.sum()) // (CHARS_PER_KEY * SPILL_PART_KEYS)))
        keys = PartitionSpill(folder, "keys", KEY_ROW, parts)
        words = _spilled_words_stage(
            texts, meta, chars, order, keys, folder / "signatures.bin", config, engine, progress,
            batch_chars,
        )  # fmt: skip
        del order
        rejects += words.rejects
        n_docs = len(words.spill_index)
        seconds["words"], clock = _lap(clock)
        seconds["signatures"] = 0.0  # computed batch by batch with the words
        lsh_pairs = candidate_pairs(words.band_keys)
        words = dataclasses.replace(words, band_keys=words.band_keys[:0].copy())  # let go
        passage, common_keys = _spilled_candidates(keys, folder, n_docs, config, engine, progress)
        seconds["candidates"], clock = _lap(clock)
        fault_point("spill:candidates", folder)
        table = _DocTable(
            [meta[i] for i in words.spill_index.tolist()],
            words.words,
            chars[words.spill_index],
            lambda doc: texts.read(int(words.spill_index[doc])),
        )
        found, clock = _verify(
            _SpilledWords(texts, words.spill_index, config.shingle_size, engine),
            table,
            lsh_pairs.tolist(),
            set(map(tuple, passage.pairs.tolist())),
            passage.self_docs.tolist(),
            config,
            progress=progress,
            work=None,
            engine=engine,
            seconds=seconds,
            clock=clock,
        )
        signatures = _signature_map(folder / "signatures.bin", n_docs, config.num_perm)
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT) and not _within(error.filename, folder):
            raise
        raise _spill_error(where, error) from error
    finally:
        texts.close()
        shutil.rmtree(folder, ignore_errors=True)
    candidates = (len(lsh_pairs), len(passage.pairs), len(passage.self_docs), common_keys)
    return found.scan_result(config, table, rejects, signatures, candidates, seconds)


SPILL_ABOVE_CHARS = 1 << 25  # characters held in memory before the CLI's --spill auto spills


def hold_records(records: Iterable[Record], max_chars: int) -> list[Record] | Iterator[Record]:
    """The records as a list when their texts come to at most ``max_chars`` characters in
    all; otherwise an iterator over all of them, in their order, that lets go of those read
    ahead as it passes them (for :func:`scan_spilled`)."""
    held: list[Record] = []
    total = 0
    source = iter(records)
    for record in source:
        held.append(record)
        total += len(record.text)
        if total > max_chars:
            return _drain(held, source)
    return held


def _drain(held: list[Record], rest: Iterator[Record]) -> Iterator[Record]:
    held.reverse()
    while held:
        yield held.pop()
    yield from rest


def _spill_error(where: Path, error: OSError) -> StageError:
    return StageError(
        f"{where}: cannot keep the spill files there: {error.strerror or error} "
        "(free some space, or choose another folder with --spill-dir)"
    )


def _within(name: object, folder: Path) -> bool:
    """Whether the file ``name`` (as an OSError gives it, possibly None) is in ``folder``."""
    return isinstance(name, str | os.PathLike) and folder in Path(name).parents


def _spill_records(records: Iterable[Record], texts: TextSpill) -> tuple[list[Record], np.ndarray]:
    """Write each record's text to ``texts``; keep its metadata (the record without its
    text, and without the input's other fields, which a scan does not report) and its
    length, in the order read."""
    meta: list[Record] = []
    chars = array("q")
    no_extra: dict = {}  # one empty dict for all: these records stay inside the scan
    for record in records:
        texts.append(record.text)
        chars.append(len(record.text))
        meta.append(
            Record(
                record.id, "", record.outlet, record.date, record.url, record.title,
                record.source, no_extra,
            )
        )  # fmt: skip
    return meta, np.frombuffer(chars, dtype=np.int64).copy()


def _first_of_each_id(meta: list[Record]) -> tuple[np.ndarray, list[Reject]]:
    """The records in id order, the first read of each id only (``order``: their numbers
    in the order read), and the later ones as rejects in the order read, as
    :func:`_prepare` has them. A stable sort puts the records of one id side by side in the
    order read, so no table of the ids seen is needed."""
    order = sorted(range(len(meta)), key=lambda i: meta[i].id)
    kept, later = [], []
    for number in order:
        if kept and meta[kept[-1]].id == meta[number].id:
            first = meta[kept[-1]].source or "an earlier record"
            record = meta[number]
            reason = f'duplicate id "{record.id}" (first at {first})'
            later.append((number, Reject(record.source or record.id, reason, record.id)))
        else:
            kept.append(number)
    return np.array(kept, dtype=np.int64), [reject for _, reject in sorted(later)]


@dataclass(frozen=True, slots=True)
class _SpilledWordsStage:
    """What the words stage of a spilled scan keeps in memory.

    spill_index : ndarray of int64, shape (n_docs,)
        Spill number of each scanned document (those with words, in id order).
    words : ndarray of int64, shape (n_docs,)
    band_keys : ndarray of uint64, shape (n_docs, bands)
    rejects : the documents without words
    """

    spill_index: np.ndarray
    words: np.ndarray
    band_keys: np.ndarray
    rejects: list[Reject]


def _spilled_words_stage(
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
) -> _SpilledWordsStage:
    """Words, signatures, band keys and passage keys of every document, batch by batch in
    id order; the signatures are appended to ``signature_path``, the passage keys (with
    the document's number among those with words) to ``keys``. ``order`` holds the
    numbers of the records to scan, in id order.

    Each batch is split in jobs of about ``BATCH_CHARS`` characters, run on ``engine``;
    a job takes its texts from words to grouped keys (:func:`_spilled_words_job`), so
    nothing of a batch is put together but what is kept."""
    ends = np.cumsum(chars[order])
    band_rows = np.empty((len(order), config.bands), dtype=np.uint64)
    kept_index, kept_words, rejects = [], [], []
    n_kept = 0
    shared = (
        config.shingle_size, config.num_perm, config.seed, config.bands, config.rows,
        config.passage_window, keys.parts,
    )  # fmt: skip
    with open(signature_path, "wb") as signature_file:
        for first, last in _runs(ends, batch_chars):
            batch = order[first:last]
            batch_texts = [texts.read(i) for i in batch.tolist()]
            runs = _runs(ends[first:last], BATCH_CHARS)
            jobs = [(batch_texts[lo:hi],) for lo, hi in runs]
            done = engine.map_ordered(_spilled_words_job, shared, jobs)
            for (lo, hi), (n_words, signatures, bands, rows, counts) in zip(runs, done):
                has = n_words > 0
                for i in batch[lo:hi][~has].tolist():
                    rejects.append(Reject(meta[i].source or meta[i].id, "no words", meta[i].id))
                signature_file.write(np.ascontiguousarray(signatures, dtype=np.uint32).tobytes())
                band_rows[n_kept : n_kept + len(bands)] = bands
                if n_kept:
                    rows = rows if rows.flags.writeable else rows.copy()  # Ray's are not
                    rows["doc"] += n_kept
                keys.append_grouped(rows, counts)
                kept_index.append(batch[lo:hi][has])
                kept_words.append(n_words[has])
                n_kept += len(bands)
            if progress:
                progress("words", last, len(order))
    return _SpilledWordsStage(
        _concat(kept_index, np.int64),
        _concat(kept_words, np.int64),
        band_rows[:n_kept],
        rejects,
    )


def _runs(ends: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Consecutive runs ``[lo, hi)`` of items whose sizes add up to about ``size`` (at least
    one item each); ``ends`` is the running total of the sizes."""
    runs = []
    first, base = 0, 0
    while first < len(ends):
        last = max(first + 1, int(np.searchsorted(ends, base + size, "right")))
        runs.append((first, last))
        first, base = last, int(ends[last - 1])
    return runs


def _spilled_words_job(
    shingle_size: int,
    num_perm: int,
    seed: int,
    bands: int,
    rows_per_band: int,
    window: int,
    parts: int,
    texts: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Words per document of ``texts``, and of those with words: signatures, band keys,
    and passage keys as :data:`KEY_ROW` rows (``doc`` numbered among them from 0), ordered
    by key partition (stable), with the number of rows of each partition."""
    tokens = tokenize(texts)
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
    return n_words, signatures, band_keys(signatures, bands, rows_per_band), rows[order], counts


def _spilled_candidates(
    keys: PartitionSpill,
    folder: Path,
    n_docs: int,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None,
) -> tuple[PassageCandidates, int]:
    """The passage candidates of spilled keys, and the number of common keys: each key
    partition's hits go to files by document pair, and each of those gives its two-hit
    candidates (the map-reduce of :func:`_candidates`, one partition in memory per worker)."""
    parts = keys.parts
    hits = PartitionSpill(folder, "hits", HIT_ROW, parts)
    common_keys = 0
    step = max(1, engine.workers)
    shared = (config.common_limit(n_docs),)
    for done, jobs in _partition_jobs(keys, step):
        for found in engine.map_ordered(_spilled_key_hits, shared, jobs):
            common_keys += found.common_keys
            rows = np.empty(len(found), dtype=HIT_ROW)
            for name in HIT_ROW.names:
                rows[name] = getattr(found, name)
            hits.append(rows, hit_partition(found, parts, n_docs))
        if progress:
            progress("candidates", done, 2 * parts)
    reduced = []
    shared = (n_docs, config.two_hit_distance, config.max_gap_words)
    for done, jobs in _partition_jobs(hits, step):
        reduced += list(engine.map_ordered(_spilled_two_hits, shared, jobs))
        if progress:
            progress("candidates", parts + done, 2 * parts)
    keys.close()
    hits.close()
    return merge_passage_candidates(reduced, n_docs), common_keys


def _partition_jobs(
    spill: PartitionSpill, step: int
) -> Iterator[tuple[int, list[tuple[np.ndarray]]]]:
    """The partitions of ``spill``, ``step`` at a time (one per worker), each read and its
    file removed: how many partitions are done with these, and a job of each one's rows."""
    for first in range(0, spill.parts, step):
        group = range(first, min(first + step, spill.parts))
        jobs = [(spill.read(part),) for part in group]
        for part in group:
            spill.drop(part)
        yield group[-1] + 1, jobs


def _spilled_key_hits(max_docs: int, rows: np.ndarray) -> PassageHits:
    """Passage hits of one partition of spilled keys (rows in document order)."""
    return postings_hits(
        rows["value"].copy(),
        rows["doc"].astype(np.int64),
        rows["position"].astype(np.int64),
        max_docs,
    )


def _spilled_two_hits(
    n_docs: int, two_hit_distance: int, max_shift: int, rows: np.ndarray
) -> PassageCandidates:
    """Two-hit candidates of one partition of spilled hits (every hit of a pair in it)."""
    hits = PassageHits(*(rows[name].astype(np.int64) for name in HIT_ROW.names), 0)
    return two_hit_candidates(hits, n_docs, two_hit_distance=two_hit_distance, max_shift=max_shift)


def _signature_map(path: Path, n_docs: int, num_perm: int) -> np.ndarray:
    """The signature rows written to ``path``, as a read-only memory map (an array in memory
    when there are none)."""
    if n_docs == 0:
        return np.zeros((0, num_perm), dtype=np.uint32)
    return np.memmap(path, dtype=np.uint32, mode="r", shape=(n_docs, num_perm))


@dataclass(frozen=True, slots=True)
class _SpilledWords:
    """Words of spilled documents, read back and tokenized a block of pairs at a time."""

    texts: TextSpill
    spill_index: np.ndarray
    shingle_size: int
    engine: Engine
    block_docs: int = SPILL_BLOCK_DOCS

    def blocks(
        self, pairs: np.ndarray
    ) -> Iterator[tuple[Shingled, np.ndarray, np.ndarray | None, int]]:
        flat = pairs.tolist()
        start = 0
        while start < len(flat):
            seen: set[int] = set()
            end = start
            while end < len(flat):
                a, b = flat[end]
                new = (a not in seen) + (b != a and b not in seen)
                if seen and len(seen) + new > self.block_docs:
                    break
                seen.update((a, b))
                end += 1
            numbers = np.array(sorted(seen), dtype=np.int64)
            texts = [self.texts.read(int(self.spill_index[d])) for d in numbers.tolist()]
            shingled = shingle_corpus(texts, self.shingle_size, workers=self.engine)
            yield shingled, np.searchsorted(numbers, pairs[start:end]), numbers, end
            start = end


@dataclass(frozen=True, slots=True)
class _DocTable:
    """What verification needs of each document, in document order: its record (whose text
    may be left empty when ``text_of`` reads it from elsewhere), its words and characters,
    and its text on demand."""

    records: Sequence[Record]
    words: np.ndarray
    chars: np.ndarray
    text_of: Callable[[int], str]

    @classmethod
    def of(cls, records: Sequence[Record], tokens: Tokens) -> _DocTable:
        """The table of records held in memory, with their words."""
        chars = np.array([len(r.text) for r in records], dtype=np.int64)
        return cls(records, np.diff(tokens.doc_ptr), chars, lambda doc: records[doc].text)


class _WordSource(Protocol):
    """Words of the documents of a run of document pairs, a block of pairs at a time."""

    def blocks(
        self, pairs: np.ndarray
    ) -> Iterator[tuple[Shingled, np.ndarray, np.ndarray | None, int]]:
        """For consecutive blocks of ``pairs`` (shape (n, 2)): the words of their documents,
        the block's pairs numbered as those words are, each of those documents' number in
        the corpus (None when the words are the whole corpus'), and how many pairs are done
        with this block."""
        ...


@dataclass(frozen=True, slots=True)
class _CorpusWords:
    """The words of the whole corpus, in memory: one block of every pair."""

    shingled: Shingled

    def blocks(
        self, pairs: np.ndarray
    ) -> Iterator[tuple[Shingled, np.ndarray, np.ndarray | None, int]]:
        yield self.shingled, pairs, None, len(pairs)


def _global(local: np.ndarray, numbers: np.ndarray | None) -> np.ndarray:
    """Document numbers of a block (see :class:`_WordSource`) in the corpus."""
    return local if numbers is None else numbers[local]


@dataclass(frozen=True, slots=True)
class _Verified:
    """What the verification and alignment of a set of candidates found."""

    near_duplicates: dict[tuple[int, int], _Overlap]
    aligned_pairs: int
    pairs: list[Pair]
    passages: list[PassageCluster]
    documents: list[DocumentInfo]

    def scan_result(
        self,
        config: Config,
        table: _DocTable,
        rejects: Sequence[Reject],
        signatures: np.ndarray,
        candidates: tuple[int, int, int, int],
        seconds: dict[str, float],
    ) -> ScanResult:
        """The scan's result: what was found, with the counts of ``run.json``
        (``candidates``: the arguments of :meth:`counts`)."""
        counts = {
            "documents": len(table.records),
            "rejected": len(rejects),
            "words": int(table.words.sum()),
            "characters": int(table.chars.sum()),
            **self.counts(*candidates),
        }
        return ScanResult(
            config,
            tuple(self.documents),
            tuple(self.pairs),
            tuple(self.passages),
            tuple(rejects),
            signatures,
            counts,
            seconds,
        )

    def counts(
        self, lsh_candidates: int, passage_candidates: int, self_candidates: int, common_keys: int
    ) -> dict[str, int]:
        """The candidate and result counts of ``run.json``, in their order there."""
        return {
            "lsh_candidate_pairs": lsh_candidates,
            "near_duplicate_pairs": len(self.near_duplicates),
            "passage_candidate_pairs": passage_candidates,
            "self_repeat_candidates": self_candidates,
            "common_passage_keys": common_keys,
            "aligned_pairs": self.aligned_pairs,
            "pairs": len(self.pairs),
            "passages": len(self.passages),
            "alignments": sum(len(p.alignments) for p in self.pairs),
            "documents_with_repeats": sum(1 for d in self.documents if d.repeated_words),
        }


def _verify(
    words: _WordSource,
    table: _DocTable,
    lsh_pairs: Iterable[tuple[int, int]],
    passage_pairs: set[tuple[int, int]],
    self_docs: Iterable[int],
    config: Config,
    *,
    progress: ProgressFn | None,
    work: Workspace | None,
    engine: Engine,
    seconds: dict[str, float],
    clock: float,
) -> tuple[_Verified, float]:
    """Check every candidate on the words: LSH pairs whose exact Jaccard reaches the
    threshold, passage pairs and self-repeat candidates are aligned, and the alignments
    clustered into passages and pairs. Adds the ``align`` and ``passages`` stage times.

    ``words`` gives the words of the pairs' documents a block at a time (the whole corpus
    at once when it is in memory), so the outcome does not depend on how it is split; each
    block's LSH pairs are measured and its pairs to align aligned while its words are at
    hand."""
    lsh = {(int(a), int(b)) for a, b in lsh_pairs}
    candidates = sorted(lsh | passage_pairs) + [(d, d) for d in self_docs]
    near_duplicates: dict[tuple[int, int], _Overlap] = {}
    measures: dict[tuple[int, int], _Overlap] = {}  # exact measures of the pairs measured
    raw: list[tuple[int, int, list[int]]] = []
    spans: list[np.ndarray] = []
    aligned = 0
    array = np.array(candidates, dtype=np.int64).reshape(-1, 2)
    for shingled, local, numbers, done in words.blocks(array):
        whole = numbers is None  # the corpus itself: chunks resume and show progress
        pairs = [tuple(pair) for pair in _global(local, numbers).tolist()]
        is_lsh = np.array([pair in lsh for pair in pairs], dtype=bool)
        for k, stats in zip(
            np.flatnonzero(is_lsh).tolist(), _overlaps(shingled, local[is_lsh], engine)
        ):
            measures[pairs[k]] = stats
            if stats.jaccard >= config.threshold:
                near_duplicates[pairs[k]] = stats
        to_align = np.array(
            [
                pair in passage_pairs or pair in near_duplicates or pair[0] == pair[1]
                for pair in pairs
            ],
            dtype=bool,
        )
        aligned += int(to_align.sum())
        part = _align(
            shingled,
            local[to_align],
            config,
            progress if whole else None,
            work if whole else None,
            engine,
        )
        span_docs, starts, ends = _span_offsets(part, shingled.tokens)
        if not whole:
            part = [(int(numbers[a]), int(numbers[b]), row) for a, b, row in part]
            span_docs = numbers[span_docs]
        # the exact measures of the other aligned pairs, while their words are at hand
        others = sorted({(a, b) for a, b, _ in part if a != b} - measures.keys())
        in_block = np.searchsorted(numbers, others) if not whole else np.array(others)
        measures.update(zip(others, _overlaps(shingled, in_block, engine)))
        raw += part
        spans.append(np.stack([span_docs, starts, ends]))
        if progress and not whole:
            progress("align", done, len(array))
    seconds["align"], clock = _lap(clock)

    span_table = np.concatenate(spans, axis=1) if spans else np.zeros((3, 0), dtype=np.int64)
    alignments, passages = _cluster(raw, span_table, table)
    ids = [r.id for r in table.records]
    pairs = _pairs(alignments, near_duplicates, measures, ids, table.words, config)
    documents = _documents(table, raw)
    seconds["passages"], clock = _lap(clock)
    found = _Verified(near_duplicates, aligned, pairs, passages, documents)
    return found, clock


def minhashes(result: ScanResult) -> dict[str, object]:
    """Document id → ``datasketch.LeanMinHash`` of its signature (scheme ``"affine32"``)."""
    sketches = to_datasketch(result.signatures, result.config.seed)
    return {doc.id: sketch for doc, sketch in zip(result.documents, sketches)}


ALIGN_CHUNK = 4096  # pairs per call of the batch aligner, between progress updates


def _align(
    shingled: Shingled,
    pairs: np.ndarray,
    config: Config,
    progress: ProgressFn | None,
    work: Workspace | None,
    engine: Engine,
) -> list[tuple[int, int, list[int]]]:
    """Verified passages of every candidate pair: ``(doc_a, doc_b, passage row)``, in
    chunks of ``ALIGN_CHUNK`` pairs, each kept in the workspace when there is one.

    Chunks not in the workspace are aligned on ``engine``; each is saved as it
    comes back, in chunk order, so an interrupted run keeps every chunk before the gap."""
    raw: list[tuple[int, int, list[int]]] = []
    workers = engine.workers
    firsts = range(0, len(pairs), ALIGN_CHUNK)
    done = {f for f in firsts if work is not None and work.has(_align_stage(f))}
    shared = (
        shingled.shingles,
        shingled.shingle_ptr,
        config.shingle_size,
        config.min_passage_words,
        config.max_gap_words,
        shingled.tokens,  # the words: the aligner extends passages through edits
        config.max_bridge_words,
        config.min_exact_share,
    )
    # each chunk is split in one piece per worker, so that even one chunk uses every core;
    # the results are sorted by pair, so the pieces put back together are the chunk's
    jobs, offsets = [], {}
    for first in firsts:
        if first not in done:
            chunk = pairs[first : first + ALIGN_CHUNK]
            cuts = np.linspace(0, len(chunk), max(1, min(workers, len(chunk))) + 1).astype(int)
            offsets[first] = cuts[:-1].tolist()
            jobs += [(chunk[lo:hi],) for lo, hi in itertools.pairwise(cuts.tolist())]
    aligned = engine.map_ordered(_align_chunk, shared, jobs)
    for first in firsts:
        chunk = pairs[first : first + ALIGN_CHUNK]
        stage = _align_stage(first)
        if first in done:
            assert work is not None
            found = work.load(stage)
            pair_index, passages = found["pair_index"], found["passages"].reshape(-1, 6)
        else:
            parts = [next(aligned) for _ in offsets[first]]
            pair_index = np.concatenate(
                [index + offset for (index, _), offset in zip(parts, offsets[first])]
            )
            passages = np.concatenate([found for _, found in parts]).reshape(-1, 6)
            if work is not None:
                work.save(stage, pair_index=pair_index, passages=passages)
        found_pairs = chunk[pair_index].tolist()
        raw.extend((a, b, row) for (a, b), row in zip(found_pairs, passages.tolist()))
        if progress:
            progress("align", min(first + ALIGN_CHUNK, len(pairs)), len(pairs))
    aligned.close()  # the workers stop now, not when the generator is collected
    return raw


def _candidates(
    doc_keys: np.ndarray, keys: PassageKeys, config: Config, engine: Engine
) -> tuple[np.ndarray, PassageCandidates]:
    """Candidate pairs of the document LSH (``doc_keys``: band keys, one row per document)
    and of the passage keys, as a map-reduce on ``engine`` in one part per Ray worker (one
    part for local threads).

    Map: the documents that share a band key, and the passage hits, of the keys of each
    part (:func:`dedup.index.key_partition`). Shuffle: the hits are regrouped by document
    pair. Reduce: the two-hit filter on each group. The merged parts are the candidates of
    the whole corpus, whatever the number of parts (tests/test_index_partition.py)."""
    n_docs = len(keys.key_ptr) - 1
    # local threads share one memory: more parts would each scan every key, and the numpy
    # steps of a part hold the GIL often enough that two parts take longer than one
    parts = 1 if isinstance(engine, LocalEngine) else max(1, engine.workers)
    shared = (doc_keys, keys.values, keys.positions, keys.key_ptr, config.common_limit(n_docs))
    jobs = [(part, parts) for part in range(parts)]
    mapped = list(engine.map_ordered(_candidates_map, shared, jobs))
    lsh_pairs = merge_pairs([found[0] for found in mapped], n_docs)
    hits = concat_hits([PassageHits(*found[1:5], int(found[5])) for found in mapped])
    del mapped
    grouped, bounds = group_hits(hits, parts, n_docs)
    del hits
    shared = (
        grouped.doc_a,
        grouped.doc_b,
        grouped.pos_a,
        grouped.pos_b,
        n_docs,
        config.two_hit_distance,
        config.max_gap_words,
    )
    jobs = [(int(lo), int(hi)) for lo, hi in itertools.pairwise(bounds.tolist())]
    reduced = [
        PassageCandidates(pairs, self_docs, 0)
        for pairs, self_docs in engine.map_ordered(_candidates_reduce, shared, jobs)
    ]
    found = merge_passage_candidates(reduced, n_docs)
    return lsh_pairs, dataclasses.replace(found, common_keys=grouped.common_keys)


def _candidates_map(
    doc_keys: np.ndarray,
    values: np.ndarray,
    positions: np.ndarray,
    key_ptr: np.ndarray,
    max_docs: int,
    part: int,
    parts: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Band-key pairs and passage hits of the keys of one part."""
    pairs = band_candidates_part(doc_keys, part, parts)
    hits = passage_hits(PassageKeys(values, positions, key_ptr), max_docs, part=part, parts=parts)
    return pairs, hits.doc_a, hits.doc_b, hits.pos_a, hits.pos_b, hits.common_keys


def _candidates_reduce(
    doc_a: np.ndarray,
    doc_b: np.ndarray,
    pos_a: np.ndarray,
    pos_b: np.ndarray,
    n_docs: int,
    two_hit_distance: int,
    max_shift: int,
    lo: int,
    hi: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs and self-repeat documents of hits ``lo`` to ``hi - 1`` (whole document pairs)."""
    part = slice(lo, hi)
    hits = PassageHits(doc_a[part], doc_b[part], pos_a[part], pos_b[part], 0)
    found = two_hit_candidates(hits, n_docs, two_hit_distance=two_hit_distance, max_shift=max_shift)
    return found.pairs, found.self_docs


def _align_stage(first: int) -> str:
    return f"align-{first // ALIGN_CHUNK:06d}"


def _align_chunk(
    shingles: np.ndarray,
    shingle_ptr: np.ndarray,
    shingle_size: int,
    min_words: int,
    max_gap: int,
    words: Tokens,
    max_bridge: int,
    min_exact_share: float,
    chunk: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    return align_pairs(
        shingles,
        shingle_ptr,
        chunk,
        shingle_size=shingle_size,
        min_words=min_words,
        max_gap=max_gap,
        words=words,
        max_bridge=max_bridge,
        min_exact_share=min_exact_share,
    )


SIGNATURE_JOBS_PER_WORKER = 4  # parts per worker, so a slow part does not hold up the rest


def _signatures(shingled: Shingled, config: Config, engine: Engine) -> np.ndarray:
    """Document signatures (see :func:`dedup.sketch.compute_signatures`), computed on
    ``engine`` over runs of whole documents of about equal shingle counts.
    A document's signature depends on its shingles alone, so the rows are the same."""
    ptr = shingled.shingle_ptr
    n_docs = len(ptr) - 1
    workers = engine.workers
    parts = 1 if workers <= 1 else workers * SIGNATURE_JOBS_PER_WORKER
    targets = np.linspace(0, int(ptr[-1]), parts + 1)[1:-1]
    cuts = np.unique(np.concatenate([[0], np.searchsorted(ptr, targets), [n_docs]]))
    jobs = [(int(lo), int(hi)) for lo, hi in itertools.pairwise(cuts.tolist())]
    shared = (shingled.shingles, ptr, config.num_perm, config.seed)
    blocks = list(engine.map_ordered(_signature_part, shared, jobs))
    if not blocks:
        return compute_signatures(shingled.shingles, ptr, config.num_perm, config.seed)
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]


def _signature_part(
    shingles: np.ndarray, shingle_ptr: np.ndarray, num_perm: int, seed: int, lo: int, hi: int
) -> np.ndarray:
    """Signatures of documents ``lo`` to ``hi - 1``."""
    first, last = int(shingle_ptr[lo]), int(shingle_ptr[hi])
    return compute_signatures(
        shingles[first:last], shingle_ptr[lo : hi + 1] - first, num_perm, seed
    )


def _words_stage(
    docs: list[Record],
    config: Config,
    work: Workspace,
    progress: ProgressFn | None,
    engine: Engine,
) -> tuple[Shingled, np.ndarray]:
    """Words and shingles of the documents that have words, and which those are."""
    if work.has("words"):
        found = work.load("words")
        tokens = Tokens(found["hashes"], found["starts"], found["ends"], found["doc_ptr"])
        return Shingled(tokens, found["shingles"], found["shingle_ptr"]), found["kept"]
    shingled = shingle_corpus([r.text for r in docs], config.shingle_size, progress, workers=engine)
    kept = np.flatnonzero(np.diff(shingled.tokens.doc_ptr) > 0)
    if len(kept) < len(docs):
        shingled = shingle_corpus(
            [docs[i].text for i in kept.tolist()], config.shingle_size, workers=engine
        )
    tokens = shingled.tokens
    work.save(
        "words",
        hashes=tokens.hashes,
        starts=tokens.starts,
        ends=tokens.ends,
        doc_ptr=tokens.doc_ptr,
        shingles=shingled.shingles,
        shingle_ptr=shingled.shingle_ptr,
        kept=kept,
    )
    return shingled, kept


def printable_source(record: Record) -> str:
    """Where a record came from, or its id when it came through the API (escaped: it may
    be the field that cannot be written)."""
    where = record.source or record.id
    return where.encode("utf-8", "backslashreplace").decode("utf-8")


def _usable(records: Iterable[Record], rejects: list[Reject]) -> Iterator[Record]:
    """The records that can be written out; the others go to ``rejects``."""
    for record in records:
        problem = record_problem(record)
        if problem is None:
            yield record
        else:
            rejects.append(Reject(printable_source(record), problem, None))


def _prepare(records: Iterable[Record]) -> tuple[list[Record], list[Reject]]:
    """Records sorted by id, first of each id kept; the rest are rejects."""
    seen: dict[str, Record] = {}
    rejects: list[Reject] = []
    for record in _usable(records, rejects):
        if record.id in seen:
            first = seen[record.id].source or "an earlier record"
            rejects.append(
                Reject(
                    record.source or record.id,
                    f'duplicate id "{record.id}" (first at {first})',
                    record.id,
                )
            )
            continue
        seen[record.id] = record
    return [seen[key] for key in sorted(seen)], rejects


@dataclass(frozen=True, slots=True)
class _Overlap:
    jaccard: float
    containment_a: float
    containment_b: float


OVERLAP_JOBS_PER_WORKER = 4  # parts per worker of the exact shingle-set measures


def _overlaps(
    shingled: Shingled, pairs: Sequence[tuple[int, int]], engine: Engine
) -> list[_Overlap]:
    """Exact Jaccard and containments of the shingle sets of each pair, on ``engine``."""
    array = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    parts = 1 if engine.workers <= 1 else engine.workers * OVERLAP_JOBS_PER_WORKER
    cuts = np.linspace(0, len(array), min(parts, max(len(array), 1)) + 1).astype(int)
    jobs = [(array[lo:hi],) for lo, hi in itertools.pairwise(cuts.tolist())]
    shared = (shingled.shingles, shingled.shingle_ptr)
    found = []
    for counts in engine.map_ordered(shingle_overlaps, shared, jobs):
        for size_a, size_b, common in counts.tolist():
            union = size_a + size_b - common
            found.append(
                _Overlap(
                    common / union if union else 0.0,
                    common / size_a if size_a else 0.0,
                    common / size_b if size_b else 0.0,
                )
            )
    return found


def _span_offsets(
    raw: list[tuple[int, int, list[int]]], tokens: Tokens
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Document and character span of both sides of every alignment row: entries ``2k`` and
    ``2k + 1`` are row ``k``'s ``a`` and ``b`` side (ndarrays of int64)."""
    if not raw:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    rows = np.array([row for _, _, row in raw], dtype=np.int64).reshape(-1, 6)
    pairs = np.array([(a, b) for a, b, _ in raw], dtype=np.int64).reshape(-1, 2)
    docs = pairs.reshape(-1)
    first = np.stack([rows[:, A_LO], rows[:, B_LO]], axis=1).reshape(-1)
    past = np.stack([rows[:, A_HI], rows[:, B_HI]], axis=1).reshape(-1)
    base = tokens.doc_ptr[docs]
    return docs, tokens.starts[base + first], tokens.ends[base + past - 1]


def _cluster(
    raw: list[tuple[int, int, list[int]]], spans: np.ndarray, table: _DocTable
) -> tuple[list[tuple[int, int, list[int], Alignment]], list[PassageCluster]]:
    """Alignments in character offsets (beside their word-position rows), and the passage
    clusters they form. ``spans`` holds the document, start and end of both sides of every
    row (:func:`_span_offsets`), shape (3, 2 * len(raw))."""
    if not raw:
        return [], []
    docs = table.records
    span_doc, span_start, span_end = (column.tolist() for column in spans)
    links = np.arange(2 * len(raw), dtype=np.int64).reshape(-1, 2)
    labels = cluster_spans(spans[0], spans[1], spans[2], links)

    members: dict[int, list[int]] = defaultdict(list)
    for span, label in enumerate(labels.tolist()):
        members[label].append(span)
    clusters = []
    for spans_of in members.values():
        witnesses = _merge_witnesses([(span_doc[s], span_start[s], span_end[s]) for s in spans_of])
        clusters.append((witnesses, spans_of))
    clusters.sort(key=lambda item: item[0][0])
    cluster_id: dict[int, str] = {}
    passages = []
    for number, (witnesses, spans_of) in enumerate(clusters, 1):
        name = f"p{number}"
        for s in spans_of:
            cluster_id[s] = name
        doc, start, end = max(witnesses, key=lambda w: (w[2] - w[1], -w[0], -w[1]))
        passages.append(
            PassageCluster(
                name,
                table.text_of(doc)[start:end],
                tuple(Witness(docs[d].id, s, e) for d, s, e in witnesses),
            )
        )
    alignments = []
    for k, (a, b, row) in enumerate(raw):
        alignments.append(
            (
                a,
                b,
                row,
                Alignment(
                    a=docs[a].id,
                    a_start=span_start[2 * k],
                    a_end=span_end[2 * k],
                    b=docs[b].id,
                    b_start=span_start[2 * k + 1],
                    b_end=span_end[2 * k + 1],
                    words_a=row[A_HI] - row[A_LO],
                    words_b=row[B_HI] - row[B_LO],
                    matched_words=min(row[MATCHED_A], row[MATCHED_B]),
                    cluster=cluster_id[2 * k],
                ),
            )
        )
    return alignments, passages


def _merge_witnesses(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Sorted occurrences, overlapping ones in one document merged into their union."""
    merged: list[list[int]] = []
    for doc, start, end in sorted(spans):
        if merged and merged[-1][0] == doc and start < merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([doc, start, end])
    return [tuple(m) for m in merged]  # type: ignore[misc]


def _pairs(
    alignments: list[tuple[int, int, list[int], Alignment]],
    near_duplicates: dict[tuple[int, int], _Overlap],
    measures: dict[tuple[int, int], _Overlap],
    ids: list[str],
    words: np.ndarray,
    config: Config,
) -> list[Pair]:
    cross = [(a, b, row, alignment) for a, b, row, alignment in alignments if a != b]
    keys = sorted({(a, b) for a, b, _, _ in cross} | near_duplicates.keys())
    number = {key: k for k, key in enumerate(keys)}
    groups = np.array([number[(a, b)] for a, b, _, _ in cross], dtype=np.int64)
    rows = np.array([row for _, _, row, _ in cross], dtype=np.int64).reshape(-1, 6)
    n = len(keys)
    reused_a = union_lengths(groups, rows[:, A_LO], rows[:, A_HI], n).tolist()
    reused_b = union_lengths(groups, rows[:, B_LO], rows[:, B_HI], n).tolist()
    matched_a = np.bincount(groups, weights=rows[:, MATCHED_A], minlength=n).astype(np.int64)
    matched_b = np.bincount(groups, weights=rows[:, MATCHED_B], minlength=n).astype(np.int64)
    found: list[list[Alignment]] = [[] for _ in keys]
    for k, (_, _, _, alignment) in zip(groups.tolist(), cross):
        found[k].append(alignment)
    pairs = []
    for k, (a, b) in enumerate(keys):
        overlap = measures[(a, b)]
        words_a, words_b = int(words[a]), int(words[b])
        pairs.append(
            Pair(
                a=ids[a],
                b=ids[b],
                words_a=words_a,
                words_b=words_b,
                reused_words_a=reused_a[k],
                reused_words_b=reused_b[k],
                reused_fraction_a=reused_a[k] / words_a,
                reused_fraction_b=reused_b[k] / words_b,
                copied_words_a=min(int(matched_a[k]), reused_a[k]),
                copied_words_b=min(int(matched_b[k]), reused_b[k]),
                jaccard=overlap.jaccard,
                containment_a=overlap.containment_a,
                containment_b=overlap.containment_b,
                near_duplicate=overlap.jaccard >= config.threshold,
                alignments=tuple(sorted(found[k], key=lambda x: (x.a_start, x.b_start))),
            )
        )
    return pairs


def _documents(table: _DocTable, raw: list[tuple[int, int, list[int]]]) -> list[DocumentInfo]:
    n_docs = len(table.records)
    rows = np.array([row for _, _, row in raw], dtype=np.int64).reshape(-1, 6)
    a = np.array([a for a, _, _ in raw], dtype=np.int64)
    b = np.array([b for _, b, _ in raw], dtype=np.int64)
    cross, same = a != b, a == b
    reused = union_lengths(
        np.concatenate([a[cross], b[cross]]),
        np.concatenate([rows[cross, A_LO], rows[cross, B_LO]]),
        np.concatenate([rows[cross, A_HI], rows[cross, B_HI]]),
        n_docs,
    ).tolist()
    repeated = union_lengths(a[same], rows[same, B_LO], rows[same, B_HI], n_docs).tolist()
    return [
        DocumentInfo(
            id=record.id,
            words=n_words,
            chars=n_chars,
            reused_words=reused[index],
            repeated_words=repeated[index],
            outlet=record.outlet,
            date=record.date,
            source=record.source,
        )
        for index, (record, n_words, n_chars) in enumerate(
            zip(table.records, table.words.tolist(), table.chars.tolist())
        )
    ]


def _concat(chunks: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(chunks).astype(dtype, copy=False) if chunks else np.zeros(0, dtype)


def _concat_clearing(chunks: list[np.ndarray], dtype: type) -> np.ndarray:
    """:func:`_concat` of ``chunks``, which is emptied so the chunks can be freed at once."""
    whole = _concat(chunks, dtype)
    chunks.clear()
    return whole


def _lap(clock: float) -> tuple[float, float]:
    now = time.perf_counter()
    return now - clock, now


def clean(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    drop_duplicates: bool = False,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
) -> CleanResult:
    """Remove repeated bodies, repeated lines and boilerplate; optionally collapse
    near-duplicate documents to the earliest one.

    Every removal is a :class:`dedup.types.Cut` on the document, so the original is the
    cleaned text with its cuts put back. ``workers`` threads (0: every core) share the
    words, alignment and duplicate scan; the result is the same for any number.
    """
    config = config or Config()
    engine = resolve_engine(workers)
    docs, rejects = _prepare(records)
    texts = [r.text for r in docs]
    skip = set(config.clean_skip)
    shingled = shingle_corpus(texts, config.shingle_size, progress, workers=engine)
    copies = _self_copies(shingled, config, engine) if "self-duplicate" not in skip else {}
    lines = [
        rules.lines_of(text, doc_words.starts, doc_words.hashes)
        for text, doc_words in zip(texts, _doc_tokens(shingled))
    ]
    learned: set[tuple[str, str, bytes]] = set()
    if "learned" not in skip:
        learned = rules.learn_boilerplate(
            lines,
            [r.outlet for r in docs],
            min_docs=config.boilerplate_min_docs,
            fraction=config.boilerplate_fraction,
            max_words=config.boilerplate_max_words,
        )
    user_patterns = [re.compile(p, re.MULTILINE) for p in config.boilerplate_patterns]

    cleaned: list[CleanedDocument] = []
    for index, (record, doc_lines) in enumerate(zip(docs, lines)):
        text = record.text
        found: list[list[rules.Span]] = []
        if "comments" not in skip:
            found.append(rules.comment_spans(text))
        for name, patterns in rules.BUILTIN_PATTERNS.items():
            if name not in skip:
                found.append(rules.pattern_spans(text, name, patterns))
        if learned:
            found.append(
                rules.learned_spans(doc_lines, record.outlet, learned, config.boilerplate_max_words)
            )
        if user_patterns:
            found.append(rules.pattern_spans(text, "user", user_patterns))
        if "self-duplicate" not in skip:
            found.append(
                rules.self_duplicate_spans(text, copies.get(index, []))
                + rules.repeated_line_spans(doc_lines)
            )
        spans = rules.combine(text, found, doc_lines.bounds)
        cleaned.append(CleanedDocument(record, rules.apply_cuts(text, spans), _cuts(record, spans)))
        if progress and (index % 1024 == 0 or index == len(docs) - 1):
            progress("clean", index + 1, len(docs))

    duplicates: list[DuplicateDrop] = []
    if drop_duplicates:
        cleaned, duplicates = _drop_duplicates(cleaned, config, engine)
    removed: dict[str, int] = defaultdict(int)
    for doc in cleaned:
        for cut in doc.cuts:
            key = "duplicate-of" if cut.reason.startswith("duplicate-of:") else cut.reason
            removed[key] += cut.end - cut.start
    counts = {
        "documents": len(cleaned),
        "kept": sum(1 for d in cleaned if d.duplicate_of is None),
        "dropped_duplicates": len(duplicates),
        "documents_with_cuts": sum(1 for d in cleaned if d.cuts),
        "characters": sum(len(r.text) for r in docs),
        "characters_removed": sum(removed.values()),
        **{f"removed:{reason}": chars for reason, chars in sorted(removed.items())},
    }
    return CleanResult(config, tuple(cleaned), tuple(duplicates), tuple(rejects), counts)


def _doc_tokens(shingled: Shingled) -> Iterator[Tokens]:
    """Each document's words (a view into the corpus arrays)."""
    for index in range(shingled.tokens.n_docs):
        yield shingled.tokens.doc(index)


def _self_copies(
    shingled: Shingled, config: Config, engine: Engine
) -> dict[int, list[tuple[int, int, int, int]]]:
    """Per document, the character spans of the two copies of each text it repeats."""
    keys = winnow(shingled.shingles, shingled.shingle_ptr, config.passage_window)
    n_docs = len(shingled.shingle_ptr) - 1
    _, found = _candidates(np.zeros((n_docs, 0), dtype=np.uint64), keys, config, engine)
    pairs = np.stack([found.self_docs, found.self_docs], axis=1)
    raw = _align(shingled, pairs, config, None, None, engine)
    tokens, ptr = shingled.tokens, shingled.tokens.doc_ptr
    copies: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for doc, _, row in raw:
        base = int(ptr[doc])
        copies[doc].append(
            (
                int(tokens.starts[base + row[A_LO]]),
                int(tokens.ends[base + row[A_HI] - 1]),
                int(tokens.starts[base + row[B_LO]]),
                int(tokens.ends[base + row[B_HI] - 1]),
            )
        )
    return copies


def _cuts(record: Record, spans: Sequence[rules.Span]) -> tuple[Cut, ...]:
    return tuple(
        Cut(record.id, s.start, s.end, s.reason, record.text[s.start : s.end]) for s in spans
    )


def _drop_duplicates(
    cleaned: list[CleanedDocument], config: Config, engine: Engine
) -> tuple[list[CleanedDocument], list[DuplicateDrop]]:
    """Keep the earliest document (by date, then id; undated last) of near-duplicates.

    Two cleaned documents are near-duplicates when at least ``duplicate_copied`` of the words
    of each are copied exactly from the other, so that dropping one loses little (or, for
    items too short for passages, when their shingle Jaccard reaches it). Passage coverage
    alone would not do: it counts edited words, and the same template with new figures (a
    price notice, a dividend) covers 100 % while reporting a different fact. A document is
    dropped for the earliest kept document it is a near-duplicate of, never through a chain.
    """
    with_words = [d for d in cleaned if d.text.strip()]
    result = scan(
        [dataclasses.replace(d.record, text=d.text) for d in with_words], config, workers=engine
    )
    near: dict[str, list[tuple[str, Pair]]] = defaultdict(list)
    for pair in result.pairs:
        copied = min(pair.copied_words_a / pair.words_a, pair.copied_words_b / pair.words_b)
        if copied >= config.duplicate_copied or pair.jaccard >= config.duplicate_copied:
            near[pair.a].append((pair.b, pair))
            near[pair.b].append((pair.a, pair))
    order = sorted(
        cleaned,
        key=lambda d: (d.record.date is None, d.record.date or "", d.record.id),
    )
    rank = {d.record.id: k for k, d in enumerate(order)}
    kept: set[str] = set()
    dropped: dict[str, DuplicateDrop] = {}
    for doc in order:
        doc_id = doc.record.id
        partners = sorted(
            (rank[other], other, pair) for other, pair in near.get(doc_id, []) if other in kept
        )
        if not partners:
            kept.add(doc_id)
            continue
        _, keeper, pair = partners[0]
        copied_a, copied_b = pair.copied_words_a / pair.words_a, pair.copied_words_b / pair.words_b
        mine, theirs = (copied_a, copied_b) if pair.a == doc_id else (copied_b, copied_a)
        dropped[doc_id] = DuplicateDrop(doc_id, keeper, pair.jaccard, mine, theirs)
    out = []
    for doc in cleaned:
        drop = dropped.get(doc.record.id)
        if drop is None:
            out.append(doc)
            continue
        whole = rules.Span(0, len(doc.record.text), f"duplicate-of:{drop.kept}")
        spans = rules._insert([rules.Span(c.start, c.end, c.reason) for c in doc.cuts], whole)
        out.append(CleanedDocument(doc.record, "", _cuts(doc.record, spans), drop.kept))
    return out, sorted(dropped.values(), key=lambda d: d.dropped)


def stories(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    clusterer: StoryClusterer | None = None,
    use_clean: bool = True,
    use_links: bool = True,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
) -> StoriesResult:
    """Group records into stories.

    The text is cleaned first (``use_clean``: boilerplate and repeats would otherwise pull
    unrelated articles of one outlet together), and pairs that ``scan`` finds sharing a
    reused passage are given to the clusterer as links (``use_links``). ``workers``
    threads (0: every core) run the cleaning and the scan.
    """
    config = config or Config()
    engine = resolve_engine(workers)
    clusterer = clusterer or story_clusterer(config)
    docs, rejects = _prepare(records)
    texts = list(docs)
    if use_clean:
        cleaned = clean(docs, config, progress=progress, workers=engine)
        texts = [dataclasses.replace(d.record, text=d.text) for d in cleaned.documents]
    links: list[tuple[int, int]] = []
    link_pairs = 0
    if use_links:
        position = {record.id: k for k, record in enumerate(texts)}
        found = scan([t for t in texts if t.text.strip()], config, workers=engine)
        links = [(position[p.a], position[p.b]) for p in found.pairs]
        link_pairs = len(links)
    clusterer.fit(texts, links=links)
    counts = {
        "documents": len(docs),
        "rejected": len(rejects),
        "stories": clusterer.n_clusters_,
        "stories_with_several_documents": sum(1 for s in clusterer.stories_ if len(s.members) > 1),
        "passage_links": link_pairs,
    }
    return StoriesResult(config, clusterer, tuple(clusterer.stories_), tuple(rejects), counts)


def story_clusterer(config: Config) -> StoryClusterer:
    """The story clusterer that ``config`` describes."""
    from dedup.stories import StoryClusterer

    return StoryClusterer(
        n_neighbors=config.story_neighbors,
        min_lift=config.story_min_lift,
        resolution=config.story_resolution,
        min_conductance=config.story_min_conductance,
        window_days=config.story_window_days or None,
        title_weight=config.story_title_weight,
        random_state=config.seed,
    )


def chains(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    progress: ProgressFn | None = None,
    workspace: Workspace | None = None,
) -> ChainsResult:
    """Scan the records, then decide who carried whose copy (:func:`dedup.chains.build_chains`).

    Returns
    -------
    ChainsResult
        Its ``scan`` is the scan the chains rest on.
    """
    config = config or Config()
    records = list(records)
    from dedup.chains import build_chains

    result = scan(records, config, progress=progress, workspace=workspace)
    return build_chains(records, result, config)


@dataclass(frozen=True)
class ReportInputs:
    """What the HTML report shows: the records, and the scan, stories and chains over them."""

    records: tuple[Record, ...]
    scan: ScanResult
    stories: StoriesResult
    chains: ChainsResult


def report(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    progress: ProgressFn | None = None,
) -> ReportInputs:
    """Scan, group into stories and build the syndication chains, for ``dedup.html``.

    The chains are built from this very scan, so every edge rests on passages the report
    highlights.
    """
    config = config or Config()
    records = tuple(records)
    chained = chains(records, config, progress=progress)
    grouped = stories(records, config, progress=progress)
    return ReportInputs(records, chained.scan, grouped, chained)


# --- the persistent index ------------------------------------------------------------------


@dataclass(frozen=True)
class IndexAddResult:
    """What ``index_add`` did: ids added new, replaced (other text or metadata), left as
    they were (same text and metadata), and records skipped."""

    path: str
    added: tuple[str, ...]
    replaced: tuple[str, ...]
    unchanged: tuple[str, ...]
    rejects: tuple[Reject, ...]
    counts: dict[str, int]


@dataclass(frozen=True)
class IndexRemoveResult:
    """Ids removed from the index, and ids asked for that it does not hold."""

    path: str
    removed: tuple[str, ...]
    unknown: tuple[str, ...]


def index_settings(index: str | Path) -> Config | None:
    """The settings an existing index was built with, or None if there is no index."""
    if not Path(index).is_file():
        return None
    with IndexStore.open(index, readonly=True) as store:
        return store.config


def _index_rows(
    docs: Sequence[Record], config: Config, engine: Engine
) -> tuple[DocumentRows, np.ndarray, Shingled]:
    """Keys, signatures and digests of the documents that have words, and which those are
    (positions in ``docs``)."""
    shingled, kept = _words_stage(
        list(docs), config, Workspace(None, config_digest="", input_digest=""), None, engine
    )
    kept_docs = [docs[i] for i in kept.tolist()]
    signatures = _signatures(shingled, config, engine)
    keys = winnow(shingled.shingles, shingled.shingle_ptr, config.passage_window)
    rows = DocumentRows(
        records=kept_docs,
        digests=[input_digest([r]) for r in kept_docs],
        words=np.diff(shingled.tokens.doc_ptr),
        signatures=signatures,
        band_keys=band_keys(signatures, config.bands, config.rows),
        passage_values=keys.values,
        passage_positions=keys.positions,
        passage_ptr=keys.key_ptr,
    )
    return rows, kept, shingled


def _no_words(docs: Sequence[Record], kept: np.ndarray) -> list[Reject]:
    kept_set = set(kept.tolist())
    return [
        Reject(r.source or r.id, "no words", r.id) for k, r in enumerate(docs) if k not in kept_set
    ]


def index_add(
    index: str | Path,
    records: Iterable[Record],
    config: Config | None = None,
    *,
    workers: int | Engine = 1,
) -> IndexAddResult:
    """Add documents to the index at ``index`` (created with ``config`` if there is none).

    The whole call is one transaction: if the process dies, the index holds all of these
    records or none. A record whose id the index holds with the same text and metadata is
    left alone; with another text or metadata it replaces the stored one. A record without
    words is skipped (and a stored document of that id stays). ``config`` must agree with
    the index's key settings (IndexFormatError names the first that differs); None uses the
    index's settings.
    """
    engine = resolve_engine(workers)
    docs, rejects = _prepare(records)
    n_read = len(docs) + len(rejects)
    with IndexStore.create_or_open(index, config or Config()) as store:
        if config is not None:
            store.check_config(config)
        config = store.config
        with store.writing():
            existing = store.digests(r.id for r in docs)
            unchanged = [
                r.id for r in docs if r.id in existing and existing[r.id][1] == input_digest([r])
            ]
            skip = set(unchanged)
            todo = [r for r in docs if r.id not in skip]
            rows, kept, _ = _index_rows(todo, config, engine)
            rejects += _no_words(todo, kept)
            replaced = [r.id for r in rows.records if r.id in existing]
            if replaced:
                old_docs = np.array([existing[i][0] for i in replaced], dtype=np.int64)
                old = store.documents(old_docs.tolist())
                old_rows, _, _ = _index_rows([d.record for d in old], config, engine)
                store.delete(old_docs, old_rows)
            store.insert(rows)
            fault_point("index:commit", index)  # all written, not yet committed
            total = store.n_documents()
    added = tuple(r.id for r in rows.records if r.id not in existing)
    counts = {
        "read": n_read,
        "added": len(added),
        "replaced": len(replaced),
        "unchanged": len(unchanged),
        "rejected": len(rejects),
        "documents_in_index": total,
        "passage_keys_written": len(rows.passage_values),
        "characters_written": sum(len(r.text) for r in rows.records),
    }
    return IndexAddResult(
        str(index), added, tuple(replaced), tuple(unchanged), tuple(rejects), counts
    )


def index_remove(index: str | Path, ids: Iterable[str]) -> IndexRemoveResult:
    """Remove documents by id, with their keys, in one transaction; unknown ids are
    reported, not an error."""
    wanted = sorted(set(ids))
    with IndexStore.open(index) as store, store.writing():
        existing = store.digests(wanted)
        found = [i for i in wanted if i in existing]
        docs = np.array([existing[i][0] for i in found], dtype=np.int64)
        stored = store.documents(docs.tolist())
        rows, _, _ = _index_rows([d.record for d in stored], store.config, resolve_engine(1))
        store.delete(docs, rows)
    return IndexRemoveResult(
        str(index), tuple(found), tuple(i for i in wanted if i not in existing)
    )


def index_info(index: str | Path) -> dict:
    """Counts, settings and bytes on disk of an index."""
    with IndexStore.open(index, readonly=True) as store, store.reading():
        return store.info()


def index_query(
    index: str | Path,
    records: Iterable[Record],
    config: Config | None = None,
    *,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
) -> ScanResult:
    """What each new document shares with the indexed documents and with the other new ones.

    Equal to a ``scan`` of the index and the new documents together, restricted to what
    involves a new document: the same candidates (document LSH bands and two-hit passage
    keys, a key in more than ``common_limit`` of all those documents linking nothing), the
    same verification and alignment, so every pair with a new document carries the same
    measures and passage offsets. Passage clusters are built from those alignments only, so
    a cluster's witnesses are the ones reached through a new document. ``documents`` lists
    the new documents. An indexed document with the id of a new one is left out (the new
    text stands for it). The index is read in one snapshot, so a writer adding meanwhile is
    either wholly seen or not at all.

    ``config`` must agree with the index's key settings; None uses the index's settings.
    """
    config_given = config
    engine = resolve_engine(workers)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    docs, rejects = _prepare(records)
    with IndexStore.open(index, readonly=True) as store:
        if config_given is not None:
            store.check_config(config_given)
        config = config_given or store.config
        with store.reading():
            new_rows, kept, _ = _index_rows(docs, config, engine)
            rejects += _no_words(docs, kept)
            docs = list(new_rows.records)
            n_new = len(docs)
            same_id = {doc for doc, _ in store.digests(r.id for r in docs).values()}
            n_total = store.n_documents() - len(same_id) + n_new
            limit = config.common_limit(n_total)
            seconds["words"], clock = _lap(clock)

            band_rows, band_docs = store.band_matches(new_rows.band_keys)
            keep = ~np.isin(band_docs, list(same_id))
            band_rows, band_docs = band_rows[keep], band_docs[keep]
            values, post_docs, positions = store.passage_postings(new_rows.passage_values)
            keep = ~np.isin(post_docs, list(same_id))
            values, post_docs, positions = values[keep], post_docs[keep], positions[keep]
            passage, common_keys = _query_passage_candidates(
                new_rows, values, post_docs, positions, limit, config
            )
            seconds["candidates"], clock = _lap(clock)

            # the indexed documents to verify against: LSH and passage candidates
            needed = np.unique(np.concatenate([band_docs, passage.indexed_docs]).astype(np.int64))
            stored = store.documents(needed.tolist())
    # one small corpus of the new and the candidate documents, in id order as scan has it
    local_of_new = {r.id: r for r in docs}
    everyone = sorted(docs + [d.record for d in stored], key=lambda r: r.id)
    position = {r.id: k for k, r in enumerate(everyone)}
    new_at = np.array([position[r.id] for r in docs], dtype=np.int64)
    stored_at = {d.doc: position[d.record.id] for d in stored}
    shingled = shingle_corpus([r.text for r in everyone], config.shingle_size, workers=engine)

    def to_local(first: np.ndarray, second: np.ndarray) -> set[tuple[int, int]]:
        low, high = np.minimum(first, second), np.maximum(first, second)
        return set(zip(low.tolist(), high.tolist()))

    lsh = to_local(
        new_at[band_rows],
        np.array([stored_at[d] for d in band_docs.tolist()], dtype=np.int64).reshape(-1),
    )
    among_new = candidate_pairs(new_rows.band_keys)
    lsh |= to_local(new_at[among_new[:, 0]], new_at[among_new[:, 1]])
    # stored documents whose keys gave no candidate pair are not loaded (-1: never used)
    combined_at = np.concatenate(
        [
            new_at,
            np.array([stored_at.get(d, -1) for d in passage.stored_docs.tolist()], dtype=np.int64),
        ]
    )
    passage_pairs = to_local(combined_at[passage.pairs[:, 0]], combined_at[passage.pairs[:, 1]])
    found, clock = _verify(
        _CorpusWords(shingled),
        _DocTable.of(everyone, shingled.tokens),
        sorted(lsh),
        passage_pairs,
        sorted(new_at[passage.self_docs].tolist()),
        config,
        progress=progress,
        work=None,
        engine=engine,
        seconds=seconds,
        clock=clock,
    )
    documents = [d for d in found.documents if d.id in local_of_new]
    words = np.diff(shingled.tokens.doc_ptr)
    new_words = words[new_at] if n_new else np.zeros(0, dtype=np.int64)
    counts = {
        "documents": n_new,
        "rejected": len(rejects),
        "words": int(new_words.sum()),
        "characters": sum(len(r.text) for r in docs),
        "indexed_documents": n_total - n_new,
        "candidate_documents": len(stored),
        **dataclasses.replace(found, documents=documents).counts(
            len(lsh), len(passage_pairs), len(passage.self_docs), common_keys
        ),
    }
    return ScanResult(
        config,
        tuple(documents),
        tuple(found.pairs),
        tuple(found.passages),
        tuple(rejects),
        new_rows.signatures,
        counts,
        seconds,
    )


@dataclass(frozen=True, slots=True)
class _QueryPassages:
    """Passage candidates of a query, in the space ``[new documents…, stored_docs…]``."""

    pairs: np.ndarray
    self_docs: np.ndarray
    stored_docs: np.ndarray
    indexed_docs: np.ndarray


def _query_passage_candidates(
    new_rows: DocumentRows,
    values: np.ndarray,
    post_docs: np.ndarray,
    positions: np.ndarray,
    limit: int,
    config: Config,
) -> tuple[_QueryPassages, int]:
    """Two-hit passage candidates between the new documents and the stored postings of
    their keys, with :func:`dedup.index.passage_candidates` itself.

    Every stored occurrence of every key of a new document is in ``values``, so a key's
    document frequency here is the one it has in the index and the new documents together,
    and every hit that involves a new document is here. Returns the candidates and the
    number of the new documents' distinct keys found too common.
    """
    n_new = len(new_rows.records)
    new_doc_of = np.repeat(np.arange(n_new, dtype=np.int64), np.diff(new_rows.passage_ptr))
    stored_docs, local = np.unique(post_docs, return_inverse=True)
    all_values = np.concatenate([new_rows.passage_values, values]).astype(np.uint64)
    all_docs = np.concatenate([new_doc_of, n_new + local.astype(np.int64)])
    all_positions = np.concatenate([new_rows.passage_positions, positions]).astype(np.int64)
    n_docs = n_new + len(stored_docs)
    key_ptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(all_docs, minlength=n_docs), out=key_ptr[1:])
    keys = PassageKeys(all_values, all_positions, key_ptr)  # (doc, position) order, as winnow's
    found = passage_candidates(
        keys, limit, two_hit_distance=config.two_hit_distance, max_shift=config.max_gap_words
    )
    with_new = found.pairs[found.pairs[:, 0] < n_new] if len(found.pairs) else found.pairs
    with_new = with_new.reshape(-1, 2)
    involved = np.unique(with_new[with_new >= n_new]) - n_new
    return (
        _QueryPassages(
            pairs=with_new,
            self_docs=found.self_docs[found.self_docs < n_new],
            stored_docs=stored_docs,
            indexed_docs=stored_docs[involved],
        ),
        found.common_keys,
    )


def write_index_query(
    result: ScanResult,
    out_dir: str | Path,
    index: str | Path,
    *,
    inputs: Sequence[str] = (),
    read_options: dict | None = None,
    warnings: Sequence[Reject] = (),
) -> dict[str, int]:
    """A query's files, as ``scan`` writes them; run.json names the command and index."""
    from dedup.report import write_scan

    return write_scan(
        result,
        out_dir,
        inputs=inputs,
        read_options=read_options,
        warnings=warnings,
        command="index query",
        protected=[str(index)],
        run_extra={"index": str(index)},
    )
