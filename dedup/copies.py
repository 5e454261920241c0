"""Copy groups: documents carried many times over (one wire story in a thousand outlets, a
stock line such as "Markets closed" repeated thousands of times), found before the pairwise
stages so that a group costs one representative plus one alignment per member, not one per
pair of members.

Two kinds:

* **exact** groups: the same sequence of shingle hashes and the same number of words (the
  same normalised words, whatever the spacing and punctuation of the originals). Keyed by a
  hash of the sequence, then checked word for word, so a hash collision groups nothing.
* **near** groups: documents whose exact shingle-set Jaccard with the group's representative
  reaches ``max(config.threshold, NEAR_GROUP_JACCARD)``. Found through the LSH band buckets
  (each bucket links its members to its first member only, so a bucket of n documents costs
  n edges, not n²/2), every edge verified on the shingle sets (Jaccard at least
  ``config.threshold``: a near-duplicate pair) before a union-find joins it, and only in
  components of band edges large enough for a group; then every member verified again, at
  the group's own bound, against the representative (the component's copy
  nearest its consensus: see :func:`consensus_members`), so a chain of near-duplicates never
  drags in a document unlike the representative; members too far from it are grouped again
  around another.

Only groups of at least ``MIN_GROUP_DOCS`` documents are formed: below that the pairwise
path costs about as much and its output (every pair written) is the one people expect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from dedup.config import Config

#: Smallest copy group. Measured with ``min_docs=2`` (every cluster of copies the rules above
#: form): generated news (benchmarks/generate.py, first 30,000 of 100,000 documents) has 476
#: clusters of 2 and 14 of 3; Reuters-21578 (19,779 texts) 470 of 2, 7 of 3, one of 4 and one
#: of 5; GoogleNews-TS (11,109) 113 of 2. Ordinary corpora thus form no group at 8 and keep
#: every output as it was, with room above the largest cluster seen; from 8 on a group replaces
#: at least 28 pair verifications and alignments by 7, and 28 pair records by one group.
MIN_GROUP_DOCS = 8

#: Least Jaccard (word shingles) of a near-group member with its representative. A word
#: changed changes up to ``shingle_size`` shingles, so 0.7 keeps a 300-word copy with about 10
#: words changed against the representative. On benchmarks/copies.py's copies of one story
#: (1 to 5 words changed in each), 0.8 left 12 % of them out of every group (their Jaccard
#: with the least edited copy fell below it), each then verified and aligned pair by pair;
#: 0.7 left none. Two members have a Jaccard of at least 0.4 (Jaccard distance is a metric)
#: and share most of their words in long passages, so every pair a group implies is a linked
#: pair, though not always a near-duplicate at the default threshold of 0.5.
NEAR_GROUP_JACCARD = 0.7

#: Rounds of representatives a component of verified near-duplicate edges gets: the members
#: too far from the first representative are grouped again around the next.
NEAR_GROUP_ROUNDS = 8

_U64 = np.uint64


def near_group_jaccard(config: Config, prefer: np.ndarray | None) -> float:
    """Least Jaccard of a near group's member with its representative: ``NEAR_GROUP_JACCARD``
    (or the LSH threshold when higher); with a ``prefer`` order (the representative the
    earliest member, not the consensus), the LSH threshold itself: that caller checks each
    member against the representative by its own measure, and what fails is its concern."""
    if prefer is not None:
        return config.threshold
    return max(config.threshold, NEAR_GROUP_JACCARD)


def ranks(keys: list) -> np.ndarray:
    """Each position's rank when ``keys`` (sortable values, one a document) are sorted,
    ties in position order; ndarray of int64."""
    order = sorted(range(len(keys)), key=lambda k: (keys[k], k))
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys), dtype=np.int64)
    return rank


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser of ``values`` (ndarray of uint64); wraps mod 2**64."""
    z = values.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z += _U64(0x9E3779B97F4A7C15)
        z ^= z >> _U64(30)
        z *= _U64(0xBF58476D1CE4E5B9)
        z ^= z >> _U64(27)
        z *= _U64(0x94D049BB133111EB)
        z ^= z >> _U64(31)
    return z


