"""Verification on Ray's workers: each block of candidate pairs is measured and aligned by
a task that reads its documents' texts and computes their words itself, so that neither
the texts nor the words pass through the driver.

The blocks are those of :class:`dedup.spilled._SpilledWords` (:func:`dedup.spilled.pair_blocks`),
and each is checked by :func:`dedup.verify.verify_block`, the function the local engines
run, so the result is the same bit for bit. What comes back from a block is what it found:
the exact measures of its pairs, its alignment rows and their character spans. The
driver only cuts the candidates into blocks (a few integers a pair) and keeps what comes
back; the texts of the passages are cut by tasks as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from dedup.candidates import measure_overlaps
from dedup.config import Config
from dedup.parallel import Engine, LocalEngine
from dedup.ray_result import PassageTexts
from dedup.ray_shards import TEXT_ERRORS, read_texts
from dedup.shingle import Tokens
from dedup.spilled import SPILL_BLOCK_DOCS, pair_blocks
from dedup.stages import concat, concat_clearing, cut_runs
from dedup.types import PassageCluster
from dedup.verify import BlockFound, Shuffled, block_flags, block_shuffled, verify_block
from dedup.words import BATCH_CHARS, Shingled, _shingle_slice

PASSAGE_TEXTS_PER_JOB = 4096  # passages whose texts one task cuts


@dataclass(frozen=True, slots=True)
class ShardWords:
    """The words of scanned documents, computed by tasks that read the texts (a
    :class:`dedup.verify.WordSource` that is also a :class:`dedup.verify.BlockVerifier`);
    ``shard``, ``start``, ``end`` and ``chars`` are of each scanned document.

    ``engine`` runs the tasks; a task's own ``ShardWords`` has a local engine of one worker,
    and computes the words in its own process."""

    folder: str
    shard: np.ndarray
    start: np.ndarray
    end: np.ndarray
    chars: np.ndarray
    shingle_size: int
    engine: Engine
    block_docs: int = SPILL_BLOCK_DOCS

    def blocks(
        self, pairs: np.ndarray
    ) -> Iterator[tuple[Shingled, np.ndarray, np.ndarray | None, int]]:
        """The blocks of :class:`dedup.spilled._SpilledWords`, cut the same way."""
        for start, end, numbers in pair_blocks(pairs, self.block_docs):
            yield self.shingled(numbers), np.searchsorted(numbers, pairs[start:end]), numbers, end

    def verify_blocks(
        self,
        pairs: np.ndarray,
        lsh: set[tuple[int, int]],
        star: set[tuple[int, int]],
        passage_pairs: set[tuple[int, int]],
        config: Config,
        shuffled: Shuffled | None = None,
    ) -> Iterator[tuple[BlockFound, int | None]]:
        """:func:`dedup.verify.verify_block` of each block of :meth:`blocks`, a task each
        (with the ``shuffled`` passages of its pairs)."""
        jobs, ends = [], []
        for start, end, numbers in pair_blocks(pairs, self.block_docs):
            block = [tuple(pair) for pair in pairs[start:end].tolist()]
            local = np.searchsorted(numbers, pairs[start:end])
            flags = block_flags(block, lsh, star, passage_pairs)
            bags = block_shuffled(shuffled, block, numbers)
            jobs.append((*self._where(numbers), numbers, local, *flags, bags))
            ends.append(end)
        shared = (self.folder, self.shingle_size, config)
        found = self.engine.map_ordered(_verify_block_job, shared, jobs)
        yield from zip(found, ends)

    def measure(self, pairs: np.ndarray) -> np.ndarray:
        """The exact Jaccard of each of ``pairs`` (shape (n, 2)), a task per block
        (:data:`dedup.copies.MeasureFn`)."""
        jobs = [
            (*self._where(numbers), np.searchsorted(numbers, pairs[start:end]))
            for start, end, numbers in pair_blocks(pairs, self.block_docs)
        ]
        parts = list(self.engine.map_ordered(_measure_job, (self.folder, self.shingle_size), jobs))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)

    def shingled(self, docs: np.ndarray) -> Shingled:
        """:func:`dedup.words.shingle_corpus` of the texts of ``docs``, a task per run of
        about ``BATCH_CHARS`` characters."""
        bounds = cut_runs(np.cumsum(self.chars[docs]), BATCH_CHARS)
        jobs = [(*self._where(docs[lo:hi]), lo) for lo, hi in bounds]
        parts = list(self.engine.map_ordered(_shingle_job, (self.folder, self.shingle_size), jobs))
        columns = [list(column) for column in zip(*parts)] if parts else [[] for _ in range(7)]
        del parts
        hashes, starts, ends, counts, shingles, shingle_counts, _ = columns
        doc_ptr = np.zeros(len(docs) + 1, dtype=np.int64)
        shingle_ptr = np.zeros(len(docs) + 1, dtype=np.int64)
        if counts:
            np.cumsum(concat_clearing(counts, np.int64), out=doc_ptr[1:])
            np.cumsum(concat_clearing(shingle_counts, np.int64), out=shingle_ptr[1:])
        tokens = Tokens(
            concat_clearing(hashes, np.uint64),
            concat_clearing(starts, np.int64),
            concat_clearing(ends, np.int64),
            doc_ptr,
        )
        return Shingled(tokens, concat_clearing(shingles, np.uint64), shingle_ptr)

    def shingle_bytes(self, docs: list[int]) -> list[bytes]:
        """Each document's shingles as bytes (:data:`dedup.copies.ShinglesFn`)."""
        shingled = self.shingled(np.array(docs, dtype=np.int64))
        return [shingled.doc_shingles(k).tobytes() for k in range(len(docs))]

    def passage_texts(self, passages: list[PassageCluster]) -> PassageTexts:
        """``passages`` (their texts the cuts :class:`DeferredText` noted) with the cuts made
        by tasks, a file each, and read from those files when asked for: returned, they
        would pass through Ray's object store, whose pages this process would then hold."""
        cuts = cast(list[TextCut], [p.text for p in passages])
        docs = np.array([c.doc for c in cuts], dtype=np.int64)
        spans = np.array([(c.start, c.end) for c in cuts], dtype=np.int64).reshape(-1, 2)
        jobs = [
            (
                job,
                *self._where(docs[lo : lo + PASSAGE_TEXTS_PER_JOB]),
                spans[lo : lo + PASSAGE_TEXTS_PER_JOB],
            )
            for job, lo in enumerate(range(0, len(cuts), PASSAGE_TEXTS_PER_JOB))
        ]
        lengths = [
            found.copy() for found in self.engine.map_ordered(_cut_job, (self.folder,), jobs)
        ]
        paths = [_cut_path(self.folder, job) for job in range(len(jobs))]
        return PassageTexts(passages, paths, concat(lengths, np.int64), PASSAGE_TEXTS_PER_JOB)

    def _where(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.shard[docs], self.start[docs], self.end[docs]


def _block_words(
    folder: str, shingle_size: int, shards: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> Shingled:
    """The words of one block's documents, computed here (on a worker) as the driver's
    :meth:`ShardWords.shingled` would have them."""
    chars = (ends - starts).astype(np.int64)  # only cuts the runs: any measure of size will do
    words = ShardWords(folder, shards, starts, ends, chars, shingle_size, LocalEngine())
    return words.shingled(np.arange(len(shards), dtype=np.int64))


def _verify_block_job(
    folder: str,
    shingle_size: int,
    config: Config,
    shards: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    numbers: np.ndarray,
    local: np.ndarray,
    is_lsh: np.ndarray,
    is_star: np.ndarray,
    is_passage: np.ndarray,
    shuffled: Shuffled | None,
) -> BlockFound:
    shingled = _block_words(folder, shingle_size, shards, starts, ends)
    return verify_block(
        shingled, local, numbers, is_lsh, is_star, is_passage, config, LocalEngine(),
        shuffled=shuffled,
    )  # fmt: skip


def _measure_job(
    folder: str,
    shingle_size: int,
    shards: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    local: np.ndarray,
) -> np.ndarray:
    shingled = _block_words(folder, shingle_size, shards, starts, ends)
    found = [overlap.jaccard for overlap in measure_overlaps(shingled, local, LocalEngine())]
    return np.array(found, dtype=np.float64)


def _shingle_job(
    folder: str,
    shingle_size: int,
    shards: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    first: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    return _shingle_slice(shingle_size, read_texts(folder, shards, starts, ends), first)


def _cut_path(folder: str, job: int) -> Path:
    return Path(folder) / f"cuts-{job:06d}.bin"


def _cut_job(
    folder: str,
    job: int,
    shards: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    spans: np.ndarray,
) -> np.ndarray:
    """The texts at ``spans`` of these documents, written one after another to this job's
    file (on a worker); returns the length in bytes of each."""
    texts = read_texts(folder, shards, starts, ends)
    cut = [
        text[lo:hi].encode("utf-8", TEXT_ERRORS) for text, (lo, hi) in zip(texts, spans.tolist())
    ]
    with open(_cut_path(folder, job), "wb") as out:
        out.write(b"".join(cut))
    return np.array([len(data) for data in cut], dtype=np.int64)


class DeferredText:
    """The text of a document as :class:`dedup.assemble.DocTable` hands it to the passages:
    its cut is noted, and made by a task afterwards (:meth:`ShardWords.passage_texts`)."""

    __slots__ = ("doc",)

    def __init__(self, doc: int) -> None:
        self.doc = doc

    def __getitem__(self, cut: slice) -> TextCut:
        return TextCut(self.doc, cut.start, cut.stop)


@dataclass(frozen=True, slots=True)
class TextCut:
    doc: int
    start: int
    end: int


__all__ = ["DeferredText", "ShardWords"]
