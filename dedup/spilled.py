"""A scan of a corpus larger than memory: the same stages over texts, keys and hits spilled to
disk, a batch, a partition or a block at a time, with the same result bit for bit.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dedup.assemble import DocTable
from dedup.candidates import hit_candidates, measure_overlaps
from dedup.config import Config
from dedup.copies import (
    CopyGroups,
    find_copy_groups,
    near_group_jaccard,
    ranks,
)
from dedup.errors import StageError
from dedup.faults import fault_point
from dedup.lsh import candidate_pairs
from dedup.outputs import SCRATCH_PREFIX, remove_stale
from dedup.parallel import Engine, LocalEngine, resolve_engine
from dedup.passage_keys import (
    PassageCandidates,
    PassageHits,
    hit_partition,
    merge_passage_candidates,
    postings_hits,
)
from dedup.prepare import usable_records
from dedup.spill import PartitionSpill, TextSpill, group_by_partition
from dedup.spilled_bags import kept_pairs, spilled_bag_passages
from dedup.spilled_words import (
    KEY_ROW,
    WordsStage,
    spill_records,
    words_as_read,
    words_by_batch,
)
from dedup.stages import lap
from dedup.types import (
    ProgressFn,
    Record,
    Reject,
    ScanResult,
)
from dedup.verify import verify_candidates
from dedup.words import Shingled, shingle_corpus

SPILL_BATCH_CHARS = 1 << 25  # characters of text tokenized, sketched and keyed per batch


SPILL_PART_KEYS = 1 << 22  # passage keys per candidates partition aimed at


CHARS_PER_KEY = 15  # news text gives about one winnowed key per 15 characters (generated: 14.8)


SPILL_BLOCK_DOCS = 4096  # documents whose words one block of verified pairs holds


#: rows of the spilled passage hits (those of the keys: dedup.spilled_words.KEY_ROW)
HIT_FIELDS = ("doc_a", "doc_b", "pos_a", "pos_b")  # the arrays of PassageHits, in order
HIT_ROW = np.dtype([(name, "<u4") for name in HIT_FIELDS])


def scan_spilled(
    records: Iterable[Record],
    config: Config | None = None,
    *,
    spill_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    workers: int | Engine = 1,
    batch_chars: int = SPILL_BATCH_CHARS,
    partitions: int | None = None,
    expand_pairs: bool = False,
    group_copies: bool = True,
    near_groups: bool = True,
    representative_key: Callable[[Record], Any] | None = None,
    expected_chars: int | None = None,
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
    expand_pairs, group_copies, near_groups : bool
        As for :func:`dedup.inmemory.scan`, except that with ``expand_pairs`` a spilled scan
        forms no group at all (the pairwise path: the same result).
    representative_key : callable, optional
        As for :func:`dedup.inmemory.scan`.
    expected_chars : int, optional
        About how many characters of text the records hold (the input's size in bytes
        will do; a sequence of records is counted): with it, and threads of this process as
        the engine, the words stage runs while the records are read, as long as their ids
        come in increasing order (:func:`dedup.spilled_words.words_as_read`); the number of
        partitions is then chosen from it. It does not change the result.

    Returns
    -------
    ScanResult
        Its ``signatures`` are a read-only memory map of a file that no longer has a name.
    """
    config = config or Config()
    engine = resolve_engine(workers)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    where, folder = make_scratch(spill_dir)
    texts = TextSpill(folder / "texts.bin")
    signature_path = folder / "signatures.bin"
    unusable: list[Reject] = []
    if expected_chars is None and isinstance(records, Sequence):
        expected_chars = sum(len(record.text) for record in records)
    try:
        usable = usable_records(records, unusable)
        words: WordsStage | None = None
        parts = partitions or (key_parts(expected_chars, engine) if expected_chars else 0)
        if isinstance(engine, LocalEngine) and parts:
            # the words stage as the records are read, while they come in id order
            keys = PartitionSpill(folder, "keys", KEY_ROW, parts)
            read = words_as_read(usable, texts, keys, signature_path, config, engine, progress)
            meta, chars, words = read.meta, read.chars, read.words
        else:
            meta, chars = spill_records(usable, texts)
        rejects = list(unusable)
        if words is None:
            order, repeated = _first_of_each_id(meta)
            rejects += repeated
            keys = PartitionSpill(
                folder, "keys", KEY_ROW, partitions or key_parts(int(chars.sum()), engine)
            )
            words = words_by_batch(
                texts, meta, chars, order, keys, signature_path, config, engine, progress,
                batch_chars,
            )  # fmt: skip
            del order
        rejects += words.rejects
        n_docs = len(words.spill_index)
        seconds["words"], clock = lap(clock)
        seconds["signatures"] = 0.0  # computed batch by batch with the words
        spilled_words = _SpilledWords(texts, words.spill_index, config.shingle_size, engine)
        groups = CopyGroups.none(n_docs)
        if group_copies and not expand_pairs:
            prefer = None
            if representative_key is not None:
                prefer = ranks([representative_key(meta[i]) for i in words.spill_index.tolist()])
            groups = _spilled_copy_groups(
                words, spilled_words, texts, config, engine, near=near_groups, prefer=prefer
            )
        kept = groups.kept() if len(groups) else None
        threads = engine.workers if isinstance(engine, LocalEngine) else 1  # the band columns
        if kept is None:
            lsh_pairs = candidate_pairs(words.band_keys, threads)
        else:
            lsh_pairs = kept[candidate_pairs(words.band_keys[kept], threads)]
        words = dataclasses.replace(words, band_keys=words.band_keys[:0].copy())  # let go
        passage, common_keys = _spilled_candidates(
            keys, folder, n_docs, config, engine, progress, groups if kept is not None else None
        )
        if kept is not None:  # back to the numbers of the whole corpus (increasing: in order)
            self_docs = groups.with_members(kept[passage.self_docs])
            passage = dataclasses.replace(passage, pairs=kept[passage.pairs], self_docs=self_docs)
        seconds["candidates"], clock = lap(clock)
        fault_point("spill:candidates", folder)
        # words shuffled inside sentences (timed with the alignment, as in memory)
        shuffled = kept_pairs(
            spilled_bag_passages(folder, words.words, config, engine, progress), kept
        )
        table = DocTable(
            [meta[i] for i in words.spill_index.tolist()],
            words.words,
            chars[words.spill_index],
            lambda doc: texts.read(int(words.spill_index[doc])),
        )
        found, clock = verify_candidates(
            spilled_words,
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
            groups=groups if kept is not None else None,
            shuffled=shuffled,
        )
        signatures = _signature_map(signature_path, n_docs, config.num_perm)
    except OSError as error:
        if not is_spill_failure(error, folder):
            raise
        raise spill_error(where, error) from error
    finally:
        texts.close()
        shutil.rmtree(folder, ignore_errors=True)
    candidates = (len(lsh_pairs), len(passage.pairs), len(passage.self_docs), common_keys)
    return found.scan_result(config, table, rejects, signatures, candidates, seconds)