def exact_copy_keys(shingles: np.ndarray, shingle_ptr: np.ndarray, words: np.ndarray) -> np.ndarray:
    """A hash of each document's sequence of shingle hashes and its number of words.

    Parameters
    ----------
    shingles : ndarray of uint64, shape (n_shingles,)
    shingle_ptr : ndarray of int64, shape (n_docs + 1,)
    words : ndarray of int64, shape (n_docs,)

    Returns
    -------
    keys : ndarray of uint64, shape (n_docs,)
        Equal for documents with equal shingle sequences and word counts; unequal ones
        collide with probability about 2**-64 (and :func:`find_copy_groups` checks).
    """
    shingle_ptr = np.asarray(shingle_ptr, dtype=np.int64)
    counts = np.diff(shingle_ptr)
    position = np.arange(len(shingles), dtype=np.int64) - np.repeat(shingle_ptr[:-1], counts)
    with np.errstate(over="ignore"):
        mixed = _mix(np.asarray(shingles, dtype=np.uint64) ^ _mix(position.astype(np.uint64)))
        sums = np.zeros(len(counts), dtype=np.uint64)
        has = counts > 0
        if has.any():
            sums[has] = np.add.reduceat(mixed, shingle_ptr[:-1][has])
        return _mix(sums ^ _mix(np.asarray(words, dtype=np.uint64)))


