"""Templates are not topics: the word runs an outlet repeats across many days with changing
slots (wire brief frames such as "shr 0 cts vs 0 cts net 0 mln", "selling concession is 0
pct"), learnt from the corpus and taken out before the stories' TF-IDF, so that two articles
sharing only a frame are not tied.

How a template is found, outlet by outlet (records without an outlet form one pool):

1. each text is cut into words (``\\w+``, lower-cased), and every word holding a digit becomes
   the slot ``0`` (numbers are what changes from one brief to the next);
2. a run of :data:`RUN_WORDS` words is a **template run** when the outlet uses it on at least
   :data:`MIN_DAYS` distinct days. One happening is reported within a few days (in BASIL the
   three reports of an event are at most 4 days apart), so wording that recurs on more than a
   week of days is the outlet's form, not one event's;
3. a word is taken out of a text where a template run covers it, and only when most of the
   outlet's uses of that word (at least :data:`MIN_TEMPLATE_SHARE`) are inside template runs:
   "shr" and "revs" go, while a topic word that a recurring phrase happens to hold ("iran"
   in "the iran contra affair") stays, since the outlet mostly uses it elsewhere.

Only dated records teach templates (without dates a recurring form cannot be told from one
busy story), so an undated corpus is left as it is. Kernels on arrays plus one pass of
Python's ``re`` over the texts; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain

import numpy as np

#: Words in a run (a shingle of words, numbers as slots).
RUN_WORDS = 3
#: Distinct days on which an outlet must use a run for it to be a template run.
MIN_DAYS = 8
#: Share of an outlet's uses of a word that must lie inside template runs for the word to be
#: taken out there.
MIN_TEMPLATE_SHARE = 0.5

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_MUL = np.uint64(0x9E3779B97F4A7C15)
_OUTLET_MUL = np.uint64(0xD6E8FEB86659FD93)
_DAY_BITS = np.uint64(16)


def strip_templates(
    texts: Sequence[str],
    outlets: Sequence[str | None],
    days: np.ndarray,
    *,
    run_words: int = RUN_WORDS,
    min_days: int = MIN_DAYS,
    min_share: float = MIN_TEMPLATE_SHARE,
) -> tuple[list[str], int]:
    """The texts with their outlets' template words taken out.

    Parameters
    ----------
    texts : sequence of str, length n_docs
    outlets : sequence of str or None, length n_docs
    days : ndarray of int64, shape (n_docs,)
        Day number of each text; -1 when unknown.

    Returns
    -------
    texts : list of str
        A text with no template word is returned as it is; any other as its kept words
        joined by spaces.
    n_removed : int
        Words taken out, over all texts.
    """
    words = [_WORD.findall(text.lower()) for text in texts]
    counts = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    if counts.sum() == 0 or not (days >= 0).any():
        return list(texts), 0
    every_word = list(chain.from_iterable(words))
    vocabulary = {word: k for k, word in enumerate(sorted(set(every_word)))}
    # every word holding a digit becomes one slot word
    slot_ids: dict[str, int] = {}
    slot_of = np.fromiter(
        (slot_ids.setdefault(_slot(word), len(slot_ids)) for word in vocabulary),
        dtype=np.int64,
        count=len(vocabulary),
    )
    ids = slot_of[
        np.fromiter(map(vocabulary.__getitem__, every_word), dtype=np.int64, count=len(every_word))
    ]
    del every_word
    outlet_codes: dict[str | None, int] = {}
    outlet_of = np.array([outlet_codes.setdefault(o, len(outlet_codes)) for o in outlets])
    remove = template_word_mask(ids, counts, outlet_of, days, run_words, min_days, min_share)
    if not remove.any():
        return list(texts), 0
    out = list(texts)
    doc_ptr = np.r_[0, np.cumsum(counts)]
    removed = np.bincount(np.repeat(np.arange(len(counts)), counts)[remove], minlength=len(counts))
    for doc in np.flatnonzero(removed).tolist():
        gone = remove[doc_ptr[doc] : doc_ptr[doc + 1]]
        out[doc] = " ".join(w for w, g in zip(words[doc], gone.tolist()) if not g)
    return out, int(remove.sum())


def template_word_mask(
    ids: np.ndarray,
    counts: np.ndarray,
    outlet_of: np.ndarray,
    days: np.ndarray,
    run_words: int,
    min_days: int,
    min_share: float,
) -> np.ndarray:
    """Which words to take out (the method in the module docstring), for all texts at once.

    Parameters
    ----------
    ids : ndarray of int64, shape (n_words,)
        Every text's words as vocabulary ids (numbers already the slot), text after text.
    counts : ndarray of int64, shape (n_docs,)
        Words of each text.
    outlet_of : ndarray of int64, shape (n_docs,)
        Outlet code of each text.
    days : ndarray of int64, shape (n_docs,)
        Day of each text; -1 when unknown.
    run_words, min_days, min_share : see the module constants

    Returns
    -------
    ndarray of bool, shape (n_words,)
    """
    n_words = len(ids)
    doc_of = np.repeat(np.arange(len(counts)), counts)
    position = np.arange(n_words) - np.repeat(np.cumsum(counts) - counts, counts)
    # a run starts at each word with run_words - 1 more words of its text after it
    starts = np.flatnonzero(position + run_words <= counts[doc_of])
    if len(starts) == 0:
        return np.zeros(n_words, dtype=bool)
    key = np.zeros(len(starts), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(run_words):
            key = (key ^ ids[starts + offset].astype(np.uint64)) * _MUL
        key ^= outlet_of[doc_of[starts]].astype(np.uint64) * _OUTLET_MUL
    run_doc = doc_of[starts]
    dated = days[run_doc] >= 0
    # distinct days of each (outlet, run): the run's hash in the high 48 bits and the day in
    # the low 16, so that one sort gives the (run, day) pairs grouped by run
    key >>= _DAY_BITS
    first_day = int(days[days >= 0].min()) if dated.any() else 0
    day_of = (days[run_doc[dated]] - first_day).astype(np.uint64) & np.uint64(0xFFFF)
    pairs = np.sort((key[dated] << _DAY_BITS) | day_of)  # a plain sort: np.unique hashes
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] >> _DAY_BITS
    run_starts = np.flatnonzero(np.r_[True, pairs[1:] != pairs[:-1]]) if len(pairs) else pairs
    n_days = np.diff(np.r_[run_starts, len(pairs)])
    template_runs = pairs[run_starts[n_days >= min_days]]  # sorted
    if len(template_runs) == 0:
        return np.zeros(n_words, dtype=bool)
    covered_start = np.zeros(n_words + 1, dtype=np.int64)
    found = np.minimum(np.searchsorted(template_runs, key), len(template_runs) - 1)
    hit = starts[template_runs[found] == key]
    np.add.at(covered_start, hit, 1)
    np.add.at(covered_start, hit + run_words, -1)
    covered = np.cumsum(covered_start[:-1]) > 0
    # share of each (outlet, word)'s uses that template runs cover
    n_keys = (int(outlet_of.max()) + 1) * (int(ids.max()) + 1)
    word_key = outlet_of[doc_of] * (int(ids.max()) + 1) + ids
    if n_keys > 8 * n_words:  # many outlets: number the (outlet, word) pairs that occur
        n_keys, word_key = _renumbered(word_key)
    uses = np.bincount(word_key, minlength=n_keys)
    inside = np.bincount(word_key, weights=covered, minlength=n_keys)
    share = inside / np.maximum(uses, 1)
    return covered & (share[word_key] >= min_share)


def _renumbered(keys: np.ndarray) -> tuple[int, np.ndarray]:
    distinct, where = np.unique(keys, return_inverse=True)
    return len(distinct), where.ravel()


def _slot(word: str) -> str:
    return "0" if _DIGIT.search(word) else word
