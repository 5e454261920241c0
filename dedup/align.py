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
   revision, reworded and reordered, that keeps only short exact runs. A passage half
   inside a stronger one in one document and aligned elsewhere in the other (an echo: the
   source repeating part of it) is dropped, and passages that tile one block of each
   document out of order, with holes of up to ``max_bridge`` words, are one ``REORDERED``
   passage when half the block is copied. Every passage boundary is a word boundary;
   :mod:`dedup.pipeline` maps it to character offsets through each document's word
   offsets. An optional edit table says how each passage was edited
   (``KIND``, ``SUBSTITUTED``, ``INSERTED``, ``DELETED``,
   ``NEAR_MATCHED``, ``PIECES``).
4. **Passages from exact runs** (without the words, and for a document aligned with
   itself): segments that follow each other in both documents with at most ``max_gap``
   words between them chain into one passage, kept when at least ``min_words`` words of it
   are copied exactly, in both documents.

A document aligned with itself (``same_doc``) finds text it repeats; the two copies may not
overlap. docs/method-alignment.md describes the method and how its defaults were chosen.

Steps 1, 2 and 4 are :mod:`dedup.segments`, step 3 :mod:`dedup.edits` (compiled in
:mod:`dedup.edit_kernels`). Passages across many documents are then grouped into clusters
(:func:`dedup.spans.cluster_spans`).
"""

from __future__ import annotations

import numpy as np

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
from dedup.kernels import njit
from dedup.segments import (
    _anchor_table,
    _chain_kernel,
    _pair_segments,
    _passages,
    diagonal_segments,
    find_anchors,
)
from dedup.shingle import Tokens

#: Defaults of ``max_bridge`` and ``min_exact_share`` (``Config.max_bridge_words`` and
#: ``Config.min_exact_share`` hold the ones a scan uses).
MAX_BRIDGE_WORDS = 30
MIN_EXACT_SHARE = 0.5
#: Default of ``min_fragment_words`` (``Config.min_fragment_words``): the pieces of a heavy
#: revision are kept when they hold 24 words aligned to an equal word (chosen on dev, see
#: docs/method-alignment.md).
MIN_FRAGMENT_WORDS = 24


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
    pair_index, passages, edits = _align_kernel(
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
