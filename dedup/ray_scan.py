"""A scan on Ray with no driver bottleneck: the workers read the input shards, the texts and
the spill files; the driver keeps the plan, the counts and the merge.

The stages are those of :func:`dedup.spilled.scan_spilled`, on the same kernels and the same
numbers, so the result is the same bit for bit; only who reads and writes what differs:

1. **read**: a task per shard reads it, writes its texts to a file of its own and returns
   the records' metadata (:mod:`dedup.ray_shards`); the driver puts them in reading order
   and in id order.
2. **words, signatures and keys**: a task per run of about ``BATCH_CHARS`` characters, in id
   order, reads its texts by offset, writes its passage keys and its band keys (each grouped
   by key partition) and its signatures to files of its own, and returns its words per
   document and exact-copy keys and the number of keys of each partition.
3. **candidates**: a task per key partition reads its slice of every words task's band file
   and returns the pairs of its band buckets (:mod:`dedup.ray_bands`; the copy groups' band
   buckets are found the same way); a task per key partition reads its slice of every words
   task's key file, finds its passage hits and writes them grouped by hit partition; a task
   per hit partition reads its slices and returns its two-hit candidates.
4. **copy groups, verification and alignment**: a task per block of candidate pairs reads
   its documents' texts, computes their words, measures and aligns its pairs, and returns
   only what it found (:mod:`dedup.ray_verify`). The passages' texts are cut by tasks too.

The driver never opens an input file or a text file. What it holds grows with the number of
documents (their metadata, the exact-copy keys, the candidate pairs and the results), never
with their text, and holds no band key.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from dedup.assemble import DocTable
from dedup.config import Config
from dedup.copies import CopyGroups, find_copy_groups, near_group_jaccard
from dedup.ingest import CorpusReader
from dedup.parallel import Engine
from dedup.passage_keys import PassageCandidates, merge_passage_candidates
from dedup.ray_bands import BandFiles, read_slices, write_band_keys
from dedup.ray_result import DocumentColumns, document_columns, materialized, streamed_result
from dedup.ray_shards import Shard, ShardedCorpus, ShardMerger, read_shard, read_texts
from dedup.ray_verify import DeferredText, ShardWords
from dedup.spilled import (
    CHARS_PER_KEY,
    HIT_ROW,
    KEY_ROW,
    SPILL_BLOCK_DOCS,
    SPILL_PART_KEYS,
    _signature_map,
    _spilled_key_hits,
    _spilled_two_hits,
    is_spill_failure,
    make_scratch,
    spill_error,
)
from dedup.spilled_bags import FLAGS_FILE, WORDS_FILE, kept_pairs, spilled_bag_passages
from dedup.spilled_words import words_job
from dedup.stages import concat, cut_runs, lap
from dedup.types import ProgressFn, Reject, ScanResult
from dedup.verify import verify_candidates
from dedup.words import BATCH_CHARS

#: documents whose words one block of verified pairs holds: each block is read, worded,
#: measured and aligned by a task of its own (dedup.ray_verify), so this bounds a worker's
#: memory, not the driver's
RAY_BLOCK_DOCS = SPILL_BLOCK_DOCS // 2


def scan_shards(
    reader: CorpusReader,
    shards: list[Shard],
    config: Config | None,
    engine: Engine,
    *,
    spill_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    partitions: int | None = None,
    expand_pairs: bool = False,
) -> ScanResult:
    """:func:`dedup.spilled.scan_spilled` of the records ``reader`` would read, with each of
    ``shards`` (:func:`dedup.ray_shards.input_shards` of its paths) read by a task on
    ``engine``. ``reader``'s rejects, warnings and counts are filled in as reading it would.
    The scratch folder under ``spill_dir`` must be seen by every worker at the same path."""
    with streamed_shards(
        reader, shards, config, engine, spill_dir=spill_dir, progress=progress,
        partitions=partitions, expand_pairs=expand_pairs,
    ) as result:  # fmt: skip
        return materialized(result)


@contextmanager
def streamed_shards(
    reader: CorpusReader,
    shards: list[Shard],
    config: Config | None,
    engine: Engine,
    *,
    spill_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
    partitions: int | None = None,
    expand_pairs: bool = False,
) -> Iterator[ScanResult]:
    """:func:`scan_shards`, whose result holds its documents as columns and its passages'
    texts in the files the tasks that cut them wrote (:mod:`dedup.ray_result`): it is good
    until the block ends, when the scratch folder goes."""
    config = config or Config()
    where, folder = make_scratch(spill_dir)
    try:
        try:
            result = _scan(
                reader, shards, config, engine, folder, progress, partitions, expand_pairs
            )
        except OSError as error:
            if not is_spill_failure(error, folder):
                raise
            raise spill_error(where, error) from error
        yield result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _scan(
    reader: CorpusReader,
    shards: list[Shard],
    config: Config,
    engine: Engine,
    folder: Path,
    progress: ProgressFn | None,
    partitions: int | None,
    expand_pairs: bool,
) -> ScanResult:
    """The stages of :func:`streamed_shards`, their scratch in ``folder``."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    merger = ShardMerger(reader)
    jobs = [(shard,) for shard in shards]
    for done, read in enumerate(
        engine.map_ordered(read_shard, (reader.options, str(folder)), jobs), 1
    ):
        merger.add(read)
        if progress:
            progress("read", done, len(shards))
    corpus = merger.finish()
    del merger
    order = corpus.meta.id_order()  # no id twice: the merger rejected the later ones
    rejects: list[Reject] = list(corpus.unusable)
    chars = int(corpus.chars.sum())
    parts = partitions or max(1, -(-chars // (CHARS_PER_KEY * SPILL_PART_KEYS)))
    words = _words_stage(corpus, order, folder, parts, config, engine, progress)
    rejects += words.rejects
    n_docs = len(words.index)
    seconds["words"], clock = lap(clock)
    seconds["signatures"] = 0.0
    source = ShardWords(
        str(folder),
        corpus.shard[words.index],
        corpus.start[words.index],
        corpus.end[words.index],
        corpus.chars[words.index],
        config.shingle_size,
        engine,
        RAY_BLOCK_DOCS,
    )
    bands = BandFiles(
        str(folder), words.band_counts, words.doc_base, n_docs, config.bands or 0, engine
    )
    groups = CopyGroups.none(n_docs)
    if not expand_pairs:
        groups = _copy_groups(words, source, bands, config)
    kept = groups.kept() if len(groups) else None
    lsh_pairs = bands.candidate_pairs(kept)
    bands.remove()
    passage, common_keys = _candidates(
        words, folder, parts, n_docs, config, engine, progress,
        groups if kept is not None else None,
    )  # fmt: skip
    if kept is not None:
        self_docs = groups.with_members(kept[passage.self_docs])
        passage = dataclasses.replace(passage, pairs=kept[passage.pairs], self_docs=self_docs)
    seconds["candidates"], clock = lap(clock)
    shuffled = _shuffled(words, folder, config, engine, progress, kept)
    table = DocTable(
        corpus.meta.take(words.index),
        words.words,
        corpus.chars[words.index],
        cast("Callable[[int], str]", DeferredText),  # passages' texts cut by tasks below
    )
    found, clock = verify_candidates(
        source,
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
        documents_of=document_columns,
    )
    passages = source.passage_texts(found.passages)
    list(engine.map_ordered(_join_files, (str(folder),), [(words.jobs, "signatures")]))
    signatures = _signature_map(folder / "signatures.bin", n_docs, config.num_perm)
    candidates = (len(lsh_pairs), len(passage.pairs), len(passage.self_docs), common_keys)
    return streamed_result(
        found,
        cast(DocumentColumns, found.documents),
        passages,
        config=config,
        table=table,
        rejects=rejects,
        signatures=signatures,
        candidates=candidates,
        seconds=seconds,
    )


@dataclass(frozen=True, slots=True)
class _Words:
    """What the words stage leaves on the driver.

    index : each scanned document's number in the corpus (those with words, in id order)
    words, exact_keys : of each scanned document
    jobs : the number of words tasks (each wrote ``keys-JOB.bin``, ``bands-JOB.bin`` and
        ``signatures-JOB.bin``)
    key_counts, band_counts : ndarray (jobs, parts), the passage keys and the band keys each
        task wrote to each key partition
    doc_base : ndarray (jobs,), the number of the first scanned document of each task
    """

    index: np.ndarray
    words: np.ndarray
    exact_keys: np.ndarray
    rejects: list[Reject]
    jobs: int
    key_counts: np.ndarray
    band_counts: np.ndarray
    doc_base: np.ndarray


def _words_stage(
    corpus: ShardedCorpus,
    order: np.ndarray,
    folder: Path,
    parts: int,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None,
) -> _Words:
    """Words, signatures, band keys and passage keys of every document in id order, a task
    per run of about ``BATCH_CHARS`` characters."""
    assert config.bands is not None  # set by Config
    runs = cut_runs(np.cumsum(corpus.chars[order]), BATCH_CHARS)
    shared = (
        str(folder), config.shingle_size, config.num_perm, config.seed, config.bands,
        config.rows, config.passage_window, parts, config.min_shuffled_sentences > 0,
    )  # fmt: skip
    jobs = [
        (job, corpus.shard[order[lo:hi]], corpus.start[order[lo:hi]], corpus.end[order[lo:hi]])
        for job, (lo, hi) in enumerate(runs)
    ]
    index, words, exact, counts, band_counts, bases = [], [], [], [], [], []
    rejects: list[Reject] = []
    n_kept = 0
    done = engine.map_ordered(_words_job, shared, jobs)
    for (lo, hi), (n_words, band_parts, key_counts, exact_keys) in zip(runs, done):
        batch = order[lo:hi]
        has = n_words > 0
        for i in batch[~has].tolist():
            meta = corpus.meta[i]
            rejects.append(Reject(meta.source or meta.id, "no words", meta.id))
        # copies: a view would keep the task's whole result in the object store, and
        # mapped in this process, until the stage ends
        bases.append(n_kept)
        counts.append(key_counts.copy())
        band_counts.append(band_parts.copy())
        index.append(batch[has])
        words.append(n_words[has])
        exact.append(exact_keys.copy())
        n_kept += int(has.sum())
        if progress:
            progress("words", hi, len(order))
    return _Words(
        concat(index, np.int64),
        concat(words, np.int64),
        concat(exact, np.uint64),
        rejects,
        len(runs),
        np.array(counts, dtype=np.int64).reshape(len(runs), parts),
        np.array(band_counts, dtype=np.int64).reshape(len(runs), parts),
        np.array(bases, dtype=np.int64),
    )


def _words_job(
    folder: str,
    shingle_size: int,
    num_perm: int,
    seed: int,
    bands: int,
    rows_per_band: int,
    window: int,
    parts: int,
    bags: bool,
    job: int,
    shards: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`dedup.spilled_words.words_job` of texts read here; the passage keys (by key
    partition), the band keys (:func:`dedup.ray_bands.write_band_keys`), the signatures and
    with ``bags`` the words of the sentence-bag route go to this job's files; the band keys'
    counts by partition are returned in their place."""
    texts = read_texts(folder, shards, starts, ends)
    n_words, signatures, band_keys, rows, counts, exact, bag = words_job(
        shingle_size, num_perm, seed, bands, rows_per_band, window, parts, bags, texts
    )
    del texts
    if bag is not None:
        _write(Path(folder) / f"{BAG_WORDS}-{job:06d}.bin", bag[0].astype("<u8", copy=False))
        _write(Path(folder) / f"{BAG_FLAGS}-{job:06d}.bin", bag[1])
    _write(Path(folder) / f"keys-{job:06d}.bin", np.ascontiguousarray(rows, dtype=KEY_ROW))
    _write(Path(folder) / f"signatures-{job:06d}.bin", signatures.astype(np.uint32, copy=False))
    band_counts = write_band_keys(folder, job, band_keys, parts)
    return n_words, band_counts, counts, exact


def _write(path: Path, rows: np.ndarray) -> None:
    with open(path, "wb") as handle:
        handle.write(np.ascontiguousarray(rows).tobytes())


def _candidates(
    words: _Words,
    folder: Path,
    parts: int,
    n_docs: int,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None,
    groups: CopyGroups | None,
) -> tuple[PassageCandidates, int]:
    """:func:`dedup.spilled._spilled_candidates` with each partition's keys and hits read
    and written by its own task: the driver sends each task where its rows lie."""
    limit = config.common_limit(n_docs)
    local = weights = None
    if groups is not None:
        kept = groups.kept()
        local = np.full(n_docs, -1, dtype=np.int64)
        local[kept] = np.arange(len(kept))
        weights = groups.weights()[kept]
        n_docs = len(kept)
    # the rows of key partition p in words task j: counts[j, p] rows from firsts[j, p]
    firsts = np.cumsum(words.key_counts, axis=1) - words.key_counts
    jobs: list[tuple] = [
        (part, words.key_counts[:, part], firsts[:, part], words.doc_base) for part in range(parts)
    ]
    shared: tuple = (str(folder), limit, local, weights, parts, n_docs)
    common_keys = 0
    hit_counts = []
    for part, (common, counts) in enumerate(engine.map_ordered(_key_hits_job, shared, jobs), 1):
        common_keys += common
        hit_counts.append(counts.copy())
        if progress:
            progress("candidates", part, 2 * parts)
    for job in range(words.jobs):
        (folder / f"keys-{job:06d}.bin").unlink(missing_ok=True)
    counted = np.array(hit_counts, dtype=np.int64).reshape(parts, parts)
    hit_firsts = np.cumsum(counted, axis=1) - counted
    jobs = [(counted[:, part], hit_firsts[:, part]) for part in range(parts)]
    shared = (
        str(folder), n_docs, config.two_hit_distance, config.max_gap_words, config.fragment_hits
    )  # fmt: skip
    reduced = []
    for part, found in enumerate(engine.map_ordered(_two_hits_job, shared, jobs), 1):
        reduced.append(found)
        if progress:
            progress("candidates", parts + part, 2 * parts)
    return merge_passage_candidates(reduced, n_docs), common_keys


def _key_hits_job(
    folder: str,
    limit: int,
    local: np.ndarray | None,
    weights: np.ndarray | None,
    parts: int,
    n_docs: int,
    part: int,
    counts: np.ndarray,
    firsts: np.ndarray,
    doc_base: np.ndarray,
) -> tuple[int, np.ndarray]:
    """The passage hits of key partition ``part``, written grouped by hit partition to
    ``hits-PART.bin``: the number of common keys and of the hits of each hit partition."""
    paths = [Path(folder) / f"keys-{job:06d}.bin" for job in range(len(counts))]
    rows = read_slices(paths, KEY_ROW, counts, firsts)
    rows["doc"] += np.repeat(doc_base, counts).astype(np.uint32)  # the corpus' numbers
    hits, hit_counts, common_keys = _spilled_key_hits(limit, local, weights, parts, n_docs, rows)
    del rows
    _write(Path(folder) / f"hits-{part:06d}.bin", hits)
    return common_keys, hit_counts


def _two_hits_job(
    folder: str,
    n_docs: int,
    two_hit_distance: int,
    max_shift: int,
    fragment_hits: int,
    counts: np.ndarray,
    firsts: np.ndarray,
) -> PassageCandidates:
    """The two-hit candidates of one hit partition, its rows read from every key
    partition's hit file."""
    paths = [Path(folder) / f"hits-{part:06d}.bin" for part in range(len(counts))]
    rows = read_slices(paths, HIT_ROW, counts, firsts)
    return _spilled_two_hits(n_docs, two_hit_distance, max_shift, fragment_hits, rows)


def _join_files(folder: str, jobs: int, name: str) -> None:
    """``NAME-JOB.bin`` of every job put together in ``NAME.bin`` (on a worker)."""
    with open(Path(folder) / f"{name}.bin", "wb") as out:
        for job in range(jobs):
            part = Path(folder) / f"{name}-{job:06d}.bin"
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
            part.unlink()


def _shuffled(
    words: _Words,
    folder: Path,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None,
    kept: np.ndarray | None,
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """The passages of shuffled sentences (:func:`dedup.spilled_bags.spilled_bag_passages`,
    its tasks on the workers), from the words tasks' files put together."""
    if config.min_shuffled_sentences <= 0:
        return {}
    jobs = [(words.jobs, BAG_WORDS), (words.jobs, BAG_FLAGS)]
    list(engine.map_ordered(_join_files, (str(folder),), jobs))
    found = spilled_bag_passages(folder, words.words, config, engine, progress)
    return kept_pairs(found, kept)


def _copy_groups(words: _Words, source: ShardWords, bands: BandFiles, config: Config) -> CopyGroups:
    """:func:`dedup.spilled._spilled_copy_groups` with the words read and measured by tasks,
    and the band buckets found by tasks."""
    return find_copy_groups(
        words.exact_keys,
        source.shingle_bytes,
        bands,
        source.measure,
        near_group_jaccard(config, None),
        link_jaccard=config.threshold,
    )


BAG_WORDS, BAG_FLAGS = WORDS_FILE.removesuffix(".bin"), FLAGS_FILE.removesuffix(".bin")

__all__ = ["scan_shards", "streamed_shards"]
