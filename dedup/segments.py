"""Exact runs between two documents: anchors (equal shingles), the maximal diagonal runs
they make, and runs chained across short gaps into passages (the path without the words,
and a document aligned with itself). :mod:`dedup.align` builds on them."""

from __future__ import annotations

import numpy as np

from dedup.edits import A_HI, A_LO, B_HI, B_LO, MATCHED_A, MATCHED_B
from dedup.kernels import njit
from dedup.spans import _covered, _group_reduce, _ranks

MAX_ANCHOR_REPEATS = 16


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
