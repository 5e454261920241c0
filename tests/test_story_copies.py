"""Stories over copy groups (dedup.story_copies): a group is one record to the clusterer,
and every member takes its representative's story and event."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import jobs
from dedup.copies import MIN_GROUP_DOCS
from dedup.inmemory import scan
from tests.test_copies import _corpus


def _stories(result):
    return {(frozenset(s.members), s.label) for s in result.stories}


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 10**6), copies=st.integers(MIN_GROUP_DOCS, 3 * MIN_GROUP_DOCS))
def test_a_group_is_one_record_and_its_members_take_its_story(seed, copies):
    records = _corpus(seed, copies, 3, 40, 120)
    (group,) = scan(records).groups
    members = {m.doc for m in group.members}
    assert len(members) == copies - 1

    full = jobs.stories(records, use_clean=False)
    without = jobs.stories([r for r in records if r.id not in members], use_clean=False)
    # the same stories as the corpus holding the representative alone, members added to its
    with_members = set()
    for story in full.stories:
        kept = frozenset(story.members) - members
        assert kept, "a story of members only"
        assert (group.representative in kept) == bool(members & set(story.members))
        with_members.add((kept, story.label))
    assert with_members == _stories(without)
    clusterer = full.clusterer
    position = {r.id: k for k, r in enumerate(records)}
    rep = position[group.representative]
    for member in members:
        assert clusterer.labels_[position[member]] == clusterer.labels_[rep]
        assert clusterer.event_labels_[position[member]] == clusterer.event_labels_[rep]
    # the graph was built without the members: none has an edge of its own
    degree = np.diff(clusterer.graph_.tocsr().indptr)
    assert clusterer.graph_.shape == (len(records), len(records))
    assert not degree[[position[m] for m in members]].any()


def test_without_groups_stories_fit_as_before():
    from dedup.story_copies import fit_with_copies

    records = _corpus(5, MIN_GROUP_DOCS - 1, 3, 30, 120)
    assert scan(records).groups == ()
    links = [(0, 1), (2, 3)]
    plain = jobs.story_clusterer(jobs.Config()).fit(records, links=links)
    through = fit_with_copies(jobs.story_clusterer(jobs.Config()), records, links, [])
    assert through.stories_ == plain.stories_
    assert (through.labels_ == plain.labels_).all()
    assert (through.graph_ != plain.graph_).nnz == 0


def test_near_copies_take_their_representatives_story():
    import random

    from dedup.types import Record
    from tests.test_copies import VOCABULARY, _text

    rng = random.Random(7)
    story = _text(rng, 300).split()
    records = []
    for i in range(20):
        edited = list(story)
        for _ in range(3):
            edited[rng.randrange(len(edited))] = rng.choice(VOCABULARY)
        records.append(Record(f"n{i:03d}", " ".join(edited), date=f"2016-12-{1 + i % 5:02d}"))
    records += [Record(f"o{i:03d}", _text(rng, 200)) for i in range(20)]
    (group,) = scan(records).groups
    assert not group.exact
    result = jobs.stories(records)
    (story_of_group,) = [s for s in result.stories if group.representative in s.members]
    assert {f"n{i:03d}" for i in range(20)} <= set(story_of_group.members)
    assert story_of_group.first_date == "2016-12-01" and story_of_group.last_date == "2016-12-05"
    degree = np.diff(result.clusterer.graph_.tocsr().indptr)
    position = {r.id: k for k, r in enumerate(records)}
    assert not degree[[position[m.doc] for m in group.members]].any()
