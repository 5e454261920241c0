"""dedup.stories: the StoryClusterer estimator, its kernels, and the seed stories."""

from __future__ import annotations

import gzip
import json
import re

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from dedup.config import Config
from dedup.errors import ConfigError
from dedup.ingest import read_corpus
from dedup.pipeline import stories
from dedup.stories import StoryClusterer, neighbour_graph, row_dots, top_per_row
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
        ({"n_neighbors": 0}, "The 'n_neighbors' parameter of StoryClusterer must be"),
        ({"resolution": 0.0}, "The 'resolution' parameter of StoryClusterer must be"),
        ({"max_df": 1.5}, "The 'max_df' parameter of StoryClusterer must be"),
        ({"window_days": -1.0}, "The 'window_days' parameter of StoryClusterer must be"),
    ],
)
def test_bad_parameters_raise_at_fit(params, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        StoryClusterer(**params).fit(small_corpus())


def test_empty_input_is_an_error():
    with pytest.raises(ValueError, match="at least one record"):
        StoryClusterer().fit([])


def test_bad_story_setting_names_the_field():
    with pytest.raises(ConfigError, match="story_neighbors"):
        Config(story_neighbors=0)


def test_a_link_joins_two_records_the_words_keep_apart():
    records = small_corpus()
    plain = StoryClusterer(min_df=1, min_lift=1.0).fit(records)
    assert plain.labels_[0] != plain.labels_[3]
    linked = StoryClusterer(min_df=1, min_lift=1.0).fit(records, links=[(0, 3)])
    assert linked.graph_[0, 3] == pytest.approx(1.0)


def test_dates_far_apart_weaken_an_edge():
    records = small_corpus()
    dated = [
        Record(r.id, r.text, date="2020-01-01" if r.id != "q2" else "2020-03-01") for r in records
    ]
    plain = StoryClusterer(min_df=1, min_lift=1.0).fit(records)
    decayed = StoryClusterer(min_df=1, min_lift=1.0, window_days=7.0).fit(dated)
    assert plain.graph_[0, 2] > 0
    assert decayed.graph_[0, 2] < plain.graph_[0, 2] * np.exp(-50 / 7.0)
    assert decayed.graph_[0, 1] == pytest.approx(plain.graph_[0, 1])


def test_same_seed_same_stories():
    records = small_corpus()
    one = StoryClusterer(min_df=1, min_lift=1.0, random_state=7).fit(records)
    two = StoryClusterer(min_df=1, min_lift=1.0, random_state=7).fit(records)
    assert one.stories_ == two.stories_


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


# --- kernels --------------------------------------------------------------------------------


def reference_top(row, col, score, k):
    best: dict[int, list] = {}
    for position, (r, c, s) in enumerate(zip(row, col, score)):
        best.setdefault(r, []).append((-s, c, position))
    return sorted(p for items in best.values() for _, _, p in sorted(items)[:k])


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 9), st.integers(0, 4)),
        max_size=40,
        unique_by=lambda t: (t[0], t[1]),
    ),
    st.integers(1, 4),
)
def test_top_per_row_matches_a_plain_loop(entries, k):
    row = np.array([e[0] for e in entries], dtype=np.int64)
    col = np.array([e[1] for e in entries], dtype=np.int64)
    score = np.array([e[2] for e in entries], dtype=np.float32)
    assert sorted(top_per_row(row, col, score, k).tolist()) == reference_top(
        row.tolist(), col.tolist(), score.tolist(), k
    )


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
