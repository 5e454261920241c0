"""The kernels that make the stories' TF-IDF terms (dedup.story_kernels) give what the
NumPy sorts they replace give, on random documents: each document's distinct keys, the
analyser's keys with stop words left out, the kept terms' entries, and the token runs."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from dedup import story_kernels
from dedup.story_vectors import _DEFAULT_PATTERN, _RUNS


def random_documents(seed: int, n_docs: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Keys of a few distinct values (so that documents repeat them) cut into documents,
    some empty."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 40, n_docs).astype(np.int64)
    lengths[rng.random(n_docs) < 0.1] = 0
    keys = rng.integers(1, 50, int(lengths.sum())).astype(np.uint64) << np.uint64(32)
    keys |= rng.integers(0, 4, len(keys)).astype(np.uint64)
    return keys, lengths


@pytest.mark.parametrize("seed", range(5))
def test_document_terms_as_a_stable_sort_by_document_and_key(seed: int) -> None:
    keys, lengths = random_documents(seed)
    doc = np.repeat(np.arange(len(lengths)), lengths)
    order = np.lexsort((keys, doc))
    sorted_keys, sorted_doc = keys[order], doc[order]
    start = np.flatnonzero(
        np.r_[True, (sorted_keys[1:] != sorted_keys[:-1]) | (sorted_doc[1:] != sorted_doc[:-1])]
    )
    distinct, counts, firsts, doc_lengths = story_kernels.document_terms(keys, lengths)
    assert np.array_equal(distinct, sorted_keys[start])
    assert np.array_equal(counts, np.diff(np.r_[start, len(order)]))
    assert np.array_equal(firsts, order[start])
    assert np.array_equal(doc_lengths, np.bincount(sorted_doc[start], minlength=len(lengths)))


@pytest.mark.parametrize(("unigrams", "bigrams"), [(True, True), (True, False), (False, True)])
def test_analyser_keys_leave_stop_words_out_before_pairs(unigrams: bool, bigrams: bool) -> None:
    rng = np.random.default_rng(7)
    lengths = rng.integers(0, 12, 30).astype(np.int64)
    ids = rng.integers(-1, 20, int(lengths.sum())).astype(np.int64)  # -1: a stop word
    keys, counts = story_kernels.analyser_keys(ids, lengths, unigrams, bigrams)
    expected, expected_counts, start = [], [], 0
    for length in lengths:
        words = [w + 1 for w in ids[start : start + length] if w >= 0]
        start += length
        mine = [w << 32 for w in words] if unigrams else []
        mine += [(a << 32) | b for a, b in itertools.pairwise(words)] if bigrams else []
        expected += mine
        expected_counts.append(len(mine))
    assert keys.tolist() == expected
    assert counts.tolist() == expected_counts


@pytest.mark.parametrize("seed", range(5))
def test_kept_entries_as_a_search_and_a_sort_by_first_place(seed: int) -> None:
    keys, lengths = random_documents(seed)
    distinct, counts, _firsts, doc_lengths = story_kernels.document_terms(keys, lengths)
    rng = np.random.default_rng(seed)
    kept = np.unique(distinct)[rng.random(len(np.unique(distinct))) < 0.6]
    first = rng.permutation(len(kept)).astype(np.int64)  # distinct first places
    table = story_kernels.key_table(kept)
    at, kept_counts, row_lengths = story_kernels.kept_entries(
        kept, table, first, distinct, counts, doc_lengths
    )
    doc = np.repeat(np.arange(len(doc_lengths)), doc_lengths)
    place = np.searchsorted(kept, distinct)
    found = (place < len(kept)) & (kept[np.minimum(place, len(kept) - 1)] == distinct)
    order = np.lexsort((first[place[found]], doc[found]))
    assert np.array_equal(at, place[found][order])
    assert np.array_equal(kept_counts, counts[found][order])
    assert np.array_equal(row_lengths, np.bincount(doc[found], minlength=len(doc_lengths)))


def test_the_token_runs_are_the_default_patterns_tokens() -> None:
    default = re.compile(_DEFAULT_PATTERN)
    texts = [
        "a bb ccc_d, e-ff 12 3 x9 _ __ é ée naïve café's Straße 東京都 ١٢٣ a\u0301b",
        "",
        "one  two\tthree\nfour_five—six",
    ]
    for text in texts:
        assert _RUNS.findall(text) == default.findall(text)
