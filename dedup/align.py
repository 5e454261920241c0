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

import itertools

import numpy as np
from numba import njit

from dedup.shingle import Tokens

MAX_ANCHOR_REPEATS = 16
#: Defaults of ``max_bridge`` and ``min_exact_share`` (``Config.max_bridge_words`` and
#: ``Config.min_exact_share`` hold the ones a scan uses).
MAX_BRIDGE_WORDS = 30
MIN_EXACT_SHARE = 0.5
#: Default of ``min_fragment_words`` (``Config.min_fragment_words``): 0, no pieces (see
#: docs/method-alignment.md for why they are off by default).
MIN_FRAGMENT_WORDS = 0

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


# --- Alignment through edits ---------------------------------------------------------------
#
# With the words of both documents at hand (their hashes, and their lengths in characters),
# exact segments are only the seeds of a word-level local alignment (BLAST-style
# seed-and-extend): segments are chained across gaps of up to ``max_bridge`` words when a
# global alignment of the words between them loses at most ``max_gap`` points; each chain is
# then extended at both ends while the alignment gains; and chains that tile one block of
# each document out of order (moved sentences) become one ``REORDERED`` passage.
#
# Scores, per aligned column: equal words +1, near-equal words (one character changed, both
# at least NEAR_MIN_CHARS long) 0, other words -1, a word of one document facing nothing in
# the other -1. A stretch of k changed or added words thus loses k points, the cost the
# exact aligner charged for a gap of k words, and words still equal inside the stretch pay
# for the edits around them. Near-equal words score 0, not +1: numbers one digit apart
# ("1986", "1987") are common in unrelated wire copy and should not hold a passage together.
#
# Which passages exist is still decided by the exact runs (min_words words in segments, as
# the exact aligner requires): the alignment changes where a passage starts and ends and
# what is one passage, not whether two texts share one. It also drops a chain too short to
# be kept on its own that lies half inside a stronger one in either document (a phrase
# aligned to a second place), so a repeat does not cut or "reorder" the passage around it.

#: Columns of the edit arrays (``return_edits=True``): the passage's kind, then its words
#: aligned to a different word (near-equal ones included), words of ``b`` facing nothing in
#: ``a``, words of ``a`` facing nothing in ``b``, near-equal words, and the pieces (runs in
#: order in both documents) it is made of.
KIND, SUBSTITUTED, INSERTED, DELETED, NEAR_MATCHED, PIECES = range(6)
#: Values of the ``KIND`` column: every word equal and in order; in order with edits; made
#: of pieces in a different order in the two documents.
EXACT, EDITED, REORDERED = 0, 1, 2

#: Words this long (in characters of the original text) or longer can be near-equal.
NEAR_MIN_CHARS = 4
#: Most pieces a reordered passage is looked for among.
MAX_PIECES = 64

_MATCH, _NEAR, _MISMATCH, _INDEL = 1, 0, -1, -1
_DIAG, _UP, _LEFT = 1, 2, 3  # traceback: both words, a word of a alone, a word of b alone
# statistics of an alignment path, in this order
_EXACT_W, _NEAR_W, _SUB_W, _DEL_W, _INS_W, _SEED_W = range(6)  # _SEED_W: in exact segments
_NEG = -(1 << 40)
_CODE_LIMIT = 1 << 21  # above every Unicode code point: the largest change of one character
_MASK64 = (1 << 64) - 1


def _inverse_keys(n: int = 64) -> np.ndarray:
    """Inverses mod 2**64 of the per-rank character keys of :func:`dedup.shingle.tokenize`
    (odd numbers, so invertible), by Newton's iteration."""
    from dedup.shingle import _rank_keys  # the word hash's own keys: near words test against them

    inverses = []
    for key in _rank_keys(n)[:n].tolist():
        inverse = key
        for _ in range(6):
            inverse = (inverse * (2 - key * inverse)) & _MASK64
        inverses.append(inverse)
    return np.array(inverses, dtype=np.uint64)


_INVERSE_KEYS = _inverse_keys()


def _unmix_int(z: int) -> int:
    """Inverse of SplitMix64's finaliser (``dedup.shingle.mix64``) on a Python int."""
    from dedup.shingle import _M1, _M2

    inv_m1, inv_m2 = pow(int(_M1), -1, 1 << 64), pow(int(_M2), -1, 1 << 64)
    z ^= (z >> 31) ^ (z >> 62)
    z = (z * inv_m2) & _MASK64
    z ^= (z >> 27) ^ (z >> 54)
    z = (z * inv_m1) & _MASK64
    return z ^ (z >> 30) ^ (z >> 60)


