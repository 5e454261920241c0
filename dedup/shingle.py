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

from dedup.normalize import IDEO, WORD, fold_codepoints, to_codepoints

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
    z = np.array(values, dtype=np.uint64, copy=True)
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


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
    each CJK ideograph or kana is a word of its own. The text of word ``t`` of document ``d``
    as printed is ``texts[d][starts[t]:ends[t]]``.
    """
    n_docs = len(texts)
    if n_docs == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Tokens(empty.astype(np.uint64), empty, empty.copy(), np.zeros(1, dtype=np.int64))
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    # documents joined by a space, plus a final space, so no word crosses a document
    # boundary and every word has a character after it
    doc_char_start = np.zeros(n_docs, dtype=np.int64)
    doc_char_start[1:] = np.cumsum(lengths + 1)[:-1]
    codepoints = to_codepoints(" ".join(texts) + " ")
    folded, classes, source = fold_codepoints(codepoints)

    is_word = classes == WORD
    in_token = is_word | (classes == IDEO)
    starts_mask = in_token.copy()
    starts_mask[1:] &= ~(is_word[1:] & is_word[:-1])  # a word char after a word char continues
    positions = np.flatnonzero(in_token)
    first_flags = starts_mask[positions]
    token_first = np.flatnonzero(first_flags)  # index into positions of each token's first char
    n_tokens = len(token_first)
    token_start_pos = positions[token_first]
    token_len = np.diff(np.append(token_first, len(positions)))
    token_last_pos = token_start_pos + token_len - 1

    # multilinear hash: sum over characters of (code point + 1) * key[rank in word], an
    # almost-universal family, then one avalanche mix per word with its length
    token_of_char = np.cumsum(first_flags) - 1
    rank = positions - token_start_pos[token_of_char]
    keys = _rank_keys(int(token_len.max()) if n_tokens else 0)
    terms = folded[positions].astype(np.uint64)
    terms += _U64(1)
    terms *= keys[rank]
    sums = np.add.reduceat(terms, token_first) if n_tokens else terms[:0]
    sums += token_len.astype(np.uint64) * _LEN_MUL
    hashes = mix64(sums)

    if source is None:
        orig_start = token_start_pos
        orig_end = token_last_pos + 1
    else:
        orig_start = source[token_start_pos]
        # end after any dropped characters (accents, soft hyphens) that belong to the word
        orig_end = np.maximum(source[token_last_pos] + 1, source[token_last_pos + 1])
    token_doc = np.searchsorted(doc_char_start, orig_start, side="right") - 1
    doc_ptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(token_doc, minlength=n_docs), out=doc_ptr[1:])
    offset = doc_char_start[token_doc]
    return Tokens(hashes, orig_start - offset, orig_end - offset, doc_ptr)


_RANK_KEYS = np.zeros(0, dtype=np.uint64)


def _rank_keys(n: int) -> np.ndarray:
    """Odd 64-bit keys, one per character rank in a word (grown on demand, fixed values)."""
    global _RANK_KEYS
    if len(_RANK_KEYS) < n:
        size = max(n, 64, 2 * len(_RANK_KEYS))
        _RANK_KEYS = mix64(np.arange(size, dtype=np.uint64) * _RANK_MUL + _CHAR_MUL) | _U64(1)
    return _RANK_KEYS


def token_hash_of(word: str) -> int:
    """Hash of one already-normalised word, as :func:`tokenize` computes it (reference path)."""
    tokens = tokenize([word])
    if len(tokens.hashes) != 1:
        raise ValueError(f"not a single word: {word!r}")
    return int(tokens.hashes[0])


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
    token_hashes = np.asarray(token_hashes, dtype=np.uint64)
    doc_ptr = np.asarray(doc_ptr, dtype=np.int64)
    n_tokens = len(token_hashes)
    words_per_doc = np.diff(doc_ptr)
    per_doc = np.where(
        words_per_doc >= shingle_size,
        words_per_doc - shingle_size + 1,
        np.minimum(words_per_doc, 1),
    )
    shingle_ptr = np.zeros(len(doc_ptr), dtype=np.int64)
    np.cumsum(per_doc, out=shingle_ptr[1:])

    n_windows = max(n_tokens - shingle_size + 1, 0)
    rolling = _combine(token_hashes, 0, n_windows, shingle_size)
    long_docs = np.flatnonzero(words_per_doc >= shingle_size)
    out = np.empty(int(shingle_ptr[-1]), dtype=np.uint64)
    if len(long_docs):
        counts = per_doc[long_docs]
        src = np.repeat(doc_ptr[long_docs], counts) + _ranks(counts)
        dst = np.repeat(shingle_ptr[long_docs], counts) + _ranks(counts)
        out[dst] = rolling[src]
    for doc in np.flatnonzero((words_per_doc > 0) & (words_per_doc < shingle_size)):
        lo, hi = int(doc_ptr[doc]), int(doc_ptr[doc + 1])
        out[shingle_ptr[doc]] = _combine(token_hashes[lo:hi], 0, 1, hi - lo)[0]
    return out, shingle_ptr


def _combine(token_hashes: np.ndarray, first: int, count: int, width: int) -> np.ndarray:
    """Hash ``count`` runs of ``width`` consecutive values starting at ``first``, ``first + 1``…"""
    acc = np.full(count, _GOLDEN, dtype=np.uint64)
    acc ^= _U64(width)
    for j in range(width):
        acc *= _NGRAM_MUL
        acc += token_hashes[first + j : first + j + count]
    return mix64(acc)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """``[0..c0-1, 0..c1-1, ...]`` for an array of counts."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)
