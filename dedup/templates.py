"""Templates are not topics: the word runs an outlet repeats across many days with changing
slots (wire brief frames such as "shr 0 cts vs 0 cts net 0 mln", "selling concession is 0
pct"), learnt from the corpus and taken out before the stories' TF-IDF, so that two articles
sharing only a frame are not tied.

How a template is found, outlet by outlet (records without an outlet form one pool):

1. each text is cut into words (:func:`dedup.shingle.tokenize`: case and accents folded), and
   every word holding a digit becomes one slot word (numbers are what changes from one brief
   to the next);
2. a run of :data:`RUN_WORDS` words is a **template run** when the outlet uses it on at least
   :data:`MIN_DAYS` distinct days. One happening is reported within a few days (in BASIL the
   three reports of an event are at most 4 days apart), so wording that recurs on more than a
   week of days is the outlet's form, not one event's;
3. a word is taken out of a text where a template run covers it, and only when most of the
   outlet's uses of that word (at least :data:`MIN_TEMPLATE_SHARE`) are inside template runs:
   "shr" and "revs" go, while a topic word that a recurring phrase happens to hold ("iran"
   in "the iran contra affair") stays, since the outlet mostly uses it elsewhere.

Only dated records teach templates (without dates a recurring form cannot be told from one
busy story), so an undated corpus is left as it is. One outlet at a time, so memory follows
the largest outlet; kernels on arrays, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from dedup.normalize import from_codepoints, to_codepoints
from dedup.shingle import tokenize

#: Words in a run (a shingle of words, numbers as slots).
RUN_WORDS = 3
#: Distinct days on which an outlet must use a run for it to be a template run.
MIN_DAYS = 8
#: Share of an outlet's uses of a word that must lie inside template runs for the word to be
#: taken out there.
MIN_TEMPLATE_SHARE = 0.5

_MUL = np.uint64(0x9E3779B97F4A7C15)
_SLOT = np.uint64(0x5A0F5A0F5A0F5A0F)  # the word id of every word holding a digit
_DAY_BITS = np.uint64(16)
_DIGITS = (ord("0"), ord("9"))


@dataclass(frozen=True, slots=True)
class Templates:
    """What :func:`learn_templates` learnt, outlet by outlet (None: records without one).

    ``runs[outlet]``: the outlet's template runs (their keys, sorted uint64); ``words[outlet]``:
    the word ids taken out where such a run covers them (sorted uint64). Applied to texts
    it learnt from, it takes out exactly what :func:`strip_templates` takes out; applied to
    new texts (:func:`apply_templates`), it takes out the same frames from them.
    """

    runs: dict[str | None, np.ndarray] = field(default_factory=dict)
    words: dict[str | None, np.ndarray] = field(default_factory=dict)


def strip_templates(
    texts: Sequence[str],
    outlets: Sequence[str | None],
    days: np.ndarray,
    *,
    run_words: int = RUN_WORDS,
    min_days: int = MIN_DAYS,
    min_share: float = MIN_TEMPLATE_SHARE,
) -> tuple[list[str], int]:
    """The texts with their outlets' template words taken out (learnt from these texts).

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
    out = list(texts)
    n_removed = 0
    for members in _pools(outlets).values():  # each pool cut into words once
        pool_days = days[members]
        if len(np.unique(pool_days[pool_days >= 0])) < min_days:
            continue  # too few distinct days for any run to recur on min_days days
        pool = [texts[k] for k in members]
        ids, counts, code, first, last = _word_ids(pool)
        _, words, remove = template_runs(ids, counts, pool_days, run_words, min_days, min_share)
        remove[remove] = _in_sorted(ids[remove], words)
        n_removed += _rebuild(out, members, code, first, last, counts, remove)
    return out, n_removed


def learn_templates(
    texts: Sequence[str],
    outlets: Sequence[str | None],
    days: np.ndarray,
    *,
    run_words: int = RUN_WORDS,
    min_days: int = MIN_DAYS,
    min_share: float = MIN_TEMPLATE_SHARE,
) -> Templates:
    """Each outlet's template runs and template words (the method in the module docstring);
    an outlet with none is left out."""
    out = Templates()
    for outlet, members in _pools(outlets).items():
        pool_days = days[members]
        if len(np.unique(pool_days[pool_days >= 0])) < min_days:
            continue  # too few distinct days for any run to recur on min_days days
        ids, counts = _word_ids([texts[k] for k in members])[:2]
        runs, words, _ = template_runs(ids, counts, pool_days, run_words, min_days, min_share)
        if len(words):
            out.runs[outlet], out.words[outlet] = runs, words
    return out


