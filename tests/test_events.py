"""dedup.events: events inside stories, under a date window."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import scipy.sparse as sp

from dedup.clustering import StoryClusterer
from dedup.events import EVENT_WINDOW_DAYS, cut_long_events, event_graph, find_events
from dedup.types import Record

QUAKE = [
    "Earthquake of magnitude 7.1 strikes off the coast of Japan; tsunami warning issued "
    "for Miyagi prefecture as buildings sway in Tokyo.",
    "A strong earthquake hit northeastern Japan, the meteorological agency said, and a "
    "tsunami warning was raised for the Miyagi coast.",
    "Tsunami warning lifted after a magnitude 7.1 earthquake shook Miyagi and Tokyo; no "
    "major damage reported in Japan.",
]

AFTER = [
    "Two months after the magnitude 7.1 earthquake, Miyagi rebuilds the coast of Japan that "
    "the tsunami hit; Tokyo promises money.",
    "Towns on the Miyagi coast of Japan still clear tsunami debris after the earthquake, the "
    "meteorological agency said.",
    "Japan's agency reviews the tsunami warning it raised for Miyagi and Tokyo after the "
    "strong earthquake.",
]


def symmetric(n: int, edges: list[tuple[int, int, float]]) -> sp.csr_matrix:
    rows = [a for a, b, _ in edges] + [b for a, b, _ in edges]
    cols = [b for a, b, _ in edges] + [a for a, b, _ in edges]
    data = [w for *_, w in edges] * 2
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n))


def test_event_graph_keeps_near_edges_inside_one_story():
    graph = symmetric(4, [(0, 1, 1.0), (1, 2, 1.0), (2, 3, 1.0)])
    story_of = np.array([0, 0, 0, 1])
    days = np.array([100, 100 + EVENT_WINDOW_DAYS + 1, -1, 200])
    kept = event_graph(graph, story_of, days, EVENT_WINDOW_DAYS)
    pairs = {tuple(p) for p in np.argwhere(kept.toarray() > 0).tolist()}
    # 0-1 too far apart, 2-3 in two stories; 1-2 kept (2 undated)
    assert pairs == {(1, 2), (2, 1)}


def test_two_bursts_of_one_story_weeks_apart_are_two_events():
    # two dense triangles tied by one edge; a story, but the tie spans 30 days
    graph = symmetric(
        6, [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0), (3, 4, 1.0), (4, 5, 1.0), (3, 5, 1.0),
            (2, 3, 0.5)],
    )  # fmt: skip
    days = np.array([0, 0, 1, 31, 31, 32]) + 700000
    labels = find_events(graph, np.zeros(6, dtype=np.int64), days, 1.0, 0.03, 3,
                         np.random.RandomState(0))  # fmt: skip
    assert labels[:3].tolist() == [labels[0]] * 3
    assert labels[3:].tolist() == [labels[3]] * 3
    assert labels[0] != labels[3]


def dated_reports(start: date, texts: list[str] = QUAKE) -> list[Record]:
    return [
        Record(f"{start.isoformat()}-{k}", text, date=(start + timedelta(days=k)).isoformat())
        for k, text in enumerate(texts)
    ]


def test_events_nest_in_stories_and_cover_every_record():
    records = dated_reports(date(2020, 1, 1)) + dated_reports(date(2020, 3, 1), AFTER)
    clusterer = StoryClusterer(min_df=1, min_lift=1.0, window_days=None).fit(records)
    assert clusterer.event_labels_.shape == (len(records),)
    story_of_event = {}
    for story, event in zip(clusterer.labels_.tolist(), clusterer.event_labels_.tolist()):
        assert story_of_event.setdefault(event, story) == story
    members = sorted(m for e in clusterer.events_ for m in e.members)
    assert members == sorted(r.id for r in records)
    for story in clusterer.stories_:
        assert {m for e in story.events for m in e.members} == set(story.members)
        assert all(e.story == story.id for e in story.events)


def test_reports_two_months_apart_are_one_story_and_two_events():
    # passage links tie each burst and, once, the two bursts: with window_days=None the
    # stories ignore dates, so both bursts are one story; the events do not
    records = dated_reports(date(2020, 1, 1)) + dated_reports(date(2020, 3, 1), AFTER)
    links = [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)]
    clusterer = StoryClusterer(window_days=None).fit(records, links=links)
    assert clusterer.n_clusters_ == 1
    assert clusterer.n_events_ == 2
    assert [e.id for e in clusterer.events_] == ["e1", "e2"]
    assert [(e.first_date, e.last_date) for e in clusterer.events_] == [
        ("2020-01-01", "2020-01-03"),
        ("2020-03-01", "2020-03-03"),
    ]


def test_undated_records_have_one_event_per_story():
    clusterer = StoryClusterer(min_df=1, min_lift=1.0).fit(QUAKE)
    assert clusterer.n_events_ == clusterer.n_clusters_
    assert np.array_equal(clusterer.event_labels_, clusterer.labels_)


def test_input_order_does_not_change_the_events():
    records = dated_reports(date(2020, 1, 1)) + dated_reports(date(2020, 3, 1), AFTER)
    links = np.array([(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3)])
    forward = StoryClusterer(window_days=None).fit(records, links=links)
    backward = StoryClusterer(window_days=None).fit(records[::-1], links=5 - links)
    assert forward.n_events_ == 2
    assert forward.events_ == backward.events_
    assert np.array_equal(forward.event_labels_, backward.event_labels_[::-1])


def test_a_chain_of_daily_reports_is_cut_into_events_of_at_most_the_window():
    # ten days of reports, each tied to the next day's: one community, but not one event
    n = 10
    graph = symmetric(n, [(k, k + 1, 1.0) for k in range(n - 1)])
    days = np.arange(n) + 700000
    labels = cut_long_events(np.zeros(n, dtype=np.int64), days, graph, 4)
    spans = [np.ptp(days[labels == label]) for label in np.unique(labels)]
    assert max(spans) <= 4
    assert len(spans) == 2  # cut once, in the middle: days 0-4 and 5-9
    assert labels[:5].tolist() == [labels[0]] * 5


def test_the_cut_falls_in_the_widest_gap_and_undated_members_follow_their_ties():
    days = np.array([0, 1, 2, 9, 10, -1]) + np.array([700000] * 5 + [0])
    graph = symmetric(6, [(0, 1, 1.0), (1, 2, 1.0), (2, 3, 1.0), (3, 4, 1.0), (4, 5, 1.0)])
    labels = cut_long_events(np.zeros(6, dtype=np.int64), days, graph, 4)
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_groups_within_the_window_keep_their_labels():
    days = np.array([0, 4, 2, 3]) + 700000
    labels = np.array([0, 0, 1, 1])
    out = cut_long_events(labels, days, symmetric(4, []), 4)
    assert out.tolist() == labels.tolist()


def test_new_articles_of_a_story_are_divided_into_events_when_placed():
    """Two BASIL events (3 reports each) given the same day and put in one story: the
    window takes no link, so ``find_events`` keeps the story as one event (the batch's
    story came back whole from its own division); placed articles were never divided as a
    whole, so with ``divide_dated`` (as :func:`dedup.placement.place_events` asks) they
    become the two events, and undated ones stay one."""
    import gzip
    import json

    from sklearn.feature_extraction.text import TfidfVectorizer

    from dedup.config import Config
    from dedup.placement import GraphSettings, place_events
    from dedup.story_graph import neighbour_graph, weighted_graph
    from tests.conftest import SHARED_DATA

    basil = SHARED_DATA / "basil" / "basil.jsonl.gz"
    if not basil.exists():
        import pytest

        pytest.skip("../shared/data/basil is not here")
    with gzip.open(basil, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    events = sorted({row["story"] for row in rows})[:2]
    chosen = [row for row in rows if row["story"] in events]
    vectors = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [r["text"] for r in chosen]
    )
    days = np.full(len(chosen), date(2020, 1, 1).toordinal())
    graph = weighted_graph(
        neighbour_graph(vectors, 2), vectors, days, None, window_days=7.0, min_lift=0.0,
        similarity_power=2.0,
    )  # fmt: skip
    one_story = np.zeros(len(chosen), dtype=np.int64)
    true = [r["story"] for r in chosen]
    config = Config()
    kept = find_events(graph, one_story, days, 1.0, 0.03, 5, np.random.RandomState(0))
    assert len(set(kept.tolist())) == 1
    settings = GraphSettings(10, 2.0, 3.0, 7.0, 1.0, config.story_min_conductance, 5)
    placed = place_events(
        graph, one_story, np.zeros(0, dtype=np.int64), days, settings, np.random.RandomState(0)
    )
    assert len(set(placed.tolist())) == 2
    assert len({(t, p) for t, p in zip(true, placed.tolist())}) == 2  # the labels' events
    undated = place_events(
        graph, one_story, np.zeros(0, dtype=np.int64), np.full(len(chosen), -1), settings,
        np.random.RandomState(0),
    )  # fmt: skip
    assert len(set(undated.tolist())) == 1
