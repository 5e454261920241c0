"""Rewrites on real text (dedup.parents): Reuters-21578 stories as the wire, BASIL
paragraphs as a rewriting outlet's own reporting. A rewrite that embeds a subscriber's
paragraph hangs from the subscriber when the paragraph carries its change, and from the
wire, their common source, when two subscribers made the same change."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dedup.config import Config
from dedup.pipeline import chains
from dedup.types import Record

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import syndication_sources as sources

pytestmark = pytest.mark.skipif(
    not (sources.DATA / sources.REUTERS).exists() or not (sources.DATA / sources.BASIL).exists(),
    reason="Reuters-21578 or BASIL not in the shared data folder",
)


def ends_with_said(paragraph: str) -> bool:
    return paragraph.endswith(" said.")


def network(subscribers: int) -> list[Record]:
    """Three Reuters stories whose second paragraph ends "… said."; ``subscribers`` outlets
    print each with that word as "says." (their house style), and "Rewrites" embeds the
    paragraph, as they print it, between BASIL paragraphs the next day."""
    wires = [s for s in sources.wire_stories("dev") if ends_with_said(s.paragraphs[1])][:3]
    own = [p for a in sources.basil_articles("dev")[:6] for p in a.paragraphs][:9]
    out = []
    for k, wire in enumerate(wires):
        changed = wire.paragraphs[1][: -len("said.")] + "says."
        sub = [wire.paragraphs[0], changed, *wire.paragraphs[2:]]
        day = 10 + 4 * k
        out.append(Record(f"s{k}-wire", "\n\n".join(wire.paragraphs), outlet="Reuters",
                          date=f"2016-12-{day:02d}T09:00:00"))  # fmt: skip
        for n in range(subscribers):
            # dated by day only, the subscribers are unordered: neither copied the other
            out.append(Record(f"s{k}-sub{n}", "\n\n".join(sub), outlet=f"Paper{n}",
                              date=f"2016-12-{day:02d}"))  # fmt: skip
        rewrite = [own[3 * k], changed, own[3 * k + 1], own[3 * k + 2]]
        out.append(Record(f"s{k}-rew", "\n\n".join(rewrite), outlet="Rewrites",
                          date=f"2016-12-{day + 1:02d}"))  # fmt: skip
    return out


def test_a_rewrite_carrying_a_subscribers_change_hangs_from_the_subscriber() -> None:
    result = chains(network(1), Config())
    directed = {e.target: e.source for e in result.edges if e.directed}
    assert [directed[f"s{k}-rew"] for k in range(3)] == [f"s{k}-sub0" for k in range(3)]


def test_a_rewrite_two_subscribers_could_have_given_hangs_from_the_wire() -> None:
    result = chains(network(2), Config())
    for k in range(3):
        into = [e for e in result.edges if e.target == f"s{k}-rew"]
        assert [(e.source, e.directed) for e in into] == [(f"s{k}-wire", True)]
        assert any("hold the same words" in item.detail for item in into[0].evidence)


def dropped_paragraph_network() -> list[Record]:
    """Three Reuters stories of at least 5 paragraphs; "Daily" prints each the same day
    with its third paragraph dropped and no other change, and "Copies" re-publishes the
    Daily's version word for word the next day."""
    wires = [s for s in sources.wire_stories("dev") if len(s.paragraphs) >= 5][:3]
    out = []
    for k, wire in enumerate(wires):
        day = 10 + 4 * k
        kept = [p for n, p in enumerate(wire.paragraphs) if n != 2]
        out += [
            Record(f"s{k}-wire", "\n\n".join(wire.paragraphs), outlet="Reuters",
                   date=f"2016-12-{day:02d}T09:00:00"),
            Record(f"s{k}-sub", "\n\n".join(kept), outlet="Daily",
                   date=f"2016-12-{day:02d}T12:00:00"),
            Record(f"s{k}-copy", "\n\n".join(kept), outlet="Copies",
                   date=f"2016-12-{day + 1:02d}T08:00:00"),
        ]  # fmt: skip
    return out


def test_a_copy_lacking_the_paragraph_a_subscriber_dropped_hangs_from_the_subscriber() -> None:
    """The copy holds the same words as the wire's article and the Daily's: only the wire's
    side shows a difference, the paragraph the copy lacks as the Daily does."""
    result = chains(dropped_paragraph_network(), Config())
    directed = {e.target: e.source for e in result.edges if e.directed}
    for k in range(3):
        assert directed[f"s{k}-sub"] == f"s{k}-wire"
        assert directed[f"s{k}-copy"] == f"s{k}-sub"


def test_a_paragraph_dropped_by_two_subscribers_names_no_one_of_them() -> None:
    """Two outlets dropped the same paragraph; the copy is dated after both. Either could be
    its source, so neither gets a directed edge to it."""
    records = dropped_paragraph_network()
    extra = [
        Record(r.id.replace("-sub", "-sub2"), r.text, outlet="Other Daily", date=r.date)
        for r in records
        if r.id.endswith("-sub")
    ]
    result = chains(records + extra, Config())
    for k in range(3):
        into = {e.source for e in result.edges if e.target == f"s{k}-copy" and e.directed}
        assert not into & {f"s{k}-sub", f"s{k}-sub2"}


def test_a_copy_two_outlets_could_have_given_without_the_wire_hangs_from_a_common_source():
    """Without the agency's article, two outlets print the same version and a third copies
    it later: the text cannot tell which of the two it took, so it hangs from an inferred
    common source with them, undirected, and says why."""
    records = [r for r in dropped_paragraph_network() if not r.id.endswith("-wire")]
    records += [
        Record(r.id.replace("-sub", "-sub2"), r.text, outlet="Other Daily",
               date=r.date.replace("12:00", "13:00"))
        for r in records
        if r.id.endswith("-sub")
    ]  # fmt: skip
    result = chains(records, Config())
    for k in range(3):
        into = [e for e in result.edges if e.target == f"s{k}-copy"]
        assert [e.directed for e in into] == [False]
        assert into[0].source.startswith("inferred:")
        assert any("undirected (alike)" in item.detail for item in into[0].evidence)