def apply_templates(
    texts: Sequence[str],
    outlets: Sequence[str | None],
    templates: Templates,
    *,
    run_words: int = RUN_WORDS,
) -> tuple[list[str], int]:
    """The texts with the template words ``templates`` holds for their outlets taken out
    (where a template run of the outlet covers them); as :func:`strip_templates` returns."""
    out = list(texts)
    n_removed = 0
    for outlet, members in _pools(outlets).items():
        if outlet not in templates.words:
            continue
        ids, counts, code, first, last = _word_ids([texts[k] for k in members])
        remove = covered_words(ids, counts, templates.runs[outlet], run_words)
        remove[remove] = _in_sorted(ids[remove], templates.words[outlet])
        n_removed += _rebuild(out, members, code, first, last, counts, remove)
    return out, n_removed


def _rebuild(
    out: list[str],
    members: list[int],
    code: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    counts: np.ndarray,
    remove: np.ndarray,
) -> int:
    """Put into ``out`` the texts of one pool (``members``) that lose a word, rebuilt from
    their kept words; return the words taken out."""
    if not remove.any():
        return 0
    doc_of = np.repeat(np.arange(len(counts)), counts)
    changed = np.unique(doc_of[remove])
    kept = _kept_texts(code, first, last, doc_of, remove, changed)
    for doc, text in zip(changed.tolist(), kept):
        out[members[doc]] = text
    return int(remove.sum())


def _pools(outlets: Sequence[str | None]) -> dict[str | None, list[int]]:
    """Positions of each outlet's texts, outlets in order of first appearance."""
    pools: dict[str | None, list[int]] = {}
    for k, outlet in enumerate(outlets):
        pools.setdefault(outlet, []).append(k)
    return pools