def key_parts(chars: int, engine: Engine) -> int:
    """Partitions of the passage keys of ``chars`` characters of text: enough for about
    ``SPILL_PART_KEYS`` keys each, and at least one per worker, so that every worker has
    one to work on."""
    return max(1, engine.workers, -(-chars // (CHARS_PER_KEY * SPILL_PART_KEYS)))


def make_scratch(spill_dir: str | Path | None) -> tuple[Path, Path]:
    """The folder spill files go under (``spill_dir``, or the system's temporary folder) and
    a new scratch folder of this process inside it. In a folder of the user's, what a killed
    run left there is removed first. A folder that cannot be made is the one-line error."""
    where = Path(spill_dir or tempfile.gettempdir())
    try:
        where.mkdir(parents=True, exist_ok=True)
        if spill_dir is not None:
            remove_stale(where, SCRATCH_PREFIX)
        folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=where))
    except OSError as error:
        raise spill_error(where, error) from error
    return where, folder


def is_spill_failure(error: OSError, folder: Path) -> bool:
    """Whether ``error`` is the spill files' own: a full disk, or a file in ``folder``."""
    name = error.filename
    within = isinstance(name, str | os.PathLike) and folder in Path(name).parents
    return error.errno in (errno.ENOSPC, errno.EDQUOT) or within


