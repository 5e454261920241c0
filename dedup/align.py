"""Verify candidate pairs on their words and turn them into passages with exact offsets.

For a pair of documents:

1. **Anchors**: every pair of positions ``(i, j)`` where the two documents have the same
   shingle (``shingle_size`` consecutive normalised words). Shingles repeated more than
   ``MAX_ANCHOR_REPEATS`` times in one document (tables, "ha ha ha") anchor nothing.
2. **Segments**: anchors on one diagonal (``i - j`` constant) at consecutive positions form a
   run of words copied exactly; each run is maximal (the word before and the word after differ).
3. **Passages through edits** (with the words of both documents, as a scan passes them):
   segments are the seeds of a word-level local alignment. A segment continues the chain
   whose last segment it follows within ``max_bridge`` words in both documents when a
   global alignment of the words between them loses at most ``max_gap`` points (equal
   words +1, words one character apart 0, other words and words facing nothing -1; see
   :func:`near_words`); each chain is then extended at both ends while the alignment gains
   (X-drop ``max_gap``), never into another chain; and chains next to each other in ``a``
   whose spans in ``b`` make one block, out of order, become one ``REORDERED`` passage. A
   passage is kept when at least ``min_words`` of its words are in exact segments (the
   exact aligner's rule) and at least ``min_exact_share`` of its longer span is copied
   exactly. A pair with no such passage whose shorter aligned pieces (each at least one
   exact run of ``shingle_size`` words, and ``min_exact_share`` copied) together hold at
   least ``min_fragment_words`` words aligned to an equal word keeps those pieces: a heavy
   revision, reworded and reordered, that keeps only short exact runs. Every passage
   boundary is a word boundary; :mod:`dedup.pipeline` maps it to character offsets through
   each document's word offsets. An optional edit table says how each passage was edited
   (``KIND``, ``SUBSTITUTED``, ``INSERTED``, ``DELETED``,
   ``NEAR_MATCHED``, ``PIECES``).
4. **Passages from exact runs** (without the words, and for a document aligned with
   itself): segments that follow each other in both documents with at most ``max_gap``
   words between them chain into one passage, kept when at least ``min_words`` words of it
   are copied exactly, in both documents.

A document aligned with itself (``same_doc``) finds text it repeats; the two copies may not
overlap. docs/method-alignment.md describes the method and how its defaults were chosen.

Passages across many documents are then grouped into clusters (:func:`cluster_spans`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dedup.edit_kernels import _edit_kernel
from dedup.edits import (
    _INVERSE_KEYS,
    A_HI,
    A_LO,
    B_HI,
    B_LO,
    DELETED,
    EDITED,
    EXACT,
    INSERTED,
    KIND,
    MATCHED_A,
    MATCHED_B,
    PIECES,
    SUBSTITUTED,
    edited_passages_reference,
)
from dedup.shingle import Tokens
from dedup.spans import _covered, _group_reduce, _ranks

MAX_ANCHOR_REPEATS = 16
#: Defaults of ``max_bridge`` and ``min_exact_share`` (``Config.max_bridge_words`` and
#: ``Config.min_exact_share`` hold the ones a scan uses).
MAX_BRIDGE_WORDS = 30
MIN_EXACT_SHARE = 0.5
#: Default of ``min_fragment_words`` (``Config.min_fragment_words``): 0, no pieces (see
#: docs/method-alignment.md for why they are off by default).
MIN_FRAGMENT_WORDS = 0


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
    words_a: Tokens | None = None,
    words_b: Tokens | None = None,
    max_bridge: int = MAX_BRIDGE_WORDS,
    min_exact_share: float = MIN_EXACT_SHARE,
    return_edits: bool = False,
    min_fragment_words: int = MIN_FRAGMENT_WORDS,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Reused passages between two documents (or inside one), in word positions.

    The plain one-pair path; :func:`align_pairs` does the same for many pairs at once.

    Parameters
    ----------
    shingles_a : ndarray of uint64, shape (n_shingles_a,)
    shingles_b : ndarray of uint64, shape (n_shingles_b,)
    shingle_size, min_words, max_gap : int
        Words per shingle; fewest words copied exactly in a passage; most points an
        alignment may lose across an edit (without the words: most words between two
        exact runs of one passage).
    same_doc : bool
        ``shingles_b`` is ``shingles_a``: repeats inside one document, exact runs only.
    words_a, words_b : Tokens, optional
        The words of each document (a batch of one, :meth:`dedup.shingle.Tokens.doc`). With
        them, passages are aligned on words through edits (:func:`edited_passages_reference`);
        without them (or for ``same_doc``, or a document shorter than one shingle), exact runs
        are chained across gaps of at most ``max_gap`` words.
    max_bridge : int
        Most words, in each document, between two exact runs joined into one passage, and
        per step of the extension at a passage's ends.
    min_exact_share : float
        Fewest words copied exactly, as a share of the passage's longer span.
    return_edits : bool
        Also return the edit table.
    min_fragment_words : int
        With the words: when no passage has ``min_words`` words in exact runs, the pieces
        found (each with one exact run at least) are kept if together they hold this many
        words aligned to an equal word; 0 keeps none.

    Returns
    -------
    passages : ndarray of int64, shape (n_passages, 6)
        Columns ``A_LO, A_HI, B_LO, B_HI`` (half-open word spans) and ``MATCHED_A``,
        ``MATCHED_B`` (words of each span copied exactly); sorted by ``(a_lo, b_lo)``.
    edits : ndarray of int64, shape (n_passages, 6)
        With ``return_edits``: columns ``KIND, SUBSTITUTED, INSERTED, DELETED,
        NEAR_MATCHED, PIECES`` (see :data:`KIND`).
    """
    i, j = find_anchors(shingles_a, shingles_b, same_doc=same_doc)
    segments = diagonal_segments(i, j, shingle_size, same_doc=same_doc)
    edited = (
        words_a is not None
        and words_b is not None
        and not same_doc
        and min(len(words_a.hashes), len(words_b.hashes)) >= shingle_size
    )
    if not edited:
        groups = np.zeros(len(segments), dtype=np.int64)
        same = np.array([same_doc])
        _, passages = _passages(segments, groups, same, shingle_size, min_words, max_gap)
        return (passages, exact_edits(passages)) if return_edits else passages
    assert words_a is not None and words_b is not None
    if np.sum(segments[:, 1] - segments[:, 0]) < min_words:
        segments = segments[:0]  # as the exact path: too few words copied to look further
    passages, edits = edited_passages_reference(
        segments,
        words_a.hashes,
        words_b.hashes,
        words_a.ends - words_a.starts,
        words_b.ends - words_b.starts,
        min_words=min_words,
        max_gap=max_gap,
        max_bridge=max_bridge,
        min_exact_share=min_exact_share,
        min_fragment_words=min_fragment_words,
    )
    return (passages, edits) if return_edits else passages


