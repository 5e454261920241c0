"""Verify candidate pairs on their words and turn them into passages with exact offsets.

For a pair of documents:

1. **Anchors**: every pair of positions ``(i, j)`` where the two documents have the same
   shingle (``shingle_size`` consecutive normalised words). Shingles repeated more than
   ``MAX_ANCHOR_REPEATS`` times in one document (tables, "ha ha ha") anchor nothing.
2. **Segments**: anchors on one diagonal (``i - j`` constant) at consecutive positions form a
   run of words copied exactly; each run is maximal (the word before and the word after differ).
3. **Passages**: segments that follow each other in both documents with at most
   ``max_gap_words`` words between them (a changed word, a dropped "the", an inserted
   clause) chain into one passage. A passage is kept when at least ``min_passage_words``
   words of it are copied exactly, in both documents.

A document aligned with itself (``same_doc``) finds text it repeats; the two copies may not
overlap. Everything here works in word positions; :mod:`dedup.pipeline` maps them to
character offsets through each document's word offsets.

Passages across many documents are then grouped into clusters (:func:`cluster_spans`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

MAX_ANCHOR_REPEATS = 16

#: Columns of the passage arrays returned by :func:`align_shingles`.
A_LO, A_HI, B_LO, B_HI, MATCHED_A, MATCHED_B = range(6)


def find_anchors(
    shingles_a: np.ndarray, shingles_b: np.ndarray, *, same_doc: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Positions where two shingle sequences hold the same shingle.

    Parameters
    ----------
    shingles_a : ndarray of uint64, shape (n_a,)
    shingles_b : ndarray of uint64, shape (n_b,)
    same_doc : bool
        ``shingles_b`` is ``shingles_a``; only ``i < j`` is returned.

    Returns
    -------
    i, j : ndarray of int64, shape (n_anchors,)
        ``shingles_a[i] == shingles_b[j]``.
    """
    order_b = np.argsort(shingles_b, kind="stable")
    sorted_b = shingles_b[order_b]
    lo = np.searchsorted(sorted_b, shingles_a, side="left")
    hi = np.searchsorted(sorted_b, shingles_a, side="right")
    counts = hi - lo
    if not same_doc:
        order_a = np.sort(shingles_a)
        counts_a = np.searchsorted(order_a, shingles_a, "right") - np.searchsorted(
            order_a, shingles_a, "left"
        )
        counts = np.where(counts_a > MAX_ANCHOR_REPEATS, 0, counts)
    counts = np.where(counts > MAX_ANCHOR_REPEATS, 0, counts)
    i = np.repeat(np.arange(len(shingles_a), dtype=np.int64), counts)
    j = order_b[np.repeat(lo, counts) + _ranks(counts)].astype(np.int64)
    if same_doc:
        keep = i < j
        i, j = i[keep], j[keep]
    return i, j


def diagonal_segments(
    i: np.ndarray, j: np.ndarray, shingle_size: int, *, same_doc: bool = False
) -> np.ndarray:
    """Runs of anchors at consecutive positions on one diagonal, as word spans.

    Returns
    -------
    segments : ndarray of int64, shape (n_segments, 4)
        ``[a_lo, a_hi, b_lo, b_hi]`` word positions (half-open), the words in both spans
        equal one for one; sorted by ``(a_lo, b_lo)``.
    """
    if len(i) == 0:
        return np.zeros((0, 4), dtype=np.int64)
    diagonal = i - j
    order = np.lexsort((i, diagonal))
    i, j, diagonal = i[order], j[order], diagonal[order]
    new_run = np.ones(len(i), dtype=bool)
    new_run[1:] = (diagonal[1:] != diagonal[:-1]) | (i[1:] != i[:-1] + 1)
    first = np.flatnonzero(new_run)
    last = np.append(first[1:], len(i)) - 1
    a_lo, b_lo = i[first], j[first]
    length = i[last] - a_lo + shingle_size
    if same_doc:
        # the two copies of a repeat may not overlap: a run of period p keeps p words
        length = np.minimum(length, b_lo - a_lo)
    segments = np.stack([a_lo, a_lo + length, b_lo, b_lo + length], axis=1)
    order = np.lexsort((segments[:, 2], segments[:, 0]))
    return segments[order]


