"""The candidates stage: document pairs from the LSH bands and the passage keys (a map-reduce over
key partitions), and the exact measures of the LSH pairs.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.config import Config
from dedup.lsh import (
    PassageCandidates,
    PassageHits,
    PassageKeys,
    band_candidates_part,
    concat_hits,
    group_hits,
    merge_pairs,
    merge_passage_candidates,
    passage_hits,
    two_hit_candidates,
)
from dedup.parallel import Engine, LocalEngine
from dedup.spans import shingle_overlaps
from dedup.words import Shingled


def candidates_stage(
    doc_keys: np.ndarray,
    keys: PassageKeys,
    config: Config,
    engine: Engine,
    doc_weights: np.ndarray | None = None,
) -> tuple[np.ndarray, PassageCandidates]:
    """Candidate pairs of the document LSH (``doc_keys``: band keys, one row per document)
    and of the passage keys, as a map-reduce on ``engine`` in one part per Ray worker (one
    part for local threads).

    Map: the documents that share a band key, and the passage hits, of the keys of each
    part (:func:`dedup.lsh.key_partition`). Shuffle: the hits are regrouped by document
    pair. Reduce: the two-hit filter on each group. The merged parts are the candidates of
    the whole corpus, whatever the number of parts (tests/test_index_partition.py).

    ``doc_weights`` (shape (n_docs,)): how many documents of the corpus each document stands
    for, when copy groups are represented by one document (:mod:`dedup.copies`); keys are
    then common by the documents of the whole corpus, as without groups."""
    n_docs = len(keys.key_ptr) - 1
    corpus_docs = n_docs if doc_weights is None else int(doc_weights.sum())
    # local threads share one memory: more parts would each scan every key, and the numpy
    # steps of a part hold the GIL often enough that two parts take longer than one
    parts = 1 if isinstance(engine, LocalEngine) else max(1, engine.workers)
    limit = config.common_limit(corpus_docs)
    shared: tuple = (doc_keys, keys.values, keys.positions, keys.key_ptr, limit, doc_weights)
    jobs = [(part, parts) for part in range(parts)]
    mapped = list(engine.map_ordered(_candidates_map, shared, jobs))
    lsh_pairs = merge_pairs([found[0] for found in mapped], n_docs)
    hits = concat_hits(
        [
            PassageHits(doc_a, doc_b, pos_a, pos_b, int(common))
            for _, doc_a, doc_b, pos_a, pos_b, common in mapped
        ]
    )
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
        config.fragment_hits,
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
    doc_weights: np.ndarray | None,
    part: int,
    parts: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Band-key pairs and passage hits of the keys of one part."""
    pairs = band_candidates_part(doc_keys, part, parts)
    hits = passage_hits(
        PassageKeys(values, positions, key_ptr),
        max_docs,
        part=part,
        parts=parts,
        doc_weights=doc_weights,
    )
    return pairs, hits.doc_a, hits.doc_b, hits.pos_a, hits.pos_b, hits.common_keys


def _candidates_reduce(
    doc_a: np.ndarray,
    doc_b: np.ndarray,
    pos_a: np.ndarray,
    pos_b: np.ndarray,
    n_docs: int,
    two_hit_distance: int,
    max_shift: int,
    fragment_hits: int,
    lo: int,
    hi: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs and self-repeat documents of hits ``lo`` to ``hi - 1`` (whole document pairs)."""
    part = slice(lo, hi)
    hits = PassageHits(doc_a[part], doc_b[part], pos_a[part], pos_b[part], 0)
    found = hit_candidates(hits, n_docs, two_hit_distance, max_shift, fragment_hits)
    return found.pairs, found.self_docs


def hit_candidates(
    hits: PassageHits, n_docs: int, two_hit_distance: int, max_shift: int, fragment_hits: int
) -> PassageCandidates:
    """The candidates of the hits of whole document pairs: those of the two-hit filter
    (:func:`dedup.lsh.two_hit_candidates`) and, with ``fragment_hits`` > 0, the pairs of
    two different documents with at least ``fragment_hits`` hits anywhere (a heavy revision
    keeps short exact runs far apart; see :attr:`dedup.config.Config.fragment_hits`)."""
    found = two_hit_candidates(hits, n_docs, two_hit_distance=two_hit_distance, max_shift=max_shift)
    if fragment_hits <= 0:
        return found
    dense = spread_hit_pairs(hits.doc_a, hits.doc_b, n_docs, fragment_hits)
    codes = np.union1d(found.pairs[:, 0] * np.int64(n_docs) + found.pairs[:, 1], dense)
    pairs = np.stack([codes // n_docs, codes % n_docs], axis=1).reshape(-1, 2)
    return PassageCandidates(pairs, found.self_docs, found.common_keys)


def spread_hit_pairs(doc_a: np.ndarray, doc_b: np.ndarray, n_docs: int, least: int) -> np.ndarray:
    """Codes ``a * n_docs + b`` (increasing) of the pairs of two different documents with
    at least ``least`` hits, wherever they lie."""
    cross = doc_a != doc_b
    codes, counts = np.unique(
        doc_a[cross].astype(np.int64) * np.int64(n_docs) + doc_b[cross], return_counts=True
    )
    return codes[counts >= least]


@dataclass(frozen=True, slots=True)
class Overlap:
    jaccard: float
    containment_a: float
    containment_b: float


OVERLAP_JOBS_PER_WORKER = 4  # parts per worker of the exact shingle-set measures


def measure_overlaps(
    shingled: Shingled, pairs: Sequence[tuple[int, int]] | np.ndarray, engine: Engine
) -> list[Overlap]:
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
                Overlap(
                    common / union if union else 0.0,
                    common / size_a if size_a else 0.0,
                    common / size_b if size_b else 0.0,
                )
            )
    return found


def keys_of(keys: PassageKeys, docs: np.ndarray) -> PassageKeys:
    """The passage keys of ``docs`` only (ndarray of int64, increasing), numbered as in
    ``docs``."""
    lo, hi = keys.key_ptr[docs], keys.key_ptr[docs + 1]
    counts = hi - lo
    key_ptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(counts, out=key_ptr[1:])
    take = np.repeat(lo - key_ptr[:-1], counts) + np.arange(int(key_ptr[-1]), dtype=np.int64)
    return PassageKeys(keys.values[take], keys.positions[take], key_ptr)
