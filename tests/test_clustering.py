"""dedup.clustering: the StoryClusterer estimator, its kernels, and the seed stories."""

from __future__ import annotations

import gzip
import json
import pickle
import re
import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError, SkipTestWarning
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import check_estimator

from dedup.clustering import StoryClusterer
from dedup.communities import consensus_communities, join_parts, split_communities
from dedup.config import Config
from dedup.errors import ConfigError
from dedup.ingest import read_corpus
from dedup.pipeline import stories
from dedup.story_graph import (
    at_least_kth,
    neighbour_graph,
    row_dots,
    row_slices,
    top_per_row,
)
from dedup.types import Record
from tests.conftest import CORPUS, SEED_IDS, SHARED_DATA

ID = SEED_IDS

# Two events, three short reports each, worded independently (module-level, as in sklearn).
QUAKE = [
    "Earthquake of magnitude 7.1 strikes off the coast of Japan; tsunami warning issued "
    "for Miyagi prefecture as buildings sway in Tokyo.",
    "A strong earthquake hit northeastern Japan, the meteorological agency said, and a "
    "tsunami warning was raised for the Miyagi coast.",
    "Tsunami warning lifted after a magnitude 7.1 earthquake shook Miyagi and Tokyo; no "
    "major damage reported in Japan.",
]
BUDGET = [
    "The finance minister presented a budget that cuts income tax and raises spending on "
    "hospitals, drawing criticism from the opposition.",
    "Opposition parties attacked the new budget, saying the income tax cuts favour the rich "
    "while hospital spending barely rises.",
    "Budget day: income tax cut, more money for hospitals, and an angry opposition in "
    "parliament after the finance minister's speech.",
]


def small_corpus() -> list[Record]:
    return [Record(f"q{k}", text) for k, text in enumerate(QUAKE)] + [
        Record(f"b{k}", text) for k, text in enumerate(BUDGET)
    ]


@pytest.fixture(scope="module")
def seed_stories():
    return stories(read_corpus([str(CORPUS)]).records)


# --- the seeds ------------------------------------------------------------------------------


def test_seed_reprints_and_the_guardian_form_one_story(seed_stories):
    groups = {story.members for story in seed_stories.stories}
    assert (ID["000"], ID["001"], ID["002"]) in groups


def test_seed_004_is_a_story_of_its_own(seed_stories):
    assert (ID["004"],) in {story.members for story in seed_stories.stories}


def test_seed_003_stands_alone_without_a_shared_passage(seed_stories):
    # 003 (Kerry and Lavrov in Hamburg, three days earlier) shares no passage with anyone,
    # and on five articles about one crisis its TF-IDF similarity is not above background
    assert (ID["003"],) in {story.members for story in seed_stories.stories}


def test_seed_story_span_and_label(seed_stories):
    story = next(s for s in seed_stories.stories if ID["000"] in s.members)
    assert story.first_date == story.last_date == "2016-12-10"
    assert story.title == "Syria and Russia pressed to end Aleppo onslaught"
    assert story.label


def test_seed_story_needs_the_passage_links():
    result = stories(read_corpus([str(CORPUS)]).records, use_links=False)
    assert all(len(story.members) == 1 for story in result.stories)


def test_story_ids_follow_the_earliest_date(seed_stories):
    ids = [s.id for s in seed_stories.stories]
    assert ids == [f"s{k}" for k in range(1, len(ids) + 1)]
    dated = [s.first_date for s in seed_stories.stories if s.first_date]
    assert dated == sorted(dated)
    assert seed_stories.stories[-1].first_date is None  # 004 has no date


# --- the estimator ------------------------------------------------------------------------


def test_two_events_are_found_apart():
    labels = StoryClusterer(min_df=1, min_lift=1.0).fit_predict(small_corpus())
    assert adjusted_rand_score([0, 0, 0, 1, 1, 1], labels) == 1.0


def test_fit_predict_returns_labels_of_every_record():
    clusterer = StoryClusterer(min_df=1, min_lift=1.0)
    labels = clusterer.fit_predict(small_corpus())
    assert labels.shape == (6,)
    assert np.array_equal(labels, clusterer.labels_)
    assert clusterer.n_clusters_ == len(set(labels.tolist()))