def chain_segments(
    segments: np.ndarray, max_gap: int, shingle_size: int, groups: np.ndarray | None = None
) -> np.ndarray:
    """Group segments into passages across small edits.

    Segment ``t`` continues the passage whose last segment ``s`` it follows in both
    documents: ``t`` starts at most ``max_gap`` words after ``s`` ends in each, overlaps it by
    fewer than ``shingle_size`` words, and reaches further in both. Among several such
    passages it joins the one whose diagonal is closest.

    Parameters
    ----------
    segments : ndarray of int64, shape (n_segments, 4)
        Sorted by ``(group, a_lo, b_lo)``.
    groups : ndarray of int64, shape (n_segments,), optional
        Document pair of each segment; segments of different pairs never chain.

    Returns
    -------
    labels : ndarray of int64, shape (n_segments,)
        Passage number of each segment, numbered in order of first segment.
    """
    n = len(segments)
    labels = np.full(n, -1, dtype=np.int64)
    active: list[int] = []  # label of passages that may still grow
    last_of: list[int] = []  # last segment of each passage
    rows = segments.tolist()
    group_of = groups.tolist() if groups is not None else [0] * n
    current_group = None
    for t, (a_lo, a_hi, b_lo, b_hi) in enumerate(rows):
        if group_of[t] != current_group:
            current_group, active = group_of[t], []
        best, best_shift = -1, None
        still_active = []
        for label in active:
            _s_a_lo, s_a_hi, s_b_lo, s_b_hi = rows[last_of[label]]
            if s_a_hi + max_gap < a_lo:
                continue  # nothing later can join it either
            still_active.append(label)
            gap_a, gap_b = a_lo - s_a_hi, b_lo - s_b_hi
            if (
                -shingle_size < gap_a <= max_gap
                and -shingle_size < gap_b <= max_gap
                and a_hi > s_a_hi
                and b_hi > s_b_hi
                and b_lo >= s_b_lo
            ):
                shift = abs(gap_a - gap_b)
                if best_shift is None or shift < best_shift:
                    best, best_shift = label, shift
        active = still_active
        if best < 0:
            best = len(last_of)
            last_of.append(t)
            active.append(best)
        else:
            last_of[best] = t
        labels[t] = best
    return labels


def align_shingles(
    shingles_a: np.ndarray,
    shingles_b: np.ndarray,
    *,
    shingle_size: int,
    min_words: int,
    max_gap: int,
    same_doc: bool = False,
) -> np.ndarray:
    """Reused passages between two documents (or inside one), in word positions.

    The plain one-pair path; :func:`align_pairs` does the same for many pairs at once.

    Returns
    -------
    passages : ndarray of int64, shape (n_passages, 6)
        Columns ``A_LO, A_HI, B_LO, B_HI`` (half-open word spans) and ``MATCHED_A``,
        ``MATCHED_B`` (words of each span copied exactly); sorted by ``(a_lo, b_lo)``.
    """
    i, j = find_anchors(shingles_a, shingles_b, same_doc=same_doc)
    segments = diagonal_segments(i, j, shingle_size, same_doc=same_doc)
    groups = np.zeros(len(segments), dtype=np.int64)
    same = np.array([same_doc])
    _, passages = _passages(segments, groups, same, shingle_size, min_words, max_gap)
    return passages