def near_words(hash_a: int, hash_b: int, chars: int) -> bool:
    """Whether two different words, given by their hashes, differ in exactly one character.

    A word's hash (:func:`dedup.shingle.token_hash_of`) mixes ``sum((code + 1) * key[rank])
    + length * L`` with an invertible mix; unmixed, two words of one length that differ only
    at rank ``r`` differ by ``(code_a - code_b) * key[r]``, so multiplying the difference by
    the inverse of ``key[r]`` gives a number smaller than any code point for that ``r``
    (and, for other words, such a small number once in about 2**42 tries). Ranks up to
    ``chars + 1`` are tried. Changes of length (a dropped or doubled letter, "rn" for "m")
    are not seen: those words count as different.
    """
    difference = (_unmix_int(int(hash_a)) - _unmix_int(int(hash_b))) & _MASK64
    for inverse in _INVERSE_KEYS[: min(chars + 2, len(_INVERSE_KEYS))].tolist():
        change = (difference * inverse) & _MASK64
        if change < _CODE_LIMIT or change > _MASK64 - _CODE_LIMIT:
            return difference != 0
    return False


def _score_reference(words_a, words_b, chars_a, chars_b, i: int, j: int) -> int:
    if words_a[i] == words_b[j]:
        return _MATCH
    if min(chars_a[i], chars_b[j]) >= NEAR_MIN_CHARS and near_words(
        words_a[i], words_b[j], max(chars_a[i], chars_b[j])
    ):
        return _NEAR
    return _MISMATCH


def _path_stats(trace, score, i: int, j: int) -> list[int]:
    """Counts ``[exact, near, substituted, a alone, b alone]`` of the path ending at
    ``(i, j)`` of a traceback table (``score(i, j)`` of the word pair of cell ``(i, j)``)."""
    stats = [0] * 6
    while i > 0 or j > 0:
        move = trace[i][j]
        if move == _DIAG:
            stats[{_MATCH: _EXACT_W, _NEAR: _NEAR_W, _MISMATCH: _SUB_W}[score(i, j)]] += 1
            i, j = i - 1, j - 1
        elif move == _UP:
            stats[_DEL_W] += 1
            i -= 1
        else:
            stats[_INS_W] += 1
            j -= 1
    return stats


def _best_move(diag: int, up: int, left: int) -> tuple[int, int]:
    """The best of the three moves into a cell, ties going to the diagonal, then up."""
    if diag >= up and diag >= left:
        return diag, _DIAG
    if up >= left:
        return up, _UP
    return left, _LEFT


def fill_gap_reference(words_a, words_b, chars_a, chars_b, a_lo, a_hi, b_lo, b_hi):
    """Global alignment of words ``a_lo:a_hi`` of ``a`` with ``b_lo:b_hi`` of ``b`` (the
    stretch between two exact segments): its score and ``[exact, near, substituted, a alone,
    b alone]`` words along the best path. Plain dynamic programming over the whole table."""
    n_a, n_b = a_hi - a_lo, b_hi - b_lo

    def score(i, j):
        return _score_reference(words_a, words_b, chars_a, chars_b, a_lo + i - 1, b_lo + j - 1)

    table = [[0] * (n_b + 1) for _ in range(n_a + 1)]
    trace = [[0] * (n_b + 1) for _ in range(n_a + 1)]
    for i in range(n_a + 1):
        for j in range(n_b + 1):
            if i == 0 and j == 0:
                continue
            diag = table[i - 1][j - 1] + score(i, j) if i and j else _NEG
            up = table[i - 1][j] + _INDEL if i else _NEG
            left = table[i][j - 1] + _INDEL if j else _NEG
            table[i][j], trace[i][j] = _best_move(diag, up, left)
    return table[n_a][n_b], _path_stats(trace, score, n_a, n_b)


def extend_reference(words_a, words_b, chars_a, chars_b, a0, b0, reach_a, reach_b, step, max_drop):
    """Best alignment from ``(a0, b0)`` onwards (``step`` 1: words ``a0, a0 + 1, …``;
    ``step`` -1: words ``a0 - 1, a0 - 2, …``), over at most ``reach_a`` and ``reach_b``
    words. Cells scoring more than ``max_drop`` below the best of the rows before them are
    dropped (X-drop). Returns the words taken in each document (0, 0 when nothing gains)
    and the path's statistics."""

    def word(start, k):
        return start + k - 1 if step > 0 else start - k

    def score(i, j):
        return _score_reference(words_a, words_b, chars_a, chars_b, word(a0, i), word(b0, j))

    table = [[_NEG] * (reach_b + 1) for _ in range(reach_a + 1)]
    trace = [[0] * (reach_b + 1) for _ in range(reach_a + 1)]
    best, best_i, best_j = 0, 0, 0
    for i in range(reach_a + 1):
        floor = best - max_drop  # the best of the rows before this one, less the drop
        alive = False
        for j in range(reach_b + 1):
            if i == 0 and j == 0:
                table[0][0], alive = 0, True
                continue
            diag = up = left = _NEG
            if i and j and table[i - 1][j - 1] > _NEG:
                diag = table[i - 1][j - 1] + score(i, j)
            if i and table[i - 1][j] > _NEG:
                up = table[i - 1][j] + _INDEL
            if j and table[i][j - 1] > _NEG:
                left = table[i][j - 1] + _INDEL
            value, move = _best_move(diag, up, left)
            if value < floor:
                continue
            table[i][j], trace[i][j], alive = value, move, True
        for j in range(reach_b + 1):
            if table[i][j] > best:
                best, best_i, best_j = table[i][j], i, j
        if not alive:
            break
    return best_i, best_j, _path_stats(trace, score, best_i, best_j)


