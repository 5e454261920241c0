"""Shuffled words inside sentences in a scan held on disk (issue #20): the sentence-bag
route of :mod:`dedup.bags`, a block or a partition at a time, with the same hits bit for bit.

The words stage keeps each word's hash and two flags (a word of ``ANCHOR_MIN_CHARS``
characters or more; the first word of a sentence, :func:`dedup.sentences.corpus_sentences`)
in two files of the scratch folder, in corpus order (:func:`bag_words`, :class:`BagWriter`).
Then, the documents cut in blocks of about ``BLOCK_WORDS`` words, a task each
(:func:`spilled_bag_passages`, on the scan's engine: threads, or Ray's workers):

1. **counts**: each block counts its long words by hash bucket; their sum is the corpus's
   count, from which each word's rarity follows as :func:`dedup.bags._rarity_kernel` gives
   it (``_BUCKETS`` counts held at once);
2. **sentences**: each block writes the rows of its sentences that have an anchor (anchor,
   second word, bag sum, order hash, place) and of its words that can be anchors (hash,
   place) to a file grouped by partition of the hash;
3. **probes**: each partition counts the sentences of each of its anchors (one that more
   than ``ANCHOR_MAX_SENTENCES`` share is not looked up) and joins the others, by sorting,
   with the places of their anchor in the other documents: the probes, written grouped by
   the block of the place;
4. **hits**: each block reads its probes and its words (with ``BAG_MAX_WORDS`` more on each
   side) and checks the windows around each place as the in-memory kernel does: an
   occurrence of the second word near, the bag sum, and not the sentence's order (the
   order hash; the rare windows that are not the sentence itself have their word pairs
   compared with the sentence's, read back from the words file).

The hits are those of :func:`dedup.bags.bag_hits` over the whole corpus, which
:func:`dedup.bags.hit_passages` turns into passages. Memory holds one block's words, one
partition's rows, the bucket counts and the documents' first words.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from dedup.bags import (
    _BUCKETS,
    ANCHOR_MAX_COUNT,
    ANCHOR_MAX_SENTENCES,
    ANCHOR_MIN_CHARS,
    BAG_MAX_WORDS,
    BAG_MIN_WORDS,
    _anchor_places,
    _in_order,
    hit_passages,
)
from dedup.config import Config
from dedup.kernels import njit
from dedup.lsh import key_partition
from dedup.parallel import Engine
from dedup.sentences import corpus_sentences
from dedup.shingle import Tokens
from dedup.spill import group_by_partition
from dedup.stages import cut_runs
from dedup.types import ProgressFn

#: words of one block of the bag stage (its hashes, flags and rarity held at once)
BLOCK_WORDS = 1 << 22
#: sentence and anchor rows aimed at per partition (with 1 << 22 the bag stage made the peak of
#: a 1,000,000-article scan, 3.17 GB; with 1 << 19 it is 2.90 GB, the same hits)
PART_ROWS = 1 << 19
#: bits of the filter of the anchors per sentence (two set per anchor), of sentences of
#: about ``WORDS_PER_SENTENCE`` words (a sentence more or fewer only changes how many
#: places pass the filter, never the hits)
ANCHOR_BITS = 16
WORDS_PER_SENTENCE = 32
FLAG_LONG = np.uint8(1)  # a word of ANCHOR_MIN_CHARS characters or more
FLAG_START = np.uint8(2)  # the first word of a sentence
WORDS_FILE, FLAGS_FILE = "bagwords.bin", "bagflags.bin"
_ORDER_BASE = np.uint64(0x9E3779B97F4A7C15)  # the order hash: h * base + word, from 0

SENTENCE_ROW = np.dtype(
    [("anchor", "<u8"), ("second", "<u8"), ("total", "<u8"), ("order", "<u8"),
     ("first", "<u8"), ("doc", "<u4"), ("n", "<u2"), ("has_second", "u1")]
)  # fmt: skip
ANCHOR_ROW = np.dtype([("hash", "<u8"), ("at", "<u8")])
PROBE_ROW = np.dtype(
    [("second", "<u8"), ("total", "<u8"), ("order", "<u8"), ("first", "<u8"), ("at", "<u8"),
     ("x", "<u4"), ("y", "<u4"), ("n", "<u2"), ("has_second", "u1")]
)  # fmt: skip


def bag_words(texts: list[str], tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """What the bag stage keeps of a batch of documents (``tokens`` their words): each
    word's hash, and its flags (``FLAG_LONG``, ``FLAG_START``), uint8."""
    starts, _ = corpus_sentences(texts, tokens)
    flags = ((tokens.ends - tokens.starts) >= ANCHOR_MIN_CHARS).astype(np.uint8)
    flags[starts] |= FLAG_START
    return np.ascontiguousarray(tokens.hashes, dtype=np.uint64), flags


