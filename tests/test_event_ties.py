"""dedup.events.loose_members_apart: a dated article tied to an event only by a faint word
tie, far below the ties that hold the event together, is an event of its own."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.sparse as sp

import dedup.events as events
from dedup.jobs import stories
from dedup.types import Record
from tests.conftest import BENCHMARKS, needs_network_data


def symmetric(n: int, edges: list[tuple[int, int, float]]) -> sp.csr_matrix:
    rows = [a for a, b, _ in edges] + [b for a, b, _ in edges]
    cols = [b for a, b, _ in edges] + [a for a, b, _ in edges]
    data = [w for *_, w in edges] * 2
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n))


# three copies of one report (passage links, weight 1), and a fourth article tied to one
# of them by a faint word tie
COPIES_AND_A_FAINT_TIE = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0), (2, 3, 0.004)]


def test_a_faintly_tied_dated_member_leaves_its_event():
    graph = symmetric(4, COPIES_AND_A_FAINT_TIE)
    labels = events.loose_members_apart(np.zeros(4, dtype=np.int64), graph, np.full(4, 7), 0.02)
    assert labels[:3].tolist() == [0, 0, 0]
    assert labels[3] == 1


def test_a_member_tied_like_a_third_report_stays():
    # BASIL's third reports of an event: word ties of a few hundredths beside a passage link
    graph = symmetric(4, [*COPIES_AND_A_FAINT_TIE[:3], (2, 3, 0.03)])
    labels = events.loose_members_apart(np.zeros(4, dtype=np.int64), graph, np.full(4, 7), 0.02)
    assert labels.tolist() == [0, 0, 0, 0]


def test_undated_members_and_pairs_stay():
    graph = symmetric(6, [*COPIES_AND_A_FAINT_TIE, (4, 5, 0.001)])
    days = np.array([7, 7, 7, -1, 7, 7])
    labels = events.loose_members_apart(np.array([0, 0, 0, 0, 1, 1]), graph, days, 0.02)
    assert labels.tolist() == [0, 0, 0, 0, 1, 1]


def test_each_group_is_judged_by_its_own_ties():
    # group 1 is held by faint ties only: its members are alike, so none leaves
    graph = symmetric(8, [*COPIES_AND_A_FAINT_TIE, (4, 5, 0.004), (5, 6, 0.004),
                          (6, 7, 0.003)])  # fmt: skip
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    out = events.loose_members_apart(labels, graph, np.full(8, 3), 0.02)
    assert out.tolist() == [0, 0, 0, 2, 1, 1, 1, 1]


def _network() -> tuple[list[Record], dict[str, str]]:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    from syndication_generator import generate_network

    rows, truth = generate_network(2, "dev", stories=40)
    records = [
        Record(r["id"], r["text"], title=r["title"], date=r["date"], outlet=r["outlet"])
        for r in rows
    ]
    roles = {doc: info["role"] for doc, info in truth["articles"].items()}
    return records, roles


def _controls_among_copies(records: list[Record], roles: dict[str, str]) -> set[str]:
    """The control articles that share an event with a story's articles."""
    result = stories(records)
    return {
        member
        for event in result.clusterer.events_
        if any(roles[m] != "control" for m in event.members)
        for member in event.members
        if roles[member] == "control"
    }


@needs_network_data
def test_unrelated_articles_leave_the_copies_they_were_tied_to(monkeypatch):
    """On a generated wire network (dev split), a control article (an unrelated Reuters
    story of the same days with the same outlet furniture) joins a story's copies without
    the rule, and is an event of its own with it."""
    records, roles = _network()
    with monkeypatch.context() as patch:
        patch.setattr(events, "LOOSE_TIE_SHARE", 0.0)
        assert _controls_among_copies(records, roles)
    assert not _controls_among_copies(records, roles)


if __name__ == "__main__":
    pytest.main([__file__])
