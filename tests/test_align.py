from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dedup.align import align_pairs, align_shingles
from dedup.edits import A_HI, A_LO, B_HI, B_LO, MATCHED_A
from dedup.normalize import words
from dedup.segments import MAX_ANCHOR_REPEATS, find_anchors
from dedup.shingle import shingle_hashes, tokenize
from dedup.spans import cluster_spans, shingle_overlaps

K = 5


def doc_words(n: int, prefix: str) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def align_texts(text_a: str, text_b: str, **kwargs):
    tokens = tokenize([text_a, text_b])
    shingles, ptr = shingle_hashes(tokens.hashes, tokens.doc_ptr, K)
    options = {"shingle_size": K, "min_words": 12, "max_gap": 5, **kwargs}
    same = options.pop("same_doc", False)
    second = shingles[ptr[0] : ptr[1]] if same else shingles[ptr[1] : ptr[2]]
    return align_shingles(shingles[ptr[0] : ptr[1]], second, same_doc=same, **options), tokens


def test_planted_passage_found_with_exact_word_span():
    passage = doc_words(20, "p")
    a = doc_words(30, "a") + passage + doc_words(10, "x")
    b = doc_words(7, "b") + passage + doc_words(40, "y")
    found, _ = align_texts(" ".join(a), " ".join(b))
    assert found[:, [A_LO, A_HI, B_LO, B_HI, MATCHED_A]].tolist() == [[30, 50, 7, 27, 20]]


def test_small_edits_are_bridged_into_one_passage():
    passage = doc_words(40, "p")
    edited = [*passage[:10], "CHANGED", *passage[11:25], *passage[26:]]  # one changed, one dropped
    a = doc_words(5, "a") + passage
    b = doc_words(5, "b") + edited
    found, _ = align_texts(" ".join(a), " ".join(b))
    assert len(found) == 1
    assert found[0, A_LO] == 5 and found[0, A_HI] == 45
    assert found[0, B_LO] == 5 and found[0, B_HI] == 44


def test_a_large_insertion_splits_the_passage():
    passage = doc_words(40, "p")
    inserted = passage[:20] + doc_words(8, "new") + passage[20:]
    found, _ = align_texts(" ".join(passage), " ".join(inserted))
    assert found[:, [A_LO, A_HI, B_LO, B_HI]].tolist() == [[0, 20, 0, 20], [20, 40, 28, 48]]


def test_stock_phrase_under_the_minimum_is_not_reuse():
    phrase = "according to the UK-based Syrian Observatory for Human Rights"
    a = " ".join(doc_words(30, "a")) + " " + phrase + " " + " ".join(doc_words(30, "c"))
    b = " ".join(doc_words(30, "b")) + " " + phrase + " " + " ".join(doc_words(30, "d"))
    found, _ = align_texts(a, b)
    assert len(found) == 0


def test_repeat_inside_one_document():
    body = doc_words(30, "p")
    text = " ".join(doc_words(3, "t") + body + doc_words(4, "m") + body)
    found, _ = align_texts(text, text, same_doc=True)
    assert found[:, [A_LO, A_HI, B_LO, B_HI]].tolist() == [[3, 33, 37, 67]]


def test_periodic_text_copies_do_not_overlap():
    text = " ".join(["ha"] * 60)
    found, _ = align_texts(text, text, same_doc=True)
    assert all(row[A_HI] <= row[B_LO] for row in found)


def test_anchors_skip_shingles_repeated_too_often():
    a = np.array([1] * 20 + [2], dtype=np.uint64)
    b = np.array([1, 2], dtype=np.uint64)
    i, j = find_anchors(a, b)
    assert list(zip(i.tolist(), j.tolist())) == [(20, 1)]


@given(
    st.lists(st.integers(0, 30), min_size=12, max_size=40),
    st.lists(st.integers(100, 130), max_size=30),
    st.lists(st.integers(200, 230), max_size=30),
)
def test_exact_passages_have_equal_normalised_text(shared, left, right):
    text_a = " ".join(f"w{i}" for i in left + shared)
    text_b = " ".join(f"W{i}" for i in shared + right)  # case differs: same words
    found, tokens = align_texts(text_a, text_b, max_gap=0)
    a, b = tokens.doc(0), tokens.doc(1)
    for row in found.tolist():
        span_a = text_a[a.starts[row[A_LO]] : a.ends[row[A_HI] - 1]]
        span_b = text_b[b.starts[row[B_LO]] : b.ends[row[B_HI] - 1]]
        assert words(span_a) == words(span_b)
    # a shingle that repeats more than MAX_ANCHOR_REPEATS times ("w0 w0 w0 …") anchors
    # nothing by design; every other shared run of 12 words must be found whole
    grams = Counter(tuple(shared[k : k + K]) for k in range(len(shared) - K + 1))
    if len(shared) >= 12 and max(grams.values()) <= MAX_ANCHOR_REPEATS:
        assert any(row[MATCHED_A] >= len(shared) for row in found.tolist())


