"""Candidate pairs at the document level: LSH over document signatures.

Each signature is cut into ``bands`` bands of ``rows`` values; a band hashes to a key; two
documents that share any band key are a candidate near-duplicate. The index is a sorted
uint64 array (no dict of sets, no Python object per key). The passage level (winnowed
shingle keys, their hits and the two-hit filter) is in :mod:`dedup.passage_keys`, which
shares the pair helpers and the partitioning below.

Candidates are only hints: :mod:`dedup.align` verifies every one on the words themselves.
"""

from __future__ import annotations

import numpy as np

from dedup.parallel import map_ordered
from dedup.shingle import mix64

_U64 = np.uint64
_BAND_MUL = _U64(0xA24BAED4963EE407)
_ROW_MUL = _U64(0x9FB21C651E98DF25)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Hash each band of each signature to one key.

    Parameters
    ----------
    signatures : ndarray of uint32, shape (n_docs, num_perm)
    bands, rows : int
        ``bands * rows <= num_perm``; columns past ``bands * rows`` are not used.

    Returns
    -------
    band_keys : ndarray of uint64, shape (n_docs, bands)
        Key of band ``k`` mixes ``k`` in, so equal values in different bands never collide.
    """
    signatures = np.asarray(signatures)
    n_docs, num_perm = signatures.shape
    if bands * rows > num_perm:
        raise ValueError(f"bands × rows = {bands * rows} exceeds num_perm = {num_perm}")
    values = signatures[:, : bands * rows].astype(np.uint64).reshape(n_docs, bands, rows)
    keys = np.broadcast_to(np.arange(bands, dtype=np.uint64) * _BAND_MUL, (n_docs, bands)).copy()
    for row in range(rows):
        keys = mix64(keys * _ROW_MUL + values[:, :, row])
    return keys


def pairs_in_groups(members: np.ndarray, group_starts: np.ndarray) -> np.ndarray:
    """Every pair of members of each group.

    Parameters
    ----------
    members : ndarray of int64, shape (n,)
        Members listed group after group.
    group_starts : ndarray of int64, shape (n_groups,)
        Index in ``members`` where each group starts (increasing, first is 0).

    Returns
    -------
    pairs : ndarray of int64, shape (n_pairs, 2)
        ``(members[i], members[j])`` for ``i < j`` in the same group, in group order.
    """
    members = np.asarray(members, dtype=np.int64)
    n = len(members)
    if n == 0:
        return np.zeros((0, 2), dtype=np.int64)
    group_starts = np.asarray(group_starts, dtype=np.int64)
    sizes = np.diff(np.append(group_starts, n))
    group_end = np.repeat(group_starts + sizes, sizes)
    partners = group_end - np.arange(n) - 1  # later members of the same group
    left = np.repeat(np.arange(n), partners)
    right = left + 1 + _ranks(partners)
    return np.stack([members[left], members[right]], axis=1)


def candidate_pairs(keys: np.ndarray, workers: int = 1) -> np.ndarray:
    """Document pairs that share a key in any column.

    Parameters
    ----------
    keys : ndarray of uint64, shape (n_docs, n_columns)
    workers : int
        Threads that find the pairs of the columns (each column a job; numpy's sorts
        release the GIL); the result does not depend on it.

    Returns
    -------
    candidate_pairs : ndarray of int64, shape (n_pairs, 2)
        ``i < j``, sorted, unique.
    """
    keys = np.asarray(keys)
    n_docs = keys.shape[0]
    jobs = [(keys[:, column], None) for column in range(keys.shape[1])]
    found = [pairs for pairs in map_ordered(_column_pairs, (), jobs, workers) if len(pairs)]
    return unique_pairs(found, n_docs)


def _column_pairs(column: np.ndarray, docs: np.ndarray | None) -> np.ndarray:
    """Pairs of documents with equal keys in one column.

    ``column[k]`` is the key of document ``docs[k]`` (of document ``k`` when ``docs`` is None);
    ``docs`` is increasing. Returns ``(a, b)`` pairs with ``a < b``, grouped by key.
    """
    order = np.argsort(column, kind="stable")
    sorted_keys = column[order]
    starts = _run_starts(sorted_keys)
    sizes = np.diff(np.append(starts, len(sorted_keys)))
    keep = np.repeat(sizes > 1, sizes)
    kept_starts = np.flatnonzero(run_starts_mask(sorted_keys) & keep)
    members = order[keep] if docs is None else docs[order[keep]]
    return pairs_in_groups(members, _reindex(kept_starts, keep))


# --- Partitioned candidates -----------------------------------------------------------------
# The candidates stage as a map-reduce, for processes or Ray tasks. Band keys and passage keys
# are shuffled by key (``key_partition``): each part finds the pairs, or the hits, of its own
# keys, since a key's documents and the common-key and repeat filters depend on that key only.
# Passage hits are then shuffled by document pair (``dedup.passage_keys.hit_partition``): the
# two-hit filter looks at the hits of one pair only, and not at their order. Merging the parts
# (``merge_pairs``, ``dedup.passage_keys.merge_passage_candidates``) gives exactly the
# unpartitioned result, for any ``parts``.


def key_partition(keys: np.ndarray, parts: int) -> np.ndarray:
    """Partition of each key, from its high 32 bits.

    Parameters
    ----------
    keys : ndarray of uint64, any shape
        Well-mixed keys (outputs of :func:`dedup.shingle.mix64`, as band keys and shingle
        hashes are); the high bits are used as they are.
    parts : int
        Number of partitions, at least 1.

    Returns
    -------
    partition : ndarray of int64, same shape
        In ``0 .. parts - 1``; the same key always gets the same partition.
    """
    if parts < 1:
        raise ValueError(f"parts must be at least 1, not {parts}")
    keys = np.asarray(keys, dtype=np.uint64)
    return ((keys >> _U64(32)) % _U64(parts)).astype(np.int64)


def band_candidates_part(keys: np.ndarray, part: int, parts: int) -> np.ndarray:
    """:func:`candidate_pairs` from the keys of one partition only.

    Parameters
    ----------
    keys : ndarray of uint64, shape (n_docs, n_columns)
    part, parts : int
        Keys whose :func:`key_partition` is ``part`` (of ``parts``) are used.

    Returns
    -------
    candidate_pairs : ndarray of int64, shape (n_pairs, 2)
        ``i < j``, sorted, unique. The union over all parts (:func:`merge_pairs`) is
        ``candidate_pairs(keys)``.
    """
    check_part(part, parts)
    keys = np.asarray(keys)
    n_docs = keys.shape[0]
    in_part = key_partition(keys, parts) == part
    found = []
    for column in range(keys.shape[1]):
        docs = np.flatnonzero(in_part[:, column])
        pairs = _column_pairs(keys[docs, column], docs)
        if len(pairs):
            found.append(pairs)
    return unique_pairs(found, n_docs)


def merge_pairs(chunks: list[np.ndarray], n_docs: int) -> np.ndarray:
    """Union of document pairs.

    Parameters
    ----------
    chunks : list of ndarray of int64, shape (n_k, 2)
        Pairs in either orientation, possibly repeated.
    n_docs : int

    Returns
    -------
    pairs : ndarray of int64, shape (n_pairs, 2)
        ``i < j``, sorted, unique.
    """
    return unique_pairs([np.asarray(c, dtype=np.int64).reshape(-1, 2) for c in chunks], n_docs)


def check_part(part: int, parts: int) -> None:
    if parts < 1 or not 0 <= part < parts:
        raise ValueError(f"part must be in 0 .. parts - 1, not {part} of {parts}")


def run_starts_mask(sorted_values: np.ndarray) -> np.ndarray:
    mask = np.ones(len(sorted_values), dtype=bool)
    mask[1:] = sorted_values[1:] != sorted_values[:-1]
    return mask


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    return np.flatnonzero(run_starts_mask(sorted_values))


def _reindex(positions: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Positions in the full array → positions among the kept elements."""
    return np.cumsum(keep)[positions] - 1


def unique_pairs(chunks: list[np.ndarray], n_docs: int) -> np.ndarray:
    if not chunks:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks)
    low = np.minimum(pairs[:, 0], pairs[:, 1])
    high = np.maximum(pairs[:, 0], pairs[:, 1])
    codes = np.unique(low * np.int64(n_docs) + high)
    return np.stack([codes // n_docs, codes % n_docs], axis=1)


def _ranks(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
