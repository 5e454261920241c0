"""Candidate pairs at the passage level: winnowed shingle keys, their hits, and the
two-hit filter.

Whole-document similarity cannot see a 12-word quote inside two 800-word articles (the seed
articles share six passages at a Jaccard of 0.05), so passages get their own sketch: a local
MinHash over windows of ``w`` consecutive shingles, keeping the minimum shingle hash of every
window (winnowing, Schleimer, Wilkerson & Aiken 2003). About ``2 / (w + 1)`` of the shingles
become keys. Any exact shared run of ``min_passage_words`` words holds
``min_passage_words - shingle_size + 1`` shingles; with ``w`` half of that, the run holds two
disjoint windows, so the two documents share two keys on one diagonal (a *two-hit*, as in
BLAST). Pairs need two hits: a single shared stock phrase ("the company said it will") is
one hit and links nothing, and no passage of the minimum length can be missed for want of a
candidate. Keys found in too many documents (boilerplate) give no hits.

As the band keys of :mod:`dedup.lsh`, passage keys are shuffled by key
(:func:`dedup.lsh.key_partition`) to split the stage into parts, and the hits by document
pair (:func:`hit_partition`); merging the parts gives exactly the unpartitioned result.
Candidates are only hints: :mod:`dedup.align` verifies every one on the words themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup.kernels import njit
from dedup.lsh import (
    check_part,
    key_partition,
    merge_pairs,
    pairs_in_groups,
    run_starts_mask,
    unique_pairs,
)
from dedup.shingle import mix64

_U64 = np.uint64


@dataclass(frozen=True, slots=True)
class PassageKeys:
    """Winnowed shingle hashes of a batch of documents.

    Attributes
    ----------
    values : ndarray of uint64, shape (n_keys,)
    positions : ndarray of int64, shape (n_keys,)
        Index of the shingle (= its first word) in its document.
    key_ptr : ndarray of int64, shape (n_docs + 1,)
    """

    values: np.ndarray
    positions: np.ndarray
    key_ptr: np.ndarray


def winnow(shingles: np.ndarray, shingle_ptr: np.ndarray, window: int) -> PassageKeys:
    """Keep the shingles that are the minimum of some window of ``window`` consecutive
    shingles of their document (every minimum, when a window holds the value twice).

    A document with fewer than ``window`` shingles keeps its minimum.
    """
    shingles = np.ascontiguousarray(shingles, dtype=np.uint64)
    shingle_ptr = np.ascontiguousarray(shingle_ptr, dtype=np.int64)
    selected = np.zeros(len(shingles), dtype=np.bool_)
    _winnow_kernel(shingles, shingle_ptr, window, selected)
    index = np.flatnonzero(selected)
    key_ptr = np.searchsorted(index, shingle_ptr).astype(np.int64)
    positions = index - np.repeat(shingle_ptr[:-1], np.diff(key_ptr))
    return PassageKeys(shingles[index], positions, key_ptr)


@njit(cache=True, nogil=True, boundscheck=False)
def _winnow_kernel(shingles, shingle_ptr, window, selected):  # pragma: no cover - compiled
    for d in range(len(shingle_ptr) - 1):
        lo, hi = shingle_ptr[d], shingle_ptr[d + 1]
        width = min(window, hi - lo)  # a short document: one window, all of it
        for first in range(lo, hi - width + 1 if width else lo):
            low = shingles[first]
            for k in range(first + 1, first + width):
                value = shingles[k]
                low = value if value < low else low
            for k in range(first, first + width):
                selected[k] |= shingles[k] == low  # no branch: minima are a quarter


@dataclass(frozen=True, slots=True)
class PassageCandidates:
    """Outcome of the passage index.

    Attributes
    ----------
    pairs : ndarray of int64, shape (n_pairs, 2)
        Document pairs with two-hit evidence of a shared passage, ``i < j``, sorted, unique.
    self_docs : ndarray of int64, shape (n,)
        Documents with two-hit evidence of a passage they repeat themselves.
    common_keys : int
        Distinct keys dropped as boilerplate or stock phrases.
    """

    pairs: np.ndarray
    self_docs: np.ndarray
    common_keys: int


def passage_candidates(
    keys: PassageKeys,
    max_docs: int,
    *,
    two_hit_distance: int,
    max_shift: int,
    max_repeats: int = 16,
) -> PassageCandidates:
    """Pairs of documents with evidence of a shared passage.

    A *hit* is one key found at position ``i`` of document ``a`` and ``j`` of document ``b``
    (``a == b``, ``i < j`` for a repeat inside one document). Keys found in more than
    ``max_docs`` documents, or more than ``max_repeats`` times in one, give no hits. A pair is
    a candidate when two of its hits lie at most ``two_hit_distance`` shingles apart in both
    documents, on the same diagonal (``i - j``) or on diagonals at most ``max_shift`` apart
    (an edit between them). One shared stock phrase is a single hit and links nothing; any
    exact shared run long enough to hold two winnowing windows gives two hits on one diagonal.
    With ``two_hit_distance == 0`` a single hit is enough.
    """
    return two_hit_candidates(
        passage_hits(keys, max_docs, max_repeats=max_repeats),
        len(keys.key_ptr) - 1,
        two_hit_distance=two_hit_distance,
        max_shift=max_shift,
    )


def _two_hits(
    doc_a: np.ndarray,
    doc_b: np.ndarray,
    pos_a: np.ndarray,
    pos_b: np.ndarray,
    distance: int,
    max_shift: int,
    n_docs: int,
) -> np.ndarray:
    """Mark hits that have a partner hit of the same document pair close by: on the same
    diagonal at most ``distance`` positions away, or (an edit between them) on a diagonal at
    most ``max_shift`` away, later in both documents, among the next eight hits of the pair
    in (position, diagonal) order and at most ``distance`` positions on."""
    pair_code = doc_a * np.int64(n_docs) + doc_b
    diagonal = pos_a - pos_b
    order = np.lexsort((diagonal, pos_a, pair_code))
    good = np.zeros(len(pair_code), dtype=bool)
    _two_hits_kernel(
        pair_code[order], diagonal[order], pos_a[order], pos_b[order], distance, max_shift,
        order, good,
    )  # fmt: skip
    return good


@njit(cache=True, nogil=True, boundscheck=False)
def _two_hits_kernel(
    pair, diagonal, pos_a, pos_b, distance, max_shift, order, good
):  # pragma: no cover
    for t in range(len(pair)):
        u = t + 1
        while u < len(pair) and pair[u] == pair[t] and pos_a[u] - pos_a[t] <= distance:
            if diagonal[u] == diagonal[t] or (
                u - t <= 8
                and abs(diagonal[u] - diagonal[t]) <= max_shift
                and pos_a[u] > pos_a[t]
                and pos_b[u] > pos_b[t]
            ):
                good[order[t]] = True
                good[order[u]] = True
            u += 1


@dataclass(frozen=True, slots=True)
class PassageHits:
    """Hits of passage keys: one key at position ``pos_a`` of ``doc_a`` and ``pos_b`` of
    ``doc_b`` (``doc_a <= doc_b``; ``pos_a < pos_b`` in a repeat inside one document).

    Attributes
    ----------
    doc_a, doc_b, pos_a, pos_b : ndarray of int64, shape (n_hits,)
    common_keys : int
        Distinct keys dropped as boilerplate or stock phrases, in the keys these hits come from.
    """

    doc_a: np.ndarray
    doc_b: np.ndarray
    pos_a: np.ndarray
    pos_b: np.ndarray
    common_keys: int

    def __len__(self) -> int:
        return len(self.doc_a)

    def take(self, index: np.ndarray | slice, *, common_keys: int | None = None) -> PassageHits:
        """The hits selected by a boolean mask, an index array or a slice.

        ``common_keys`` is kept unless given (give 0 to every part but one when splitting,
        so that the counts still add up; :func:`split_hits` does).
        """
        return PassageHits(
            self.doc_a[index],
            self.doc_b[index],
            self.pos_a[index],
            self.pos_b[index],
            self.common_keys if common_keys is None else int(common_keys),
        )


def concat_hits(hits: list[PassageHits]) -> PassageHits:
    """All the hits of several parts, one after the other; ``common_keys`` adds up."""
    if not hits:
        empty = np.zeros(0, dtype=np.int64)
        return PassageHits(empty, empty, empty, empty, 0)
    return PassageHits(
        np.concatenate([h.doc_a for h in hits]),
        np.concatenate([h.doc_b for h in hits]),
        np.concatenate([h.pos_a for h in hits]),
        np.concatenate([h.pos_b for h in hits]),
        sum(h.common_keys for h in hits),
    )


def passage_hits(
    keys: PassageKeys,
    max_docs: int,
    *,
    part: int = 0,
    parts: int = 1,
    max_repeats: int = 16,
    doc_weights: np.ndarray | None = None,
) -> PassageHits:
    """The hits of the passage keys of one partition (see :func:`passage_candidates`).

    Parameters
    ----------
    keys : PassageKeys
    max_docs : int
        Keys found in more than ``max_docs`` documents give no hits (and are counted in
        ``common_keys``).
    part, parts : int
        Keys whose :func:`key_partition` is ``part`` (of ``parts``) are used; all by default.
    max_repeats : int
        A key found more than ``max_repeats`` times in one document gives no hit there.
    doc_weights : ndarray of int64, shape (n_docs,), optional
        How many documents each document stands for (a copy group's representative stands
        for the whole group) when counting the documents of a key against ``max_docs``.

    Returns
    -------
    PassageHits
        Grouped by key. Over all parts, the same hits as with ``parts=1``.
    """
    check_part(part, parts)
    n_docs = len(keys.key_ptr) - 1
    doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(keys.key_ptr))
    values, positions = keys.values, keys.positions
    if parts > 1:
        chosen = np.flatnonzero(key_partition(values, parts) == part)
        values, positions, doc_of = values[chosen], positions[chosen], doc_of[chosen]
    return postings_hits(
        values, doc_of, positions, max_docs, max_repeats=max_repeats, doc_weights=doc_weights
    )


def postings_hits(
    values: np.ndarray,
    docs: np.ndarray,
    positions: np.ndarray,
    max_docs: int,
    *,
    max_repeats: int = 16,
    doc_weights: np.ndarray | None = None,
) -> PassageHits:
    """:func:`passage_hits` of keys given one by one, with their documents.

    Parameters
    ----------
    values : ndarray of uint64, shape (n_keys,)
    docs, positions : ndarray of int64, shape (n_keys,)
        In (document, position) order.
    max_docs, max_repeats, doc_weights :
        As for :func:`passage_hits`.

    Returns
    -------
    PassageHits
    """
    # keys come in (doc, position) order, so a stable sort by value gives (value, doc, position);
    # a key seen once gives no hit, and with max_docs >= 1 is never common, so it can go first
    # (with weights, a key seen once may still be common: it is counted, as without groups)
    once_first = max_docs >= 1 and doc_weights is None
    order = repeated_in_order(values) if once_first else np.argsort(values, kind="stable")
    values, docs, positions = values[order], docs[order], positions[order]

    # how often each key occurs in its document, and in how many documents
    new_value = run_starts_mask(values)
    new_doc = new_value.copy()
    new_doc[1:] |= docs[1:] != docs[:-1]
    in_doc_counts = np.diff(np.append(np.flatnonzero(new_doc), len(values)))
    per_doc = np.repeat(in_doc_counts, in_doc_counts)
    value_starts = np.flatnonzero(new_value)
    in_docs = new_doc.astype(np.int64)
    if doc_weights is not None:
        in_docs *= np.asarray(doc_weights, dtype=np.int64)[docs]
    doc_freq = np.asarray(
        np.add.reduceat(in_docs, value_starts) if len(values) else [], dtype=np.int64
    )
    sizes = np.diff(np.append(value_starts, len(values)))
    common = doc_freq > max_docs
    keep = ~np.repeat(common, sizes) & (per_doc <= max_repeats)
    postings = np.flatnonzero(keep)
    # a key's group starts at its first posting still kept (not always its first posting)
    group_of = (np.cumsum(new_value) - 1)[postings]
    kept_starts = np.flatnonzero(np.append(True, group_of[1:] != group_of[:-1]))
    hits = pairs_in_groups(postings, kept_starts)
    return PassageHits(
        docs[hits[:, 0]],
        docs[hits[:, 1]],
        positions[hits[:, 0]],
        positions[hits[:, 1]],
        int(np.count_nonzero(common)),
    )


def repeated_in_order(values: np.ndarray) -> np.ndarray:
    """Indexes of the values that occur more than once, in (value, index) order: what a
    stable argsort gives, less the values seen once.

    Most passage keys occur once, and a stable argsort of tens of millions of uint64 is
    slow, so the sort is one plain (vectorised) sort of composite keys: the value's high
    bits with the index in the low bits. Values equal in their high bits fall in one run;
    only the indexes of runs longer than one, a small share, are then sorted exactly.

    Parameters
    ----------
    values : ndarray of uint64, shape (n,)

    Returns
    -------
    index : ndarray of int64
    """
    values = np.asarray(values, dtype=np.uint64)
    n = len(values)
    if n < 2:
        return np.zeros(0, dtype=np.int64)
    shift = _U64(max(1, int(n - 1).bit_length()))
    composite = np.sort((values >> shift << shift) | np.arange(n, dtype=np.uint64))
    in_run = _in_repeats(composite >> shift)
    index = (composite[in_run] & ((_U64(1) << shift) - _U64(1))).astype(np.int64)
    # index is in (high bits, index) order: a stable sort by the whole value gives
    # (value, index), and then the values seen once (runs merged by their high bits) go
    index = index[np.argsort(values[index], kind="stable")]
    return index[_in_repeats(values[index])]


def _in_repeats(sorted_values: np.ndarray) -> np.ndarray:
    """Mask of the elements whose value is also their neighbour's (sorted input)."""
    equal = sorted_values[1:] == sorted_values[:-1]
    mask = np.zeros(len(sorted_values), dtype=bool)
    mask[1:] |= equal
    mask[:-1] |= equal
    return mask


