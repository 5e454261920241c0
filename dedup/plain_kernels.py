"""numpy versions of the words and signatures kernels, for small inputs.

Inside :func:`dedup.kernels.small_input` (a scan of a few articles, for which loading numba
would cost more than the whole scan) these run in place of the compiled kernels of
:mod:`dedup.shingle` and :mod:`dedup.sketch`; the other kernels run as their own Python
functions. Each takes the arguments of the kernel it stands for, writes the same outputs and
returns the same value, bit for bit (uint64 and uint32 arithmetic wraps in numpy's arrays as
in numba); ``tests/test_kernels.py`` compares them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from dedup import shingle, sketch
from dedup.kernels import plain_version, run_plain
from dedup.normalize import IDEO, WORD

_U64 = np.uint64

#: Text (characters) up to which a scan in memory runs its kernels as plain Python and numpy
#: (:func:`small_input`): the five articles of ``corpus/`` are well below it; below it,
#: loading numba costs more than the plain kernels take.
SMALL_INPUT_CHARS = 100_000


@contextmanager
def small_input(small: bool = True) -> Iterator[None]:
    """Within it (when ``small``), the kernels run as plain Python and numpy unless numba
    has compiled them already (:func:`dedup.kernels.run_plain`), with this module's versions
    of the words and signatures kernels: numba is not loaded for a few thousand words."""
    if not small:
        yield
        return
    with run_plain():
        yield


def mix_array(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser of every value of a uint64 array (a new array)."""
    z = z ^ (z >> shingle._S30)
    z *= shingle._M1
    z ^= z >> shingle._S27
    z *= shingle._M2
    z ^= z >> shingle._S31
    return z


@plain_version(shingle._mix_in_place)
def mix_in_place(z: np.ndarray) -> None:
    z[:] = mix_array(z)


@plain_version(shingle._shingle_kernel)
def shingle_kernel(
    token_hashes: np.ndarray,
    doc_ptr: np.ndarray,
    shingle_size: int,
    shingle_ptr: np.ndarray,
    out: np.ndarray,
) -> None:
    words = np.diff(doc_ptr)
    widths = np.minimum(words, shingle_size)
    counts = np.where(widths > 0, words - widths + 1, 0)
    total = int(counts.sum())
    if not total:
        return
    doc_of = np.repeat(np.arange(len(words)), counts)
    first_of_doc = np.cumsum(counts) - counts
    rank = np.arange(total) - first_of_doc[doc_of]
    first_word = doc_ptr[:-1][doc_of] + rank
    width = widths[doc_of]
    acc = shingle._GOLDEN ^ width.astype(np.uint64)
    for j in range(int(width.max())):
        more = j < width
        acc[more] = acc[more] * shingle._NGRAM_MUL + token_hashes[first_word[more] + j]
    out[shingle_ptr[:-1][doc_of] + rank] = mix_array(acc)


@plain_version(sketch._signature_kernel)
def signature_kernel(
    shingles: np.ndarray, shingle_ptr: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray
) -> None:
    out[:] = sketch.EMPTY
    if not len(shingles):
        return
    low = _U64(0xFFFFFFFF)
    h = shingles & low
    h ^= h >> _U64(16)
    h = (h * _U64(0x85EBCA6B)) & low
    h ^= h >> _U64(13)
    h = (h * _U64(0xC2B2AE35)) & low
    h ^= h >> _U64(16)
    value = h.astype(np.uint32)
    permuted = value[:, None] * a.astype(np.uint32)[None, :] + b.astype(np.uint32)[None, :]
    sizes = np.diff(shingle_ptr)
    some = np.flatnonzero(sizes > 0)
    out[some] = np.minimum.reduceat(permuted, shingle_ptr[:-1][some], axis=0)


