"""Words → word n-grams (shingles) → uint64 hashes, with each word's original offsets.

Layout used everywhere (CSR style): all tokens of a batch of documents in flat arrays, and
``doc_ptr`` of shape ``(n_docs + 1,)`` such that document ``d`` owns
``tokens[doc_ptr[d]:doc_ptr[d + 1]]``. Shingles use the same layout with ``shingle_ptr``.

Hashes are computed in numpy, a batch at a time, and depend only on a document's own text:
the same document gets the same hashes in any batch, in any order, on any machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dedup.kernels import njit
from dedup.normalize import FOLD_TABLE, IDEO, SEGMENTED, WORD, segment_starts, to_codepoints

_U64 = np.uint64
_M1 = _U64(0xBF58476D1CE4E5B9)
_M2 = _U64(0x94D049BB133111EB)
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_CHAR_MUL = _U64(0xD6E8FEB86659FD93)
_RANK_MUL = _U64(0xA0761D6478BD642F)
_LEN_MUL = _U64(0xE7037ED1A0B428DB)
_NGRAM_MUL = _U64(0x8EBC6AF09C88C6E3)
_S30, _S27, _S31 = _U64(30), _U64(27), _U64(31)


def mix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijective, avalanching mix of uint64 values (wraps mod 2**64).

    Parameters
    ----------
    values : ndarray of uint64

    Returns
    -------
    ndarray of uint64, same shape (a new array).
    """
    z = np.array(values, dtype=np.uint64, copy=True, order="C")
    _mix_in_place(z.reshape(-1))
    return z


@njit(cache=True, nogil=True, boundscheck=False)
def _mix_in_place(z):  # pragma: no cover - compiled
    for i in range(len(z)):
        z[i] = _mix_one(z[i])


@dataclass(frozen=True, slots=True)
class Tokens:
    """Words of a batch of documents.

    Attributes
    ----------
    hashes : ndarray of uint64, shape (n_tokens,)
        Hash of each normalised word.
    starts, ends : ndarray of int64, shape (n_tokens,)
        Half-open character offsets of each word in its document's original text.
    doc_ptr : ndarray of int64, shape (n_docs + 1,)
    """

    hashes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    doc_ptr: np.ndarray

    @property
    def n_docs(self) -> int:
        return len(self.doc_ptr) - 1

    def doc(self, index: int) -> Tokens:
        """The tokens of one document of the batch, as a batch of one."""
        lo, hi = int(self.doc_ptr[index]), int(self.doc_ptr[index + 1])
        return Tokens(
            self.hashes[lo:hi],
            self.starts[lo:hi],
            self.ends[lo:hi],
            np.array([0, hi - lo], dtype=np.int64),
        )


def tokenize(texts: Sequence[str]) -> Tokens:
    """Split documents into normalised words, hash them, and keep their original offsets.

    A word is a maximal run of word characters after folding (see :mod:`dedup.normalize`);
    each CJK ideograph or kana is a word of its own, and runs of Thai, Lao, Khmer and
    Myanmar are cut where ICU's word breaker says (:func:`dedup.normalize.segment_starts`).
    The text of word ``t`` of document ``d`` as printed is ``texts[d][starts[t]:ends[t]]``;
    ``ends`` reaches over characters the fold drops (accents, soft hyphens) that follow the
    word's last character.

    A word's hash is multilinear, ``sum over its characters of (code point + 1) * key[rank in
    the word]`` (an almost-universal family), plus its length times a constant, and then one
    avalanche mix (:func:`mix64`); :func:`token_hash_of` is the same formula in plain Python.

    The texts are read once: a document rarely has more words than characters, so arrays
    of that size are made (the operating system backs only the part written) and cut to
    the words found. Should a character fold into several words ("½" → "1⁄2") so that they
    are too short, the words are counted first and the arrays made to measure.
    """
    capacity = sum(len(t) for t in texts)
    hashes = np.empty(capacity, dtype=np.uint64)
    starts = np.empty(capacity, dtype=np.int64)
    ends = np.empty(capacity, dtype=np.int64)
    counts = np.zeros(len(texts), dtype=np.int64)
    n_tokens = _run_kernel(texts, hashes, starts, ends, counts, write=True)
    if n_tokens != _FULL:
        doc_ptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(counts, out=doc_ptr[1:])
        return Tokens(hashes[:n_tokens], starts[:n_tokens], ends[:n_tokens], doc_ptr)
    counts = word_counts(texts)
    doc_ptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=doc_ptr[1:])
    n_tokens = int(doc_ptr[-1])
    tokens = Tokens(
        np.empty(n_tokens, dtype=np.uint64),
        np.empty(n_tokens, dtype=np.int64),
        np.empty(n_tokens, dtype=np.int64),
        doc_ptr,
    )
    tokenize_into(texts, tokens.hashes, tokens.starts, tokens.ends)
    return tokens


