"""What a copy shares with each candidate source, word by word (the evidence
:mod:`dedup.parents` decides on).

For every document, per other document sharing a reuse passage with it: a mask over its
words that read the same in both (a word one of them changed is not shared, so edits show),
a text it prints twice counted once (:func:`first_occurrence`), and words inside an
outlet's furniture left out (:func:`shared_outside`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np

from dedup.carriers import Words
from dedup.types import PassageCluster, Witness


@dataclass(slots=True)
class Shared:
    """What a target shares with each candidate: a mask over its words and the passages."""

    masks: dict[str, np.ndarray] = field(default_factory=dict)
    passages: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: the target's words that can be shared: first occurrences outside its furniture
    countable: int = 0
    #: per candidate, its own words (first occurrences outside its furniture) between its
    #: first and last word shared with the target that the target lacks: what the target
    #: left out of the candidate's text, seen from the candidate's side
    gaps: dict[str, int] = field(default_factory=dict)


def matched_words(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One bool per word of ``a``: True where it is matched, in order, by a word of ``b``
    (the common prefix and suffix; between them word by word when they are as long and
    differ in at most one word of ten, else :class:`difflib.SequenceMatcher`'s blocks)."""
    n, m = len(a), len(b)
    out = np.zeros(n, dtype=bool)
    k = min(n, m)
    differ = np.flatnonzero(a[:k] != b[:k])
    head = int(differ[0]) if len(differ) else k
    rest = min(n, m) - head
    differ = np.flatnonzero(a[n - rest :][::-1] != b[m - rest :][::-1]) if rest else differ[:0]
    tail = int(differ[0]) if len(differ) else rest
    out[:head] = True
    out[n - tail :] = True
    middle_a, middle_b = a[head : n - tail], b[head : m - tail]
    if len(middle_a) == len(middle_b):
        # substitutions only (the usual edit: "pct" for "percent"): word by word
        same = middle_a == middle_b
        if np.count_nonzero(~same) * 10 <= len(same):
            out[head : n - tail] = same
            return out
    if len(middle_a) and len(middle_b):
        matcher = SequenceMatcher(None, middle_a.tolist(), middle_b.tolist(), autojunk=False)
        for i, _, size in matcher.get_matching_blocks():
            out[head + i : head + i + size] = True
    return out


def shared_words(
    passages: Sequence[PassageCluster],
    words: Words,
    furniture: dict[str, list[tuple[int, int]]] | None = None,
) -> dict[str, Shared]:
    """Per document, per other document: its words that read the same in both, inside the
    passages both carry (a word one of them changed is not shared: edits show), and
    :attr:`Shared.gaps`. Each distinct reading of a passage is compared once with each other
    one. Words inside ``furniture`` are left out."""
    out: dict[str, Shared] = defaultdict(Shared)
    for passage in passages:
        readings: dict[bytes, np.ndarray] = {}
        read: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
        for witness in passage.witnesses:
            start, found = words.hashes(witness.doc, witness.start, witness.end)
            key = found.tobytes()
            readings.setdefault(key, found)
            read[witness.doc].append((start, key))
        matched: dict[tuple[bytes, bytes], np.ndarray] = {}
        for doc, mine in read.items():
            shared = out[doc]
            for other, theirs in read.items():
                if other == doc:
                    continue
                mask = shared.masks.get(other)
                if mask is None:
                    mask = shared.masks[other] = np.zeros(words.size(doc), dtype=bool)
                # each of its occurrences against each of the other's (a passage the scan
                # split at a paragraph break gives a document two witnesses)
                for start, key in mine:
                    for base in dict.fromkeys(k for _, k in theirs):
                        if (key, base) not in matched:
                            matched[(key, base)] = matched_words(readings[key], readings[base])
                        found = matched[(key, base)]
                        mask[start : start + len(found)] |= found
                shared.passages[other].append(passage.id)
    outside: dict[str, np.ndarray] = {}
    for doc in out:
        spans = (furniture or {}).get(doc)
        outside[doc] = ~words.mask(doc, spans) if spans else np.ones(words.size(doc), dtype=bool)
    for doc, shared in out.items():
        # the candidate's words as it prints them (a text it prints twice is not folded:
        # the copy took one of the two, and the other is one long stretch it lacks)
        for other in shared.masks:
            held = out[other].masks.get(doc) if other in out else None
            if held is not None and held.any():
                shared.gaps[other] = left_out(held & outside[other], outside[other])
    for doc, shared in out.items():
        canon = first_occurrence(words, doc)
        keep = outside[doc] & (canon == np.arange(len(canon)))
        shared.countable = int(np.count_nonzero(keep))
        for other, mask in shared.masks.items():
            folded = np.zeros_like(mask)
            folded[canon[mask]] = True
            shared.masks[other] = folded & outside[doc]
    return out


