"""The words stage: every document's words, their character offsets and shingle hashes, in flat
arrays; and the signatures stage: MinHash signatures of the documents.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.config import Config
from dedup.parallel import Engine, resolve_engine
from dedup.shingle import (
    Tokens,
    shingle_counts,
    shingle_hashes,
    shingle_hashes_into,
    tokenize,
    tokenize_into,
    word_counts,
)
from dedup.sketch import compute_signatures
from dedup.stages import concat, concat_clearing, cut_runs
from dedup.types import (
    ProgressFn,
    Record,
)
from dedup.workspace import Workspace

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
    bounds = cut_runs(np.cumsum(lengths), BATCH_CHARS)
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
        np.cumsum(concat_clearing(counts, np.int64), out=doc_ptr[1:])
        np.cumsum(concat_clearing(shingle_counts, np.int64), out=shingle_ptr[1:])
    word_hashes = concat_clearing(hashes, np.uint64)
    word_starts = concat_clearing(starts, np.int64)
    tokens = Tokens(word_hashes, word_starts, concat_clearing(ends, np.int64), doc_ptr)
    return Shingled(tokens, concat_clearing(shingles, np.uint64), shingle_ptr)


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
    words = concat(counts, np.int64)
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
    hashes, starts, ends, n_words, shingles, n_shingles, last = _shingle_batch(
        texts, shingle_size, 0, len(texts)
    )
    return hashes, starts, ends, n_words, shingles, n_shingles, last + first


SIGNATURE_JOBS_PER_WORKER = 4  # parts per worker, so a slow part does not hold up the rest


def signatures_stage(shingled: Shingled, config: Config, engine: Engine) -> np.ndarray:
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


def words_stage(
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