def hit_partition(hits: PassageHits, parts: int, n_docs: int) -> np.ndarray:
    """Partition of each hit by its document pair: all hits of one pair share a partition.

    Parameters
    ----------
    hits : PassageHits
    parts : int
        Number of partitions, at least 1.
    n_docs : int
        Documents of the batch (the pair ``(a, b)`` is coded ``a * n_docs + b``).

    Returns
    -------
    partition : ndarray of int64, shape (n_hits,)
        In ``0 .. parts - 1``.
    """
    code = hits.doc_a.astype(np.uint64) * _U64(n_docs) + hits.doc_b.astype(np.uint64)
    return key_partition(mix64(code), parts)


def group_hits(hits: PassageHits, parts: int, n_docs: int) -> tuple[PassageHits, np.ndarray]:
    """The hits ordered by :func:`hit_partition` (stable), and where each partition starts:
    partition ``p`` is ``bounds[p]:bounds[p + 1]``."""
    partition = hit_partition(hits, parts, n_docs)
    bounds = np.zeros(parts + 1, dtype=np.int64)
    np.cumsum(np.bincount(partition, minlength=parts), out=bounds[1:])
    return hits.take(np.argsort(partition, kind="stable")), bounds


def split_hits(hits: PassageHits, parts: int, n_docs: int) -> list[PassageHits]:
    """The hits of each :func:`hit_partition`, in their order; ``common_keys`` goes with
    part 0 (0 in the others), so the counts of the parts still add up."""
    grouped, bounds = group_hits(hits, parts, n_docs)
    return [
        grouped.take(slice(bounds[p], bounds[p + 1]), common_keys=hits.common_keys if p == 0 else 0)
        for p in range(parts)
    ]