#: Words of context that make two places in one document the same text.
REPEAT_WORDS = 4


def first_occurrence(words: Words, doc: str) -> np.ndarray:
    """Per word of ``doc``, its place in the first occurrence of a run of
    :data:`REPEAT_WORDS` words it lies in and that the document printed before: a text a
    document prints twice (a scraper's flat second copy of its body) is
    counted once, so repeating a source's text does not make a copy look closer."""
    _, hashes = words.hashes(doc, 0, 1 << 62)
    n = len(hashes)
    if n < REPEAT_WORDS:
        return np.arange(n)
    key = hashes.astype(np.uint64)
    for shift in range(1, REPEAT_WORDS):
        nxt = np.zeros(n, dtype=np.uint64)
        nxt[: n - shift] = hashes[shift:].astype(np.uint64)
        key = key * np.uint64(1_000_003) + nxt
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    start = first[inverse]  # per window of words, where the same window first begins
    canon = np.arange(n)
    for shift in range(REPEAT_WORDS):
        # a word lies in the windows beginning up to REPEAT_WORDS - 1 words before it: in a
        # repeated one, it repeats (the last words of a paragraph a teaser follows too)
        at = np.arange(n - shift)
        earlier = start[: n - shift] < at
        moved = at[earlier] + shift
        canon[moved] = np.minimum(canon[moved], start[: n - shift][earlier] + shift)
    return canon


def shared_outside(
    passages: Sequence[PassageCluster],
    words: Words,
    furniture: dict[str, list[tuple[int, int]]] | None,
) -> dict[str, Shared]:
    """:func:`shared_words`, the words inside ``furniture`` left out."""
    return shared_words(passages, words, furniture)


#: An end offset past any text: a witness ``[0, WHOLE)`` is the whole document.
WHOLE = 1 << 62


def compared_whole(
    doc: str,
    others: Sequence[str],
    words: Words,
    furniture: dict[str, list[tuple[int, int]]] | None,
) -> Shared:
    """What ``doc`` shares with each of ``others``, compared word by word over their whole
    texts (outside furniture) rather than inside the passages the scan found: a copy
    group's member was aligned with its representative only, so the passages it witnesses
    with another article may hold a part of what the two share."""
    whole = PassageCluster("", "", tuple(Witness(d, 0, WHOLE) for d in sorted({doc, *others})))
    return shared_outside([whole], words, furniture)[doc]


#: Shortest run of shared words that bounds the text a copy took from a candidate: a
#: stray word or two shared elsewhere does not, a dateline's "WELLINGTON, Nov 13" does.
RUN_WORDS = 3


def left_out(mask: np.ndarray, countable: np.ndarray) -> int:
    """The ``countable`` words that ``mask`` lacks between the first and the last run of
    :data:`RUN_WORDS` countable words it holds, in stretches each shorter than the words it
    holds on the longer side of it (a dropped paragraph, a struck word; not the second copy
    of a text the candidate prints twice, of which the copy took one)."""
    held = mask[countable]
    if len(held) < RUN_WORDS:
        return 0
    window = np.convolve(held.astype(np.int32), np.ones(RUN_WORDS, dtype=np.int32), "valid")
    runs = np.flatnonzero(window == RUN_WORDS)
    if not len(runs):
        return 0
    inside = held[int(runs[0]) : int(runs[-1]) + RUN_WORDS]
    edges = np.flatnonzero(np.diff(np.concatenate(([1], inside.astype(np.int8), [1]))))
    starts, ends = edges[::2], edges[1::2]  # each stretch of words the copy lacks
    before = np.cumsum(inside)[np.maximum(starts - 1, 0)] * (starts > 0)
    after = int(np.count_nonzero(inside)) - before
    lengths = ends - starts
    return int(lengths[lengths < np.maximum(before, after)].sum())
