from __future__ import annotations

import math

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash
from hypothesis import given
from hypothesis import strategies as st

from dedup.sketch import (
    EMPTY,
    compute_signatures,
    estimate_jaccard,
    shingle_values,
    to_datasketch,
)

SHINGLE_SETS = st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=60), min_size=1, max_size=6)


def csr(docs: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([v for doc in docs for v in doc], dtype=np.uint64)
    ptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=ptr[1:])
    return values, ptr


def reference_signature(shingles: list[int], num_perm: int, seed: int) -> np.ndarray:
    """datasketch itself, fed the same 32-bit shingle values."""
    minhash = MinHash(num_perm=num_perm, seed=seed, hashfunc=int)
    values = shingle_values(np.array(shingles, dtype=np.uint64)).tolist()
    if values:
        minhash.update_batch(values)
    return minhash.hashvalues


@given(SHINGLE_SETS, st.sampled_from([16, 128]), st.integers(0, 2**32 - 1))
def test_signatures_equal_datasketch_bit_for_bit(docs, num_perm, seed):
    values, ptr = csr(docs)
    signatures = compute_signatures(values, ptr, num_perm, seed)
    for row, doc in zip(signatures, docs):
        assert np.array_equal(row, reference_signature(doc, num_perm, seed))


def test_empty_document_has_the_empty_signature():
    values, ptr = csr([[], [1, 2, 3]])
    signatures = compute_signatures(values, ptr, 8, 1)
    assert (signatures[0] == EMPTY).all()


@given(
    st.integers(0, 400),
    st.integers(0, 400),
    st.integers(1, 400),
    st.integers(0, 2**32 - 1),
)
def test_estimate_within_error_bound_of_true_jaccard(only_a, only_b, common, seed):
    num_perm = 128
    rng = np.random.default_rng(seed)
    pool = rng.choice(2**62, size=only_a + only_b + common, replace=False).astype(np.uint64)
    a = pool[: only_a + common]
    b = pool[only_a:]
    values, ptr = csr([a.tolist(), b.tolist()])
    signatures = compute_signatures(values, ptr, num_perm, int(seed))
    true = common / (only_a + only_b + common)
    bound = 5 * math.sqrt(true * (1 - true) / num_perm) + 1 / num_perm
    assert abs(estimate_jaccard(signatures[0], signatures[1]) - true) <= bound


@given(SHINGLE_SETS, st.randoms(use_true_random=False))
def test_document_order_and_shingle_order_do_not_matter(docs, random):
    values, ptr = csr(docs)
    signatures = compute_signatures(values, ptr, 32, 7)
    order = list(range(len(docs)))
    random.shuffle(order)
    shuffled_docs = [random.sample(docs[d], len(docs[d])) for d in order]
    values2, ptr2 = csr(shuffled_docs)
    assert np.array_equal(compute_signatures(values2, ptr2, 32, 7), signatures[order])


def test_export_to_datasketch_keeps_values_and_compares():
    values, ptr = csr([[1, 2, 3, 4], [3, 4, 5, 6]])
    signatures = compute_signatures(values, ptr, 64, 3)
    exported = to_datasketch(signatures, seed=3)
    assert all(isinstance(m, LeanMinHash) for m in exported)
    assert np.array_equal(exported[0].hashvalues, signatures[0])
    assert exported[0].jaccard(exported[1]) == estimate_jaccard(signatures[0], signatures[1])
    reference = MinHash(num_perm=64, seed=3, hashfunc=int)
    reference.update_batch(shingle_values(np.array([1, 2, 3, 4], dtype=np.uint64)).tolist())
    assert exported[0].jaccard(reference) == 1.0


def test_estimate_rejects_different_lengths():
    with pytest.raises(ValueError, match="different lengths"):
        estimate_jaccard(np.zeros(4, np.uint32), np.zeros(8, np.uint32))