def align_pairs(
    shingles: np.ndarray,
    shingle_ptr: np.ndarray,
    pairs: np.ndarray,
    *,
    shingle_size: int,
    min_words: int,
    max_gap: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Reused passages of many document pairs at once (``a == b`` aligns a document with
    itself); equal, pair by pair, to :func:`align_shingles` (a compiled kernel of the same
    steps, one pair at a time).

    Parameters
    ----------
    shingles : ndarray of uint64, shape (n_shingles,)
    shingle_ptr : ndarray of int64, shape (n_docs + 1,)
    pairs : ndarray of int64, shape (n_pairs, 2)

    Returns
    -------
    pair_index : ndarray of int64, shape (n_passages,)
        Row of ``pairs`` each passage belongs to; increasing.
    passages : ndarray of int64, shape (n_passages, 6)
        As :func:`align_shingles` returns them, sorted by ``(pair, a_lo, b_lo)``.
    """
    pairs = np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2)
    shingle_ptr = np.ascontiguousarray(shingle_ptr, dtype=np.int64)
    sizes = np.diff(shingle_ptr)
    most_a = int(sizes[pairs[:, 0]].max(initial=1))
    most_ab = int((sizes[pairs[:, 0]] + sizes[pairs[:, 1]]).max(initial=1))
    return _align_kernel(
        np.ascontiguousarray(shingles, dtype=np.uint64),
        shingle_ptr,
        pairs,
        shingle_size,
        min_words,
        max_gap,
        *_anchor_table(most_a, most_ab),
    )


@njit(cache=True, nogil=True, boundscheck=False)
def _align_kernel(
    shingles, shingle_ptr, pairs, shingle_size, min_words, max_gap, keys, table
):  # pragma: no cover
    """:func:`align_pairs`: for each pair, anchors, segments, chains and passages exactly as
    :func:`find_anchors`, :func:`diagonal_segments`, :func:`chain_segments` and
    :func:`_passages` make them."""
    found = np.empty((64, 6), dtype=np.int64)
    found_pair = np.empty(64, dtype=np.int64)
    n_found = 0
    for p in range(len(pairs)):
        a, b = pairs[p, 0], pairs[p, 1]
        same = a == b
        shingles_a = shingles[shingle_ptr[a] : shingle_ptr[a + 1]]
        shingles_b = shingles[shingle_ptr[b] : shingle_ptr[b + 1]]
        segments = _pair_segments(shingles_a, shingles_b, same, shingle_size, p + 1, keys, table)
        if len(segments) == 0:
            continue
        if np.sum(segments[:, 1] - segments[:, 0]) < min_words:
            continue  # no chain of these segments can reach min_words
        passages = _chain_kernel(segments, shingle_size, max_gap, min_words, same)
        for row in range(len(passages)):
            if n_found == len(found):  # full: twice the room
                bigger, bigger_pair = (
                    np.empty((2 * n_found, 6), np.int64),
                    np.empty(2 * n_found, np.int64),
                )
                bigger[:n_found], bigger_pair[:n_found] = found, found_pair
                found, found_pair = bigger, bigger_pair
            found[n_found] = passages[row]
            found_pair[n_found] = p
            n_found += 1
    return found_pair[:n_found].copy(), found[:n_found].copy()


def _anchor_table(most_a: int, most_ab: int) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Working arrays for :func:`_pair_segments`, for pairs of at most ``most_a`` shingles in
    ``a`` and ``most_ab`` in both."""
    capacity = 2
    while capacity < 2 * most_a:
        capacity *= 2
    keys = np.empty(capacity, dtype=np.uint64)
    per_slot = [np.zeros(capacity, dtype=np.int64) for _ in range(5)]
    per_position = [np.zeros(most_ab + 1, dtype=np.int64) for _ in range(7)]
    return keys, tuple(per_slot + per_position)


@njit(cache=True, nogil=True, boundscheck=False)
def _pair_segments(
    shingles_a, shingles_b, same, shingle_size, mark, keys, table
):  # pragma: no cover
    """:func:`diagonal_segments` of :func:`find_anchors` of one pair, sorted by
    ``(a_lo, b_lo)``, with no sort of the shingles.

    ``keys`` and ``table`` (from :func:`_anchor_table`) are reused pair after pair and never
    cleared: an entry belongs to the pair being aligned when its owner is that pair's
    ``mark``. A hash table (open addressing, linear probing) of the shingles of ``a`` holds
    each one's positions as a list (``first``, ``last``, ``next_position``) and its counts
    in ``a`` and ``b``; per diagonal (``i - j + len(b)``), the run of anchors being read,
    anchors coming in order of ``j``."""
    owner, first, last, count_a, count_b = table[0], table[1], table[2], table[3], table[4]
    next_position, slot_of, run_owner, run_start_a = table[5], table[6], table[7], table[8]
    run_start_b, run_last_b, opened = table[9], table[10], table[11]
    n_a, n_b = len(shingles_a), len(shingles_b)
    size = 2
    while size < 2 * n_a:
        size *= 2
    mask = np.uint64(size - 1)
    for i in range(n_a):
        slot = _find_slot(shingles_a[i], mask, mark, keys, owner)
        if owner[slot] != mark:
            owner[slot] = mark
            keys[slot] = shingles_a[i]
            first[slot] = i
            count_a[slot] = 0
            count_b[slot] = 0
        else:
            next_position[last[slot]] = i
        last[slot] = i
        next_position[i] = -1
        count_a[slot] += 1
        slot_of[i] = slot
    for j in range(n_b):
        if same:
            count_b[slot_of[j]] += 1
            continue
        slot = _find_slot(shingles_b[j], mask, mark, keys, owner)
        if owner[slot] == mark:
            count_b[slot] += 1
            slot_of[j] = slot
        else:
            slot_of[j] = -1
    segments = np.empty((n_a + n_b + 16, 4), dtype=np.int64)
    n = n_opened = 0
    for j in range(n_b):
        slot = slot_of[j]
        if slot < 0 or count_b[slot] > MAX_ANCHOR_REPEATS:
            continue
        if not same and count_a[slot] > MAX_ANCHOR_REPEATS:
            continue
        i = first[slot]
        while i >= 0 and not (same and i >= j):
            d = i - j + n_b
            if run_owner[d] != mark:
                run_owner[d] = mark
                opened[n_opened] = d
                n_opened += 1
            elif run_last_b[d] == j - 1:
                run_last_b[d] = j  # the run goes on
                i = next_position[i]
                continue
            else:  # a run ends on this diagonal: emit it, start another
                if n == len(segments):
                    segments = _doubled(segments)
                _emit(
                    segments, n, run_start_a[d], run_start_b[d], run_last_b[d], shingle_size, same
                )
                n += 1
            run_start_a[d] = i
            run_start_b[d] = j
            run_last_b[d] = j
            i = next_position[i]
    for k in range(n_opened):
        d = opened[k]
        if n == len(segments):
            segments = _doubled(segments)
        _emit(segments, n, run_start_a[d], run_start_b[d], run_last_b[d], shingle_size, same)
        n += 1
    segments = segments[:n]
    return segments[np.argsort(segments[:, 0] * (n_b + 1) + segments[:, 2])]


@njit(inline="always")
def _find_slot(value, mask, mark, keys, owner):  # pragma: no cover - compiled
    slot = (value ^ (value >> np.uint64(29))) & mask
    while owner[slot] == mark and keys[slot] != value:
        slot = (slot + np.uint64(1)) & mask
    return slot


@njit(inline="always")
def _emit(segments, n, a_lo, b_lo, last_b, shingle_size, same):  # pragma: no cover
    length = last_b - b_lo + shingle_size
    if same:  # the two copies of a repeat may not overlap: a run of period p keeps p words
        length = min(length, b_lo - a_lo)
    segments[n, 0] = a_lo
    segments[n, 1] = a_lo + length
    segments[n, 2] = b_lo
    segments[n, 3] = b_lo + length


@njit(cache=True, nogil=True)
def _doubled(segments):  # pragma: no cover - compiled
    bigger = np.empty((2 * len(segments), 4), dtype=np.int64)
    bigger[: len(segments)] = segments
    return bigger


@njit(cache=True, nogil=True, boundscheck=False)
def _chain_kernel(segments, shingle_size, max_gap, min_words, same):  # pragma: no cover
    """:func:`chain_segments` and :func:`_passages` of one pair's sorted segments."""
    n = len(segments)
    labels = np.empty(n, dtype=np.int64)
    last_of = np.empty(n, dtype=np.int64)
    active = np.empty(n, dtype=np.int64)
    n_labels = n_active = 0
    for t in range(n):
        a_lo, a_hi, b_lo, b_hi = segments[t, 0], segments[t, 1], segments[t, 2], segments[t, 3]
        best, best_shift = -1, 0
        kept = 0
        for u in range(n_active):
            label = active[u]
            s = last_of[label]
            if segments[s, 1] + max_gap < a_lo:
                continue  # nothing later can join it either
            active[kept] = label
            kept += 1
            gap_a, gap_b = a_lo - segments[s, 1], b_lo - segments[s, 3]
            if (
                -shingle_size < gap_a <= max_gap
                and -shingle_size < gap_b <= max_gap
                and a_hi > segments[s, 1]
                and b_hi > segments[s, 3]
                and b_lo >= segments[s, 2]
            ):
                shift = abs(gap_a - gap_b)
                if best < 0 or shift < best_shift:
                    best, best_shift = label, shift
        n_active = kept
        if best < 0:
            best = n_labels
            n_labels += 1
            active[n_active] = best
            n_active += 1
        last_of[best] = t
        labels[t] = best
    # a passage's segments come in order of both starts, so one sweep measures their unions
    passages = np.zeros((n_labels, 6), dtype=np.int64)
    reach = np.full((n_labels, 2), -1, dtype=np.int64)
    for t in range(n):
        row = passages[labels[t]]
        if row[A_HI] == 0:
            row[A_LO], row[B_LO] = segments[t, 0], segments[t, 2]
        row[A_HI] = max(row[A_HI], segments[t, 1])
        row[B_HI] = max(row[B_HI], segments[t, 3])
        for side, lo_col in ((0, 0), (1, 2)):
            start = max(segments[t, lo_col], reach[labels[t], side])
            if segments[t, lo_col + 1] > start:
                row[MATCHED_A + side] += segments[t, lo_col + 1] - start
                reach[labels[t], side] = segments[t, lo_col + 1]
    keep = np.minimum(passages[:, MATCHED_A], passages[:, MATCHED_B]) >= min_words
    if same:
        keep &= passages[:, A_HI] <= passages[:, B_LO]
    passages = passages[keep]
    span = max(segments[:, 3].max(), 1) + 1
    order = np.argsort(passages[:, A_LO] * span + passages[:, B_LO], kind="mergesort")
    return passages[order]


def _passages(
    segments: np.ndarray,
    groups: np.ndarray,
    same_doc: np.ndarray,
    shingle_size: int,
    min_words: int,
    max_gap: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Chain sorted segments of each group into passages and keep those long enough.

    Returns the group of each passage and the passages (columns as in align_shingles).
    """
    empty = (np.zeros(0, dtype=np.int64), np.zeros((0, 6), dtype=np.int64))
    if len(segments) == 0:
        return empty
    # a group whose segments cannot add up to min_words has no passage: skip chaining it
    lengths = segments[:, 1] - segments[:, 0]
    total = np.bincount(groups, weights=lengths)
    possible = total[groups] >= min_words
    segments, groups = segments[possible], groups[possible]
    if len(segments) == 0:
        return empty
    labels = chain_segments(segments, max_gap, shingle_size, groups)
    n_passages = int(labels.max()) + 1
    passages = np.zeros((n_passages, 6), dtype=np.int64)
    passages[:, A_LO] = _group_reduce(np.minimum, segments[:, 0], labels, n_passages)
    passages[:, A_HI] = _group_reduce(np.maximum, segments[:, 1], labels, n_passages)
    passages[:, B_LO] = _group_reduce(np.minimum, segments[:, 2], labels, n_passages)
    passages[:, B_HI] = _group_reduce(np.maximum, segments[:, 3], labels, n_passages)
    passages[:, MATCHED_A] = _covered(segments[:, 0], segments[:, 1], labels, n_passages)
    passages[:, MATCHED_B] = _covered(segments[:, 2], segments[:, 3], labels, n_passages)
    passage_group = np.zeros(n_passages, dtype=np.int64)
    passage_group[labels] = groups
    keep = np.minimum(passages[:, MATCHED_A], passages[:, MATCHED_B]) >= min_words
    keep &= ~same_doc[passage_group] | (passages[:, A_HI] <= passages[:, B_LO])
    passages, passage_group = passages[keep], passage_group[keep]
    order = np.lexsort((passages[:, B_LO], passages[:, A_LO], passage_group))
    return passage_group[order], passages[order]


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
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

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
    graph = coo_matrix(
        (np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n)
    )
    _, component = connected_components(graph, directed=False)
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
