"""Stories kept in the index: a fit, then new articles placed day by day (dedup.index_stories,
dedup.placement), against the batch run on real text (the seeds and a BASIL sample)."""

from __future__ import annotations

import gzip
import json
import sqlite3

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score

from dedup.errors import IndexFormatError
from dedup.index import Index
from dedup.pipeline import stories
from dedup.placement import propagate
from dedup.types import Record
from tests.conftest import SHARED_DATA

BASIL = SHARED_DATA / "basil" / "basil.jsonl.gz"
needs_basil = pytest.mark.skipif(not BASIL.exists(), reason="../shared/data/basil is not here")


def basil_sample(n_events: int = 20, skip: int = 0) -> list[tuple[Record, str]]:
    """``n_events`` BASIL events (3 outlets each), after the first ``skip`` by id, in date order."""
    with gzip.open(BASIL, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    events = sorted({row["story"] for row in rows})[skip : skip + n_events]
    chosen = [row for row in rows if row["story"] in events]
    chosen.sort(key=lambda r: (r["date"], str(r["id"])))
    return [
        (
            Record(str(r["id"]), r["text"], title=r["title"], date=r["date"], outlet=r["outlet"]),
            str(r["story"]),
        )
        for r in chosen
    ]


def event_of(result) -> dict[str, str]:
    return {member: event.id for event in result.events for member in event.members}


def story_of(result) -> dict[str, str]:
    return {member: story.id for story in result.stories for member in story.members}


def tree(result) -> list[tuple]:
    return [
        (s.id, s.members, s.first_date, s.last_date, tuple((e.id, e.members) for e in s.events))
        for s in result.stories
    ]


@pytest.fixture(scope="module")
def sample(seed_records) -> list[Record]:
    """The seeds (undated) and 20 BASIL events, in date order (undated first)."""
    return [*seed_records, *(record for record, _ in basil_sample())]


@needs_basil
def test_two_batches_agree_with_the_batch_run(sample, tmp_path):
    first, second = sample[:45], sample[45:]
    index = Index(tmp_path / "news.idx", keep_stories=True)
    assert index.add(first).counts["stories_fitted"] == len(first)
    counts = index.add(second).counts
    assert counts["stories_placed"] == len(second)  # placed, not a fit again
    daily = index.stories()
    batch = stories(sample)
    ids = [r.id for r in sample]
    for level in (event_of, story_of):
        got, expected = level(daily), level(batch)
        assert adjusted_rand_score([expected[i] for i in ids], [got[i] for i in ids]) >= 0.95
    # every article is in exactly one event of its story
    assert sorted(m for e in daily.events for m in e.members) == sorted(ids)
    for story in daily.stories:
        assert sorted(m for e in story.events for m in e.members) == sorted(story.members)


@needs_basil
def test_an_article_of_a_new_story_starts_one(sample, tmp_path):
    index = Index(tmp_path / "news.idx", keep_stories=True)
    index.add(sample)
    before = index.stories()
    unseen = [record for record, _ in basil_sample(1, skip=50)]  # one event never added
    assert index.add(unseen).counts["stories_placed"] == 3
    after = index.stories()
    new_ids = {r.id for r in unseen}
    holding = [s for s in after.stories if new_ids & set(s.members)]
    assert len(holding) == 1 and set(holding[0].members) == new_ids  # one story, theirs alone
    old_groups = {s.members for s in before.stories}
    assert old_groups == {s.members for s in after.stories if not new_ids & set(s.members)}


@needs_basil
def test_a_new_report_joins_its_event(tmp_path):
    items = basil_sample(10)
    records = [r for r, _ in items]
    batch = event_of(stories(records))
    label = {r.id: story for r, story in items}
    whole = [s for s in sorted(set(label.values()))
             if len({batch[i] for i in label if label[i] == s}) == 1]  # fmt: skip
    last = {story: r for r, story in items}  # each event's last report in date order
    held_back = [last[s] for s in whole[:3]]
    assert len(held_back) == 3
    index = Index(tmp_path / "news.idx", keep_stories=True)
    index.add([r for r in records if r not in held_back])
    assert index.add(held_back).counts["stories_placed"] == 3
    events = event_of(index.stories())
    for record in held_back:
        together = {m for m, e in events.items() if e == events[record.id]}
        assert together == {m for m in label if label[m] == label[record.id]}


@needs_basil
def test_placement_is_deterministic_and_order_independent(sample, tmp_path):
    first, second = sample[:45], sample[45:]
    results = []
    for name, batch, workers in (("a", second, 1), ("b", second[::-1], 2), ("c", second, 1)):
        index = Index(tmp_path / f"{name}.idx", keep_stories=True, workers=workers)
        index.add(first[::-1] if name == "b" else first)
        index.add(batch)
        results.append(tree(index.stories()))
    assert results[0] == results[1] == results[2]


@needs_basil
def test_removed_and_replaced_documents_leave_their_stories(sample, tmp_path):
    index = Index(tmp_path / "news.idx", keep_stories=True)
    index.add(sample[:45])
    gone = sample[10].id
    index.remove([gone])
    members = [m for s in index.stories().stories for m in s.members]
    assert gone not in members and len(members) == 44
    changed = Record(sample[11].id, sample[30].text, title=sample[30].title, date=sample[30].date)
    index.add([changed])
    result = index.stories()
    assert story_of(result)[changed.id] == story_of(result)[sample[30].id]


def test_an_index_without_stories_says_so(seed_records, tmp_path):
    index = Index(tmp_path / "news.idx")
    index.add(seed_records)
    with pytest.raises(IndexFormatError, match="keeps no stories"):
        index.stories()
    # asked later, the fit groups every document held
    assert Index(tmp_path / "news.idx", keep_stories=True).add([]).counts["stories_fitted"] == 5
    assert sum(len(s.members) for s in index.stories().stories) == 5


def test_a_version_2_index_is_migrated_when_written(seed_records, tmp_path):
    path = tmp_path / "old.idx"
    Index(path).add(seed_records[:2])
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE story_docs")
    connection.execute("DROP TABLE story_terms")
    connection.execute("UPDATE meta SET value = '2' WHERE name = 'format_version'")
    connection.commit()
    connection.close()
    assert len(Index(path)) == 2  # read as it is
    with pytest.raises(IndexFormatError, match="keeps no stories"):
        Index(path).stories()
    Index(path, keep_stories=True).add(seed_records[2:])
    assert Index(path).info()["format_version"] == 4
    assert sum(len(s.members) for s in Index(path).stories().stories) == 5
    connection = sqlite3.connect(path)
    connection.execute("UPDATE meta SET value = '1' WHERE name = 'format_version'")
    connection.commit()
    connection.close()
    with pytest.raises(IndexFormatError, match="format version 1, this dedup reads 4"):
        Index(path).stories()


# --- kernels --------------------------------------------------------------------------------


def test_propagate_takes_the_majority_share_in_rounds_whatever_the_row_order():
    # rows 0-1 placed (labels 0, 1); 2 tied mostly to 0; 3 tied only to 2; 4 split evenly
    edges = {(0, 2): 3.0, (1, 2): 1.0, (2, 3): 1.0, (0, 4): 1.0, (1, 4): 1.0}
    labels = np.array([0, 1, -1, -1, -1])
    n = len(labels)
    for order in (np.arange(n), np.array([4, 3, 2, 1, 0])):
        rank = np.argsort(order)  # new position of each row
        row = [rank[a] for a, b in edges] + [rank[b] for a, b in edges]
        col = [rank[b] for a, b in edges] + [rank[a] for a, b in edges]
        weight = list(edges.values()) * 2
        graph = sp.csr_matrix((weight, (row, col)), shape=(n, n))
        got = propagate(graph, labels[order], join_share=0.5)[rank]
        # 4: a tie at exactly half goes to the lower label
        assert got.tolist() == [0, 1, 0, 0, 0]
        strict = propagate(graph, labels[order], join_share=0.8)[rank]
        assert strict.tolist() == [0, 1, -1, -1, -1]  # 3/4 < 0.8: nobody joins


def test_propagate_keeps_events_within_their_window():
    graph = sp.csr_matrix(([1.0, 1.0], ([0, 1], [1, 0])), shape=(2, 2))
    labels = np.array([0, -1])
    days = np.array([100, 103])
    assert propagate(graph, labels, 0.5, days, window_days=4).tolist() == [0, 0]
    far = np.array([100, 105])
    assert propagate(graph, labels, 0.5, far, window_days=4).tolist() == [0, -1]
    undated = np.array([100, -1])
    assert propagate(graph, labels, 0.5, undated, window_days=4).tolist() == [0, 0]


def test_a_placed_undated_row_moves_to_the_story_whose_centroid_is_nearest():
    from dedup.placement import GraphSettings, place_stories

    # stories 3 (rows 0-1) and 7 (rows 2-3) stored; row 4 is new, tied 3:1 to story 3 by its
    # edges, while its words are story 7's
    vectors = sp.csr_matrix(
        np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1], [0.05, 1]], dtype=np.float32)
    )
    graph = sp.csr_matrix(([3.0, 1.0, 3.0, 1.0], ([4, 4, 0, 2], [0, 2, 4, 4])), shape=(5, 5))
    settings = GraphSettings(10, 2.0, 3.0, 7.0, 1.0, 0.03, 1)
    old = np.array([3, 3, 7, 7])

    def placed(days):
        state = np.random.RandomState(0)
        return place_stories(graph, old, settings, state, None, vectors, days).tolist()

    assert place_stories(graph, old, settings, np.random.RandomState(0)).tolist()[4] == 3
    assert placed(np.full(5, -1)) == [3, 3, 7, 7, 7]  # the old labels kept as they are
    assert placed(np.array([-1, -1, -1, -1, 730000])) == [3, 3, 7, 7, 3]  # dated: stays


