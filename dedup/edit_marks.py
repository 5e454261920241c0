"""The words an alignment changed: inside a reused passage, the words of each text that
differ from the other's (substituted, inserted, deleted), as character spans of each
original text, for the report's pair view to mark.

The two spans' normalised words (:func:`dedup.shingle.tokenize`, the aligner's words) are
matched in order by :class:`difflib.SequenceMatcher` (no junk heuristic, so the result
depends on the words alone); for a ``reordered`` passage, runs of at least
``MIN_MOVED_WORDS`` words left unmatched in both texts are then matched out of order, longest
first, so that a moved sentence is not marked as changed, and then single words left in both
(a word that moved with an edit beside it). Every word not matched is a changed word.
Deterministic: the same texts and spans give the same marks.
"""

from __future__ import annotations

from difflib import SequenceMatcher

import numpy as np

from dedup.shingle import tokenize

#: Fewest words of a run matched out of order in a reordered passage.
MIN_MOVED_WORDS = 3

Span = tuple[int, int]


def changed_words(
    text_a: str, span_a: Span, text_b: str, span_b: Span, *, reordered: bool = False
) -> tuple[list[Span], list[Span]]:
    """Character spans of the words of ``text_a[span_a]`` and ``text_b[span_b]`` that the
    other span does not hold in the same place, adjacent words merged into one span.

    Parameters
    ----------
    text_a, text_b : str
        The two documents' original texts.
    span_a, span_b : tuple of int
        The alignment's half-open character offsets in each text.
    reordered : bool
        The passage is reordered: match moved runs too.

    Returns
    -------
    changed_a, changed_b : list of (start, end)
        Sorted, disjoint, offsets into ``text_a`` and ``text_b``.
    """
    tokens = tokenize([text_a[span_a[0] : span_a[1]], text_b[span_b[0] : span_b[1]]])
    a, b = tokens.doc(0), tokens.doc(1)
    words_a, words_b = a.hashes.tolist(), b.hashes.tolist()
    same_a = np.zeros(len(words_a), dtype=bool)
    same_b = np.zeros(len(words_b), dtype=bool)
    matcher = SequenceMatcher(None, words_a, words_b, autojunk=False)
    for i, j, n in matcher.get_matching_blocks():
        same_a[i : i + n] = True
        same_b[j : j + n] = True
    if reordered:
        _match_moved(words_a, words_b, same_a, same_b, MIN_MOVED_WORDS)
        _match_moved(words_a, words_b, same_a, same_b, 1)
    return (
        _spans(a.starts + span_a[0], a.ends + span_a[0], ~same_a),
        _spans(b.starts + span_b[0], b.ends + span_b[0], ~same_b),
    )


def _runs(free: np.ndarray) -> list[Span]:
    """Half-open index runs where ``free`` is true."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], free.astype(np.int8), [0]])))
    return [(int(lo), int(hi)) for lo, hi in zip(edges[::2], edges[1::2])]


def _match_moved(
    words_a: list[int], words_b: list[int], same_a: np.ndarray, same_b: np.ndarray, least: int
) -> None:
    """Mark as matched, longest first, runs of ``least`` or more words equal in the
    unmatched words of both texts, wherever they are."""
    matcher = SequenceMatcher(None, words_a, words_b, autojunk=False)
    while True:
        best = (0, 0, 0)  # length, start in a, start in b
        for lo_a, hi_a in _runs(~same_a):
            for lo_b, hi_b in _runs(~same_b):
                found = matcher.find_longest_match(lo_a, hi_a, lo_b, hi_b)
                if found.size > best[0]:
                    best = (found.size, found.a, found.b)
        size, i, j = best
        if size < least or size == 0:
            return
        same_a[i : i + size] = True
        same_b[j : j + size] = True


def _spans(starts: np.ndarray, ends: np.ndarray, changed: np.ndarray) -> list[Span]:
    """The character spans of the runs of changed words."""
    return [(int(starts[lo]), int(ends[hi - 1])) for lo, hi in _runs(changed)]
