from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dedup.lsh import band_keys, candidate_pairs, pairs_in_groups
from dedup.passage_keys import PassageKeys, passage_candidates, winnow


def reference_pairs_in_groups(members, starts):
    bounds = [*list(starts), len(members)]
    out = []
    for lo, hi in itertools.pairwise(bounds):
        out += list(itertools.combinations(members[lo:hi], 2))
    return out


@given(st.lists(st.integers(1, 6), max_size=8))
def test_pairs_in_groups_matches_reference(sizes):
    members = list(range(100, 100 + sum(sizes)))
    starts = np.cumsum([0, *sizes[:-1]]).tolist() if sizes else []
    got = pairs_in_groups(np.array(members), np.array(starts, dtype=np.int64))
    assert [tuple(p) for p in got.tolist()] == reference_pairs_in_groups(members, starts)


@given(st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), min_size=1, max_size=12))
def test_candidate_pairs_are_exactly_the_docs_sharing_a_column_value(rows):
    keys = np.array(rows, dtype=np.uint64)
    got = {tuple(p) for p in candidate_pairs(keys).tolist()}
    expected = {
        (i, j)
        for i, j in itertools.combinations(range(len(rows)), 2)
        if any(rows[i][c] == rows[j][c] for c in range(3))
    }
    assert got == expected


def test_candidate_pairs_are_the_same_on_several_threads():
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 300, size=(2_000, 25)).astype(np.uint64)
    one = candidate_pairs(keys)
    assert len(one) > 1_000
    for workers in (2, 3, 25, 40):
        assert np.array_equal(candidate_pairs(keys, workers), one)


def test_band_keys_equal_only_for_equal_bands():
    signatures = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [2, 1, 3, 4]], dtype=np.uint32)
    keys = band_keys(signatures, bands=2, rows=2)
    assert keys.shape == (3, 2)
    assert keys[0, 0] == keys[1, 0] and keys[0, 1] != keys[1, 1]
    assert keys[0, 0] != keys[2, 0] and keys[0, 1] == keys[2, 1]
    # the same values in a different band give a different key
    same = band_keys(np.array([[5, 5, 5, 5]], dtype=np.uint32), bands=2, rows=2)
    assert same[0, 0] != same[0, 1]


@given(
    st.lists(st.integers(0, 2**40), min_size=8, max_size=30, unique=True),
    st.lists(st.integers(0, 2**40), max_size=20),
    st.lists(st.integers(0, 2**40), max_size=20),
    st.integers(2, 8),
)
def test_winnowing_guarantee(shared, before_a, before_b, window):
    """Two documents sharing a run of `window` shingles share a passage key."""
    doc_a = before_a + shared
    doc_b = before_b + shared + before_a
    values = np.array(doc_a + doc_b, dtype=np.uint64)
    ptr = np.array([0, len(doc_a), len(doc_a) + len(doc_b)], dtype=np.int64)
    keys = winnow(values, ptr, window)
    keys_a = set(keys.values[: keys.key_ptr[1]].tolist())
    keys_b = set(keys.values[keys.key_ptr[1] :].tolist())
    assert keys_a & keys_b & set(shared)


def reference_winnow(docs: list[list[int]], window: int) -> list[list[tuple[int, int]]]:
    """(position, value) of every key of each document, by brute force."""
    out = []
    for doc in docs:
        chosen: set[int] = set()
        if len(doc) >= window:
            for i in range(len(doc) - window + 1):
                low = min(doc[i : i + window])
                chosen |= {i + j for j in range(window) if doc[i + j] == low}
        elif doc:
            chosen = {j for j, v in enumerate(doc) if v == min(doc)}
        out.append([(j, doc[j]) for j in sorted(chosen)])
    return out


@given(st.lists(st.lists(st.integers(0, 5), max_size=9), min_size=1, max_size=7), st.integers(1, 5))
def test_winnow_matches_brute_force_with_short_and_empty_documents(docs, window):
    values = np.array([v for doc in docs for v in doc], dtype=np.uint64)
    ptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(doc) for doc in docs], out=ptr[1:])
    keys = winnow(values, ptr, window)
    found = [
        list(zip(keys.positions[lo:hi].tolist(), keys.values[lo:hi].tolist()))
        for lo, hi in itertools.pairwise(keys.key_ptr.tolist())
    ]
    assert found == reference_winnow(docs, window)


def test_winnow_positions_point_at_selected_shingles():
    values = np.array([9, 3, 7, 8, 1, 6, 5, 4], dtype=np.uint64)
    keys = winnow(values, np.array([0, 8]), 3)
    assert keys.values.tolist() == values[keys.positions].tolist()
    assert keys.values.tolist() == [3, 1, 4]


def keys_of(docs: list[list[int]]) -> PassageKeys:
    """Every value a key, at its position (as if the window were 1)."""
    values = np.array([v for doc in docs for v in doc], dtype=np.uint64)
    positions = np.array([p for doc in docs for p in range(len(doc))], dtype=np.int64)
    ptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=ptr[1:])
    return PassageKeys(values, positions, ptr)


def test_single_hit_mode_drops_common_keys_and_finds_repeats():
    # doc 0 repeats key 5; key 7 is in all four documents; key 9 links docs 1 and 2
    keys = keys_of([[5, 7, 5], [7, 9], [7, 9], [7]])
    found = passage_candidates(keys, max_docs=3, two_hit_distance=0, max_shift=0)
    assert found.pairs.tolist() == [[1, 2]]
    assert found.self_docs.tolist() == [0]
    assert found.common_keys == 1


