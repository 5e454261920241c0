"""Shuffled words inside sentences (issue #20): sentences matched by their bag of words.

A copy whose every sentence has its words reordered keeps no run of words, so neither the
passage keys nor the alignment see it. What it keeps is each sentence's *bag* (multiset)
of words, and the sentences' order. This route finds it from that:

1. **Sentences** of each document (:func:`dedup.sentences.corpus_sentences`, from the
   characters between its words): a sentence ends at ``.``, ``!`` or ``?`` followed by white
   space and a capital letter, a digit or an opening quote, or at a paragraph break.
   Sentences of ``BAG_MIN_WORDS`` to ``BAG_MAX_WORDS`` words get a key: the sum (mod 2**64)
   of their word hashes, which does not depend on the words' order.
2. **Windows**: a sentence is looked for around its *anchor*, its rarest word, in the
   runs of ``n`` consecutive words of every other document (``n`` its length) that hold an
   occurrence of the anchor and one of its second rarest word; a run is keyed the same way.
   The shuffled copy need not be cut into sentences: its shuffled sentence is still a run
   of ``n`` words. A run that keeps the sentence's order is an exact or shifted copy, left
   to the aligner; an anchor more than ``ANCHOR_MAX_SENTENCES`` sentences share (a stock
   sentence) is not looked up.
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
from collections.abc import Sequence

import numpy as np

from dedup.edits import REORDERED
from dedup.kernels import njit
from dedup.sentences import corpus_sentences
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


@njit(cache=True, nogil=True, boundscheck=False)
def _rarity_kernel(hashes, chars, min_chars, max_count, buckets):  # pragma: no cover
    """:func:`_rarity`, compiled, as uint8 (counts up to ``max_count`` < 256): the words are
    read in order twice, and the counts (int32) looked up once per word."""
    mask = np.uint64(buckets - 1)
    counts = np.zeros(buckets, dtype=np.int32)
    for k in range(len(hashes)):
        if chars[k] >= min_chars:
            counts[hashes[k] & mask] += 1
    rarity = np.zeros(len(hashes), dtype=np.uint8)
    for k in range(len(hashes)):
        if chars[k] >= min_chars:
            count = counts[hashes[k] & mask]
            if count <= max_count:
                rarity[k] = count
    return rarity


@njit(cache=True, nogil=True, boundscheck=False)
def _anchor_places(hashes, rarity, lo, hi):  # pragma: no cover - compiled
    """The places of the sentence ``lo:hi``'s anchor (its rarest word with a rarity: the
    lowest nonzero ``rarity``, ties to the lower hash) and of its second word by the same
    order; -1 where there is none."""
    best, second = -1, -1
    rank_best, rank_second = 0, 0
    for k in range(lo, hi):
        r = np.int64(rarity[k])
        if r == 0:
            continue
        if best < 0 or r < rank_best or (r == rank_best and hashes[k] < hashes[best]):
            second, rank_second = best, rank_best
            best, rank_best = k, r
        elif second < 0 or r < rank_second or (r == rank_second and hashes[k] < hashes[second]):
            second, rank_second = k, r
    return best, second


@njit(cache=True, nogil=True, boundscheck=False)
def _bag_hits_kernel(
    hashes, rarity, doc_ptr, starts, start_ptr, min_words, max_words, max_sentences
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`bag_hits_reference`, unsorted (and a hit may come twice).

    Each sentence keeps its anchor (its rarest word) and its second rarest word (by the
    same order), and the anchor's occurrences are read from a list of the occurrences of
    the words some sentence needs (made in two passes over the words that can be anchors).
    Around an occurrence of the anchor, the windows are summed only when the second word
    occurs within the sentence's length of it (in another place of the text when it is the
    same word): a window with the sentence's bag holds both."""
    n_docs = len(doc_ptr) - 1
    # the sentences in range that have an anchor: anchor, second word, document, first, n, sum
    m = len(starts)
    first_word = np.empty(m, dtype=np.uint64)
    second_word = np.empty(m, dtype=np.uint64)
    has_second = np.zeros(m, dtype=np.bool_)
    sent_doc = np.empty(m, dtype=np.int64)
    sent_lo = np.empty(m, dtype=np.int64)
    sent_n = np.empty(m, dtype=np.int64)
    sent_sum = np.empty(m, dtype=np.uint64)
    m = 0
    for d in range(n_docs):
        for s in range(start_ptr[d], start_ptr[d + 1]):
            lo = starts[s]
            hi = starts[s + 1] if s + 1 < start_ptr[d + 1] else doc_ptr[d + 1]
            if not min_words <= hi - lo <= max_words:
                continue
            best, second = _anchor_places(hashes, rarity, lo, hi)
            total = np.uint64(0)
            for k in range(lo, hi):
                total += hashes[k]
            if best < 0:
                continue
            first_word[m], sent_doc[m], sent_lo[m], sent_n[m] = hashes[best], d, lo, hi - lo
            sent_sum[m] = total
            if second >= 0:
                second_word[m], has_second[m] = hashes[second], True
            m += 1
    # the words looked up, in a table: the anchors, with the number of sentences of each
    # (an anchor more than max_sentences sentences share is not looked up), and the second
    # words of the sentences whose anchor is
    size = 1
    while size < 2 * m + 2:
        size *= 2
    slot_mask = np.uint64(size - 1)
    table_word = np.zeros(size, dtype=np.uint64)
    table_id = np.full(size, -1, dtype=np.int64)
    word_sentences = np.zeros(2 * m + 1, dtype=np.int64)
    n_words = 0
    word_id = np.full((m, 2), -1, dtype=np.int64)
    for c in range(2):
        for t in range(m):
            if c == 1 and (not has_second[t] or word_sentences[word_id[t, 0]] > max_sentences):
                continue
            word = first_word[t] if c == 0 else second_word[t]
            at = word & slot_mask
            while table_id[at] >= 0 and table_word[at] != word:
                at = (at + np.uint64(1)) & slot_mask
            if table_id[at] < 0:
                table_word[at], table_id[at] = word, n_words
                n_words += 1
            word_id[t, c] = table_id[at]
            if c == 0:
                word_sentences[table_id[at]] += 1
    # their occurrences, in corpus order, in CSR layout by word
    occ_ptr = np.zeros(n_words + 1, dtype=np.int64)
    for k in range(len(hashes)):
        if rarity[k] > 0:
            at = hashes[k] & slot_mask
            while table_id[at] >= 0:
                if table_word[at] == hashes[k]:
                    occ_ptr[table_id[at] + 1] += 1
                    break
                at = (at + np.uint64(1)) & slot_mask
    for w in range(n_words):
        occ_ptr[w + 1] += occ_ptr[w]
    fill = occ_ptr[:-1].copy()
    occ_at = np.empty(occ_ptr[-1], dtype=np.int64)
    occ_doc = np.empty(occ_ptr[-1], dtype=np.int64)
    d = 0
    for k in range(len(hashes)):
        if rarity[k] > 0:
            at = hashes[k] & slot_mask
            while table_id[at] >= 0:
                if table_word[at] == hashes[k]:
                    while doc_ptr[d + 1] <= k:
                        d += 1
                    w = table_id[at]
                    occ_at[fill[w]], occ_doc[fill[w]] = k, d
                    fill[w] += 1
                    break
                at = (at + np.uint64(1)) & slot_mask
    out = np.empty((64, 5), dtype=np.int64)
    n_out = 0
    for t in range(m):
        if word_sentences[word_id[t, 0]] > max_sentences:
            continue
        x, i, n, total = sent_doc[t], sent_lo[t], sent_n[t], sent_sum[t]
        w1, w2 = word_id[t, 0], word_id[t, 1]
        q = occ_ptr[w2] if w2 >= 0 else 0
        q_end = occ_ptr[w2 + 1] if w2 >= 0 else 0
        for e in range(occ_ptr[w1], occ_ptr[w1 + 1]):
            p, y = occ_at[e], occ_doc[e]
            if y == x:
                continue
            j_lo = max(doc_ptr[y], p - n + 1)
            j_hi = min(p, doc_ptr[y + 1] - n)
            if w2 >= 0:
                # the windows that hold p and an occurrence of the second word
                while q < q_end and occ_at[q] < p - n + 1:
                    q += 1
                before, after = -1, -1
                for u in range(q, q_end):
                    if occ_at[u] > p + n - 1:
                        break
                    if occ_at[u] < p:
                        before = occ_at[u]
                    elif occ_at[u] > p and after < 0:
                        after = occ_at[u]
                if before < 0 and after < 0:
                    continue
                if before < 0:
                    j_lo = max(j_lo, after - n + 1)
                if after < 0:
                    j_hi = min(j_hi, before)
            if j_lo > j_hi:
                continue
            window = np.uint64(0)
            for k in range(j_lo, j_lo + n):
                window += hashes[k]
            for j in range(j_lo, j_hi + 1):
                if j > j_lo:
                    window += hashes[j + n - 1] - hashes[j - 1]
                if window != total or _in_order(hashes, i, j, n):
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
    rarity: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`bag_hits_reference`, compiled: rows ``(doc_x, first_x, doc_y, first_y, n)``,
    sorted. ``rarity``: each word's, counted over a larger corpus than this one (the
    persistent index's, :mod:`dedup.index_bags`); by default counted here."""
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    chars = np.ascontiguousarray(chars, dtype=np.int64)
    if rarity is None:
        rarity = _rarity_kernel(hashes, chars, ANCHOR_MIN_CHARS, ANCHOR_MAX_COUNT, _BUCKETS)
    hits = _bag_hits_kernel(
        hashes,
        rarity,
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
    return hit_passages(hits, tokens.doc_ptr, min_sentences)


def hit_passages(
    hits: np.ndarray, doc_ptr: np.ndarray, min_sentences: int = MIN_SHUFFLED_SENTENCES
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """:func:`bag_passages` of the corpus whose sentence hits (sorted, as :func:`bag_hits`
    gives them) are ``hits``, ``doc_ptr`` its documents' first words (a spilled scan finds
    the hits a part at a time: :mod:`dedup.spilled_bags`)."""
    runs = bag_runs(hits, min_sentences)
    found: dict[tuple[int, int], list[tuple[list[int], list[int]]]] = {}
    for x, y, x_lo, x_hi, y_lo, y_hi, pieces in runs.tolist():
        x_lo, x_hi = x_lo - int(doc_ptr[x]), x_hi - int(doc_ptr[x])
        y_lo, y_hi = y_lo - int(doc_ptr[y]), y_hi - int(doc_ptr[y])
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