def spill_error(where: Path, error: OSError) -> StageError:
    """The one-line error of spill files that cannot be kept under ``where``."""
    return StageError(
        f"{where}: cannot keep the spill files there: {error.strerror or error} "
        "(free some space, or choose another folder with --spill-dir)"
    )


def _first_of_each_id(meta: list[Record]) -> tuple[np.ndarray, list[Reject]]:
    """The records in id order, the first read of each id only (``order``: their numbers
    in the order read), and the later ones as rejects in the order read, as
    :func:`prepare_records` has them. A stable sort puts the records of one id side by side in the
    order read, so no table of the ids seen is needed."""
    order = sorted(range(len(meta)), key=lambda i: meta[i].id)
    kept: list[int] = []
    later: list[tuple[int, Reject]] = []
    for number in order:
        if kept and meta[kept[-1]].id == meta[number].id:
            first = meta[kept[-1]].source or "an earlier record"
            record = meta[number]
            reason = f'duplicate id "{record.id}" (first at {first})'
            later.append((number, Reject(record.source or record.id, reason, record.id)))
        else:
            kept.append(number)
    return np.array(kept, dtype=np.int64), [reject for _, reject in sorted(later)]


def _spilled_candidates(
    keys: PartitionSpill,
    folder: Path,
    n_docs: int,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None,
    groups: CopyGroups | None = None,
) -> tuple[PassageCandidates, int]:
    """The passage candidates of spilled keys, and the number of common keys: each key
    partition's hits go to files by document pair, and each of those gives its two-hit
    candidates (the map-reduce of :func:`candidates_stage`, one partition in memory per worker).

    With copy ``groups``, only the documents that :meth:`CopyGroups.kept` keeps take part,
    numbered among themselves, each counting for the documents it stands for."""
    parts = keys.parts
    hits = PartitionSpill(folder, "hits", HIT_ROW, parts)
    common_keys = 0
    step = max(1, engine.workers)
    limit = config.common_limit(n_docs)
    local = weights = None
    if groups is not None:
        kept = groups.kept()
        local = np.full(n_docs, -1, dtype=np.int64)
        local[kept] = np.arange(len(kept))
        weights = groups.weights()[kept]
        n_docs = len(kept)
    shared: tuple = (limit, local, weights, parts, n_docs)
    for done, jobs in _partition_jobs(keys, step):
        for rows, counts, common in engine.map_ordered(_spilled_key_hits, shared, jobs):
            common_keys += common
            hits.append_grouped(rows, counts)
        if progress:
            progress("candidates", done, 2 * parts)
    reduced = []
    shared = (n_docs, config.two_hit_distance, config.max_gap_words, config.fragment_hits)
    for done, jobs in _partition_jobs(hits, step):
        reduced += list(engine.map_ordered(_spilled_two_hits, shared, jobs))
        if progress:
            progress("candidates", parts + done, 2 * parts)
    keys.close()
    hits.close()
    return merge_passage_candidates(reduced, n_docs), common_keys


#: The passage candidates of spilled keys (for documents that repeat a passage: ``clean``).
spilled_passage_candidates = _spilled_candidates


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