def word_counts(texts: Sequence[str]) -> np.ndarray:
    """Words of each document as :func:`tokenize` splits them (ndarray of int64), without
    hashing or storing them: what sizes the arrays :func:`tokenize_into` fills."""
    counts = np.zeros(len(texts), dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    _run_kernel(texts, none.astype(np.uint64), none, none, counts, write=False)
    return counts


def tokenize_into(
    texts: Sequence[str], hashes: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> None:
    """:func:`tokenize` into given arrays, one entry per word of ``texts`` (their
    :func:`word_counts` added up), so that a corpus' words land in place, with no copy."""
    counts = np.zeros(len(texts), dtype=np.int64)
    n_tokens = _run_kernel(texts, hashes, starts, ends, counts, write=True)
    if n_tokens == _FULL:
        raise ValueError(f"{len(hashes)} places are too few for the words of these texts")
    if n_tokens != len(hashes):
        raise ValueError(f"{len(hashes)} places for {n_tokens} words")


def _run_kernel(texts, hashes, starts, ends, counts, *, write: bool) -> int:
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    # documents joined by a space: one encoding for the batch
    doc_first = np.zeros(len(texts), dtype=np.int64)
    doc_first[1:] = np.cumsum(lengths + 1)[:-1]
    codepoints = to_codepoints(" ".join(texts))
    keys = _rank_keys(_KERNEL_KEYS)
    # Thai, Lao, Khmer and Myanmar runs are cut where ICU says. The kernel is first given
    # fold lengths in which their code points read _SEGMENT_LENGTH, so that it stops at the
    # first of them (the test it makes of every length anyway: other text pays nothing), and
    # then, when there was one, runs again on the true lengths with the word starts marked,
    # a flag per code point (the documents are joined by a space, which no run crosses).
    breaks = np.zeros(0, dtype=np.bool_)
    while True:
        table = FOLD_TABLE
        fold_lengths = table.length
        if not len(breaks):
            fold_lengths = fold_lengths.copy()
            fold_lengths[_SEGMENTED_CODES] = _SEGMENT_LENGTH
        arguments = (
            codepoints, doc_first, lengths,
            table.first, table.first_class, fold_lengths,
            table.multi_at, table.multi_codepoints, table.multi_classes, keys,
            write, hashes, starts, ends, counts,
        )  # fmt: skip
        if len(breaks):
            n_tokens = _tokenize_breaks_kernel(*arguments, breaks)
        else:
            n_tokens = _tokenize_kernel(*arguments)
        if n_tokens == _SEGMENT:
            if len(breaks):
                raise RuntimeError("a fold as long as _SEGMENT_LENGTH")  # none is near it
            word_starts = segment_starts(codepoints)
            breaks = np.zeros(len(codepoints), dtype=np.bool_)
            breaks[word_starts[word_starts < len(codepoints)]] = True
            continue
        if n_tokens != _UNSEEN:
            return n_tokens
        table.fill_unknown(codepoints)


# the kernel met a code point not in the table / ran out of room / met a character of a
# script cut by ICU while it had no word starts
_UNSEEN, _FULL, _SEGMENT = -1, -2, -3
_UNKNOWN = FOLD_TABLE.UNKNOWN
# a fold length that says "a character of a script cut by ICU" (folds are a few characters)
_SEGMENT_LENGTH = _UNKNOWN - 1
_SEGMENTED_CODES = np.flatnonzero(SEGMENTED)
_KERNEL_KEYS = 64  # rank keys handed to the kernel; it computes those of longer words


@njit(inline="always")
def _mix_one(z: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """:func:`mix64` of one value, inside compiled kernels."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


@njit(inline="always")
def _word_hash(acc: np.uint64, length: int) -> np.uint64:  # pragma: no cover - compiled
    return _mix_one(acc + _U64(length) * _LEN_MUL)


@njit(cache=True, nogil=True, boundscheck=False)
def _tokenize_kernel(
    codepoints, doc_first, doc_length,
    first, first_class, length, multi_at, multi_codepoints, multi_classes, keys,
    write, out_hashes, out_starts, out_ends, out_counts,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`_tokenize_body` with no word start marked by a script's breaker (compiled
    without the test for one, which would cost Latin text some 5 %)."""
    return _tokenize_body(
        codepoints, doc_first, doc_length,
        first, first_class, length, multi_at, multi_codepoints, multi_classes, keys,
        write, out_hashes, out_starts, out_ends, out_counts, np.zeros(0, dtype=np.bool_),
        False,
    )  # fmt: skip


@njit(cache=True, nogil=True, boundscheck=False)
def _tokenize_breaks_kernel(
    codepoints, doc_first, doc_length,
    first, first_class, length, multi_at, multi_codepoints, multi_classes, keys,
    write, out_hashes, out_starts, out_ends, out_counts, breaks,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`_tokenize_body` with the word starts ``breaks`` marks."""
    return _tokenize_body(
        codepoints, doc_first, doc_length,
        first, first_class, length, multi_at, multi_codepoints, multi_classes, keys,
        write, out_hashes, out_starts, out_ends, out_counts, breaks, True,
    )  # fmt: skip


@njit(inline="always", boundscheck=False)
def _tokenize_body(
    codepoints, doc_first, doc_length,
    first, first_class, length, multi_at, multi_codepoints, multi_classes, keys,
    write, out_hashes, out_starts, out_ends, out_counts, breaks, use_breaks,
):  # fmt: skip  # pragma: no cover - compiled
    """Words of each document ``codepoints[doc_first[d]:doc_first[d] + doc_length[d]]``:
    their hashes and document offsets into the ``out_`` arrays, their number per document
    into ``out_counts`` (with ``write`` false, only the numbers). With ``use_breaks`` (a
    constant of each caller, so that the test is compiled away), ``breaks`` (bool, one per
    code point) marks where a word starts inside a run of word characters.
    Returns the number of words, or ``_UNSEEN`` when a code point has no fold yet, or
    ``_FULL`` when the outputs are too short, or ``_SEGMENT`` at the first code point
    whose fold length reads ``_SEGMENT_LENGTH``."""
    n = 0
    capacity = len(out_hashes)
    n_keys = len(keys)
    for d in range(len(doc_first)):
        lo = doc_first[d]
        hi = lo + doc_length[d]
        doc_start = n
        open_word = False  # a word is being read
        in_run = False  # ... and it is a run of word characters (not one ideograph)
        acc = _U64(0)
        rank = 0
        start = 0
        last = 0
        for i in range(lo, hi):
            code = codepoints[i]
            size = length[code]
            if size == 0:
                continue  # dropped by the fold: part of the word around it, if any
            if size >= _SEGMENT_LENGTH:
                return _UNSEEN if size == _UNKNOWN else _SEGMENT
            for k in range(size):
                if size == 1:
                    char = first[code]
                    cls = first_class[code]
                elif multi_at[code] + size > len(multi_codepoints):
                    return _UNSEEN  # filled by another thread after these arrays were read
                else:
                    char = multi_codepoints[multi_at[code] + k]
                    cls = multi_classes[multi_at[code] + k]
                if cls == WORD and in_run and not (use_breaks and k == 0 and breaks[i]):
                    if rank < n_keys:
                        key = keys[rank]
                    else:
                        key = _mix_one(_U64(rank) * _RANK_MUL + _CHAR_MUL) | _U64(1)
                    acc += (_U64(char) + _U64(1)) * key
                    rank += 1
                    last = i
                    continue
                if open_word:  # this character ends the word being read
                    if write:
                        if n >= capacity:
                            return _FULL
                        out_hashes[n] = _word_hash(acc, rank)
                        out_starts[n] = start - lo
                        out_ends[n] = max(last + 1, i) - lo
                    n += 1
                    open_word = False
                    in_run = False
                if cls in (WORD, IDEO):  # a new word
                    open_word = True
                    in_run = cls == WORD
                    acc = (_U64(char) + _U64(1)) * keys[0]
                    rank = 1
                    start = i
                    last = i
        if open_word:
            if write:
                if n >= capacity:
                    return _FULL
                out_hashes[n] = _word_hash(acc, rank)
                out_starts[n] = start - lo
                out_ends[n] = hi - lo
            n += 1
        out_counts[d] = n - doc_start
    return n


_RANK_KEYS = np.zeros(0, dtype=np.uint64)


def _rank_keys(n: int) -> np.ndarray:
    """Odd 64-bit keys, one per character rank in a word (grown on demand, fixed values)."""
    global _RANK_KEYS
    if len(_RANK_KEYS) < n:
        size = max(n, 64, 2 * len(_RANK_KEYS))
        _RANK_KEYS = mix64(np.arange(size, dtype=np.uint64) * _RANK_MUL + _CHAR_MUL) | _U64(1)
    return _RANK_KEYS


def token_hash_of(word: str) -> int:
    """Hash of one already-normalised word, as :func:`tokenize` computes it, in plain Python
    (the reference the kernel is tested against)."""
    if not word:
        raise ValueError("not a word: ''")
    mask = (1 << 64) - 1
    acc = 0
    for rank, char in enumerate(word):
        key = _mix_int((rank * int(_RANK_MUL) + int(_CHAR_MUL)) & mask) | 1
        acc = (acc + (ord(char) + 1) * key) & mask
    return _mix_int((acc + len(word) * int(_LEN_MUL)) & mask)


def _mix_int(z: int) -> int:
    """SplitMix64's finaliser on a Python int (see :func:`mix64`)."""
    mask = (1 << 64) - 1
    z ^= z >> 30
    z = (z * int(_M1)) & mask
    z ^= z >> 27
    z = (z * int(_M2)) & mask
    return z ^ (z >> 31)


def shingle_hashes(
    token_hashes: np.ndarray, doc_ptr: np.ndarray, shingle_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Hash every run of ``shingle_size`` consecutive words of each document.

    A document with fewer words than ``shingle_size`` (but at least one) gets one shingle,
    the hash of all its words, so that short items can still be compared; a document with
    no word gets none.

    Parameters
    ----------
    token_hashes : ndarray of uint64, shape (n_tokens,)
    doc_ptr : ndarray of int64, shape (n_docs + 1,)
    shingle_size : int

    Returns
    -------
    shingles : ndarray of uint64, shape (n_shingles,)
        Shingle ``i`` of a long document starts at its word ``i``.
    shingle_ptr : ndarray of int64, shape (n_docs + 1,)
    """
    token_hashes = np.ascontiguousarray(token_hashes, dtype=np.uint64)
    doc_ptr = np.ascontiguousarray(doc_ptr, dtype=np.int64)
    shingle_ptr = np.zeros(len(doc_ptr), dtype=np.int64)
    np.cumsum(shingle_counts(np.diff(doc_ptr), shingle_size), out=shingle_ptr[1:])
    out = np.empty(int(shingle_ptr[-1]), dtype=np.uint64)
    _shingle_kernel(token_hashes, doc_ptr, shingle_size, shingle_ptr, out)
    return out, shingle_ptr


def shingle_counts(words_per_doc: np.ndarray, shingle_size: int) -> np.ndarray:
    """Shingles of each document with that many words (see :func:`shingle_hashes`)."""
    words_per_doc = np.asarray(words_per_doc, dtype=np.int64)
    return np.where(
        words_per_doc >= shingle_size,
        words_per_doc - shingle_size + 1,
        np.minimum(words_per_doc, 1),
    )


def shingle_hashes_into(
    token_hashes: np.ndarray,
    doc_ptr: np.ndarray,
    shingle_size: int,
    shingle_ptr: np.ndarray,
    out: np.ndarray,
) -> None:
    """:func:`shingle_hashes` into ``out``, where document ``d``'s shingles go at
    ``shingle_ptr[d]`` (both pointers relative to the arrays given)."""
    _shingle_kernel(token_hashes, doc_ptr, shingle_size, shingle_ptr, out)


@njit(cache=True, nogil=True, boundscheck=False)
def _shingle_kernel(token_hashes, doc_ptr, shingle_size, shingle_ptr, out):  # pragma: no cover
    """Shingle ``i`` of a document: the words ``i`` to ``i + width - 1`` combined as
    ``acc = acc * _NGRAM_MUL + word`` from ``_GOLDEN ^ width``, then mixed; ``width`` is
    ``shingle_size``, or all the words of a shorter document."""
    for d in range(len(doc_ptr) - 1):
        lo, hi = doc_ptr[d], doc_ptr[d + 1]
        width = min(shingle_size, hi - lo)
        at = shingle_ptr[d]
        for first in range(lo, hi - width + 1 if width else lo):
            acc = _GOLDEN ^ _U64(width)
            for j in range(first, first + width):
                acc = acc * _NGRAM_MUL + token_hashes[j]
            out[at] = _mix_one(acc)
            at += 1
