"""Shuffled words inside sentences (issue #20): sentences matched by their bag of words.

A copy whose every sentence has its words reordered keeps no run of words, so neither the
passage keys nor the alignment see it. What it keeps is each sentence's *bag* (multiset)
of words, and the sentences' order. This route finds it from that:

1. **Sentences** of each document, from its text: a sentence ends at ``.``, ``!`` or ``?``
   (closing quotes and brackets after it included) followed by white space and a capital
   letter, a digit or an opening quote, or at a paragraph break (a line break followed by
   indentation or a blank line). Sentences of ``BAG_MIN_WORDS`` to ``BAG_MAX_WORDS`` words
   get a key: the sum (mod 2**64) of their word hashes, mixed with their length, which
   does not depend on the words' order.
2. **Windows**: in every other document, each run of ``n`` consecutive words, for each
   length ``n`` some sentence has, is keyed the same way (from prefix sums of the word
   hashes) and looked up. The shuffled copy need not be cut into sentences: its shuffled
   sentence is still a run of ``n`` words. A window whose words equal the sentence's in
   order is an exact copy, left to the aligner; a key held by more than ``BAG_MAX_DOCS``
   sentences (a stock sentence) is not looked up.
3. **Runs**: hits of consecutive sentences of one document that fall on consecutive
   windows of the other (the next sentence right after the last, in both) make a run; a run
   of ``min_sentences`` sentences or more is one ``REORDERED`` passage, with the word
   spans of both.

:func:`bag_passages` gives the passages for a corpus; :func:`dedup.verify.verify_candidates`
adds them for the pairs the aligner found nothing in. The kernel is
:func:`_bag_hits_kernel`; :func:`bag_hits_reference` is the plain path it equals.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np

from dedup.config import Config
from dedup.edits import REORDERED
from dedup.errors import ConfigError
from dedup.kernels import njit
from dedup.shingle import Tokens

#: Shortest and longest sentences matched by their bag of words.
BAG_MIN_WORDS = 8
BAG_MAX_WORDS = 80
#: Fewest consecutive sentences a passage of shuffled sentences holds (the default of
#: ``min_sentences``); chosen on the dev split (docs/accuracy-edited.md).
MIN_SHUFFLED_SENTENCES = 2
#: A sentence is looked for around its *anchor*: of its words of ``ANCHOR_MIN_CHARS``
#: characters or more that the corpus holds at most ``ANCHOR_MAX_COUNT`` times, the rarest
#: (then the smallest hash: an order-free choice); a sentence without one is not looked for.
ANCHOR_MIN_CHARS = 4
ANCHOR_MAX_COUNT = 200
#: An anchor more sentences than this share (a sentence copied into many documents) is
#: not looked up: those copies are the aligner's.
ANCHOR_MAX_SENTENCES = 16
_BUCKETS = 1 << 20

_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[A-Z0-9\"'(<])|\n(?:[ \t]+|\s*\n)")


def sentence_starts(text: str, word_starts: np.ndarray) -> np.ndarray:
    """Index of the first word of each sentence of ``text`` (0 first), given the character
    offset of each of its words: the words that begin after a sentence end."""
    cuts = np.fromiter((m.end() for m in _SENTENCE_END.finditer(text)), dtype=np.int64)
    firsts = np.searchsorted(word_starts, cuts, side="left")
    firsts = firsts[firsts < len(word_starts)]
    return np.unique(np.concatenate([np.zeros(1 if len(word_starts) else 0, np.int64), firsts]))


def corpus_sentences(texts: Sequence[str], tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """Sentence starts of every document (word indices into the corpus) in CSR layout:
    ``starts[ptr[d]:ptr[d + 1]]`` are document ``d``'s (as :func:`sentence_starts` gives
    them, one document at a time)."""
    counts = np.diff(tokens.doc_ptr)
    base = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=base[1:])
    # every word's and every sentence end's offset in the texts put end to end
    starts = tokens.starts + np.repeat(base[:-1], counts)
    cuts = np.array(
        [
            m.end() + b
            for text, b in zip(texts, base.tolist())
            for m in _SENTENCE_END.finditer(text)
        ],
        dtype=np.int64,
    )
    firsts = np.searchsorted(starts, cuts, side="left")
    # a cut past a document's last word gives the next document's first word: a start anyway
    firsts = np.unique(
        np.concatenate([firsts[firsts < len(starts)], tokens.doc_ptr[:-1][counts > 0]])
    )
    return firsts.astype(np.int64), np.searchsorted(firsts, tokens.doc_ptr).astype(np.int64)


@njit(cache=True, nogil=True)
def _in_order(hashes, i, j, n):  # pragma: no cover - compiled
    """Whether words ``j:j + n`` keep half or more of the word pairs next to each other in
    words ``i:i + n`` (an exact or shifted copy, not a shuffled one)."""
    same = True
    for t in range(n):
        if hashes[i + t] != hashes[j + t]:
            same = False
            break
    if same:
        return True
    kept = 0
    for t in range(n - 1):
        for u in range(n - 1):
            if hashes[j + t] == hashes[i + u] and hashes[j + t + 1] == hashes[i + u + 1]:
                kept += 1
                break
    return 2 * kept >= n - 1


def _rarity(hashes: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """For each word that can be an anchor (``ANCHOR_MIN_CHARS`` characters or more, held
    at most ``ANCHOR_MAX_COUNT`` times by the corpus), its count: the words of its hash's
    low bits, an upper bound; 0 for the others."""
    buckets = (hashes & np.uint64(_BUCKETS - 1)).astype(np.int64)
    long_words = chars >= ANCHOR_MIN_CHARS
    counts = np.bincount(buckets[long_words], minlength=_BUCKETS)[buckets]
    return np.where(long_words & (counts <= ANCHOR_MAX_COUNT), counts, 0)


def bag_hits_reference(
    hashes: np.ndarray,
    chars: np.ndarray,
    doc_ptr: np.ndarray,
    starts: np.ndarray,
    start_ptr: np.ndarray,
    min_words: int = BAG_MIN_WORDS,
    max_words: int = BAG_MAX_WORDS,
) -> np.ndarray:
    """Every sentence of one document whose bag of words is a run of words of another
    document, not in the same order: rows ``(doc_x, first_x, doc_y, first_y, n)``, sorted.
    Only sentences with an anchor are looked for, in the windows around their anchor's
    occurrences. The plain path of :func:`_bag_hits_kernel`."""
    rarity = _rarity(hashes, chars).tolist()
    words = [int(h) for h in hashes.tolist()]
    by_anchor: dict[int, list[tuple[int, int, int]]] = {}
    for d in range(len(doc_ptr) - 1):
        firsts = [*starts[start_ptr[d] : start_ptr[d + 1]].tolist(), int(doc_ptr[d + 1])]
        for lo, hi in itertools.pairwise(firsts):
            anchors = [(rarity[k], words[k]) for k in range(lo, hi) if rarity[k]]
            if min_words <= hi - lo <= max_words and anchors:
                by_anchor.setdefault(min(anchors)[1], []).append((d, lo, hi - lo))
    hits = set()
    for y in range(len(doc_ptr) - 1):
        lo_y, hi_y = int(doc_ptr[y]), int(doc_ptr[y + 1])
        for p in range(lo_y, hi_y):
            sentences = by_anchor.get(words[p], []) if rarity[p] else []
            for x, i, n in sentences if len(sentences) <= ANCHOR_MAX_SENTENCES else []:
                bag = sorted(words[i : i + n])
                for j in range(max(lo_y, p - n + 1), min(p, hi_y - n) + 1):
                    window = words[j : j + n]
                    if x == y or sorted(window) != bag:
                        continue
                    pairs = set(itertools.pairwise(words[i : i + n]))
                    kept = sum(q in pairs for q in itertools.pairwise(window))
                    if 2 * kept < n - 1:
                        hits.add((x, i, y, j, n))
    return np.array(sorted(hits), dtype=np.int64).reshape(-1, 5)


@njit(cache=True, nogil=True)
def _bag_hits_kernel(
    hashes, rarity, doc_ptr, starts, start_ptr, min_words, max_words, max_sentences
):  # pragma: no cover - compiled
    """:func:`bag_hits_reference`, unsorted (and a hit may come twice)."""
    n_docs = len(doc_ptr) - 1
    prefix = np.zeros(len(hashes) + 1, dtype=np.uint64)
    for k in range(len(hashes)):
        prefix[k + 1] = prefix[k] + hashes[k]
    # the sentences in range that have an anchor, with their anchor
    m = len(starts)
    anchor = np.empty(m, dtype=np.uint64)
    sent_doc = np.empty(m, dtype=np.int64)
    sent_lo = np.empty(m, dtype=np.int64)
    sent_n = np.empty(m, dtype=np.int64)
    m = 0
    for d in range(n_docs):
        for s in range(start_ptr[d], start_ptr[d + 1]):
            lo = starts[s]
            hi = starts[s + 1] if s + 1 < start_ptr[d + 1] else doc_ptr[d + 1]
            if not min_words <= hi - lo <= max_words:
                continue
            best = -1
            for k in range(lo, hi):
                if rarity[k] > 0 and (
                    best < 0
                    or rarity[k] < rarity[best]
                    or (rarity[k] == rarity[best] and hashes[k] < hashes[best])
                ):
                    best = k
            if best >= 0:
                anchor[m], sent_doc[m], sent_lo[m], sent_n[m] = hashes[best], d, lo, hi - lo
                m += 1
    order = np.argsort(anchor[:m], kind="mergesort")
    anchor, sent_doc = anchor[order], sent_doc[order]
    sent_lo, sent_n = sent_lo[order], sent_n[order]
    size = 1
    while size < 2 * m + 2:
        size *= 2
    slot_mask = np.uint64(size - 1)
    table = np.full(size, -1, dtype=np.int64)
    for r in range(m):
        if r > 0 and anchor[r] == anchor[r - 1]:
            continue
        at = anchor[r] & slot_mask
        while table[at] >= 0:
            at = (at + np.uint64(1)) & slot_mask
        table[at] = r
    out = np.empty((64, 5), dtype=np.int64)
    n_out = 0
    for y in range(n_docs):
        lo_y, hi_y = doc_ptr[y], doc_ptr[y + 1]
        for p in range(lo_y, hi_y):
            if rarity[p] == 0:
                continue
            word = hashes[p]
            at = word & slot_mask
            first = -1
            while table[at] >= 0:
                if anchor[table[at]] == word:
                    first = table[at]
                    break
                at = (at + np.uint64(1)) & slot_mask
            last = first
            while first >= 0 and last + 1 < m and anchor[last + 1] == word:
                last += 1
            if last - first + 1 > max_sentences:
                continue  # a sentence copied into many documents: left to the aligner
            r = first
            while r >= 0 and r < m and anchor[r] == word:
                x, i, n = sent_doc[r], sent_lo[r], sent_n[r]
                r += 1
                if x == y:
                    continue
                total = prefix[i + n] - prefix[i]
                for j in range(max(lo_y, p - n + 1), min(p, hi_y - n) + 1):
                    if prefix[j + n] - prefix[j] != total or _in_order(hashes, i, j, n):
                        continue
                    if n_out == len(out):
                        bigger = np.empty((2 * n_out, 5), dtype=np.int64)
                        bigger[:n_out] = out
                        out = bigger
                    out[n_out, 0], out[n_out, 1], out[n_out, 2] = x, i, y
                    out[n_out, 3], out[n_out, 4] = j, n
                    n_out += 1
    return out[:n_out].copy()


def bag_hits(
    hashes: np.ndarray,
    chars: np.ndarray,
    doc_ptr: np.ndarray,
    starts: np.ndarray,
    start_ptr: np.ndarray,
    min_words: int = BAG_MIN_WORDS,
    max_words: int = BAG_MAX_WORDS,
) -> np.ndarray:
    """:func:`bag_hits_reference`, compiled: rows ``(doc_x, first_x, doc_y, first_y, n)``,
    sorted."""
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    chars = np.asarray(chars, dtype=np.int64)
    hits = _bag_hits_kernel(
        hashes,
        _rarity(hashes, chars),
        np.ascontiguousarray(doc_ptr, dtype=np.int64),
        np.ascontiguousarray(starts, dtype=np.int64),
        np.ascontiguousarray(start_ptr, dtype=np.int64),
        int(min_words),
        int(max_words),
        ANCHOR_MAX_SENTENCES,
    )
    return np.unique(hits, axis=0) if len(hits) else hits


def bag_runs(hits: np.ndarray, min_sentences: int = MIN_SHUFFLED_SENTENCES) -> np.ndarray:
    """Runs of hits of consecutive sentences on consecutive windows: rows ``(doc_x, doc_y,
    x_lo, x_hi, y_lo, y_hi, sentences)`` of the runs of ``min_sentences`` or more, in word
    positions of the corpus; sorted."""
    runs = []
    current: list[int] | None = None
    for x, i, y, j, n in hits.tolist():
        if current is not None and (x, y, i, j) == (current[0], current[1], current[3], current[5]):
            current[3], current[5], current[6] = i + n, j + n, current[6] + 1
            continue
        if current is not None and current[6] >= min_sentences:
            runs.append(current)
        current = [x, y, i, i + n, j, j + n, 1]
    if current is not None and current[6] >= min_sentences:
        runs.append(current)
    return np.array(runs, dtype=np.int64).reshape(-1, 7)


def bag_passages(
    texts: Sequence[str], tokens: Tokens, min_sentences: int = MIN_SHUFFLED_SENTENCES
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """Passages of shuffled sentences between the documents of a corpus, by pair
    ``(a, b)`` with ``a < b``: passage rows (word positions within each document, the
    columns of :func:`dedup.align.align_shingles`) and edit rows (``REORDERED``, the
    sentences as pieces); none with ``min_sentences`` 0."""
    if min_sentences <= 0 or not len(texts):
        return {}
    starts, ptr = corpus_sentences(texts, tokens)
    chars = tokens.ends - tokens.starts
    hits = bag_hits(tokens.hashes, chars, tokens.doc_ptr, starts, ptr)
    runs = bag_runs(hits, min_sentences)
    found: dict[tuple[int, int], list[tuple[list[int], list[int]]]] = {}
    for x, y, x_lo, x_hi, y_lo, y_hi, pieces in runs.tolist():
        x_lo, x_hi = x_lo - int(tokens.doc_ptr[x]), x_hi - int(tokens.doc_ptr[x])
        y_lo, y_hi = y_lo - int(tokens.doc_ptr[y]), y_hi - int(tokens.doc_ptr[y])
        words = x_hi - x_lo
        if x < y:
            row = [x_lo, x_hi, y_lo, y_hi, words, words]
        else:
            row = [y_lo, y_hi, x_lo, x_hi, words, words]
        edit = [REORDERED, 0, 0, 0, 0, pieces]
        found.setdefault((min(x, y), max(x, y)), []).append((row, edit))
    out = {}
    for pair, found_rows in found.items():
        # the longest first; a run overlapping one kept in either document is left out
        kept: list[tuple[list[int], list[int]]] = []
        for row, edit in sorted(found_rows, key=lambda item: (-item[0][4], item[0])):
            if not any(_overlap(row, other) for other, _ in kept):
                kept.append((row, edit))
        kept.sort()
        out[pair] = (
            np.array([r for r, _ in kept], dtype=np.int64).reshape(-1, 6),
            np.array([e for _, e in kept], dtype=np.int64).reshape(-1, 6),
        )
    return out


def _overlap(row: list[int], other: list[int]) -> bool:
    return (row[0] < other[1] and other[0] < row[1]) or (row[2] < other[3] and other[2] < row[3])


def check_in_memory(config: Config, where: str) -> None:
    """Refuse ``min_shuffled_sentences`` where the corpus is not held in memory (``where``:
    the kind of scan), rather than ignore it."""
    if config.min_shuffled_sentences > 0:
        raise ConfigError(
            "min_shuffled_sentences",
            f"reads every document's sentences, which {where} does not: "
            "scan in memory (--spill never), or leave it at 0",
        )