def edited_passages_reference(
    segments: np.ndarray,
    words_a: np.ndarray,
    words_b: np.ndarray,
    chars_a: np.ndarray,
    chars_b: np.ndarray,
    *,
    min_words: int,
    max_gap: int,
    max_bridge: int,
    min_exact_share: float,
    min_fragment_words: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Passages of one pair of different documents through edits, from its exact segments
    (sorted by ``(a_lo, b_lo)``): the plain path of the compiled ``_edit_kernel``.

    Parameters
    ----------
    segments : ndarray of int64, shape (n_segments, 4)
        Exact runs ``[a_lo, a_hi, b_lo, b_hi]`` (:func:`diagonal_segments`).
    words_a, words_b : ndarray of uint64, shape (n_words_a,), (n_words_b,)
        Word hashes (:func:`dedup.shingle.tokenize`).
    chars_a, chars_b : ndarray of int64, same shapes
        Length of each word in characters of its original text.
    min_words, max_gap, max_bridge, min_exact_share, min_fragment_words
        As :func:`align_shingles` (``min_fragment_words`` 0 here by default: no pieces).

    Returns
    -------
    passages : ndarray of int64, shape (n_passages, 6)
        As :func:`align_shingles`; ``MATCHED_A`` and ``MATCHED_B`` are both the words
        aligned to an equal word.
    edits : ndarray of int64, shape (n_passages, 6)
        Columns ``KIND, SUBSTITUTED, INSERTED, DELETED, NEAR_MATCHED, PIECES``.
    """
    words = (words_a, words_b, chars_a, chars_b)
    n_a, n_b = len(words_a), len(words_b)
    # 1. chains: each segment continues the chain whose last segment it follows (within
    # max_bridge words in both) with the best-scoring gap, if that loses at most max_gap
    chains: list[dict] = []
    active: list[int] = []
    for a_lo, a_hi, b_lo, b_hi in segments.tolist():
        best, best_score, best_shift, best_stats, best_trim = -1, 0, 0, None, 0
        still_active = []
        for label in active:
            _, s_a_hi, s_b_lo, s_b_hi = chains[label]["last"]
            if s_a_hi + max_bridge < a_lo:
                continue  # nothing later can join it either
            still_active.append(label)
            if not (a_hi > s_a_hi and b_hi > s_b_hi and b_lo >= s_b_lo):
                continue
            trim = max(0, s_a_hi - a_lo, s_b_hi - b_lo)  # words both segments hold
            gap_a, gap_b = a_lo + trim - s_a_hi, b_lo + trim - s_b_hi
            if gap_a > max_bridge or gap_b > max_bridge:
                continue
            shift = abs(gap_a - gap_b)
            bound = min(gap_a, gap_b) - shift  # every word of the shorter side equal
            if bound < -max_gap or (best >= 0 and bound < best_score):
                continue
            score, stats = fill_gap_reference(*words, s_a_hi, a_lo + trim, s_b_hi, b_lo + trim)
            if score < -max_gap:
                continue
            if best < 0 or score > best_score or (score == best_score and shift < best_shift):
                best, best_score, best_shift, best_stats, best_trim = (
                    label,
                    score,
                    shift,
                    stats,
                    trim,
                )
        active = still_active
        if best < 0:
            active.append(len(chains))
            stats = [a_hi - a_lo, 0, 0, 0, 0, a_hi - a_lo]
            chains.append({"box": [a_lo, a_hi, b_lo, b_hi], "last": [a_lo, a_hi, b_lo, b_hi]})
            chains[-1]["stats"] = stats
            continue
        chain = chains[best]
        assert best_stats is not None  # set with best
        chain["stats"] = [x + y for x, y in zip(chain["stats"], best_stats)]
        chain["stats"][_EXACT_W] += a_hi - a_lo - best_trim
        chain["stats"][_SEED_W] += a_hi - a_lo - best_trim
        chain["last"] = [a_lo + best_trim, a_hi, b_lo + best_trim, b_hi]
        chain["box"][1], chain["box"][3] = a_hi, b_hi
    chains = _drop_shadowed_reference(_drop_nested_reference(chains), min_words)
    # 2. each chain extended at both ends, never into another chain: in each document, up to
    # the nearest chain reaching further that way
    for chain in chains:
        for step in (-1, 1):
            a_lo, a_hi, b_lo, b_hi = chain["box"]
            others = [c["box"] for c in chains if c is not chain]
            if step < 0:
                limit_a = max([0] + [min(o[1], a_lo) for o in others if o[0] < a_lo])
                limit_b = max([0] + [min(o[3], b_lo) for o in others if o[2] < b_lo])
                reach_a, reach_b, start_a, start_b = a_lo - limit_a, b_lo - limit_b, a_lo, b_lo
            else:
                limit_a = min([n_a] + [max(o[0], a_hi) for o in others if o[1] > a_hi])
                limit_b = min([n_b] + [max(o[2], b_hi) for o in others if o[3] > b_hi])
                reach_a, reach_b, start_a, start_b = limit_a - a_hi, limit_b - b_hi, a_hi, b_hi
            while reach_a > 0 and reach_b > 0:
                took_a, took_b, stats = extend_reference(
                    *words,
                    start_a,
                    start_b,
                    min(reach_a, max_bridge),
                    min(reach_b, max_bridge),
                    step,
                    max_gap,
                )
                chain["stats"] = [x + y for x, y in zip(chain["stats"], stats)]
                start_a, start_b = start_a + step * took_a, start_b + step * took_b
                reach_a, reach_b = reach_a - took_a, reach_b - took_b
                if took_a < max_bridge and took_b < max_bridge:
                    break  # it stopped inside the table: nothing further gains
            if step < 0:
                chain["box"][0], chain["box"][2] = start_a, start_b
            else:
                chain["box"][1], chain["box"][3] = start_a, start_b
    chains = _drop_shadowed_reference(_drop_nested_reference(chains), min_words)
    chains.sort(key=lambda c: (c["box"][0], c["box"][2]))
    # 3. runs of chains next to each other in a whose spans in b make one block: a passage
    passages, edits, full = [], [], []
    k = 0
    while k < len(chains):
        last, reach = k, chains[k]["box"][1]
        for e in range(k + 1, min(len(chains), k + MAX_PIECES)):
            if not reach - max_gap <= chains[e]["box"][0] <= reach + max_gap:
                break  # apart in a, or a repeat there (a piece moved is not copied twice)
            reach = max(reach, chains[e]["box"][1])
            if _one_block([c["box"] for c in chains[k : e + 1]], max_gap):
                last = e
        row, edit = _joined_reference(chains[k : last + 1])
        seeds = sum(c["stats"][_SEED_W] for c in chains[k : last + 1])
        k = last + 1
        length = max(row[A_HI] - row[A_LO], row[B_HI] - row[B_LO])
        # as the exact aligner: min_words words in exact runs; the alignment only joins and
        # extends them
        if row[MATCHED_A] >= min_exact_share * length:
            passages.append(row)
            edits.append(edit)
            full.append(seeds >= min_words)
    # 4. the passages of min_words exact words or, with none, the pieces of a heavy revision
    fragments = not any(full) and min_fragment_words > 0
    fragments = fragments and sum(row[MATCHED_A] for row in passages) >= min_fragment_words
    keep = [x for x in range(len(passages)) if full[x] or fragments]
    passages, edits = [passages[x] for x in keep], [edits[x] for x in keep]
    order = sorted(range(len(passages)), key=lambda x: (passages[x][A_LO], passages[x][B_LO]))
    return (
        np.array([passages[x] for x in order], dtype=np.int64).reshape(-1, 6),
        np.array([edits[x] for x in order], dtype=np.int64).reshape(-1, 6),
    )


def _drop_nested_reference(chains: list[dict]) -> list[dict]:
    """Chains without those inside another one in both documents (a phrase the passage
    repeats), the first of equal ones kept."""
    kept = []
    for x, chain in enumerate(chains):
        a_lo, a_hi, b_lo, b_hi = chain["box"]
        inside = False
        for y, other in enumerate(chains):
            o_a_lo, o_a_hi, o_b_lo, o_b_hi = other["box"]
            around = o_a_lo <= a_lo and a_hi <= o_a_hi and o_b_lo <= b_lo and b_hi <= o_b_hi
            if y != x and around and (other["box"] != chain["box"] or y < x):
                inside = True
                break
        if not inside:
            kept.append(chain)
    return kept


def _drop_shadowed_reference(chains: list[dict], min_words: int) -> list[dict]:
    """Chains without the short ones (fewer than ``min_words`` words in exact segments) that
    lie half or more inside a stronger chain (more words copied, or as many and first) in
    one of the documents: the same words aligned to a second place, a stock phrase the
    text repeats, not a piece of its own."""
    kept = []
    for x, chain in enumerate(chains):
        shadowed = False
        if chain["stats"][_SEED_W] < min_words:
            for y, other in enumerate(chains):
                exact, other_exact = chain["stats"][_EXACT_W], other["stats"][_EXACT_W]
                if y == x or other_exact < exact or (other_exact == exact and y > x):
                    continue
                for lo, hi in ((0, 1), (2, 3)):
                    overlap = min(chain["box"][hi], other["box"][hi]) - max(
                        chain["box"][lo], other["box"][lo]
                    )
                    if 2 * overlap >= chain["box"][hi] - chain["box"][lo]:
                        shadowed = True
        if not shadowed:
            kept.append(chain)
    return kept


def _one_block(boxes: list[list[int]], max_gap: int) -> bool:
    """Whether the spans in ``b`` of these boxes leave no hole of more than ``max_gap`` and
    overlap by at most ``max_gap`` words."""
    spans = sorted((box[2], box[3]) for box in boxes)
    reach = spans[0][1]
    for lo, hi in spans[1:]:
        if not reach - max_gap <= lo <= reach + max_gap:
            return False
        reach = max(reach, hi)
    return True


def _joined_reference(pieces: list[dict]) -> tuple[list[int], list[int]]:
    """A passage row and its edit row from chains in order of ``a``."""
    boxes = [piece["box"] for piece in pieces]
    stats = [sum(piece["stats"][k] for piece in pieces) for k in range(6)]
    in_order = all(
        later[2] >= earlier[2] and later[3] >= earlier[3]
        for earlier, later in itertools.pairwise(boxes)
    )
    if in_order:  # the words between two pieces count as edited
        for earlier, later in itertools.pairwise(boxes):
            gap_a, gap_b = max(0, later[0] - earlier[1]), max(0, later[2] - earlier[3])
            stats[_SUB_W] += min(gap_a, gap_b)
            stats[_DEL_W] += gap_a - min(gap_a, gap_b)
            stats[_INS_W] += gap_b - min(gap_a, gap_b)
    a_lo, a_hi = min(b[0] for b in boxes), max(b[1] for b in boxes)
    b_lo, b_hi = min(b[2] for b in boxes), max(b[3] for b in boxes)
    exact = min(stats[_EXACT_W], a_hi - a_lo, b_hi - b_lo)
    edited = stats[_NEAR_W] + stats[_SUB_W] + stats[_DEL_W] + stats[_INS_W]
    kind = REORDERED if not in_order else EDITED if edited else EXACT
    substituted = stats[_NEAR_W] + stats[_SUB_W]
    row = [a_lo, a_hi, b_lo, b_hi, exact, exact]
    return row, [kind, substituted, stats[_INS_W], stats[_DEL_W], stats[_NEAR_W], len(pieces)]


_INV_M1 = np.uint64(pow(0xBF58476D1CE4E5B9, -1, 1 << 64))
_INV_M2 = np.uint64(pow(0x94D049BB133111EB, -1, 1 << 64))
_U31, _U62, _U27, _U54, _U30, _U60 = (np.uint64(s) for s in (31, 62, 27, 54, 30, 60))
_LOW = np.uint64(_CODE_LIMIT)
_HIGH = np.uint64(_MASK64 - _CODE_LIMIT)


@njit(inline="always")
def _unmix(z):  # pragma: no cover - compiled
    z ^= (z >> _U31) ^ (z >> _U62)
    z *= _INV_M2
    z ^= (z >> _U27) ^ (z >> _U54)
    z *= _INV_M1
    return z ^ (z >> _U30) ^ (z >> _U60)


@njit(cache=True, nogil=True)
def _near_kernel(hash_a, hash_b, chars, inverse_keys):  # pragma: no cover - compiled
    """:func:`near_words`."""
    difference = _unmix(hash_a) - _unmix(hash_b)
    if difference == np.uint64(0):
        return False
    for r in range(min(chars + 2, len(inverse_keys))):
        change = difference * inverse_keys[r]
        if change < _LOW or change > _HIGH:
            return True
    return False


@njit(inline="always")
def _word_score(wa, wb, ca, cb, i, j, inverse_keys):  # pragma: no cover - compiled
    if wa[i] == wb[j]:
        return _MATCH
    if (
        ca[i] >= NEAR_MIN_CHARS
        and cb[j] >= NEAR_MIN_CHARS
        and _near_kernel(wa[i], wb[j], max(ca[i], cb[j]), inverse_keys)
    ):
        return _NEAR
    return _MISMATCH


@njit(inline="always")
def _move(diag, up, left):  # pragma: no cover - compiled
    if diag >= up and diag >= left:
        return diag, _DIAG
    if up >= left:
        return up, _UP
    return left, _LEFT


@njit(cache=True, nogil=True, boundscheck=False)
def _trace_kernel(
    wa, wb, ca, cb, a0, b0, step, i, j, trace, inverse_keys, stats
):  # pragma: no cover
    """Add the statistics of the path ending at cell ``(i, j)`` to ``stats``; word ``k`` of
    the table is ``a0 + k - 1`` (``step`` 1) or ``a0 - k`` (``step`` -1)."""
    while i > 0 or j > 0:
        move = trace[i, j]
        if move == _DIAG:
            wi = a0 + i - 1 if step > 0 else a0 - i
            wj = b0 + j - 1 if step > 0 else b0 - j
            s = _word_score(wa, wb, ca, cb, wi, wj, inverse_keys)
            if s == _MATCH:
                stats[_EXACT_W] += 1
            elif s == _NEAR:
                stats[_NEAR_W] += 1
            else:
                stats[_SUB_W] += 1
            i -= 1
            j -= 1
        elif move == _UP:
            stats[_DEL_W] += 1
            i -= 1
        else:
            stats[_INS_W] += 1
            j -= 1


@njit(cache=True, nogil=True, boundscheck=False)
def _fill_gap_kernel(
    wa, wb, ca, cb, a_lo, a_hi, b_lo, b_hi, inverse_keys, table, trace, stats
):  # pragma: no cover - compiled
    """:func:`fill_gap_reference`: the score; the path's statistics into ``stats``."""
    n_a, n_b = a_hi - a_lo, b_hi - b_lo
    table[0, 0] = 0
    for i in range(n_a + 1):
        for j in range(n_b + 1):
            if i == 0 and j == 0:
                continue
            diag = up = left = _NEG
            if i > 0 and j > 0:
                diag = table[i - 1, j - 1] + _word_score(
                    wa, wb, ca, cb, a_lo + i - 1, b_lo + j - 1, inverse_keys
                )
            if i > 0:
                up = table[i - 1, j] + _INDEL
            if j > 0:
                left = table[i, j - 1] + _INDEL
            table[i, j], trace[i, j] = _move(diag, up, left)
    stats[:] = 0
    _trace_kernel(wa, wb, ca, cb, a_lo, b_lo, 1, n_a, n_b, trace, inverse_keys, stats)
    return table[n_a, n_b]


@njit(cache=True, nogil=True, boundscheck=False)
def _extend_kernel(
    wa, wb, ca, cb, a0, b0, reach_a, reach_b, step, max_drop, inverse_keys, table, trace, stats
):  # pragma: no cover - compiled
    """:func:`extend_reference`: words taken in ``a`` and ``b``; the path's statistics are
    added to ``stats``."""
    best, best_i, best_j = 0, 0, 0
    for i in range(reach_a + 1):
        floor = best - max_drop
        alive = False
        for j in range(reach_b + 1):
            if i == 0 and j == 0:
                table[0, 0] = 0
                alive = True
                continue
            diag = up = left = _NEG
            if i > 0 and j > 0 and table[i - 1, j - 1] > _NEG:
                wi = a0 + i - 1 if step > 0 else a0 - i
                wj = b0 + j - 1 if step > 0 else b0 - j
                diag = table[i - 1, j - 1] + _word_score(wa, wb, ca, cb, wi, wj, inverse_keys)
            if i > 0 and table[i - 1, j] > _NEG:
                up = table[i - 1, j] + _INDEL
            if j > 0 and table[i, j - 1] > _NEG:
                left = table[i, j - 1] + _INDEL
            value, move = _move(diag, up, left)
            if value < floor:
                table[i, j] = _NEG
                continue
            table[i, j] = value
            trace[i, j] = move
            alive = True
        for j in range(reach_b + 1):
            if table[i, j] > best:
                best, best_i, best_j = table[i, j], i, j
        if not alive:
            break
    _trace_kernel(wa, wb, ca, cb, a0, b0, step, best_i, best_j, trace, inverse_keys, stats)
    return best_i, best_j


@njit(cache=True, nogil=True, boundscheck=False)
def _drop_nested_kernel(boxes, kept):  # pragma: no cover - compiled
    """:func:`_drop_nested_reference` over the chains ``kept`` (indices into ``boxes``)."""
    out = np.empty(len(kept), dtype=np.int64)
    n = 0
    for x in range(len(kept)):
        c = kept[x]
        inside = False
        for y in range(len(kept)):
            o = kept[y]
            if y == x:
                continue
            if (
                boxes[o, 0] <= boxes[c, 0]
                and boxes[c, 1] <= boxes[o, 1]
                and boxes[o, 2] <= boxes[c, 2]
                and boxes[c, 3] <= boxes[o, 3]
            ):
                same = (
                    boxes[o, 0] == boxes[c, 0]
                    and boxes[o, 1] == boxes[c, 1]
                    and boxes[o, 2] == boxes[c, 2]
                    and boxes[o, 3] == boxes[c, 3]
                )
                if not same or y < x:
                    inside = True
                    break
        if not inside:
            out[n] = c
            n += 1
    return out[:n]


@njit(cache=True, nogil=True, boundscheck=False)
def _edit_kernel(
    segments, wa, wb, ca, cb, min_words, max_gap, max_bridge, min_share, min_fragment,
    inverse_keys, table, trace,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`edited_passages_reference` of one pair."""
    n = len(segments)
    n_a, n_b = len(wa), len(wb)
    boxes = np.empty((n, 4), dtype=np.int64)
    last = np.empty((n, 4), dtype=np.int64)
    stats = np.zeros((n, 6), dtype=np.int64)
    active = np.empty(n, dtype=np.int64)
    gap_stats = np.zeros(6, dtype=np.int64)
    best_stats = np.zeros(6, dtype=np.int64)
    n_chains = n_active = 0
    for t in range(n):
        a_lo, a_hi, b_lo, b_hi = segments[t, 0], segments[t, 1], segments[t, 2], segments[t, 3]
        best, best_score, best_shift, best_trim = -1, 0, 0, 0
        kept = 0
        for u in range(n_active):
            label = active[u]
            s_a_hi, s_b_lo, s_b_hi = last[label, 1], last[label, 2], last[label, 3]
            if s_a_hi + max_bridge < a_lo:
                continue
            active[kept] = label
            kept += 1
            if not (a_hi > s_a_hi and b_hi > s_b_hi and b_lo >= s_b_lo):
                continue
            trim = max(0, s_a_hi - a_lo, s_b_hi - b_lo)
            gap_a, gap_b = a_lo + trim - s_a_hi, b_lo + trim - s_b_hi
            if gap_a > max_bridge or gap_b > max_bridge:
                continue
            shift = abs(gap_a - gap_b)
            bound = min(gap_a, gap_b) - shift
            if bound < -max_gap or (best >= 0 and bound < best_score):
                continue
            score = _fill_gap_kernel(
                wa, wb, ca, cb, s_a_hi, a_lo + trim, s_b_hi, b_lo + trim,
                inverse_keys, table, trace, gap_stats,
            )  # fmt: skip
            if score < -max_gap:
                continue
            if best < 0 or score > best_score or (score == best_score and shift < best_shift):
                best, best_score, best_shift, best_trim = label, score, shift, trim
                best_stats[:] = gap_stats
        n_active = kept
        if best < 0:
            boxes[n_chains, 0], boxes[n_chains, 1] = a_lo, a_hi
            boxes[n_chains, 2], boxes[n_chains, 3] = b_lo, b_hi
            last[n_chains] = boxes[n_chains]
            stats[n_chains, _EXACT_W] = a_hi - a_lo
            stats[n_chains, _SEED_W] = a_hi - a_lo
            active[n_active] = n_chains
            n_active += 1
            n_chains += 1
            continue
        stats[best] += best_stats
        stats[best, _EXACT_W] += a_hi - a_lo - best_trim
        stats[best, _SEED_W] += a_hi - a_lo - best_trim
        last[best, 0], last[best, 1] = a_lo + best_trim, a_hi
        last[best, 2], last[best, 3] = b_lo + best_trim, b_hi
        boxes[best, 1], boxes[best, 3] = a_hi, b_hi
    chains = _drop_shadowed_kernel(
        boxes, stats, _drop_nested_kernel(boxes, np.arange(n_chains)), min_words
    )
    # each chain extended at both ends, never into another chain
    for x in range(len(chains)):
        c = chains[x]
        for step in (-1, 1):
            if step < 0:
                limit_a, limit_b = 0, 0
                for y in range(len(chains)):
                    o = chains[y]
                    if o != c and boxes[o, 0] < boxes[c, 0]:
                        limit_a = max(limit_a, min(boxes[o, 1], boxes[c, 0]))
                    if o != c and boxes[o, 2] < boxes[c, 2]:
                        limit_b = max(limit_b, min(boxes[o, 3], boxes[c, 2]))
                start_a, start_b = boxes[c, 0], boxes[c, 2]
                reach_a, reach_b = start_a - limit_a, start_b - limit_b
            else:
                limit_a, limit_b = n_a, n_b
                for y in range(len(chains)):
                    o = chains[y]
                    if o != c and boxes[o, 1] > boxes[c, 1]:
                        limit_a = min(limit_a, max(boxes[o, 0], boxes[c, 1]))
                    if o != c and boxes[o, 3] > boxes[c, 3]:
                        limit_b = min(limit_b, max(boxes[o, 2], boxes[c, 3]))
                start_a, start_b = boxes[c, 1], boxes[c, 3]
                reach_a, reach_b = limit_a - start_a, limit_b - start_b
            while reach_a > 0 and reach_b > 0:
                took_a, took_b = _extend_kernel(
                    wa, wb, ca, cb, start_a, start_b,
                    min(reach_a, max_bridge), min(reach_b, max_bridge), step, max_gap,
                    inverse_keys, table, trace, stats[c],
                )  # fmt: skip
                start_a += step * took_a
                start_b += step * took_b
                reach_a -= took_a
                reach_b -= took_b
                if took_a < max_bridge and took_b < max_bridge:
                    break
            if step < 0:
                boxes[c, 0], boxes[c, 2] = start_a, start_b
            else:
                boxes[c, 1], boxes[c, 3] = start_a, start_b
    chains = _drop_shadowed_kernel(boxes, stats, _drop_nested_kernel(boxes, chains), min_words)
    span = max(n_b, 1) + 1
    chains = chains[np.argsort(boxes[chains, 0] * span + boxes[chains, 2], kind="mergesort")]
    # runs of chains next to each other in a whose spans in b make one block: a passage
    m = len(chains)
    passages = np.zeros((m, 6), dtype=np.int64)
    edits = np.zeros((m, 6), dtype=np.int64)
    full = np.zeros(m, dtype=np.bool_)
    n_out = 0
    b_spans = np.empty((MAX_PIECES, 2), dtype=np.int64)
    k = 0
    while k < m:
        group_end, reach = k, boxes[chains[k], 1]
        for e in range(k + 1, min(m, k + MAX_PIECES)):
            if not reach - max_gap <= boxes[chains[e], 0] <= reach + max_gap:
                break
            reach = max(reach, boxes[chains[e], 1])
            count = e - k + 1
            for q in range(count):
                b_spans[q, 0] = boxes[chains[k + q], 2]
                b_spans[q, 1] = boxes[chains[k + q], 3]
            if _one_block_kernel(b_spans[:count], max_gap):
                group_end = e
        row = passages[n_out]
        edit = edits[n_out]
        _joined_kernel(boxes, stats, chains[k : group_end + 1], row, edit)
        seeds = 0
        for q in range(k, group_end + 1):
            seeds += stats[chains[q], _SEED_W]
        k = group_end + 1
        length = max(row[A_HI] - row[A_LO], row[B_HI] - row[B_LO])
        if row[MATCHED_A] >= min_share * length:
            full[n_out] = seeds >= min_words
            n_out += 1
    # the passages of min_words exact words or, with none, the pieces of a heavy revision
    keep = full[:n_out]
    if not keep.any() and min_fragment > 0 and passages[:n_out, MATCHED_A].sum() >= min_fragment:
        keep = np.ones(n_out, dtype=np.bool_)
    passages, edits = passages[:n_out][keep], edits[:n_out][keep]
    order = np.argsort(passages[:, A_LO] * span + passages[:, B_LO], kind="mergesort")
    return passages[order], edits[order]


@njit(cache=True, nogil=True, boundscheck=False)
def _drop_shadowed_kernel(boxes, stats, kept, min_words):  # pragma: no cover - compiled
    """:func:`_drop_shadowed_reference` over the chains ``kept``."""
    out = np.empty(len(kept), dtype=np.int64)
    n = 0
    for x in range(len(kept)):
        c = kept[x]
        shadowed = False
        if stats[c, _SEED_W] < min_words:
            for y in range(len(kept)):
                o = kept[y]
                exact, other_exact = stats[c, _EXACT_W], stats[o, _EXACT_W]
                if y == x or other_exact < exact or (other_exact == exact and y > x):
                    continue
                for lo in (0, 2):
                    overlap = min(boxes[c, lo + 1], boxes[o, lo + 1]) - max(
                        boxes[c, lo], boxes[o, lo]
                    )
                    if 2 * overlap >= boxes[c, lo + 1] - boxes[c, lo]:
                        shadowed = True
        if not shadowed:
            out[n] = c
            n += 1
    return out[:n]


@njit(cache=True, nogil=True, boundscheck=False)
def _one_block_kernel(spans, max_gap):  # pragma: no cover - compiled
    """:func:`_one_block` of ``[lo, hi]`` rows."""
    order = np.argsort(spans[:, 0] * (spans[:, 1].max() + 1) + spans[:, 1], kind="mergesort")
    reach = spans[order[0], 1]
    for q in range(1, len(order)):
        lo, hi = spans[order[q], 0], spans[order[q], 1]
        if not reach - max_gap <= lo <= reach + max_gap:
            return False
        reach = max(reach, hi)
    return True


@njit(cache=True, nogil=True, boundscheck=False)
def _joined_kernel(boxes, stats, pieces, row, edit):  # pragma: no cover - compiled
    """:func:`_joined_reference` into ``row`` and ``edit``."""
    total = np.zeros(6, dtype=np.int64)
    in_order = True
    for q in range(len(pieces)):
        total += stats[pieces[q]]
        if q > 0:
            earlier, later = pieces[q - 1], pieces[q]
            if not (boxes[later, 2] >= boxes[earlier, 2] and boxes[later, 3] >= boxes[earlier, 3]):
                in_order = False
    if in_order:
        for q in range(1, len(pieces)):
            earlier, later = pieces[q - 1], pieces[q]
            gap_a = max(0, boxes[later, 0] - boxes[earlier, 1])
            gap_b = max(0, boxes[later, 2] - boxes[earlier, 3])
            both = min(gap_a, gap_b)
            total[_SUB_W] += both
            total[_DEL_W] += gap_a - both
            total[_INS_W] += gap_b - both
    a_lo, a_hi = boxes[pieces[0], 0], boxes[pieces[0], 1]
    b_lo, b_hi = boxes[pieces[0], 2], boxes[pieces[0], 3]
    for q in range(1, len(pieces)):
        a_lo, a_hi = min(a_lo, boxes[pieces[q], 0]), max(a_hi, boxes[pieces[q], 1])
        b_lo, b_hi = min(b_lo, boxes[pieces[q], 2]), max(b_hi, boxes[pieces[q], 3])
    exact = min(total[_EXACT_W], a_hi - a_lo, b_hi - b_lo)
    edited = total[_NEAR_W] + total[_SUB_W] + total[_DEL_W] + total[_INS_W]
    row[A_LO], row[A_HI], row[B_LO], row[B_HI] = a_lo, a_hi, b_lo, b_hi
    row[MATCHED_A], row[MATCHED_B] = exact, exact
    if not in_order:
        edit[KIND] = REORDERED
    elif edited > 0:
        edit[KIND] = EDITED
    else:
        edit[KIND] = EXACT
    edit[SUBSTITUTED] = total[_NEAR_W] + total[_SUB_W]
    edit[INSERTED] = total[_INS_W]
    edit[DELETED] = total[_DEL_W]
    edit[NEAR_MATCHED] = total[_NEAR_W]
    edit[PIECES] = len(pieces)


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
