"""Boundary articles placed by their stories' centroids (dedup.story_refine)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import normalize

from dedup.clustering import StoryClusterer, _text_of
from dedup.communities import split_communities
from dedup.story_refine import centroid_dots, place_by_centroids, story_dots
from dedup.types import Record
from tests.conftest import SHARED_DATA


def rows(*dense: list[float]) -> sp.csr_matrix:
    return sp.csr_matrix(normalize(np.array(dense, dtype=np.float32)))


def edges(n: int, pairs: list[tuple[int, int]]) -> sp.csr_matrix:
    a = np.array([p[0] for p in pairs] + [p[1] for p in pairs])
    b = np.array([p[1] for p in pairs] + [p[0] for p in pairs])
    return sp.csr_matrix((np.ones(len(a), dtype=np.float32), (a, b)), shape=(n, n))


# stories 0 (words 0, 1) and 1 (words 2, 3); article 4 is about words 2 and 3 but the
# division put it in story 0, to which it has the only neighbour
VECTORS = rows(
    [1, 1, 0, 0],
    [1, 1, 0, 0],
    [0, 0, 1, 1],
    [0, 0, 1, 1],
    [0.1, 0, 1, 1],
)


def test_an_article_moves_to_the_neighbour_story_whose_words_it_has():
    graph = edges(5, [(0, 1), (2, 3), (4, 0), (4, 2)])
    labels = place_by_centroids(VECTORS, graph, np.array([0, 0, 1, 1, 0]))
    assert labels.tolist() == [0, 0, 1, 1, 1]


def test_only_the_stories_of_its_neighbours_are_candidates():
    # article 4 has no neighbour in story 1: it stays, however like story 1 it is
    graph = edges(5, [(0, 1), (2, 3), (4, 0)])
    labels = place_by_centroids(VECTORS, graph, np.array([0, 0, 1, 1, 0]))
    assert labels.tolist() == [0, 0, 1, 1, 0]


def test_an_article_at_home_stays():
    graph = edges(5, [(0, 1), (2, 3), (4, 0), (4, 2), (4, 3), (1, 2)])
    labels = np.array([0, 0, 1, 1, 1])
    assert place_by_centroids(VECTORS, graph, labels).tolist() == labels.tolist()


def test_labels_are_renumbered_when_a_story_empties():
    # story 1 holds only article 4, which belongs with story 2
    graph = edges(5, [(0, 1), (2, 3), (4, 2)])
    labels = place_by_centroids(VECTORS, graph, np.array([0, 0, 2, 2, 1]))
    assert labels.tolist() == [0, 0, 1, 1, 1]


def test_no_edges_or_no_terms_change_nothing():
    labels = np.array([3, 3, 5, 5, 3])
    empty = sp.csr_matrix((5, 5), dtype=np.float32)
    assert place_by_centroids(VECTORS, empty, labels).tolist() == [0, 0, 1, 1, 0]
    no_terms = sp.csr_matrix((5, 0), dtype=np.float32)
    graph = edges(5, [(4, 2)])
    assert place_by_centroids(no_terms, graph, labels).tolist() == [0, 0, 1, 1, 0]


def test_the_result_does_not_depend_on_the_order_of_the_articles():
    rng = np.random.default_rng(0)
    vectors = sp.csr_matrix(normalize(rng.random((40, 12)) * (rng.random((40, 12)) < 0.3)))
    graph = sp.random(40, 40, density=0.1, random_state=1, format="csr")
    graph = (graph + graph.T).tocsr()
    labels = rng.integers(0, 6, 40)
    out = place_by_centroids(vectors, graph, labels)
    perm = rng.permutation(40)
    shuffled = place_by_centroids(vectors[perm], graph[perm][:, perm], labels[perm])
    # the same partition (labels are numbered by the old ones, which were permuted alike)
    assert [set(np.flatnonzero(out == k)) for k in np.unique(out)] == [
        set(perm[np.flatnonzero(shuffled == k)]) for k in np.unique(shuffled)
    ]


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=200),
    st.integers(min_value=0, max_value=2**31 - 1),
)
def test_centroid_dots_match_dense_products(n_docs, n_terms, n_stories, chunk, seed):
    rng = np.random.default_rng(seed)
    dense = rng.random((n_docs, n_terms)) * (rng.random((n_docs, n_terms)) < 0.4)
    vectors = sp.csr_matrix(dense.astype(np.float32))
    cent = rng.random((n_stories, n_terms)) * (rng.random((n_stories, n_terms)) < 0.5)
    centroids = sp.csr_matrix(cent)
    centroids.sort_indices()
    doc = rng.integers(0, n_docs, 25)
    story = rng.integers(0, n_stories, 25)
    got = centroid_dots(vectors, centroids, doc, story, chunk_entries=chunk)
    want = (vectors.toarray().astype(np.float64)[doc] * cent[story]).sum(axis=1)
    assert got == pytest.approx(want, rel=1e-5, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=1, max_value=100),
    st.integers(min_value=0, max_value=2**31 - 1),
)
def test_story_dots_match_dense_centroids_whatever_the_block_size(n_docs, n_stories, chunk, seed):
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_docs, 10)) * (rng.random((n_docs, 10)) < 0.4)).astype(np.float32)
    labels = rng.integers(0, n_stories, n_docs)
    doc = rng.integers(0, n_docs, 20)
    story = rng.choice(np.unique(labels), 20)
    dots, squared = story_dots(sp.csr_matrix(dense), labels, doc, story, chunk_entries=chunk)
    sums = np.zeros((labels.max() + 1, 10))
    np.add.at(sums, labels, dense.astype(np.float64))
    assert dots == pytest.approx((dense[doc] * sums[story]).sum(axis=1), rel=1e-5, abs=1e-6)
    assert squared == pytest.approx((sums[story] ** 2).sum(axis=1), rel=1e-5, abs=1e-6)


def test_an_article_without_terms_stays():
    vectors = sp.vstack([VECTORS, sp.csr_matrix((1, 4), dtype=np.float32)]).tocsr()
    # it scores 0 everywhere: without the rule, the tie would take it to the lower label
    graph = edges(6, [(0, 1), (2, 3), (5, 0)])
    labels = place_by_centroids(vectors, graph, np.array([0, 0, 1, 1, 1, 1]))
    assert labels.tolist() == [0, 0, 1, 1, 1, 1]


def test_only_movable_articles_move():
    graph = edges(5, [(0, 1), (2, 3), (4, 0), (4, 2)])
    labels = np.array([0, 0, 1, 1, 0])
    movable = np.array([True, True, True, True, False])
    assert place_by_centroids(VECTORS, graph, labels, movable).tolist() == [0, 0, 1, 1, 0]


def snippets(dated: bool) -> list[Record]:
    """GoogleNews-TS snippets of 20 stories (undated), or the same all dated on one day, so
    that the graph and its division are the same and only the placing step may differ."""
    path = SHARED_DATA / "googlenews-ts" / "googlenews-ts.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    stories = sorted({row["story"] for row in rows})[:20]
    chosen = sorted((r for r in rows if r["story"] in stories), key=lambda r: str(r["id"]))
    day = "2013-11-28" if dated else None
    return [Record(str(r["id"]), r["text"], date=day) for r in chosen]


def partition(labels: np.ndarray) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(labels == k).tolist()) for k in np.unique(labels)}


def division_of(clusterer: StoryClusterer) -> np.ndarray:
    """The clusterer's division before the placing step (its first draws from its seed)."""
    return split_communities(
        sp.csr_matrix(clusterer.graph_),
        clusterer.resolution,
        clusterer.min_conductance,
        clusterer.n_consensus,
        np.random.RandomState(clusterer.random_state),
    )


def test_the_clusterer_places_undated_articles_by_centroids():
    records = snippets(dated=False)
    clusterer = StoryClusterer(random_state=0).fit(records)
    division = division_of(clusterer)
    vectors = clusterer.vectorizer_.transform(
        [_text_of(r, clusterer.title_weight) for r in records]
    )
    placed = place_by_centroids(vectors, clusterer.graph_, division)
    assert partition(placed) != partition(division)  # some article moves here
    assert partition(clusterer.labels_) == partition(placed)


def test_the_clusterer_leaves_dated_articles_where_the_division_put_them():
    clusterer = StoryClusterer(random_state=0).fit(snippets(dated=True))
    assert partition(clusterer.labels_) == partition(division_of(clusterer))