@dataclass(frozen=True, slots=True)
class CopyGroups:
    """Groups of copies, in CSR layout.

    Attributes
    ----------
    members : ndarray of int64, shape (n_grouped,)
        The documents of every group, group after group: its representative first (an exact
        group's smallest document; a near group's copy nearest the group's consensus, or its
        earliest with ``prefer``: see :func:`find_copy_groups`), then
        the others in increasing order. Groups are in order of their representatives.
    group_ptr : ndarray of int64, shape (n_groups + 1,)
    exact : ndarray of bool, shape (n_groups,)
        Whether the group's documents are exact copies (the same words) of each other.
    n_docs : int
    """

    members: np.ndarray
    group_ptr: np.ndarray
    exact: np.ndarray
    n_docs: int

    @classmethod
    def none(cls, n_docs: int) -> CopyGroups:
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=bool), n_docs)

    def __len__(self) -> int:
        return len(self.group_ptr) - 1

    def group(self, index: int) -> np.ndarray:
        return self.members[self.group_ptr[index] : self.group_ptr[index + 1]]

    @property
    def representatives(self) -> np.ndarray:
        return self.members[self.group_ptr[:-1]]

    def sizes(self) -> np.ndarray:
        return np.diff(self.group_ptr)

    def kept(self) -> np.ndarray:
        """The documents the pairwise stages see: every document but the non-representative
        members of groups (ndarray of int64, increasing)."""
        keep = np.ones(self.n_docs, dtype=bool)
        keep[self.members] = False
        keep[self.representatives] = True
        return np.flatnonzero(keep)

    def weights(self) -> np.ndarray:
        """Documents each document stands for (its group's size for a representative, 1
        for another document, 0 for a member that is not the representative); ndarray of
        int64, shape (n_docs,)."""
        weights = np.ones(self.n_docs, dtype=np.int64)
        weights[self.members] = 0
        weights[self.representatives] = self.sizes()
        return weights

    def star_pairs(self) -> np.ndarray:
        """``(representative, member)`` of every member but the representatives; ndarray of
        int64, shape (n_grouped - n_groups, 2), sorted."""
        sizes = self.sizes()
        reps = np.repeat(self.representatives, sizes)
        not_rep = np.ones(len(self.members), dtype=bool)
        not_rep[self.group_ptr[:-1]] = False
        pairs = np.stack([reps[not_rep], self.members[not_rep]], axis=1)
        return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]

    def with_members(self, docs: np.ndarray) -> np.ndarray:
        """``docs`` (ndarray of int64, increasing) and every member of the groups whose
        representatives are among them, increasing: a representative that repeats its own
        text has members that may too (an exact copy does), each then checked itself."""
        reps = self.members[self.group_ptr[:-1]]
        chosen = np.flatnonzero(np.isin(reps, docs))
        if not len(chosen):
            return docs
        sizes = self.sizes()[chosen]
        take = np.repeat(self.group_ptr[chosen], sizes) + (
            np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        )
        return np.union1d(docs, self.members[take]).astype(np.int64)

    def implied_pairs(self) -> int:
        """Pairs among the members of each group."""
        sizes = self.sizes()
        return int((sizes * (sizes - 1) // 2).sum())


#: ``measure(pairs)``: exact Jaccard of the shingle sets of each pair (pairs: ndarray of
#: int64, shape (n, 2)), ndarray of float64, shape (n,).
MeasureFn = Callable[[np.ndarray], np.ndarray]


#: ``shingles_of(docs)``: the shingle hashes of each document of ``docs``, as bytes.
ShinglesFn = Callable[[list[int]], list[bytes]]


class BandBuckets(Protocol):
    """What near groups need of the LSH band keys (:class:`DenseBands` of a matrix)."""

    def first_links(self, heads: np.ndarray) -> np.ndarray:
        """Of each band bucket of ``heads`` (ndarray of int64, increasing) that has two or
        more of them: ``(first, other)`` for each other member (the first the smallest);
        ndarray of int64, shape (n, 2), in any order, repeats allowed."""
        ...

    def consensus(self, docs: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """:func:`consensus_members` of ``docs`` and ``labels``."""
        ...


@dataclass(frozen=True, slots=True)
class DenseBands:
    """:class:`BandBuckets` of a band key matrix in memory (ndarray of uint64, shape
    (n_docs, n_bands))."""

    band_keys: np.ndarray

    def first_links(self, heads: np.ndarray) -> np.ndarray:
        edges = []
        for column in range(self.band_keys.shape[1]):
            values = self.band_keys[heads, column]
            order = np.argsort(values, kind="stable")
            sorted_values = values[order]
            first = np.append(True, sorted_values[1:] != sorted_values[:-1])
            run_head = order[np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))]
            linked = ~first
            edges.append(np.stack([heads[run_head[linked]], heads[order[linked]]], axis=1))
        return np.concatenate(edges) if edges else np.zeros((0, 2), dtype=np.int64)

    def consensus(self, docs: np.ndarray, labels: np.ndarray) -> np.ndarray:
        return consensus_members(docs, labels, self.band_keys)


def find_copy_groups(
    keys: np.ndarray,
    shingles_of: ShinglesFn,
    band_keys: np.ndarray | BandBuckets | None,
    measure: MeasureFn | None,
    jaccard: float,
    *,
    link_jaccard: float | None = None,
    min_docs: int = MIN_GROUP_DOCS,
    prefer: np.ndarray | None = None,
) -> CopyGroups:
    """Exact groups (equal ``keys``, checked with ``shingles_of``), then near groups among
    the rest and the exact groups' representatives (when ``band_keys`` and ``measure`` are
    given).

    Parameters
    ----------
    keys : ndarray of uint64, shape (n_docs,)
        :func:`exact_copy_keys`.
    shingles_of : callable
        See :data:`ShinglesFn`.
    band_keys : ndarray of uint64, shape (n_docs, n_bands), or BandBuckets, optional
        The band keys, or what is needed of them where they are kept elsewhere
        (:class:`BandBuckets`; a Ray scan's are in the files of its tasks).
    measure : callable, optional
        See :data:`MeasureFn`.
    jaccard : float
        Least Jaccard of a near-group member with its representative.
    link_jaccard : float, optional
        Least Jaccard of a bucket edge that joins two documents' components (``jaccard``
        by default). Lower than ``jaccard``, it keeps copies edited in different places
        together when each bucket's first copy is far from some of them; the representative
        check then holds each member to ``jaccard``.
    min_docs : int
        Smallest group kept.
    prefer : ndarray of int64, shape (n_docs,), optional
        A rank of each document: each near group's representative is then the document of
        the smallest rank (an exact group counting as its earliest member) instead of the
        copy nearest the consensus, so that every member is measured against it. The clean
        job ranks by date, so that the document it keeps is the one the others are measured
        against.
    """
    n_docs = len(keys)
    # exact groups: runs of equal keys, split where the words differ after all
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.append(True, sorted_keys[1:] != sorted_keys[:-1]))
    sizes = np.diff(np.append(starts, n_docs))
    label = np.arange(n_docs, dtype=np.int64)  # each document's exact group (its first doc)
    for start, size in zip(starts[sizes >= min_docs].tolist(), sizes[sizes >= min_docs].tolist()):
        run = np.sort(order[start : start + size]).tolist()
        first: dict[bytes, int] = {}
        for doc, shingles in zip(run, shingles_of(run)):
            label[doc] = first.setdefault(shingles, doc)
    exact_sizes = np.bincount(label, minlength=n_docs)
    exact_label = np.where(exact_sizes[label] >= min_docs, label, np.arange(n_docs))

    # near groups over one document per exact group
    final = exact_label.copy()
    if band_keys is not None and measure is not None and n_docs:
        link = jaccard if link_jaccard is None else link_jaccard
        buckets = DenseBands(band_keys) if isinstance(band_keys, np.ndarray) else band_keys
        final = _near_groups(exact_label, buckets, measure, jaccard, link, min_docs, prefer)

    return _as_groups(final, exact_label, min_docs)