class BagWriter:
    """The words files of the bag stage in ``folder``, appended to a batch at a time."""

    def __init__(self, folder: str | Path) -> None:
        self._words: BinaryIO = open(Path(folder) / WORDS_FILE, "wb")  # noqa: SIM115
        self._flags: BinaryIO = open(Path(folder) / FLAGS_FILE, "wb")  # noqa: SIM115

    def add(self, words: tuple[np.ndarray, np.ndarray] | None) -> None:
        if words is not None:
            self._words.write(np.ascontiguousarray(words[0], dtype="<u8").tobytes())
            self._flags.write(np.ascontiguousarray(words[1], dtype=np.uint8).tobytes())

    def close(self) -> None:
        self._words.close()
        self._flags.close()


def spilled_bag_passages(
    folder: str | Path,
    doc_words: np.ndarray,
    config: Config,
    engine: Engine,
    progress: ProgressFn | None = None,
    block_words: int | None = None,
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """:func:`dedup.bags.bag_passages` of the corpus whose words files are in ``folder``,
    ``doc_words`` the words of each of its documents: the same passages, by pair."""
    if config.min_shuffled_sentences <= 0 or not len(doc_words):
        return {}
    hits = spilled_bag_hits(str(folder), doc_words, engine, progress, block_words)
    doc_ptr = np.concatenate([[0], np.cumsum(doc_words)]).astype(np.int64)
    return hit_passages(hits, doc_ptr, config.min_shuffled_sentences)


def kept_pairs(
    passages: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]], kept: np.ndarray | None
) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """The ``passages`` of the pairs of documents both ``kept`` (the documents not behind
    a copy group's representative; all of them when None), as
    :func:`dedup.inmemory.shuffled_passages` keeps them."""
    if kept is None or not passages:
        return passages
    keep = set(kept.tolist())
    return {pair: rows for pair, rows in passages.items() if pair[0] in keep and pair[1] in keep}