def test_vectors_under_the_frozen_vocabulary_are_the_clusterers(seed_records):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from dedup.config import Config
    from dedup.index_stories import fit_vocabulary, vectorize
    from dedup.pipeline import story_clusterer
    from dedup.story_words import stop_word_options

    clusterer = story_clusterer(Config())
    texts = [r.text for r in seed_records]
    expected = TfidfVectorizer(
        sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_df=0.5, **stop_word_options(texts)
    ).fit_transform(texts)
    got = vectorize(texts, fit_vocabulary(texts, clusterer), clusterer)
    assert got.shape == expected.shape
    assert abs(got - expected).max() < 1e-6


def wire_brief(company: str, k: int) -> Record:
    """A wire earnings brief: one frame for every company, the company and numbers changing."""
    text = (
        f"{company}. Shr {k + 11} cts vs {k + 3} cts. Net {k + 1}.{k} mln vs {k + 2}.5 mln. "
        f"Revs {k + 40} mln vs {k + 38} mln. Avg shrs {k + 7}.{k} mln vs {k + 6}.1 mln."
    )
    return Record(f"brief{k:02d}", text, title=f"{company.upper()} 1ST QTR NET", outlet="Wire",
                  date=f"1987-03-{k + 1:02d}")  # fmt: skip


@needs_basil
def test_placed_briefs_lose_the_templates_learnt_at_the_fit(sample, tmp_path):
    # 12 briefs of different companies on 12 days teach the frame; 3 more come later
    companies = ["Acme Widgets", "Borealis Mining", "Cobalt Foods", "Delta Shipping",
                 "Ember Software", "Fjord Textiles", "Granite Cement", "Harbor Airlines",
                 "Iris Optics", "Jasper Brewing", "Kestrel Motors", "Lumen Energy",
                 "Marlin Paper", "Nimbus Chemical", "Opal Retail"]  # fmt: skip
    briefs = [wire_brief(name, k) for k, name in enumerate(companies)]
    old, new = [*sample, *briefs[:12]], briefs[12:]
    index = Index(tmp_path / "news.idx", keep_stories=True)
    index.add(old)
    assert index.add(new).counts["stories_placed"] == len(new)
    daily = event_of(index.stories())
    batch = event_of(stories([*old, *new]))
    brief_ids = [b.id for b in briefs]
    # in the batch no two briefs share an event (the frame is all they share), and the
    # placed ones join neither an old brief nor each other
    assert len({batch[i] for i in brief_ids}) == len(brief_ids)
    assert len({daily[i] for i in brief_ids}) == len(brief_ids)


def test_templates_are_stored_per_outlet_and_an_index_fitted_before_has_none():
    from dedup.story_store import read_templates, write_templates

    connection = sqlite3.connect(":memory:")
    assert read_templates(connection) == {}  # no table: an index fitted before templates
    runs, words = np.array([3, 9], dtype=np.uint64), np.array([5], dtype=np.uint64)
    write_templates(connection, {"Wire": (runs, words), None: (words, runs)})
    got = read_templates(connection)
    assert list(got) == ["Wire", None]
    assert got["Wire"][0].tolist() == [3, 9] and got["Wire"][1].tolist() == [5]
    assert got[None][0].tolist() == [5] and got[None][1].tolist() == [3, 9]
    write_templates(connection, {})  # a fit that learns none replaces the old ones
    assert read_templates(connection) == {}