def _word_ids(
    pool: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The words of ``pool`` as ids (every word holding a digit the slot id), the words of
    each text, the pool's code points (text after text) and each word's span in them."""
    tokens = tokenize(pool)
    counts = np.diff(tokens.doc_ptr)
    code = to_codepoints("".join(pool))
    offsets = np.cumsum([0] + [len(text) for text in pool[:-1]], dtype=np.int64)
    first = tokens.starts + np.repeat(offsets, counts)  # each word in ``code``
    last = tokens.ends + np.repeat(offsets, counts)
    ids = tokens.hashes.copy()
    ids[_holds_digit(code, first, last)] = _SLOT
    return ids, counts, code, first, last


def _holds_digit(code: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Whether each word (``code[first[t]:last[t]]``) holds an ASCII digit: each digit is
    placed in the word starting at or before it (a search among the sorted word starts), no
    loop over texts or words.

    Returns
    -------
    ndarray of bool, shape (n_words,)
    """
    out = np.zeros(len(first), dtype=bool)
    at = np.flatnonzero((code - np.uint32(_DIGITS[0])) <= np.uint32(_DIGITS[1] - _DIGITS[0]))
    word = np.searchsorted(first, at, side="right") - 1
    inside = word >= 0
    word, at = word[inside], at[inside]
    out[word[at < last[word]]] = True
    return out


def _kept_texts(
    code: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    doc_of: np.ndarray,
    remove: np.ndarray,
    changed: np.ndarray,
) -> list[str]:
    """The texts ``changed`` as their kept words joined by single spaces, built from one
    array of kept code points (no per-word Python loop).

    Parameters
    ----------
    code : ndarray of uint32
        The code points of every text, text after text.
    first, last : ndarray of int64, shape (n_words,)
        Each word's span in ``code``.
    doc_of : ndarray of int64, shape (n_words,)
    remove : ndarray of bool, shape (n_words,)
    changed : ndarray of int64, sorted
        The texts to rebuild.

    Returns
    -------
    list of str, one per text of ``changed``
    """
    keep = np.flatnonzero(~remove & np.isin(doc_of, changed))
    keep_doc = doc_of[keep]
    space = np.r_[keep_doc[1:] == keep_doc[:-1], False]  # a space after all but a text's last
    length = last[keep] - first[keep] + space
    out_end = np.cumsum(length)
    source = np.arange(int(out_end[-1]) if len(keep) else 0) - np.repeat(
        out_end - length - first[keep], length
    )
    chars = code[np.minimum(source, len(code) - 1)]
    chars[out_end[space] - 1] = ord(" ")
    joined = from_codepoints(chars)
    per_text = np.bincount(
        np.searchsorted(changed, keep_doc), weights=length, minlength=len(changed)
    ).astype(np.int64)
    bounds = np.r_[0, np.cumsum(per_text)].tolist()
    return [joined[a:b] for a, b in pairwise(bounds)]


def template_word_mask(
    ids: np.ndarray,
    counts: np.ndarray,
    days: np.ndarray,
    run_words: int,
    min_days: int,
    min_share: float,
) -> np.ndarray:
    """Which words of one outlet's texts to take out (the method in the module docstring).

    Parameters
    ----------
    ids : ndarray of uint64, shape (n_words,)
        Every text's words as ids (every number the same slot id), text after text.
    counts : ndarray of int64, shape (n_docs,)
        Words of each text.
    days : ndarray of int64, shape (n_docs,)
        Day of each text; -1 when unknown.
    run_words, min_days, min_share : see the module constants

    Returns
    -------
    ndarray of bool, shape (n_words,)
    """
    _, words, remove = template_runs(ids, counts, days, run_words, min_days, min_share)
    remove[remove] = _in_sorted(ids[remove], words)
    return remove


def _in_sorted(values: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in ``sorted_ids`` (a search among those few ids, no
    sort of ``values``)."""
    if len(sorted_ids) == 0:
        return np.zeros(len(values), dtype=bool)
    found = np.minimum(np.searchsorted(sorted_ids, values), len(sorted_ids) - 1)
    return sorted_ids[found] == values


def _run_keys(ids: np.ndarray, counts: np.ndarray, run_words: int) -> tuple[np.ndarray, ...]:
    """Each run's first word and key (the hash of its ``run_words`` ids, shifted right by
    :data:`_DAY_BITS`), and each word's text."""
    doc_of = np.repeat(np.arange(len(counts)), counts)
    position = np.arange(len(ids)) - np.repeat(np.cumsum(counts) - counts, counts)
    # a run starts at each word with run_words - 1 more words of its text after it
    starts = np.flatnonzero(position + run_words <= counts[doc_of])
    key = np.zeros(len(starts), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(run_words):
            key = (key ^ ids[starts + offset].astype(np.uint64)) * _MUL
    return starts, key >> _DAY_BITS, doc_of


def covered_words(
    ids: np.ndarray, counts: np.ndarray, runs: np.ndarray, run_words: int
) -> np.ndarray:
    """Which words a run of ``runs`` (sorted keys) covers.

    Returns
    -------
    ndarray of bool, shape (n_words,)
    """
    starts, key, _ = _run_keys(ids, counts, run_words)
    return _covered(starts, key, runs, len(ids), run_words)


def _covered(
    starts: np.ndarray, key: np.ndarray, runs: np.ndarray, n_words: int, run_words: int
) -> np.ndarray:
    """Which of ``n_words`` words a run of ``runs`` covers, from each run's first word and
    key (:func:`_run_keys`)."""
    if len(starts) == 0 or len(runs) == 0:
        return np.zeros(n_words, dtype=bool)
    covered_start = np.zeros(n_words + 1, dtype=np.int64)
    found = np.minimum(np.searchsorted(runs, key), len(runs) - 1)
    hit = starts[runs[found] == key]
    np.add.at(covered_start, hit, 1)
    np.add.at(covered_start, hit + run_words, -1)
    return np.cumsum(covered_start[:-1]) > 0


def template_runs(
    ids: np.ndarray,
    counts: np.ndarray,
    days: np.ndarray,
    run_words: int,
    min_days: int,
    min_share: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One outlet's template runs (keys used on at least ``min_days`` distinct days) and
    template words (of the words such runs cover, those with at least ``min_share`` of their
    uses inside them), each sorted uint64, and which words the runs cover (bool, shape
    (n_words,)); arguments as :func:`template_word_mask`'s."""
    none = np.zeros(0, dtype=np.uint64)
    starts, key, doc_of = _run_keys(ids, counts, run_words)
    if len(starts) == 0:
        return none, none, np.zeros(len(ids), dtype=bool)
    run_doc = doc_of[starts]
    dated = days[run_doc] >= 0
    # distinct days of each run: the run's hash in the high 48 bits and the day in the low
    # 16, so that one sort gives the (run, day) pairs grouped by run
    first_day = int(days[days >= 0].min()) if dated.any() else 0
    day_of = (days[run_doc[dated]] - first_day).astype(np.uint64) & np.uint64(0xFFFF)
    pairs = np.sort((key[dated] << _DAY_BITS) | day_of)  # a plain sort: np.unique hashes
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] >> _DAY_BITS
    run_starts = np.flatnonzero(np.r_[True, pairs[1:] != pairs[:-1]]) if len(pairs) else pairs
    n_days = np.diff(np.r_[run_starts, len(pairs)])
    runs = pairs[run_starts[n_days >= min_days]]  # sorted
    if len(runs) == 0:
        return none, none, np.zeros(len(ids), dtype=bool)
    covered = _covered(starts, key, runs, len(ids), run_words)
    # share of each word's uses that template runs cover; only words that a run covers can
    # be taken out, so only their uses are counted (a search among those few ids, no sort
    # of every word)
    covered_ids = np.unique(ids[covered])
    slot = np.minimum(np.searchsorted(covered_ids, ids), len(covered_ids) - 1)
    candidate = covered_ids[slot] == ids
    uses = np.bincount(slot[candidate], minlength=len(covered_ids))
    inside = np.bincount(slot[covered], minlength=len(covered_ids))
    return runs, covered_ids[inside >= min_share * uses].astype(np.uint64), covered