def spilled_bag_hits(
    folder: str,
    doc_words: np.ndarray,
    engine: Engine,
    progress: ProgressFn | None = None,
    block_words: int | None = None,
    parts: int | None = None,
) -> np.ndarray:
    """:func:`dedup.bags.bag_hits` of the corpus whose words files are in ``folder``, its
    documents cut in blocks of about ``block_words`` words (``BLOCK_WORDS`` by default)
    and its sentences in ``parts`` partitions (by default enough for about ``PART_ROWS``
    rows each, and one a worker); neither changes the hits."""
    doc_ptr = np.concatenate([[0], np.cumsum(doc_words)]).astype(np.int64)
    n_words = int(doc_ptr[-1])
    firsts = [lo for lo, _ in cut_runs(doc_ptr[1:], block_words or BLOCK_WORDS)]
    block_docs = np.array([*firsts, len(doc_words)], dtype=np.int64)
    bounds = doc_ptr[block_docs]  # the first word of each block, and the end
    blocks = [(int(bounds[b]), int(bounds[b + 1])) for b in range(len(firsts))]
    step = _steps(progress, 5)
    counts = np.zeros(_BUCKETS, dtype=np.int64)
    for found in engine.map_ordered(_count_job, (folder,), blocks):
        counts += found
    assert ANCHOR_MAX_COUNT < 255
    counts = np.minimum(counts, 255).astype(np.uint8)  # 1 MiB looked up at random
    step()
    parts = parts or max(1, engine.workers, -(-n_words // (8 * PART_ROWS)))
    jobs: list[tuple] = [
        (b, int(block_docs[b]), int(block_docs[b + 1]), lo, hi) for b, (lo, hi) in enumerate(blocks)
    ]
    # a filter of the anchors (two bits each): only the places of their words are written.
    # Its size is set from the words, so that no block's anchors need be held
    n_bits = 64
    while n_bits < ANCHOR_BITS * n_words // WORDS_PER_SENTENCE:
        n_bits *= 2
    bits = np.zeros(n_bits // 8, dtype=np.uint8)
    sentence_counts = np.zeros((len(blocks), parts), dtype=np.int64)
    for b, (written, anchors) in enumerate(
        engine.map_ordered(_sentence_job, (folder, counts, parts, doc_ptr), jobs)
    ):
        sentence_counts[b] = written
        _set_bits(anchors, bits)
    step()
    jobs = [(b, lo, hi) for b, (lo, hi) in enumerate(blocks)]
    anchor_counts = np.array(
        list(engine.map_ordered(_anchor_job, (folder, parts, bits), jobs)), dtype=np.int64
    ).reshape(-1, parts)
    del bits
    step()
    s_firsts = np.cumsum(sentence_counts, axis=1) - sentence_counts
    a_firsts = np.cumsum(anchor_counts, axis=1) - anchor_counts
    jobs = [
        (p, sentence_counts[:, p], s_firsts[:, p], anchor_counts[:, p], a_firsts[:, p])
        for p in range(parts)
    ]
    shared: tuple = (folder, len(blocks), doc_ptr, bounds)
    probe_counts = np.array(
        list(engine.map_ordered(_probe_job, shared, jobs)), dtype=np.int64
    ).reshape(parts, len(blocks))
    step()
    for b in range(len(blocks)):
        for name in ("bagsentences", "baganchors"):
            (Path(folder) / f"{name}-{b:06d}.bin").unlink(missing_ok=True)
    p_firsts = np.cumsum(probe_counts, axis=1) - probe_counts
    jobs = [(lo, hi, probe_counts[:, b], p_firsts[:, b]) for b, (lo, hi) in enumerate(blocks)]
    found = list(engine.map_ordered(_hit_job, (folder, counts, doc_ptr, n_words), jobs))
    step()
    for p in range(parts):
        (Path(folder) / f"bagprobes-{p:06d}.bin").unlink(missing_ok=True)
    for lo, _ in blocks:
        _rarity_path(folder, lo).unlink(missing_ok=True)
    hits = np.concatenate(found) if found else np.zeros((0, 5), dtype=np.int64)
    return np.unique(hits, axis=0) if len(hits) else hits.reshape(0, 5)


def _steps(progress: ProgressFn | None, total: int) -> Callable[[], None]:
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress:
            progress("bags", done, total)

    return step


def _read_words(folder: str, lo: int, hi: int, flags: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Hashes and (with ``flags``) flags of the corpus's words ``lo:hi``."""
    words = np.fromfile(Path(folder) / WORDS_FILE, dtype="<u8", count=hi - lo, offset=8 * lo)
    marks = np.zeros(0, dtype=np.uint8)
    if flags:
        marks = np.fromfile(Path(folder) / FLAGS_FILE, dtype=np.uint8, count=hi - lo, offset=lo)
    if len(words) != hi - lo or (flags and len(marks) != hi - lo):
        raise OSError(f"{folder}/{WORDS_FILE}: words {lo} to {hi} not all written")
    return words.astype(np.uint64, copy=False), marks


def _rarity_path(folder: str, lo: int) -> Path:
    """The rarity of the words of the block from word ``lo`` on."""
    return Path(folder) / f"bagrarity-{lo:012d}.bin"


def _rarity(words: np.ndarray, flags: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """:func:`dedup.bags._rarity_kernel` of these words, from the corpus's bucket counts
    (uint8, at most 255: a count above ``ANCHOR_MAX_COUNT`` is all that matters of it)."""
    return _rarity_kernel(words, flags, counts, ANCHOR_MAX_COUNT)


@njit(cache=True, nogil=True, boundscheck=False)
def _rarity_kernel(words, flags, counts, max_count):  # pragma: no cover - compiled
    mask = np.uint64(len(counts) - 1)
    rarity = np.zeros(len(words), dtype=np.uint8)
    for k in range(len(words)):
        if flags[k] & 1:
            count = counts[words[k] & mask]
            if count <= max_count:
                rarity[k] = count
    return rarity


def _count_job(folder: str, lo: int, hi: int) -> np.ndarray:
    """The long words of words ``lo:hi`` by hash bucket."""
    words, flags = _read_words(folder, lo, hi)
    counts = np.zeros(_BUCKETS, dtype=np.int64)
    _count_kernel(words, flags, counts)
    return counts


@njit(cache=True, nogil=True, boundscheck=False)
def _count_kernel(words, flags, counts):  # pragma: no cover - compiled
    mask = np.uint64(len(counts) - 1)
    for k in range(len(words)):
        if flags[k] & 1:
            counts[words[k] & mask] += 1


def _bit_places(anchors: np.ndarray, n_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The two bits of each anchor in a filter of ``n_bits`` bits (a power of two)."""
    mask = np.uint64(n_bits - 1)
    first = (anchors & mask).astype(np.int64)
    second = ((anchors >> np.uint64(32)) & mask).astype(np.int64)
    return first, second


def _set_bits(anchors: np.ndarray, bits: np.ndarray) -> None:
    for places in _bit_places(anchors, 8 * len(bits)):
        np.bitwise_or.at(bits, places >> 3, (1 << (places & 7)).astype(np.uint8))


def _has_bits(words: np.ndarray, bits: np.ndarray) -> np.ndarray:
    first, second = _bit_places(words, 8 * len(bits))
    return ((bits[first >> 3] >> (first & 7)) & (bits[second >> 3] >> (second & 7)) & 1) > 0


def _write_grouped(path: Path, rows: np.ndarray, keys: np.ndarray, parts: int) -> np.ndarray:
    """``rows`` written to ``path`` grouped by ``key_partition`` of ``keys``: the number of
    rows of each partition."""
    order, counts = group_by_partition(key_partition(keys, parts), parts)
    with open(path, "wb") as handle:
        handle.write(np.ascontiguousarray(rows[order]).tobytes())
    return counts


def _sentence_job(
    folder: str,
    counts: np.ndarray,
    parts: int,
    doc_ptr: np.ndarray,
    block: int,
    doc_lo: int,
    doc_hi: int,
    lo: int,
    hi: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the sentences of block ``block`` (documents ``doc_lo:doc_hi``, words
    ``lo:hi``) that have an anchor, written grouped by partition: their numbers in each
    partition, and their anchors."""
    words, flags = _read_words(folder, lo, hi)
    rarity = _rarity(words, flags, counts)
    starts = np.flatnonzero(flags & FLAG_START).astype(np.int64)
    del flags
    local_ptr = doc_ptr[doc_lo : doc_hi + 1] - lo
    found = _sentences_kernel(words, rarity, starts, local_ptr, BAG_MIN_WORDS, BAG_MAX_WORDS)
    anchor, second, has_second, total, order, first, n, doc = found
    rows = np.empty(len(anchor), dtype=SENTENCE_ROW)
    rows["anchor"], rows["second"], rows["has_second"] = anchor, second, has_second
    rows["total"], rows["order"], rows["n"] = total, order, n
    rows["first"], rows["doc"] = first + lo, doc + doc_lo
    with open(_rarity_path(folder, lo), "wb") as handle:
        handle.write(rarity.tobytes())  # for the places of the anchors, and the hits
    path = Path(folder) / f"bagsentences-{block:06d}.bin"
    return _write_grouped(path, rows, rows["anchor"], parts), anchor


def _anchor_job(
    folder: str, parts: int, bits: np.ndarray, block: int, lo: int, hi: int
) -> np.ndarray:
    """The places of the words of block ``block`` (words ``lo:hi``) that can be anchors and
    pass the filter of the sentences' anchors (``bits``), written grouped by partition:
    their numbers in each partition."""
    words, _ = _read_words(folder, lo, hi, flags=False)
    places = np.flatnonzero(np.fromfile(_rarity_path(folder, lo), dtype=np.uint8))
    places = places[_has_bits(words[places], bits)]
    anchors = np.empty(len(places), dtype=ANCHOR_ROW)
    anchors["hash"], anchors["at"] = words[places], places + lo
    path = Path(folder) / f"baganchors-{block:06d}.bin"
    return _write_grouped(path, anchors, anchors["hash"], parts)


def _read_slices(
    folder: str, name: str, dtype: np.dtype, counts: np.ndarray, firsts: np.ndarray
) -> np.ndarray:
    """Rows ``firsts[k]:firsts[k] + counts[k]`` of each file ``NAME-k.bin``, in order."""
    found = []
    for k, (count, first) in enumerate(zip(counts.tolist(), firsts.tolist())):
        if count:
            path = Path(folder) / f"{name}-{k:06d}.bin"
            rows = np.fromfile(path, dtype=dtype, count=count, offset=first * dtype.itemsize)
            if len(rows) != count:
                raise OSError(f"{path}: {len(rows)} rows, {count} written")
            found.append(rows)
    return np.concatenate(found) if found else np.zeros(0, dtype=dtype)


def _probe_job(
    folder: str,
    n_blocks: int,
    doc_ptr: np.ndarray,
    bounds: np.ndarray,
    part: int,
    sentence_counts: np.ndarray,
    sentence_firsts: np.ndarray,
    anchor_counts: np.ndarray,
    anchor_firsts: np.ndarray,
) -> np.ndarray:
    """The probes of partition ``part`` (each sentence looked up, with each place of its
    anchor in another document), written grouped by the block of the place: their number
    in each block."""
    sentences = _read_slices(folder, "bagsentences", SENTENCE_ROW, sentence_counts, sentence_firsts)
    anchors = _read_slices(folder, "baganchors", ANCHOR_ROW, anchor_counts, anchor_firsts)
    by_anchor = np.argsort(sentences["anchor"], kind="stable")
    by_hash = np.argsort(anchors["hash"], kind="stable")
    sorted_at = anchors["at"][by_hash].astype(np.int64)
    which, at = _join_kernel(
        sentences["anchor"][by_anchor], anchors["hash"][by_hash], sorted_at,
        ANCHOR_MAX_SENTENCES,
    )  # fmt: skip
    del anchors, sorted_at
    which = by_anchor[which]
    y = np.searchsorted(doc_ptr, at, side="right") - 1
    other = y != sentences["doc"][which]
    which, at, y = which[other], at[other], y[other]
    rows = np.empty(len(which), dtype=PROBE_ROW)
    for name in ("second", "total", "order", "first", "n", "has_second"):
        rows[name] = sentences[name][which]
    rows["x"], rows["y"], rows["at"] = sentences["doc"][which], y, at
    block = np.searchsorted(bounds, at.astype(np.int64), side="right") - 1
    order, counts = group_by_partition(block, n_blocks)
    with open(Path(folder) / f"bagprobes-{part:06d}.bin", "wb") as handle:
        handle.write(rows[order].tobytes())
    return counts


def _hit_job(
    folder: str,
    counts: np.ndarray,
    doc_ptr: np.ndarray,
    n_words: int,
    lo: int,
    hi: int,
    probe_counts: np.ndarray,
    probe_firsts: np.ndarray,
) -> np.ndarray:
    """The hits of the probes whose place is among words ``lo:hi``: rows ``(doc_x,
    first_x, doc_y, first_y, n)``."""
    probes = _read_slices(folder, "bagprobes", PROBE_ROW, probe_counts, probe_firsts)
    if not len(probes):
        return np.zeros((0, 5), dtype=np.int64)
    base, end = max(0, lo - BAG_MAX_WORDS), min(n_words, hi + BAG_MAX_WORDS)
    words, _ = _read_words(folder, base, end, flags=False)
    # the block's rarity as its sentences' task found it; that of the words beside, anew
    before, after = _read_words(folder, base, lo), _read_words(folder, hi, end)
    rarity = np.concatenate(
        [
            _rarity(*before, counts),
            np.fromfile(_rarity_path(folder, lo), dtype=np.uint8),
            _rarity(*after, counts),
        ]
    )
    found = _windows_kernel(
        words, rarity, base, doc_ptr,
        probes["at"].astype(np.int64), probes["y"].astype(np.int64),
        probes["n"].astype(np.int64), probes["total"], probes["order"], probes["second"],
        probes["has_second"].astype(np.bool_), probes["x"].astype(np.int64),
        probes["first"].astype(np.int64),
    )  # fmt: skip
    if not len(found):
        return found
    # the windows with the sentence's bag but not its words in order: word pairs compared
    sentences = np.memmap(Path(folder) / WORDS_FILE, dtype="<u8", mode="r")
    kept = []
    for x, i, y, j, n in found.tolist():
        both = np.concatenate([sentences[i : i + n], words[j - base : j - base + n]])
        if not _in_order(both.astype(np.uint64), 0, n, n):
            kept.append((x, i, y, j, n))
    del sentences
    return np.array(kept, dtype=np.int64).reshape(-1, 5)


@njit(cache=True, nogil=True, boundscheck=False)
def _sentences_kernel(
    hashes, rarity, starts, doc_ptr, min_words, max_words
):  # fmt: skip  # pragma: no cover - compiled
    """The sentences of ``min_words`` to ``max_words`` words with an anchor, of the block
    whose words are ``hashes`` (``starts`` its sentences' first words; ``doc_ptr`` its
    documents'): anchor and second word (as :func:`dedup.bags._anchor_places` picks
    them), whether there is a second, bag sum, order hash, first word, length, document."""
    m = len(starts)
    anchor = np.zeros(m, dtype=np.uint64)
    second_word = np.zeros(m, dtype=np.uint64)
    has_second = np.zeros(m, dtype=np.bool_)
    sums = np.zeros(m, dtype=np.uint64)
    orders = np.zeros(m, dtype=np.uint64)
    sent_lo = np.zeros(m, dtype=np.int64)
    sent_n = np.zeros(m, dtype=np.int64)
    sent_doc = np.zeros(m, dtype=np.int64)
    out = 0
    d = 0
    for s in range(m):
        lo = starts[s]
        while doc_ptr[d + 1] <= lo:
            d += 1
        hi = starts[s + 1] if s + 1 < m and starts[s + 1] < doc_ptr[d + 1] else doc_ptr[d + 1]
        if not min_words <= hi - lo <= max_words:
            continue
        best, second = _anchor_places(hashes, rarity, lo, hi)
        if best < 0:
            continue
        total = np.uint64(0)
        order = np.uint64(0)
        for k in range(lo, hi):
            total += hashes[k]
            order = order * _ORDER_BASE + hashes[k]
        anchor[out], sums[out], orders[out] = hashes[best], total, order
        sent_lo[out], sent_n[out], sent_doc[out] = lo, hi - lo, d
        if second >= 0:
            second_word[out], has_second[out] = hashes[second], True
        out += 1
    return (
        anchor[:out], second_word[:out], has_second[:out], sums[:out], orders[:out],
        sent_lo[:out], sent_n[:out], sent_doc[:out],
    )  # fmt: skip


@njit(cache=True, nogil=True, boundscheck=False)
def _join_kernel(anchor, word, at, max_sentences):  # pragma: no cover - compiled
    """The sentences (indices into ``anchor``, sorted) whose anchor at most
    ``max_sentences`` of them share, each with each place ``at`` of its anchor (``word``
    sorted, ``at`` in the same order)."""
    n_s, n_a = len(anchor), len(word)
    total = 0
    for c in range(2):
        if c == 1:
            which = np.empty(total, dtype=np.int64)
            places = np.empty(total, dtype=np.int64)
            total = 0
        i, q = 0, 0
        while i < n_s:
            j = i
            while j < n_s and anchor[j] == anchor[i]:
                j += 1
            if j - i <= max_sentences:
                while q < n_a and word[q] < anchor[i]:
                    q += 1
                e = q
                while e < n_a and word[e] == anchor[i]:
                    e += 1
                if c == 1:
                    for t in range(i, j):
                        for u in range(q, e):
                            which[total], places[total] = t, at[u]
                            total += 1
                else:
                    total += (j - i) * (e - q)
            i = j
    return which, places


@njit(cache=True, nogil=True, boundscheck=False)
def _windows_kernel(
    hashes, rarity, base, doc_ptr, at, y, n, total, order, second, has_second, x, first
):  # fmt: skip  # pragma: no cover - compiled
    """For each probe (a sentence of document ``x`` from word ``first``, ``n`` words, and
    a place ``at`` of its anchor in document ``y``), the windows of ``n`` words around the
    place that :func:`dedup.bags._bag_hits_kernel` sums (those that hold an occurrence of
    the second word too), whose sum is the sentence's and whose order hash is not: rows
    ``(x, first, y, j, n)``. ``hashes`` and ``rarity`` are the words from ``base`` on."""
    out = np.empty((64, 5), dtype=np.int64)
    n_out = 0
    end = base + len(hashes)
    for r in range(len(at)):
        p, d, w = at[r], y[r], n[r]
        j_lo = max(doc_ptr[d], p - w + 1)
        j_hi = min(p, doc_ptr[d + 1] - w)
        if has_second[r]:
            before, after = -1, -1
            for u in range(max(p - w + 1, base), min(p + w - 1, end - 1) + 1):
                if u != p and rarity[u - base] > 0 and hashes[u - base] == second[r]:
                    if u < p:
                        before = u
                    elif after < 0:
                        after = u
            if before < 0 and after < 0:
                continue
            if before < 0:
                j_lo = max(j_lo, after - w + 1)
            if after < 0:
                j_hi = min(j_hi, before)
        if j_lo > j_hi:
            continue
        window = np.uint64(0)
        for k in range(j_lo, j_lo + w):
            window += hashes[k - base]
        for j in range(j_lo, j_hi + 1):
            if j > j_lo:
                window += hashes[j + w - 1 - base] - hashes[j - 1 - base]
            if window != total[r]:
                continue
            h = np.uint64(0)
            for k in range(j, j + w):
                h = h * _ORDER_BASE + hashes[k - base]
            if h == order[r]:
                continue  # the sentence's own words in its order: in order
            if n_out == len(out):
                bigger = np.empty((2 * n_out, 5), dtype=np.int64)
                bigger[:n_out] = out
                out = bigger
            out[n_out, 0], out[n_out, 1], out[n_out, 2] = x[r], first[r], d
            out[n_out, 3], out[n_out, 4] = j, w
            n_out += 1
    return out[:n_out].copy()