def _spilled_key_hits(
    max_docs: int,
    local: np.ndarray | None,
    weights: np.ndarray | None,
    parts: int,
    n_docs: int,
    rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Passage hits of one partition of spilled keys (rows in document order), as
    :data:`HIT_ROW` rows grouped by hit partition (of ``parts``; stable), the number of
    rows of each, and the number of common keys; with ``local`` (each document's number
    among those kept, -1 for one left out), of the kept documents only, each counting for
    ``weights`` documents."""
    docs = rows["doc"].astype(np.int64)
    if local is None:
        found = postings_hits(
            rows["value"].copy(), docs, rows["position"].astype(np.int64), max_docs
        )
    else:
        docs = local[docs]
        keep = docs >= 0
        found = postings_hits(
            rows["value"][keep],
            docs[keep],
            rows["position"][keep].astype(np.int64),
            max_docs,
            doc_weights=weights,
        )
    hit_rows = np.empty(len(found), dtype=HIT_ROW)
    for name in HIT_FIELDS:
        hit_rows[name] = getattr(found, name)
    order, counts = group_by_partition(hit_partition(found, parts, n_docs), parts)
    return hit_rows[order], counts, found.common_keys


def _spilled_copy_groups(
    words: WordsStage,
    spilled_words: _SpilledWords,
    texts: TextSpill,
    config: Config,
    engine: Engine,
    *,
    near: bool = True,
    prefer: np.ndarray | None = None,
) -> CopyGroups:
    """The copy groups of a spilled corpus: exact groups checked on the words read back,
    near groups (when ``near``) verified on the shingle sets of a block of documents at a
    time (``prefer``: as for :func:`dedup.copies.find_copy_groups`)."""

    def shingles_of(docs: list[int]) -> list[bytes]:
        run = [texts.read(int(words.spill_index[d])) for d in docs]
        shingled = shingle_corpus(run, config.shingle_size)
        return [shingled.doc_shingles(k).tobytes() for k in range(len(docs))]

    def measure(pairs: np.ndarray) -> np.ndarray:
        found = [
            overlap.jaccard
            for shingled, local, _, _ in spilled_words.blocks(pairs)
            for overlap in measure_overlaps(shingled, local, engine)
        ]
        return np.array(found, dtype=np.float64)

    return find_copy_groups(
        words.exact_keys,
        shingles_of,
        words.band_keys if near else None,
        measure if near else None,
        near_group_jaccard(config, prefer),
        link_jaccard=config.threshold,
        prefer=prefer,
    )


def _spilled_two_hits(
    n_docs: int, two_hit_distance: int, max_shift: int, fragment_hits: int, rows: np.ndarray
) -> PassageCandidates:
    """Candidates of one partition of spilled hits (every hit of a pair in it), as
    :func:`dedup.candidates.hit_candidates`."""
    doc_a, doc_b, pos_a, pos_b = (rows[name].astype(np.int64) for name in HIT_FIELDS)
    hits = PassageHits(doc_a, doc_b, pos_a, pos_b, 0)
    return hit_candidates(hits, n_docs, two_hit_distance, max_shift, fragment_hits)


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
        for start, end, numbers in pair_blocks(pairs, self.block_docs):
            texts = [self.texts.read(int(self.spill_index[d])) for d in numbers.tolist()]
            shingled = shingle_corpus(texts, self.shingle_size, workers=self.engine)
            yield shingled, np.searchsorted(numbers, pairs[start:end]), numbers, end


def pair_blocks(pairs: np.ndarray, block_docs: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """Runs ``pairs[start:end]`` (document numbers, shape (n, 2)) whose documents number at
    most ``block_docs`` (a run of one pair may hold two), with those documents (increasing):
    ``(start, end, numbers)``."""
    flat = pairs.tolist()
    start = 0
    while start < len(flat):
        seen: set[int] = set()
        end = start
        while end < len(flat):
            a, b = flat[end]
            new = (a not in seen) + (b != a and b not in seen)
            if seen and len(seen) + new > block_docs:
                break
            seen.update((a, b))
            end += 1
        yield start, end, np.array(sorted(seen), dtype=np.int64)
        start = end