def test_cluster_spans_links_and_overlap_rule():
    # 0-1 linked; 2 overlaps 0 by most of it (same text); 3 is inside a long span 4 (not same)
    docs = np.array([0, 1, 0, 2, 0])
    starts = np.array([100, 50, 105, 10, 0])
    ends = np.array([200, 150, 200, 110, 1000])
    links = np.array([[0, 1], [3, 4]])
    labels = cluster_spans(docs, starts, ends, links)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4] != labels[0]


@given(
    st.lists(st.lists(st.integers(0, 12), min_size=0, max_size=60), min_size=2, max_size=5),
    st.data(),
)
def test_batch_path_equals_single_pair_path(docs, data):
    texts = [" ".join(f"w{v}" for v in doc) for doc in docs]
    tokens = tokenize(texts)
    shingles, ptr = shingle_hashes(tokens.hashes, tokens.doc_ptr, K)
    n = len(docs)
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=8))
    pairs = sorted({(min(a, b), max(a, b)) for a, b in pairs})
    options = {"shingle_size": K, "min_words": 8, "max_gap": 3}
    index, batch = align_pairs(shingles, ptr, np.array(pairs).reshape(-1, 2), **options)
    for k, (a, b) in enumerate(pairs):
        single = align_shingles(
            shingles[ptr[a] : ptr[a + 1]],
            shingles[ptr[b] : ptr[b + 1]],
            same_doc=a == b,
            **options,
        )
        assert batch[index == k].tolist() == single.tolist()


def reference_cluster_spans(docs, starts, ends, links):
    """Plain union-find over links and same-document overlaps of at least half the longer."""
    n = len(docs)
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    def union(x, y):
        rx, ry = find(x), find(y)
        parent[max(rx, ry)] = min(rx, ry)

    for x, y in links:
        union(x, y)
    for x in range(n):
        for y in range(n):
            if x != y and docs[x] == docs[y]:
                overlap = min(ends[x], ends[y]) - max(starts[x], starts[y])
                longer = max(ends[x] - starts[x], ends[y] - starts[y])
                if overlap > 0 and 2 * overlap >= longer:
                    union(x, y)
    roots = [find(x) for x in range(n)]
    return [min(k for k in range(n) if roots[k] == roots[x]) for x in range(n)]


@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 50), st.integers(1, 30)), max_size=14),
    st.data(),
)
def test_cluster_spans_matches_reference(spans, data):
    docs = np.array([d for d, _, _ in spans], dtype=np.int64)
    starts = np.array([s for _, s, _ in spans], dtype=np.int64)
    ends = starts + np.array([w for _, _, w in spans], dtype=np.int64)
    n = len(spans)
    links = (
        data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=5))
        if n
        else []
    )
    got = cluster_spans(docs, starts, ends, np.array(links, dtype=np.int64).reshape(-1, 2))
    assert got.tolist() == reference_cluster_spans(docs, starts, ends, links)


@given(
    st.lists(st.lists(st.integers(0, 9), max_size=30), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=6),
)
def test_shingle_overlaps_are_set_sizes_and_intersections(docs, pairs):
    shingles = np.array([v for doc in docs for v in doc], dtype=np.uint64)
    ptr = np.concatenate([[0], np.cumsum([len(doc) for doc in docs])]).astype(np.int64)
    pairs = [(a % len(docs), b % len(docs)) for a, b in pairs]
    found = shingle_overlaps(shingles, ptr, np.array(pairs, dtype=np.int64).reshape(-1, 2))
    expected = [
        [len(set(docs[a])), len(set(docs[b])), len(set(docs[a]) & set(docs[b]))] for a, b in pairs
    ]
    assert found.tolist() == expected


def union_reference(spans: list[tuple[int, int]]) -> int:
    """Positions covered by the union of half-open spans, one position at a time."""
    return len({k for lo, hi in spans for k in range(lo, hi)})


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40), st.integers(0, 40)), max_size=40))
def test_union_lengths_of_each_group(spans):
    from dedup.spans import union_lengths

    groups = np.array([g for g, _, _ in spans], dtype=np.int64)
    lo = np.array([a for _, a, _ in spans], dtype=np.int64)
    hi = np.array([b for _, _, b in spans], dtype=np.int64)
    found = union_lengths(groups, lo, hi, 5)
    for group in range(5):
        expected = union_reference([(a, b) for g, a, b in spans if g == group])
        assert found[group] == expected