def exact_edits(passages: np.ndarray) -> np.ndarray:
    """Edit rows of passages chained from exact runs (no word alignment): ``EXACT`` when
    every word is copied, else ``EDITED`` with the words of the shorter span not copied as
    substituted and the difference of the spans as inserted or deleted.

    Parameters
    ----------
    passages : ndarray of int64, shape (n_passages, 6)

    Returns
    -------
    ndarray of int64, shape (n_passages, 6)
    """
    passages = np.asarray(passages, dtype=np.int64).reshape(-1, 6)
    words_a = passages[:, A_HI] - passages[:, A_LO]
    words_b = passages[:, B_HI] - passages[:, B_LO]
    matched = np.minimum(passages[:, MATCHED_A], passages[:, MATCHED_B])
    edits = np.zeros((len(passages), 6), dtype=np.int64)
    edits[:, SUBSTITUTED] = np.maximum(np.minimum(words_a, words_b) - matched, 0)
    edits[:, INSERTED] = np.maximum(words_b - words_a, 0)
    edits[:, DELETED] = np.maximum(words_a - words_b, 0)
    edits[:, KIND] = np.where(edits[:, 1:4].sum(axis=1) > 0, EDITED, EXACT)
    edits[:, PIECES] = 1
    return edits


def align_pairs(
    shingles: np.ndarray,
    shingle_ptr: np.ndarray,
    pairs: np.ndarray,
    *,
    shingle_size: int,
    min_words: int,
    max_gap: int,
    words: Tokens | None = None,
    max_bridge: int = MAX_BRIDGE_WORDS,
    min_exact_share: float = MIN_EXACT_SHARE,
    return_edits: bool = False,
    min_fragment_words: int = MIN_FRAGMENT_WORDS,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reused passages of many document pairs at once (``a == b`` aligns a document with
    itself); equal, pair by pair, to :func:`align_shingles` (a compiled kernel of the same
    steps, one pair at a time).

    Parameters
    ----------
    shingles : ndarray of uint64, shape (n_shingles,)
    shingle_ptr : ndarray of int64, shape (n_docs + 1,)
    pairs : ndarray of int64, shape (n_pairs, 2)
    words : Tokens, optional
        The words of the same documents (``words.doc_ptr`` of shape ``(n_docs + 1,)``):
        align through edits, as :func:`align_shingles` with ``words_a`` and ``words_b``.
    shingle_size, min_words, max_gap, max_bridge, min_exact_share, return_edits
    min_fragment_words
        As :func:`align_shingles`.

    Returns
    -------
    pair_index : ndarray of int64, shape (n_passages,)
        Row of ``pairs`` each passage belongs to; increasing.
    passages : ndarray of int64, shape (n_passages, 6)
        As :func:`align_shingles` returns them, sorted by ``(pair, a_lo, b_lo)``.
    edits : ndarray of int64, shape (n_passages, 6)
        With ``return_edits``, as :func:`align_shingles` returns them.
    """
    pairs = np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2)
    shingle_ptr = np.ascontiguousarray(shingle_ptr, dtype=np.int64)
    sizes = np.diff(shingle_ptr)
    most_a = int(sizes[pairs[:, 0]].max(initial=1))
    most_ab = int((sizes[pairs[:, 0]] + sizes[pairs[:, 1]]).max(initial=1))
    if words is None:
        none = np.zeros(0, dtype=np.int64)
        word_arrays = (none.astype(np.uint64), none, none, np.zeros(len(shingle_ptr), np.int64))
    else:
        word_arrays = (words.hashes, words.starts, words.ends, words.doc_ptr)
    pair_index, passages, edits = _align_kernel(  # type: ignore[call-arg]  # numba dispatcher
        np.ascontiguousarray(shingles, dtype=np.uint64),
        shingle_ptr,
        pairs,
        shingle_size,
        min_words,
        max_gap,
        *_anchor_table(most_a, most_ab),
        *(np.ascontiguousarray(x) for x in word_arrays),
        words is not None,
        max(int(max_bridge), 1),
        float(min_exact_share),
        int(min_fragment_words),
        _INVERSE_KEYS,
    )
    return (pair_index, passages, edits) if return_edits else (pair_index, passages)


@njit(cache=True, nogil=True, boundscheck=False)
def _align_kernel(
    shingles, shingle_ptr, pairs, shingle_size, min_words, max_gap, keys, table,
    word_hashes, word_starts, word_ends, word_ptr, use_words, max_bridge, min_share,
    min_fragment, inverse_keys,
):  # fmt: skip  # pragma: no cover
    """:func:`align_pairs`: for each pair, anchors, segments, chains and passages exactly as
    :func:`find_anchors`, :func:`diagonal_segments`, then :func:`chain_segments` and
    :func:`_passages`, or :func:`edited_passages_reference`, make them."""
    found = np.empty((64, 6), dtype=np.int64)
    found_edits = np.empty((64, 6), dtype=np.int64)
    found_pair = np.empty(64, dtype=np.int64)
    n_found = 0
    dp_table = np.empty((max_bridge + 1, max_bridge + 1), dtype=np.int64)
    dp_trace = np.zeros((max_bridge + 1, max_bridge + 1), dtype=np.int8)
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
        edited = use_words and not same
        if edited:
            words_a = word_ptr[a + 1] - word_ptr[a]
            words_b = word_ptr[b + 1] - word_ptr[b]
            edited = min(words_a, words_b) >= shingle_size
        if edited:
            lo_a, hi_a, lo_b, hi_b = word_ptr[a], word_ptr[a + 1], word_ptr[b], word_ptr[b + 1]
            passages, edits = _edit_kernel(
                segments,
                word_hashes[lo_a:hi_a],
                word_hashes[lo_b:hi_b],
                word_ends[lo_a:hi_a] - word_starts[lo_a:hi_a],
                word_ends[lo_b:hi_b] - word_starts[lo_b:hi_b],
                min_words, max_gap, max_bridge, min_share, min_fragment, inverse_keys,
                dp_table, dp_trace,
            )  # fmt: skip
        else:
            passages = _chain_kernel(segments, shingle_size, max_gap, min_words, same)
            edits = _exact_edits_kernel(passages)
        for row in range(len(passages)):
            if n_found == len(found):  # full: twice the room
                bigger, bigger_edits, bigger_pair = (
                    np.empty((2 * n_found, 6), np.int64),
                    np.empty((2 * n_found, 6), np.int64),
                    np.empty(2 * n_found, np.int64),
                )
                bigger[:n_found], bigger_pair[:n_found] = found, found_pair
                bigger_edits[:n_found] = found_edits
                found, found_pair, found_edits = bigger, bigger_pair, bigger_edits
            found[n_found] = passages[row]
            found_edits[n_found] = edits[row]
            found_pair[n_found] = p
            n_found += 1
    return found_pair[:n_found].copy(), found[:n_found].copy(), found_edits[:n_found].copy()


@njit(cache=True, nogil=True)
def _exact_edits_kernel(passages):  # pragma: no cover - compiled
    """:func:`exact_edits`."""
    edits = np.zeros((len(passages), 6), dtype=np.int64)
    for r in range(len(passages)):
        words_a = passages[r, A_HI] - passages[r, A_LO]
        words_b = passages[r, B_HI] - passages[r, B_LO]
        matched = min(passages[r, MATCHED_A], passages[r, MATCHED_B])
        edits[r, SUBSTITUTED] = max(min(words_a, words_b) - matched, 0)
        edits[r, INSERTED] = max(words_b - words_a, 0)
        edits[r, DELETED] = max(words_a - words_b, 0)
        if edits[r, SUBSTITUTED] + edits[r, INSERTED] + edits[r, DELETED] > 0:
            edits[r, KIND] = EDITED
        edits[r, PIECES] = 1
    return edits


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
