"""The candidates stage split into parts (by key, then by document pair) gives exactly the
unpartitioned candidates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup import passage_keys as index_module
from dedup.config import Config
from dedup.lsh import band_candidates_part, band_keys, candidate_pairs, key_partition, merge_pairs
from dedup.passage_keys import (
    PassageCandidates,
    PassageHits,
    PassageKeys,
    concat_hits,
    hit_partition,
    merge_passage_candidates,
    passage_candidates,
    passage_hits,
    repeated_in_order,
    split_hits,
    two_hit_candidates,
    winnow,
)
from dedup.shingle import mix64, shingle_hashes, tokenize
from dedup.sketch import compute_signatures

PARTS = st.integers(1, 5)


def mixed(values) -> np.ndarray:
    """Small integers as well-mixed keys (equal integers, equal keys)."""
    return mix64(np.asarray(values, dtype=np.uint64))


@st.composite
def band_matrices(draw) -> np.ndarray:
    """Band keys of up to 12 documents from a small alphabet, so documents share keys."""
    n_docs = draw(st.integers(1, 12))
    bands = draw(st.integers(1, 4))
    alphabet = draw(st.integers(1, 6))
    values = draw(
        st.lists(
            st.lists(st.integers(0, alphabet), min_size=bands, max_size=bands),
            min_size=n_docs,
            max_size=n_docs,
        )
    )
    return mixed(values)


@st.composite
def passage_keys(draw) -> PassageKeys:
    """Documents of keys at increasing positions, with runs of keys shared by several
    documents, keys repeated inside one, and keys found in many."""
    n_docs = draw(st.integers(1, 8))
    docs = [draw(st.lists(st.integers(0, 40), max_size=12)) for _ in range(n_docs)]
    for _ in range(draw(st.integers(0, 4))):  # shared runs, some repeated in one document
        run = draw(st.lists(st.integers(100, 130), min_size=1, max_size=6))
        for doc in draw(st.lists(st.integers(0, n_docs - 1), min_size=1, max_size=n_docs + 2)):
            at = draw(st.integers(0, len(docs[doc])))
            docs[doc][at:at] = run
    common = draw(st.integers(0, 2))  # keys 200, 201 in every document (or not)
    for doc in docs:
        doc += [200 + k for k in range(common)]
    values, positions = [], []
    for doc in docs:
        gaps = draw(st.lists(st.integers(1, 3), min_size=len(doc), max_size=len(doc)))
        values += doc
        positions += np.cumsum(gaps).tolist() if gaps else []
    ptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=ptr[1:])
    return PassageKeys(mixed(values), np.array(positions, dtype=np.int64), ptr)


def band_partitioned(keys: np.ndarray, parts: int) -> np.ndarray:
    found = [band_candidates_part(keys, part, parts) for part in range(parts)]
    return merge_pairs(found, keys.shape[0])


def passage_partitioned(keys: PassageKeys, max_docs: int, parts: int, **options):
    """Map by key, shuffle by document pair, reduce by two-hit filter, merge."""
    n_docs = len(keys.key_ptr) - 1
    max_repeats = options.pop("max_repeats", 16)
    mapped = [
        passage_hits(keys, max_docs, part=part, parts=parts, max_repeats=max_repeats)
        for part in range(parts)
    ]
    shuffled = [split_hits(hits, parts, n_docs) for hits in mapped]
    reduced = [
        two_hit_candidates(concat_hits([groups[q] for groups in shuffled]), n_docs, **options)
        for q in range(parts)
    ]
    return merge_passage_candidates(reduced, n_docs)


def passage_partitioned_by_masks(keys: PassageKeys, max_docs: int, parts: int, **options):
    """The same, by concatenating all hits and selecting each pair partition with a mask."""
    n_docs = len(keys.key_ptr) - 1
    max_repeats = options.pop("max_repeats", 16)
    hits = concat_hits(
        [
            passage_hits(keys, max_docs, part=part, parts=parts, max_repeats=max_repeats)
            for part in range(parts)
        ]
    )
    partition = hit_partition(hits, parts, n_docs)
    found = [
        two_hit_candidates(hits.take(partition == q, common_keys=0), n_docs, **options)
        for q in range(parts)
    ]
    pairs = merge_pairs([f.pairs for f in found], n_docs)
    self_docs = np.unique(np.concatenate([f.self_docs for f in found]))
    return PassageCandidates(pairs, self_docs, hits.common_keys)


def assert_same(got: PassageCandidates, expected: PassageCandidates) -> None:
    assert got.pairs.tolist() == expected.pairs.tolist()
    assert got.self_docs.tolist() == expected.self_docs.tolist()
    assert got.common_keys == expected.common_keys


def test_key_partition_is_deterministic_and_in_range():
    keys = mixed(np.arange(1000))
    for parts in range(1, 6):
        partition = key_partition(keys, parts)
        assert partition.dtype == np.int64 and partition.shape == keys.shape
        assert partition.min() >= 0 and partition.max() < parts
        assert np.array_equal(partition, key_partition(keys.copy(), parts))
    # mixed keys spread over the parts
    assert np.bincount(key_partition(keys, 4), minlength=4).min() > 150
    assert key_partition(keys.reshape(10, 100), 3).shape == (10, 100)


def test_part_out_of_range_is_an_error():
    keys = mixed(np.arange(6)).reshape(3, 2)
    with pytest.raises(ValueError):
        band_candidates_part(keys, 2, 2)
    with pytest.raises(ValueError):
        key_partition(keys, 0)
    with pytest.raises(ValueError):
        passage_hits(PassageKeys(keys.ravel(), np.arange(6), np.array([0, 6])), 5, part=-1)


@given(band_matrices(), PARTS)
def test_band_candidates_of_all_parts_are_candidate_pairs(keys, parts):
    expected = candidate_pairs(keys)
    parts_found = [band_candidates_part(keys, part, parts) for part in range(parts)]
    for found in parts_found:  # each part is sorted, unique, i < j
        assert found.dtype == np.int64
        assert found.tolist() == merge_pairs([found], len(keys)).tolist()
        assert set(map(tuple, found.tolist())) <= set(map(tuple, expected.tolist()))
    assert band_partitioned(keys, parts).tolist() == expected.tolist()


def test_merge_pairs_unites_and_orients():
    chunks = [np.array([[3, 1], [0, 2]]), np.zeros((0, 2), dtype=np.int64), np.array([[1, 3]])]
    assert merge_pairs(chunks, 4).tolist() == [[0, 2], [1, 3]]
    assert merge_pairs([], 4).shape == (0, 2)


@given(
    passage_keys(),
    PARTS,
    st.integers(1, 4),
    st.sampled_from([0, 1, 3, 8]),
    st.integers(0, 3),
    st.integers(1, 4),
)
def test_passage_candidates_of_all_parts_are_passage_candidates(
    keys, parts, max_docs, distance, max_shift, max_repeats
):
    options = {"two_hit_distance": distance, "max_shift": max_shift, "max_repeats": max_repeats}
    expected = passage_candidates(keys, max_docs, **options)
    assert_same(passage_partitioned(keys, max_docs, parts, **options), expected)
    assert_same(passage_partitioned_by_masks(keys, max_docs, parts, **options), expected)


@given(passage_keys(), PARTS, st.integers(1, 4))
def test_hits_of_all_key_parts_are_the_hits(keys, parts, max_docs):
    whole = passage_hits(keys, max_docs)
    split = concat_hits([passage_hits(keys, max_docs, part=p, parts=parts) for p in range(parts)])

    def rows(hits: PassageHits) -> list:
        return sorted(zip(*(a.tolist() for a in (hits.doc_a, hits.doc_b, hits.pos_a, hits.pos_b))))

    assert rows(split) == rows(whole)
    assert split.common_keys == whole.common_keys
    assert (whole.doc_a <= whole.doc_b).all()


@given(passage_keys(), PARTS)
def test_hit_partition_keeps_each_document_pair_in_one_part(keys, parts):
    n_docs = len(keys.key_ptr) - 1
    hits = passage_hits(keys, 10)
    partition = hit_partition(hits, parts, n_docs)
    assert partition.dtype == np.int64 and len(partition) == len(hits)
    part_of_pair: dict[tuple[int, int], int] = {}
    for a, b, p in zip(hits.doc_a.tolist(), hits.doc_b.tolist(), partition.tolist()):
        assert part_of_pair.setdefault((a, b), p) == p
    groups = split_hits(hits, parts, n_docs)
    assert len(groups) == parts and sum(len(g) for g in groups) == len(hits)
    assert sum(g.common_keys for g in groups) == hits.common_keys


@given(passage_keys(), st.sampled_from([1, 3, 8]), st.integers(0, 3), st.randoms())
def test_two_hit_candidates_do_not_depend_on_hit_order(keys, distance, max_shift, random):
    n_docs = len(keys.key_ptr) - 1
    hits = passage_hits(keys, 10)
    order = list(range(len(hits)))
    random.shuffle(order)
    options = {"two_hit_distance": distance, "max_shift": max_shift}
    shuffled = hits.take(np.array(order, dtype=np.int64))
    assert_same(
        two_hit_candidates(shuffled, n_docs, **options),
        two_hit_candidates(hits, n_docs, **options),
    )


def test_passage_candidates_is_two_hit_candidates_of_the_hits():
    keys = PassageKeys(
        mixed([1, 2, 3, 4, 5, 9, 9, 2, 3, 8]),
        np.array([*range(5), *range(5)]),
        np.array([0, 5, 10]),
    )
    hits = passage_hits(keys, 10)
    found = two_hit_candidates(hits, 2, two_hit_distance=5, max_shift=0)
    assert_same(found, passage_candidates(keys, 10, two_hit_distance=5, max_shift=0))
    assert found.pairs.tolist() == [[0, 1]]


@given(
    st.lists(st.lists(st.integers(0, 30), max_size=15), min_size=1, max_size=8),
    st.integers(1, 6),
    st.data(),
)
def test_winnow_of_a_document_range_is_that_slice_of_the_whole(docs, window, data):
    n_docs = len(docs)
    lo = data.draw(st.integers(0, n_docs))
    hi = data.draw(st.integers(lo, n_docs))
    shingles = mixed([v for doc in docs for v in doc])
    ptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=ptr[1:])
    whole = winnow(shingles, ptr, window)
    part = winnow(shingles[ptr[lo] : ptr[hi]], ptr[lo : hi + 1] - ptr[lo], window)
    first, last = whole.key_ptr[lo], whole.key_ptr[hi]
    assert part.values.tolist() == whole.values[first:last].tolist()
    assert part.positions.tolist() == whole.positions[first:last].tolist()
    assert part.key_ptr.tolist() == (whole.key_ptr[lo : hi + 1] - first).tolist()


@pytest.mark.parametrize("parts", [2, 3])
def test_seed_articles_partitioned_equal_unpartitioned(seed_texts, parts):
    config = Config()
    tokens = tokenize(list(seed_texts.values()))
    shingles, ptr = shingle_hashes(tokens.hashes, tokens.doc_ptr, config.shingle_size)
    n_docs = len(ptr) - 1
    keys = winnow(shingles, ptr, config.passage_window)
    options = {"two_hit_distance": config.two_hit_distance, "max_shift": config.max_gap_words}
    expected = passage_candidates(keys, config.common_limit(n_docs), **options)
    assert len(expected.pairs) > 0
    assert_same(passage_partitioned(keys, config.common_limit(n_docs), parts, **options), expected)
    # the key parts really split the work
    sizes = [len(passage_hits(keys, n_docs, part=p, parts=parts)) for p in range(parts)]
    assert all(size > 0 for size in sizes)

    signatures = compute_signatures(shingles, ptr, config.num_perm, config.seed)
    bands = band_keys(signatures, config.bands, config.rows)
    # with a copy of the first article, the document LSH has a candidate too
    bands = np.concatenate([bands, bands[:1]])
    expected_pairs = candidate_pairs(bands)
    assert [0, n_docs] in expected_pairs.tolist()
    assert band_partitioned(bands, parts).tolist() == expected_pairs.tolist()


@st.composite
def colliding_values(draw) -> np.ndarray:
    """uint64 values that often share their high bits without being equal, and repeats."""
    highs = draw(st.lists(st.integers(0, 3), max_size=60))
    lows = draw(st.lists(st.integers(0, 5), min_size=len(highs), max_size=len(highs)))
    top = draw(st.sampled_from([0, 40, 60, 63]))
    values = [((h << top) | low) & (2**64 - 1) for h, low in zip(highs, lows)]
    return np.array(values, dtype=np.uint64)


@given(colliding_values())
def test_repeated_in_order_is_a_stable_argsort_less_the_single_values(values):
    order = np.argsort(values, kind="stable")
    counts = dict(zip(*np.unique(values, return_counts=True)))
    expected = [int(i) for i in order if counts[values[i]] > 1]
    assert repeated_in_order(values).tolist() == expected


@given(passage_keys(), st.integers(1, 4), st.integers(1, 4))
def test_passage_hits_skip_single_keys_without_changing_the_hits(keys, max_docs, max_repeats):
    fast = passage_hits(keys, max_docs, max_repeats=max_repeats)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(index_module, "repeated_in_order", lambda v: np.argsort(v, kind="stable"))
        full = passage_hits(keys, max_docs, max_repeats=max_repeats)
    for field in ("doc_a", "doc_b", "pos_a", "pos_b"):
        np.testing.assert_array_equal(getattr(fast, field), getattr(full, field))
    assert fast.common_keys == full.common_keys