def test_one_shared_key_is_not_enough_with_two_hits():
    keys = keys_of([[1, 2, 3, 4], [9, 2, 8, 7]])
    assert len(passage_candidates(keys, 10, two_hit_distance=5, max_shift=2).pairs) == 0


def test_two_hits_on_one_diagonal_make_a_candidate():
    keys = keys_of([[1, 2, 3, 4, 5], [9, 9, 2, 3, 8]])
    found = passage_candidates(keys, 10, two_hit_distance=5, max_shift=0)
    assert found.pairs.tolist() == [[0, 1]]


def test_two_hits_too_far_apart_are_not_a_candidate():
    keys = keys_of([[1, 50, 51, 52, 53, 54, 55, 2], [1, 60, 61, 62, 63, 64, 65, 2]])
    found = passage_candidates(keys, 10, two_hit_distance=5, max_shift=0)
    assert len(found.pairs) == 0


def test_two_hits_across_an_edit_make_a_candidate():
    # the second hit is one position further in doc 1 (a word inserted between them)
    keys = keys_of([[1, 2, 3, 4, 5], [1, 2, 77, 3, 4]])
    strict = passage_candidates(keys, 10, two_hit_distance=5, max_shift=0)
    tolerant = passage_candidates(keys, 10, two_hit_distance=5, max_shift=1)
    assert strict.pairs.tolist() == [[0, 1]]  # 1,2 on one diagonal already
    assert tolerant.pairs.tolist() == [[0, 1]]
    edited = keys_of([[1, 2, 3], [1, 77, 2]])
    assert len(passage_candidates(edited, 10, two_hit_distance=5, max_shift=0).pairs) == 0
    assert passage_candidates(edited, 10, two_hit_distance=5, max_shift=1).pairs.tolist() == [
        [0, 1]
    ]


@given(
    st.lists(st.integers(0, 10**6), min_size=12, max_size=30),
    st.lists(st.integers(0, 10**6), max_size=40),
    st.lists(st.integers(0, 10**6), max_size=40),
    st.lists(st.integers(0, 10**6), max_size=40),
)
def test_any_exact_run_of_the_minimum_length_is_a_candidate(shared, left_a, left_b, right):
    """The guarantee behind the two-hit rule, on real tokenization and shingling."""
    from dedup.config import Config
    from dedup.shingle import shingle_hashes, tokenize

    config = Config()
    text_a = " ".join(f"a{v}" for v in left_a) + " " + " ".join(f"s{v}" for v in shared)
    text_b = " ".join(f"s{v}" for v in shared) + " " + " ".join(f"b{v}" for v in left_b + right)
    tokens = tokenize([text_a, text_b])
    shingles, ptr = shingle_hashes(tokens.hashes, tokens.doc_ptr, config.shingle_size)
    keys = winnow(shingles, ptr, config.passage_window)
    found = passage_candidates(
        keys, 10, two_hit_distance=config.two_hit_distance, max_shift=config.max_gap_words
    )
    assert found.pairs.tolist() == [[0, 1]]


def test_keys_repeated_too_often_in_one_document_are_dropped_cleanly():
    # doc 0 repeats key 5 twenty times (dropped there); docs 1 and 2 share keys 5 and 6
    keys = keys_of([[5] * 20 + [6], [5, 6], [5, 6]])
    found = passage_candidates(keys, 10, two_hit_distance=5, max_shift=0, max_repeats=16)
    # doc 0 keeps only key 6 (one hit with each other doc); docs 1 and 2 have two hits
    assert found.pairs.tolist() == [[1, 2]]


def reference_two_hits(doc_a, doc_b, pos_a, pos_b, distance, max_shift, n_docs):
    """The two-hit rule with whole-array sorts (the numpy form it had before its kernel)."""
    pair_code = doc_a * np.int64(n_docs) + doc_b
    diagonal = pos_a - pos_b
    good = np.zeros(len(pair_code), dtype=bool)
    order = np.lexsort((pos_a, diagonal, pair_code))
    p, d, i = pair_code[order], diagonal[order], pos_a[order]
    near = (p[1:] == p[:-1]) & (d[1:] == d[:-1]) & (i[1:] - i[:-1] <= distance)
    good[order[1:][near]] = True
    good[order[:-1][near]] = True
    order = np.lexsort((diagonal, pos_a, pair_code))
    p, d, i, j = pair_code[order], diagonal[order], pos_a[order], pos_b[order]
    for step in range(1, min(9, len(p))):
        near = (
            (p[step:] == p[:-step])
            & (np.abs(d[step:] - d[:-step]) <= max_shift)
            & (i[step:] - i[:-step] <= distance)
            & (i[step:] > i[:-step])
            & (j[step:] > j[:-step])
        )
        good[order[step:][near]] = True
        good[order[:-step][near]] = True
    return good


@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 30), st.integers(0, 30)),
        max_size=60,
        unique=True,
    ),
    st.integers(1, 8),
    st.integers(0, 3),
)
def test_two_hit_kernel_equals_the_sorting_rule(hits, distance, max_shift):
    from dedup.passage_keys import _two_hits

    rows = np.array(hits, dtype=np.int64).reshape(-1, 4)
    args = (rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], distance, max_shift, 3)
    assert _two_hits(*args).tolist() == reference_two_hits(*args).tolist()
