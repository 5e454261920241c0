"""Sentences of a corpus, from the words the words stage found (issue #20, for
:mod:`dedup.bags`).

A sentence ends at ``.``, ``!`` or ``?`` (closing quotes and brackets after it included)
followed by white space and a capital letter, a digit or an opening quote or bracket, or at
a paragraph break (a line break followed by indentation, or by a blank line). Every such end
lies in the stretch between two words, so the sentences are found by reading only those
stretches: :func:`corpus_sentences` hands the characters of a batch of documents and the
words' offsets to a compiled kernel, which marks each word that follows a sentence end.
:func:`sentence_starts` is the plain path it equals, a regular expression over one text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from dedup.kernels import njit
from dedup.normalize import to_codepoints
from dedup.shingle import Tokens

_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[A-Z0-9\"'(<])|\n(?:[ \t]+|\s*\n)")
#: Characters of text handed to the kernel at a time (their code points are held at once).
BATCH_CHARS = 1 << 22


def sentence_starts(text: str, word_starts: np.ndarray) -> np.ndarray:
    """Index of the first word of each sentence of ``text`` (0 first), given the character
    offset of each of its words: the words that begin after a sentence end. The plain path
    of :func:`corpus_sentences`."""
    cuts = np.fromiter((m.end() for m in _SENTENCE_END.finditer(text)), dtype=np.int64)
    firsts = np.searchsorted(word_starts, cuts, side="left")
    firsts = firsts[firsts < len(word_starts)]
    return np.unique(np.concatenate([np.zeros(1 if len(word_starts) else 0, np.int64), firsts]))


def corpus_sentences(texts: Sequence[str], tokens: Tokens) -> tuple[np.ndarray, np.ndarray]:
    """Sentence starts of every document (word indices into the corpus) in CSR layout:
    ``starts[ptr[d]:ptr[d + 1]]`` are document ``d``'s (as :func:`sentence_starts` gives
    them, one document at a time). The documents are read a batch of about ``BATCH_CHARS``
    characters at a time; only the characters between words are looked at."""
    flags = np.zeros(len(tokens.hashes), dtype=np.bool_)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    bounds = np.cumsum(lengths + 1)  # the texts joined by a space
    lo = 0
    while lo < len(texts):
        # at least one text, and the texts that begin within BATCH_CHARS of the first
        start = int(bounds[lo] - lengths[lo] - 1)
        hi = max(lo + 1, int(np.searchsorted(bounds, start + BATCH_CHARS, side="left")))
        doc_first = np.zeros(hi - lo, dtype=np.int64)
        np.cumsum(lengths[lo : hi - 1] + 1, out=doc_first[1:])
        _flag_kernel(
            _characters(" ".join(texts[lo:hi])),
            doc_first,
            tokens.starts,
            tokens.ends,
            tokens.doc_ptr[lo : hi + 1],
            flags,
        )
        lo = hi
    firsts = np.flatnonzero(flags).astype(np.int64)
    return firsts, np.searchsorted(firsts, tokens.doc_ptr).astype(np.int64)


def _characters(text: str) -> np.ndarray:
    """The code points of ``text``: a byte each when it is ASCII (no widening), else
    uint32."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return to_codepoints(text)


@njit(inline="always")
def _is_space(c):  # pragma: no cover - compiled
    """Whether code point ``c`` is white space (``str.isspace``, the regular expression's
    ``\\s``)."""
    if c <= 0x20:
        return c == 0x20 or 9 <= c <= 13 or 0x1C <= c <= 0x1F
    if c < 0x85:
        return False
    return (
        c == 0x85
        or c == 0xA0
        or c == 0x1680
        or 0x2000 <= c <= 0x200A
        or c == 0x2028
        or c == 0x2029
        or c == 0x202F
        or c == 0x205F
        or c == 0x3000
    )


@njit(inline="always")
def _ends_sentence(cp, lo, hi, after):  # pragma: no cover - compiled
    """Whether the characters ``cp[lo:hi]`` between two words hold a sentence end, ``after``
    being the first character of the next word."""
    for k in range(lo, hi):
        c = cp[k]
        if c == 46 or c == 33 or c == 63:  # . ! ?
            m = k + 1
            while m < hi and (cp[m] == 34 or cp[m] == 39 or cp[m] == 41 or cp[m] == 93):
                m += 1  # " ' ) ]
            if m == hi or not _is_space(cp[m]):
                continue
            while m < hi and _is_space(cp[m]):
                m += 1
            c = cp[m] if m < hi else after
            if 65 <= c <= 90 or 48 <= c <= 57 or c == 34 or c == 39 or c == 40 or c == 60:
                return True  # A-Z 0-9 " ' ( <
        elif c == 10:
            if k + 1 < hi and (cp[k + 1] == 32 or cp[k + 1] == 9):
                return True
            m = k + 1
            while m < hi and _is_space(cp[m]):
                if cp[m] == 10:
                    return True
                m += 1
    return False


@njit(cache=True, nogil=True, boundscheck=False)
def _flag_kernel(cp, doc_first, starts, ends, doc_ptr, flags):  # pragma: no cover - compiled
    """Mark ``flags[t]`` for each word ``t`` that starts a sentence, of the documents
    ``doc_ptr`` covers, whose texts begin at ``doc_first`` in ``cp``."""
    for d in range(len(doc_ptr) - 1):
        lo, hi = doc_ptr[d], doc_ptr[d + 1]
        if hi == lo:
            continue
        flags[lo] = True
        base = doc_first[d]
        for t in range(lo + 1, hi):
            at = base + starts[t]
            gap = base + ends[t - 1]
            # a sentence end takes two characters or more ("." and a space, two line breaks)
            if at - gap >= 2 and _ends_sentence(cp, gap, at, cp[at]):
                flags[t] = True