def _near_groups(
    exact_label: np.ndarray,
    band_keys: BandBuckets,
    measure: MeasureFn,
    jaccard: float,
    link_jaccard: float,
    min_docs: int,
    prefer: np.ndarray | None = None,
) -> np.ndarray:
    """Each document's group (its representative) after near groups are joined."""
    n_docs = len(exact_label)
    heads = np.flatnonzero(exact_label == np.arange(n_docs))
    pairs = np.sort(band_keys.first_links(heads), axis=1)
    pairs = np.unique(pairs, axis=0) if len(pairs) else pairs
    weight = np.bincount(exact_label, minlength=n_docs)
    # only edges inside components of band edges that stand for enough documents are
    # measured: copies that come two or three at a time (most of them) cost nothing here
    pairs = pairs[_in_large_components(pairs, heads, weight, min_docs)]
    if not len(pairs):
        return exact_label
    verified = pairs[measure(pairs) >= link_jaccard]
    _, component = _components(verified, n_docs)
    head_of = np.arange(n_docs, dtype=np.int64)
    # only components that stand for enough documents can make a group
    docs_in = np.bincount(component[heads], weights=weight[heads], minlength=n_docs)
    pending = heads[(docs_in[component[heads]] >= min_docs)]
    head_rank = None
    if prefer is not None:  # an exact group ranks as its earliest member
        head_rank = np.full(n_docs, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(head_rank, exact_label, prefer.astype(np.int64))
    for _ in range(NEAR_GROUP_ROUNDS):
        if not len(pending):
            break
        # each component's representative is its pending document nearest its consensus,
        # and every other pending document of the component is verified against it, not
        # only along a chain; those that fail try again among themselves
        if head_rank is None:
            rep = band_keys.consensus(pending, component[pending])
        else:
            rep = _first_members(pending, component[pending], head_rank)
        others = pending != rep
        star = np.stack([rep[others], pending[others]], axis=1)
        joined = measure(star) >= jaccard if len(star) else np.zeros(0, dtype=bool)
        head_of[star[joined, 1]] = star[joined, 0]
        pending = star[~joined, 1]
        pending = pending[
            (np.bincount(component[pending], minlength=n_docs) > 1)[component[pending]]
        ]
    near = head_of[exact_label]
    sizes = np.bincount(near, minlength=n_docs)
    return np.where(sizes[near] >= min_docs, near, exact_label)


def _components(edges: np.ndarray, n_docs: int) -> tuple[int, np.ndarray]:
    """Connected components of the graph of ``edges`` (shape (n, 2)) over ``n_docs`` nodes."""
    from dedup.graphs import components

    return components(edges, n_docs)


def _in_large_components(
    edges: np.ndarray, heads: np.ndarray, weight: np.ndarray, min_docs: int
) -> np.ndarray:
    """Whether each edge lies in a component (of all ``edges``) whose ``heads`` stand for at
    least ``min_docs`` documents (``weight``: documents each head stands for)."""
    n_docs = len(weight)
    _, component = _components(edges, n_docs)
    docs_in = np.bincount(component[heads], weights=weight[heads], minlength=n_docs)
    return docs_in[component[edges[:, 0]]] >= min_docs


def consensus_members(docs: np.ndarray, labels: np.ndarray, band_keys: np.ndarray) -> np.ndarray:
    """For each of ``docs`` (increasing), the document of its label nearest the label's
    consensus: the one whose band keys equal the most common key of the label in the most
    bands (ties to the smaller document). Copies of one story, each edited in a few words,
    keep most of the original's band keys, so the consensus is the story as first written
    and the nearest copy the one least edited."""
    order = np.lexsort((docs, labels))
    docs, labels = docs[order], labels[order]
    starts = np.flatnonzero(np.append(True, labels[1:] != labels[:-1]))
    sizes = np.diff(np.append(starts, len(docs)))
    group = np.repeat(np.arange(len(starts)), sizes)
    score = np.zeros(len(docs), dtype=np.int64)
    for column in range(band_keys.shape[1]):
        values = band_keys[docs, column]
        key_order = np.lexsort((values, group))
        sorted_group, sorted_values = group[key_order], values[key_order]
        new = np.append(
            True, (sorted_values[1:] != sorted_values[:-1]) | (np.diff(sorted_group) != 0)
        )
        run = np.cumsum(new) - 1
        run_size = np.bincount(run)
        size_of = run_size[run]
        most = np.zeros(len(starts), dtype=np.int64)
        np.maximum.at(most, sorted_group, size_of)
        score[key_order] += size_of == most[sorted_group]
    best = np.full(len(starts), -1, dtype=np.int64)
    # the highest score of each label, the smaller document on a tie (docs are in order)
    rank = np.lexsort((docs, -score, group))
    first = np.append(True, group[rank][1:] != group[rank][:-1])
    best[group[rank][first]] = docs[rank][first]
    found = np.empty(len(docs), dtype=np.int64)
    found[order] = best[group]
    return found


def _first_members(docs: np.ndarray, labels: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """For each of ``docs`` (increasing), the document of its label of the smallest
    ``rank`` (ties to the smaller document)."""
    order = np.lexsort((docs, rank[docs], labels))
    first = np.append(True, labels[order][1:] != labels[order][:-1])
    starts = np.flatnonzero(first)
    best = docs[order][starts]
    run = np.cumsum(first) - 1
    found = np.empty(len(docs), dtype=np.int64)
    found[order] = best[run]
    return found


def _as_groups(label: np.ndarray, exact_label: np.ndarray, min_docs: int) -> CopyGroups:
    """Groups of at least ``min_docs`` documents of one ``label`` (the representative's
    number): the representative first, then the others in order."""
    n_docs = len(label)
    sizes = np.bincount(label, minlength=n_docs)
    grouped = np.flatnonzero(sizes[label] >= min_docs)
    if not len(grouped):
        return CopyGroups.none(n_docs)
    order = grouped[np.lexsort((grouped, grouped != label[grouped], label[grouped]))]
    heads = np.flatnonzero(np.append(True, label[order][1:] != label[order][:-1]))
    group_ptr = np.append(heads, len(order)).astype(np.int64)
    exact_of = exact_label[order]
    exact = np.array(
        [bool((exact_of[lo:hi] == exact_of[lo]).all()) for lo, hi in zip(heads, group_ptr[1:])],
        dtype=bool,
    )
    return CopyGroups(order.astype(np.int64), group_ptr, exact, n_docs)