def two_hit_candidates(
    hits: PassageHits, n_docs: int, *, two_hit_distance: int, max_shift: int
) -> PassageCandidates:
    """Candidates from the hits that pass the two-hit filter (see :func:`passage_candidates`).

    Whether a hit passes depends only on the other hits of its document pair, not on their
    order, so the hits may be split by :func:`hit_partition` and the results merged with
    :func:`merge_passage_candidates`.

    Parameters
    ----------
    hits : PassageHits
    n_docs : int
    two_hit_distance, max_shift : int
        As in :func:`passage_candidates`; with ``two_hit_distance == 0`` every hit passes.

    Returns
    -------
    PassageCandidates
        ``common_keys`` is that of ``hits``.
    """
    doc_a, doc_b = hits.doc_a, hits.doc_b
    if two_hit_distance > 0:
        good = _two_hits(doc_a, doc_b, hits.pos_a, hits.pos_b, two_hit_distance, max_shift, n_docs)
    else:
        good = np.ones(len(doc_a), dtype=bool)
    cross = good & (doc_a != doc_b)
    same = good & (doc_a == doc_b)
    pairs = np.stack([doc_a[cross], doc_b[cross]], axis=1)
    return PassageCandidates(
        unique_pairs([pairs], n_docs), np.unique(doc_a[same]), int(hits.common_keys)
    )


def merge_passage_candidates(found: list[PassageCandidates], n_docs: int) -> PassageCandidates:
    """Union of the candidates of several parts: pairs and self-repeat documents united,
    ``common_keys`` added up."""
    self_docs = [np.asarray(f.self_docs, dtype=np.int64) for f in found]
    return PassageCandidates(
        merge_pairs([f.pairs for f in found], n_docs),
        np.unique(np.concatenate(self_docs)) if self_docs else np.zeros(0, dtype=np.int64),
        sum(int(f.common_keys) for f in found),
    )