@plain_version(shingle._tokenize_kernel)
def tokenize_kernel(
    codepoints: np.ndarray,
    doc_first: np.ndarray,
    doc_length: np.ndarray,
    first: np.ndarray,
    first_class: np.ndarray,
    length: np.ndarray,
    multi_at: np.ndarray,
    multi_codepoints: np.ndarray,
    multi_classes: np.ndarray,
    keys: np.ndarray,
    write: bool,
    out_hashes: np.ndarray,
    out_starts: np.ndarray,
    out_ends: np.ndarray,
    out_counts: np.ndarray,
) -> int:
    ends_at = np.cumsum(doc_length)
    at = np.arange(int(ends_at[-1]) if len(ends_at) else 0, dtype=np.int64)
    doc_of = np.repeat(np.arange(len(doc_first)), doc_length)
    at += (doc_first - (ends_at - doc_length))[doc_of]  # offsets in the joined text
    code = codepoints[at].astype(np.int64)
    size = length[code].astype(np.int64)
    # the kernel's early returns, at the first code point that makes one
    special = (size >= shingle._SEGMENT_LENGTH) | (
        (size > 1) & (multi_at[code] + size > len(multi_codepoints))
    )
    if special.any():
        j = int(np.argmax(special))
        unseen = size[j] == shingle._UNKNOWN or size[j] < shingle._SEGMENT_LENGTH
        return shingle._UNSEEN if unseen else shingle._SEGMENT
    # one entry per character of the folded text, at the code point it came from
    entry_at = np.repeat(at, size)
    entry_doc = np.repeat(doc_of, size)
    entry_code = np.repeat(code, size)
    entry_size = np.repeat(size, size)
    k = np.arange(len(entry_at)) - np.repeat(np.cumsum(size) - size, size)
    multi = entry_size > 1
    char = first[entry_code].astype(np.uint64)
    cls = first_class[entry_code].copy()
    where = multi_at[entry_code[multi]] + k[multi]
    char[multi] = multi_codepoints[where]
    cls[multi] = multi_classes[where]
    is_word = cls == WORD
    same_doc = np.zeros(len(entry_at), dtype=np.bool_)
    same_doc[1:] = entry_doc[1:] == entry_doc[:-1]
    after_word = np.zeros(len(entry_at), dtype=np.bool_)
    after_word[1:] = is_word[:-1]
    continues = is_word & after_word & same_doc
    starts_word = ((cls == IDEO) | is_word) & ~continues
    begin = np.flatnonzero(starts_word)
    n_words = len(begin)
    if write:
        if n_words > len(out_hashes):
            return shingle._FULL
        member = np.flatnonzero(starts_word | continues)
        word_of = np.cumsum(starts_word)[member] - 1
        rank = member - begin[word_of]
        need = int(rank.max()) + 1 if len(rank) else 0
        if need > len(keys):
            keys = np.concatenate([keys, _long_keys(len(keys), need)])
        terms = (char[member] + _U64(1)) * keys[rank]
        acc = np.add.reduceat(terms, np.searchsorted(member, begin)) if n_words else terms
        ranks = np.bincount(word_of, minlength=n_words).astype(np.uint64)
        # a word's last character, and the one after it, which ends it (characters the
        # fold drops between them belong to the word), unless its document ends first
        last_member = member[np.searchsorted(word_of, np.arange(n_words), side="right") - 1]
        closer = np.minimum(last_member + 1, len(entry_at) - 1)
        closed = (last_member + 1 < len(entry_at)) & (entry_doc[closer] == entry_doc[begin])
        doc_lo = doc_first[entry_doc[begin]]
        doc_hi = doc_lo + doc_length[entry_doc[begin]]
        ends = np.where(closed, np.maximum(entry_at[last_member] + 1, entry_at[closer]), doc_hi)
        out_hashes[:n_words] = mix_array(acc + ranks * shingle._LEN_MUL)
        out_starts[:n_words] = entry_at[begin] - doc_lo
        out_ends[:n_words] = ends - doc_lo
    out_counts[:] = np.bincount(entry_doc[begin], minlength=len(doc_first))
    return n_words


def _long_keys(lo: int, hi: int) -> np.ndarray:
    """The rank keys the kernel computes past those it is given (ranks ``lo`` to ``hi``)."""
    ranks = np.arange(lo, hi, dtype=np.uint64)
    return mix_array(ranks * shingle._RANK_MUL + shingle._CHAR_MUL) | _U64(1)