def test_plain_strings_are_accepted():
    labels = StoryClusterer(min_df=1, min_lift=1.0).fit_predict(QUAKE + BUDGET)
    assert adjusted_rand_score([0, 0, 0, 1, 1, 1], labels) == 1.0


def test_input_order_does_not_change_the_stories():
    records = small_corpus()
    forward = StoryClusterer(min_df=1, min_lift=1.0).fit(records)
    backward = StoryClusterer(min_df=1, min_lift=1.0).fit(records[::-1])
    assert forward.stories_ == backward.stories_
    assert np.array_equal(forward.labels_, backward.labels_[::-1])


def test_params_round_trip_and_clone():
    clusterer = StoryClusterer(n_neighbors=4, window_days=None, random_state=3)
    assert clusterer.get_params()["n_neighbors"] == 4
    copy = clone(clusterer)
    assert copy.get_params() == clusterer.get_params()
    assert not hasattr(copy, "labels_")


def test_story_of_before_fit_raises():
    with pytest.raises(NotFittedError):
        StoryClusterer().story_of(0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"n_neighbors": 0},
            "The 'n_neighbors' parameter of StoryClusterer must be an int in the range "
            "[1, inf). Got 0 instead.",
        ),
        (
            {"resolution": 0.0},
            "The 'resolution' parameter of StoryClusterer must be a float in the range "
            "(0, inf). Got 0.0 instead.",
        ),
        ({"max_df": 1.5}, "The 'max_df' parameter of StoryClusterer must be"),
        ({"max_df": float("nan")}, "The 'max_df' parameter of StoryClusterer must be"),
        (
            {"window_days": -1.0},
            "The 'window_days' parameter of StoryClusterer must be a float in the range "
            "(0, inf) or None. Got -1.0 instead.",
        ),
        ({"min_conductance": 1.5}, "The 'min_conductance' parameter of StoryClusterer must be"),
    ],
)
def test_bad_parameters_raise_at_fit(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        StoryClusterer(**params).fit(small_corpus())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"n_neighbors": 2.5},
            "The 'n_neighbors' parameter of StoryClusterer must be an int in the range "
            "[1, inf). Got 2.5 instead.",
        ),
        ({"min_lift": True}, "The 'min_lift' parameter of StoryClusterer must be a float"),
        ({"window_days": "7"}, "The 'window_days' parameter of StoryClusterer must be"),
        ({"ngram_range": [1, 2]}, "The 'ngram_range' parameter of StoryClusterer must be a tuple"),
        (
            {"random_state": "seed"},
            "The 'random_state' parameter of StoryClusterer must be an int, a RandomState or "
            "None. Got 'seed' instead.",
        ),
    ],
)
def test_parameters_of_the_wrong_type_raise_type_errors_at_fit(params, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        StoryClusterer(**params).fit(small_corpus())


def test_bad_parameters_do_not_raise_before_fit():
    clusterer = StoryClusterer(n_neighbors=0).set_params(resolution=-1.0)
    assert clusterer.get_params()["resolution"] == -1.0


def test_check_estimator_passes_with_text_input_declared():
    # StoryClusterer reads text (its tags say so), and scikit-learn's checks feed 2-D arrays
    # of numbers: check_estimator then runs its cloning check and skips the others, as it
    # does for TfidfVectorizer. The test below holds the fitting contract on text instead.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = check_estimator(StoryClusterer())
    assert {r["status"] for r in results} == {"passed"}
    assert any(issubclass(w.category, SkipTestWarning) for w in caught)


def test_fit_keeps_the_estimator_contract_on_text():
    clusterer = StoryClusterer(min_df=1, min_lift=1.0)
    params = clusterer.get_params()
    assert not [name for name in vars(clusterer) if name.endswith("_")]  # __init__ stores only
    assert clusterer.fit(small_corpus()) is clusterer
    assert clusterer.get_params() == params  # fit changed no parameter
    first = clusterer.labels_.copy()
    assert np.array_equal(clusterer.fit(small_corpus()).labels_, first)  # fit is idempotent
    restored = pickle.loads(pickle.dumps(clusterer))
    assert np.array_equal(restored.labels_, first)
    assert restored.stories_ == clusterer.stories_


def test_empty_input_is_an_error():
    with pytest.raises(ValueError, match="at least one record"):
        StoryClusterer().fit([])


def test_bad_story_setting_names_the_field():
    with pytest.raises(ConfigError, match="story_neighbors"):
        Config(story_neighbors=0)
    with pytest.raises(ConfigError, match="story_min_conductance"):
        Config(story_min_conductance=-0.1)


def test_a_link_joins_two_records_the_words_keep_apart():
    records = small_corpus()
    plain = StoryClusterer(min_df=1, min_lift=1.0).fit(records)
    assert plain.labels_[0] != plain.labels_[3]
    linked = StoryClusterer(min_df=1, min_lift=1.0).fit(records, links=[(0, 3)])
    assert linked.graph_[0, 3] == pytest.approx(1.0)


def test_dates_far_apart_weaken_an_edge_and_must_beat_the_background_after_it():
    records = small_corpus()
    dated = [
        Record(r.id, r.text, date="2020-01-01" if r.id != "q2" else "2020-03-01") for r in records
    ]
    plain = StoryClusterer(min_df=1, min_lift=1.0).fit(records)
    decayed = StoryClusterer(min_df=1, min_lift=1.0, window_days=7.0).fit(dated)
    assert plain.graph_[0, 2] > 0 and plain.labels_[0] == plain.labels_[2]
    assert decayed.graph_[0, 2] < plain.graph_[0, 2] * np.exp(-50 / 7.0)
    assert decayed.graph_[0, 1] == pytest.approx(plain.graph_[0, 1])
    assert decayed.graph_[0, 2] == 0  # 60 days: the lift test drops the edge
    assert decayed.labels_[0] != decayed.labels_[2]
    # a passage link is strong evidence: it is weakened by the same factor, not dropped
    linked = StoryClusterer(min_df=1, min_lift=1.0, window_days=7.0).fit(dated, links=[(0, 2)])
    assert linked.graph_[0, 2] == pytest.approx(np.exp(-60 / 7.0))


def test_same_seed_same_stories():
    records = small_corpus()
    one = StoryClusterer(min_df=1, min_lift=1.0, random_state=7).fit(records)
    two = StoryClusterer(min_df=1, min_lift=1.0, random_state=7).fit(records)
    assert one.stories_ == two.stories_


# --- communities: divided until each holds ------------------------------------------------


def ring_of_cliques(n_cliques: int, size: int = 5, tie: float = 0.2) -> sp.csr_matrix:
    """Cliques of unit edges, each tied to the next by one edge of weight ``tie``."""
    rows, cols, weights = [], [], []
    for clique in range(n_cliques):
        base = clique * size
        for i in range(size):
            for j in range(i + 1, size):
                rows.append(base + i)
                cols.append(base + j)
                weights.append(1.0)
        rows.append(base + size - 1)
        cols.append((clique + 1) % n_cliques * size)
        weights.append(tie)
    n_nodes = n_cliques * size
    graph = sp.csr_matrix((weights, (rows, cols)), shape=(n_nodes, n_nodes))
    return (graph + graph.T).tocsr()


def modularity_labels(graph: sp.csr_matrix) -> np.ndarray:
    upper = sp.triu(graph, k=1).tocoo()
    return consensus_communities(
        graph.shape[0],
        upper.row.astype(np.int64),
        upper.col.astype(np.int64),
        upper.data.astype(np.float64),
        1.0,
        5,
        np.random.RandomState(0),
    )


def test_many_cliques_stay_apart_where_modularity_merges_them():
    # the resolution limit: on a ring of 200 cliques, modularity over the whole graph joins
    # neighbouring cliques (their tie beats its null model, spread over the whole ring); each
    # clique gives 0.2 / 20.2 < 3% of its weight to a neighbour, so it is a story of its own
    graph = ring_of_cliques(200)
    cliques = np.arange(graph.shape[0]) // 5
    assert len(set(modularity_labels(graph).tolist())) < 200
    labels = split_communities(graph, 1.0, 0.03, 5, np.random.RandomState(0))
    assert adjusted_rand_score(cliques, labels) == 1.0


def test_a_high_resolution_keeps_the_cliques_of_the_ring_apart():
    # merging two neighbouring cliques gains 0.2 and costs resolution · 20.4² / 2m, about
    # 0.1 · resolution on a ring of 200: from resolution 2 on, modularity keeps them apart
    graph = ring_of_cliques(200)
    upper = sp.triu(graph, k=1).tocoo()
    labels = consensus_communities(
        graph.shape[0],
        upper.row.astype(np.int64),
        upper.col.astype(np.int64),
        upper.data.astype(np.float64),
        4.0,
        1,
        np.random.RandomState(0),
    )
    assert adjusted_rand_score(np.arange(graph.shape[0]) // 5, labels) == 1.0


def planted_graph(seed: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Six groups of ten nodes, dense inside and sparse between, random weights: n_nodes,
    the edges (first < second) with their weights, and each node's group."""
    rng = np.random.default_rng(seed)
    group = np.arange(60) // 10
    first, second = np.triu_indices(60, k=1)
    chance = np.where(group[first] == group[second], 0.6, 0.05)
    keep = rng.random(len(first)) < chance
    weight = rng.random(int(keep.sum())) + 0.1
    return 60, first[keep].astype(np.int64), second[keep].astype(np.int64), weight, group


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_leiden_runs_are_at_least_as_modular_as_the_planted_groups(seed):
    n_nodes, first, second, weight, group = planted_graph(seed)
    labels = consensus_communities(
        n_nodes, first, second, weight, 1.0, 1, np.random.RandomState(seed)
    )
    graph = nx.Graph()
    graph.add_nodes_from(range(n_nodes))
    graph.add_weighted_edges_from(zip(first.tolist(), second.tolist(), weight.tolist()))

    def modularity(labels: np.ndarray) -> float:
        parts = [set(np.flatnonzero(labels == c).tolist()) for c in np.unique(labels)]
        return nx.community.modularity(graph, parts, resolution=1.0)

    assert modularity(labels) >= modularity(group) - 1e-9


def test_communities_do_not_depend_on_the_order_of_the_edges():
    n_nodes, first, second, weight, _ = planted_graph(3)
    shuffle = np.random.default_rng(4).permutation(len(first))
    swap = np.random.default_rng(5).random(len(first)) < 0.5  # either end first
    a = np.where(swap, second, first)[shuffle]
    b = np.where(swap, first, second)[shuffle]
    ordered = consensus_communities(
        n_nodes, first, second, weight, 1.0, 3, np.random.RandomState(9)
    )
    shuffled = consensus_communities(
        n_nodes, a, b, weight[shuffle], 1.0, 3, np.random.RandomState(9)
    )
    assert ordered.tobytes() == shuffled.tobytes()
    assert ordered[0] == 0 and set(ordered.tolist()) == set(range(int(ordered.max()) + 1))


def test_a_clique_stories_do_not_depend_on_the_size_of_the_graph():
    small = split_communities(ring_of_cliques(10), 1.0, 0.03, 3, np.random.RandomState(0))
    large = split_communities(ring_of_cliques(200), 1.0, 0.03, 3, np.random.RandomState(0))
    assert adjusted_rand_score(small, large[:50]) == 1.0


def test_ties_above_min_conductance_keep_cliques_together():
    # with min_conductance under the tie share, neighbouring cliques stay one story: the whole
    # ring is connected, so it all comes back as one
    graph = ring_of_cliques(20)
    labels = split_communities(graph, 1.0, 0.005, 3, np.random.RandomState(0))
    assert len(set(labels.tolist())) == 1


def test_min_conductance_zero_gives_the_connected_components():
    graph = sp.block_diag([ring_of_cliques(6), ring_of_cliques(4)]).tocsr()
    labels = split_communities(graph, 1.0, 0.0, 3, np.random.RandomState(0))
    assert adjusted_rand_score([0] * 30 + [1] * 20, labels) == 1.0


def test_isolated_nodes_are_stories_of_their_own():
    graph = sp.block_diag([ring_of_cliques(3), sp.csr_matrix((2, 2))]).tocsr()
    labels = split_communities(graph, 1.0, 0.03, 3, np.random.RandomState(0))
    assert labels[15] != labels[16]
    assert (labels[:15] != labels[15]).all()


def test_join_parts_joins_the_tied_pair_only():
    # three parts of two nodes: 0 and 1 tied by a fifth of their volume, 1 and 2 by 0.5%
    parts = np.array([0, 0, 1, 1, 2, 2])
    first = np.array([0, 2, 4, 1, 3])
    second = np.array([1, 3, 5, 2, 4])
    weight = np.array([1.0, 1.0, 1.0, 0.5, 0.01])
    volume = np.array([1.0, 1.5, 1.5, 1.01, 1.01, 1.0])
    joined = join_parts(parts, first, second, weight, volume, 0.03)
    assert joined.tolist() == [0, 0, 0, 0, 1, 1]


def test_join_parts_adds_up_weak_ties_to_a_joined_part():
    # part 2 is tied to parts 0 and 1 by 0.02 of its volume each: too little for either, but
    # once 0 and 1 are joined (strongly tied), its tie to the two together is 0.04
    parts = np.array([0, 1, 2])
    first = np.array([0, 0, 1])
    second = np.array([1, 2, 2])
    weight = np.array([5.0, 0.02, 0.02])
    volume = np.array([10.0, 10.0, 1.0])
    assert join_parts(parts, first, second, weight, volume, 0.03).tolist() == [0, 0, 0]
    assert join_parts(parts, first, second, weight, volume, 0.05).tolist() == [0, 0, 1]


# --- a small real labelled set --------------------------------------------------------------


BASIL = SHARED_DATA / "basil" / "basil.jsonl.gz"


@pytest.mark.skipif(not BASIL.exists(), reason="../shared/data/basil is not here")
def test_basil_events_are_recovered():
    with gzip.open(BASIL, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    events = sorted({row["story"] for row in rows})[:20]  # 20 events × 3 outlets
    chosen = [row for row in rows if row["story"] in events]
    records = [Record(str(r["id"]), r["text"], title=r["title"], date=r["date"]) for r in chosen]
    labels = StoryClusterer().fit_predict(records)
    assert adjusted_rand_score([r["story"] for r in chosen], labels) >= 0.8


@pytest.mark.skipif(not BASIL.exists(), reason="../shared/data/basil is not here")
def test_neighbour_graph_leaves_the_callers_float64_vectors_as_they_were():
    """BASIL texts through scikit-learn's TfidfVectorizer (float64, indices not sorted): the
    graph is the same on every call, and the caller's matrix is not changed."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    with gzip.open(BASIL, "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle][:90]
    vectors = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    assert vectors.dtype == np.float64 and not vectors.has_sorted_indices
    before = vectors.toarray()
    first = neighbour_graph(vectors, 3)
    assert np.array_equal(vectors.toarray(), before)
    assert (neighbour_graph(vectors, 3) != first).nnz == 0
    same = neighbour_graph(sp.csr_matrix(before, dtype=np.float32), 3)
    assert np.array_equal(same.indices, first.indices)


# --- kernels --------------------------------------------------------------------------------


def reference_top(row, col, score, k):
    best: dict[int, list] = {}
    for position, (r, c, s) in enumerate(zip(row, col, score)):
        best.setdefault(r, []).append((-s, c, position))
    return sorted(p for items in best.values() for _, _, p in sorted(items)[:k])


@given(
    st.lists(
        st.tuples(
            st.integers(0, 6),
            st.integers(0, 30),
            # few distinct scores (many ties) or any real ones, in float32 or float64
            st.one_of(st.integers(0, 4).map(float), st.floats(-2.0, 2.0, allow_nan=False)),
        ),
        max_size=80,
        unique_by=lambda t: (t[0], t[1]),
    ),
    st.integers(0, 5),
    st.sampled_from([np.float32, np.float64]),
)
def test_top_per_row_matches_a_plain_loop(entries, k, dtype):
    row = np.array([e[0] for e in entries], dtype=np.int64)
    col = np.array([e[1] for e in entries], dtype=np.int64)
    score = np.array([e[2] for e in entries], dtype=dtype)
    assert sorted(top_per_row(row, col, score, k).tolist()) == reference_top(
        row.tolist(), col.tolist(), score.tolist(), k
    )


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.floats(allow_nan=False, allow_infinity=True, width=32)),
        min_size=1,
        max_size=60,
    ),
    st.integers(1, 5),
)
def test_at_least_kth_keeps_exactly_the_scores_reaching_the_kth(entries, k):
    row = np.array([e[0] for e in entries], dtype=np.int64)
    score = np.array([e[1] for e in entries], dtype=np.float32)
    expected = []
    for i, (r, x) in enumerate(entries):
        mine = sorted((y for s, y in entries if s == r), reverse=True)
        if x >= mine[min(k, len(mine)) - 1]:
            expected.append(i)
    assert at_least_kth(row, score, k).tolist() == expected


def random_vectors(seed: int, n_docs: int = 40, n_terms: int = 30) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.random((n_docs, n_terms)) * (rng.random((n_docs, n_terms)) < 0.3)
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    return sp.csr_matrix(dense.astype(np.float32))


@given(st.integers(0, 2**16))
def test_row_dots_equal_dense_products(seed):
    vectors = random_vectors(seed)
    rng = np.random.default_rng(seed + 1)
    row, col = rng.integers(0, 40, 50), rng.integers(0, 40, 50)
    dense = vectors.toarray()
    expected = np.einsum("ij,ij->i", dense[row], dense[col])
    assert np.allclose(row_dots(vectors, row, col, chunk=7), expected, atol=1e-5)


@given(st.integers(0, 2**16), st.integers(1, 6))
def test_neighbour_graph_equals_brute_force_when_nothing_is_pruned(seed, k):
    vectors = random_vectors(seed)
    graph = neighbour_graph(vectors, k, candidate_terms=vectors.shape[1]).toarray()
    similarity = (vectors @ vectors.T).toarray()
    np.fill_diagonal(similarity, -1.0)
    for row in range(vectors.shape[0]):
        # the k-th best similarity of the row, and every neighbour kept is at least that good
        expected = np.sort(similarity[row])[::-1][:k]
        kept = np.sort(graph[row][graph[row] > 0])[::-1]
        assert np.allclose(kept, expected[expected > 0][: len(kept)], atol=1e-5)
        assert len(kept) == int((expected > 0).sum())


@given(st.lists(st.integers(0, 9), max_size=30), st.integers(1, 12))
def test_row_slices_cover_every_row_in_order_within_the_bound(lengths, max_entries):
    indptr = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    slices = row_slices(indptr, max_entries)
    assert [low for low, _ in slices] == [0, *[high for _, high in slices]][: len(slices)]
    assert (slices[-1][1] if slices else 0) == len(lengths)
    for low, high in slices:
        assert high > low
        assert high == low + 1 or indptr[high] - indptr[low] <= max_entries


@given(st.integers(0, 2**16))
def test_neighbour_graph_is_the_same_ranked_in_small_slices(seed):
    import dedup.story_graph as stories_module

    vectors = random_vectors(seed)
    whole = neighbour_graph(vectors, 3, candidate_terms=5)
    saved = stories_module.SLICE_ENTRIES
    stories_module.SLICE_ENTRIES = 7
    try:
        sliced = neighbour_graph(vectors, 3, candidate_terms=5)
    finally:
        stories_module.SLICE_ENTRIES = saved
    assert (whole != sliced).nnz == 0


@given(
    st.lists(st.integers(0, 5), min_size=1, max_size=40),
    st.integers(1, 60),
    st.integers(0, 2**31 - 1),
)
def test_group_terms_in_blocks_equal_one_sum(story_of, limit, seed):
    """Each story's top terms are the same whether its sums are made a block of stories at a
    time or all at once (bit for bit: the same members in the same order)."""
    import dedup.clustering as clustering

    rng = np.random.default_rng(seed)
    labels = np.unique(story_of, return_inverse=True)[1].astype(np.int64)
    n_stories = int(labels.max()) + 1
    vectors = sp.random(len(labels), 12, density=0.4, format="csr", random_state=rng)
    terms = np.array([f"t{k}" for k in range(12)])
    whole = clustering.group_terms(labels, n_stories, vectors, terms, 3)
    saved = clustering.GROUP_TERMS_ENTRIES
    try:
        clustering.GROUP_TERMS_ENTRIES = limit
        blocked = clustering.group_terms(labels, n_stories, vectors, terms, 3)
    finally:
        clustering.GROUP_TERMS_ENTRIES = saved
    assert blocked == whole
    # and each story's terms are those of its summed vectors
    for story in range(n_stories):
        total = np.asarray(vectors[labels == story].sum(axis=0)).ravel()
        top = [terms[k] for k in np.lexsort((np.arange(12), -total))[:3] if total[k] > 0]
        assert whole[story] == ", ".join(top)
