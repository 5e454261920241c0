"""Passages across many documents: shingle overlaps of pairs, and spans grouped into
clusters with their covered lengths."""

from __future__ import annotations

import numpy as np

from dedup.kernels import njit


def shingle_overlaps(
    shingles: np.ndarray, shingle_ptr: np.ndarray, pairs: np.ndarray
) -> np.ndarray:
    """Sizes of the shingle sets of document pairs and of their intersections.

    Parameters
    ----------
    shingles : ndarray of uint64, shape (n_shingles,)
    shingle_ptr : ndarray of int64, shape (n_docs + 1,)
    pairs : ndarray of int64, shape (n_pairs, 2)

    Returns
    -------
    ndarray of int64, shape (n_pairs, 3)
        Distinct shingles of ``a``, of ``b``, and shared by both.
    """
    return _overlaps_kernel(
        np.ascontiguousarray(shingles, dtype=np.uint64),
        np.ascontiguousarray(shingle_ptr, dtype=np.int64),
        np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2),
    )


@njit(cache=True, nogil=True, boundscheck=False)
def _overlaps_kernel(shingles, shingle_ptr, pairs):  # pragma: no cover - compiled
    """Distinct shingles of each side and common ones, through one open-addressing hash
    table per pair (linear probing; a slot belongs to pair ``p`` when ``owner`` is ``p + 1``,
    so the table is never cleared)."""
    out = np.zeros((len(pairs), 3), dtype=np.int64)
    sizes = shingle_ptr[1:] - shingle_ptr[:-1]
    most = 1
    for p in range(len(pairs)):
        most = max(most, sizes[pairs[p, 0]] + sizes[pairs[p, 1]])
    capacity = 1
    while capacity < 2 * most:
        capacity *= 2
    keys = np.empty(capacity, dtype=np.uint64)
    owner = np.zeros(capacity, dtype=np.int64)
    seen_b = np.zeros(capacity, dtype=np.int64)
    for p in range(len(pairs)):
        a, b = pairs[p, 0], pairs[p, 1]
        mask = 1
        while mask < 2 * (sizes[a] + sizes[b]):
            mask *= 2
        mask -= 1
        mark = p + 1
        for side in range(2):
            doc = a if side == 0 else b
            for i in range(shingle_ptr[doc], shingle_ptr[doc + 1]):
                value = shingles[i]
                slot = (value ^ (value >> np.uint64(29))) & np.uint64(mask)
                while owner[slot] == mark and keys[slot] != value:
                    slot = (slot + np.uint64(1)) & np.uint64(mask)
                if owner[slot] != mark:  # first sight in this pair
                    owner[slot] = mark
                    keys[slot] = value
                    seen_b[slot] = 0
                    out[p, side] += 1
                    if side == 1:
                        seen_b[slot] = mark
                elif side == 0:
                    continue  # a repeat inside a
                elif seen_b[slot] != mark:  # in a, and first sight in b
                    seen_b[slot] = mark
                    out[p, 1] += 1
                    out[p, 2] += 1
    return out


def cluster_spans(
    docs: np.ndarray, starts: np.ndarray, ends: np.ndarray, links: np.ndarray
) -> np.ndarray:
    """Group passage occurrences into clusters of one reused text.

    Two occurrences are the same text when an alignment links them, or when they sit in the
    same document and overlap by at least half of the longer one. (Any overlap would chain a
    short quote to the whole body of a document that repeats itself, and from there to every
    other quote in it.)

    Parameters
    ----------
    docs, starts, ends : ndarray of int64, shape (n_spans,)
        Document and half-open span of each occurrence.
    links : ndarray of int64, shape (n_links, 2)
        Pairs of occurrence indices joined by an alignment.

    Returns
    -------
    labels : ndarray of int64, shape (n_spans,)
        Cluster of each occurrence: the smallest occurrence index in its cluster.
    """
    from dedup.graphs import components

    docs = np.asarray(docs, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    n = len(docs)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # overlapping occurrences in one document: in (doc, start) order, the occurrences that
    # overlap x and start after it are the next ones up to the first starting at x's end
    order = np.lexsort((ends, starts, docs))
    doc_sorted, start_sorted, end_sorted = docs[order], starts[order], ends[order]
    composite = np.stack([doc_sorted, start_sorted], axis=1)
    limit = _search_rows(composite, np.stack([doc_sorted, end_sorted], axis=1))
    later = np.maximum(limit - np.arange(n) - 1, 0)
    x = np.repeat(np.arange(n), later)
    y = x + 1 + _ranks(later)
    overlap = np.minimum(end_sorted[x], end_sorted[y]) - start_sorted[y]
    longer = np.maximum(end_sorted[x] - start_sorted[x], end_sorted[y] - start_sorted[y])
    same_text = 2 * overlap >= longer
    edges = np.concatenate(
        [
            np.asarray(links, dtype=np.int64).reshape(-1, 2),
            np.stack([order[x[same_text]], order[y[same_text]]], axis=1),
        ]
    )
    _, component = components(edges, n)
    smallest = np.full(component.max() + 1, n, dtype=np.int64)
    np.minimum.at(smallest, component, np.arange(n))
    return smallest[component]


def _search_rows(sorted_rows: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """``searchsorted(side="left")`` of (doc, offset) rows in rows sorted lexicographically."""
    span = int(max(sorted_rows[:, 1].max(), needles[:, 1].max())) + 1
    keys = sorted_rows[:, 0] * span + sorted_rows[:, 1]
    return np.searchsorted(keys, needles[:, 0] * span + needles[:, 1], side="left")


def _group_reduce(ufunc: np.ufunc, values: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, values.max() if ufunc is np.minimum else values.min(), dtype=np.int64)
    ufunc.at(out, labels, values)
    return out


def _covered(lo: np.ndarray, hi: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Number of positions covered by the union of ``[lo, hi)`` intervals of each label."""
    return union_lengths(labels, lo, hi, n)


def union_lengths(groups: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_groups: int) -> np.ndarray:
    """Length of the union of the half-open spans ``[lo, hi)`` of each group.

    Parameters
    ----------
    groups, lo, hi : ndarray of int64, shape (n_spans,)
        Group of each span (``0 .. n_groups - 1``) and its ends; ``lo >= 0``. Empty spans
        (``hi <= lo``) cover nothing.
    n_groups : int

    Returns
    -------
    ndarray of int64, shape (n_groups,)
    """
    groups, lo, hi = (np.asarray(x, dtype=np.int64) for x in (groups, lo, hi))
    keep = hi > lo
    groups, lo, hi = groups[keep], lo[keep], hi[keep]
    if len(groups) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    order = np.lexsort((lo, groups))
    groups, lo, hi = groups[order], lo[order], hi[order]
    # the running end of a group's spans so far: one running maximum over all groups, each
    # group lifted above the ones before it
    lift = groups * (int(hi.max()) + 1)
    reach = np.maximum.accumulate(lift + hi) - lift
    before = np.full(len(groups), -1, dtype=np.int64)
    same = groups[1:] == groups[:-1]
    before[1:][same] = reach[:-1][same]
    added = np.maximum(hi - np.maximum(lo, before), 0)
    return np.bincount(groups, weights=added, minlength=n_groups).astype(np.int64)


def _ranks(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
