"""Chains over copy groups (issue #23): one story carried by many outlets is decided copy by
copy against the group's representative, never pair by pair, with the tree the pairwise
path gives."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dedup import jobs
from dedup.carriers import Words
from dedup.chain_groups import source_first, without_members
from dedup.chains_spilled import chains_spilled
from dedup.config import Config
from dedup.copies import MIN_GROUP_DOCS
from dedup.inmemory import scan
from dedup.types import Record

SEEDS = Path(__file__).resolve().parent.parent / "corpus"


def _seed(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def _edited(text: str, rng: random.Random, changes: int) -> str:
    words = text.split(" ")
    for _ in range(changes):
        words[rng.randrange(len(words))] = f"edit{rng.randrange(1000)}"
    return " ".join(words)


def _others() -> list[Record]:
    return [
        Record(f"other-{n}", _seed(n), outlet="Elsewhere", date="2016-12-01")
        for n in ("003", "004")
    ]


def _wire_and_copies(copies: int, *, wire_date: str = "2016-12-14T08:00:00") -> list[Record]:
    """A wire agency's article (seed 002) and ``copies`` outlets' copies with 0-2 words
    changed, a day later, each outlet once."""
    rng = random.Random(copies)
    text = _seed("002")
    records = [Record("wire", text, outlet="Reuters", date=wire_date)]
    for i in range(copies):
        records.append(
            Record(
                f"copy-{i:03d}", _edited(text, rng, i % 3), outlet=f"Paper {i}", date="2016-12-15"
            )
        )
    return records + _others()


def _tree(result) -> set[tuple[str, str, bool]]:
    return {(e.source, e.target, e.directed) for e in result.edges}


def _pairwise_chains(records: list[Record]):
    from dedup.syndication import build_chains

    config = Config()
    plain = scan(records, config, group_copies=False)
    return build_chains(records, plain, config)


def test_a_group_hangs_from_the_agency_article_as_the_pairwise_path_does():
    records = _wire_and_copies(MIN_GROUP_DOCS + 4)
    grouped = jobs.chains(records)
    assert grouped.scan.groups, "the copies form a copy group"
    assert grouped.scan.groups[0].representative == "wire"  # the copy that comes first
    assert _tree(grouped) == _tree(_pairwise_chains(records))
    assert _tree(grouped) == {("wire", f"copy-{i:03d}", True) for i in range(MIN_GROUP_DOCS + 4)}


def test_copies_of_one_day_hang_from_one_common_source_without_edges_between_them():
    text = _seed("002")
    records = [
        Record(f"copy-{i:03d}", text, outlet=f"Paper {i}", date="2016-12-15") for i in range(12)
    ] + _others()
    result = jobs.chains(records)
    assert result.scan.groups
    assert not any(e.directed for e in result.edges)
    sources = {e.source for e in result.edges}
    assert len(sources) == 1 and next(iter(sources)).startswith("inferred:")
    assert {e.target for e in result.edges} == {f"copy-{i:03d}" for i in range(12)}
    assert _tree(result) == _tree(_pairwise_chains(records))


def test_copies_of_part_of_a_wire_story_hang_from_the_wire_outside_their_group():
    """The copies carry the first third of the agency's article, so the article is not in
    their group; each copy still hangs from it, through the group's representative."""
    text = _seed("002")
    half = text[: len(text) // 6]  # the seed carries its body twice: a third of it
    records = [Record("wire", text, outlet="Reuters", date="2016-12-15")]
    records += [
        Record(f"copy-{i:03d}", half, outlet=f"Paper {i}", date="2016-12-15") for i in range(10)
    ]
    records += _others()
    result = jobs.chains(records)
    assert result.scan.groups and "wire" not in {g.representative for g in result.scan.groups}
    assert _tree(result) == {("wire", f"copy-{i:03d}", True) for i in range(10)}
    assert _tree(result) == _tree(_pairwise_chains(records))


def test_members_are_not_compared_with_one_another():
    records = _wire_and_copies(MIN_GROUP_DOCS + 2)
    config = Config()
    result = scan(records, config, representative_key=source_first(config))
    grouped = without_members(result.passages, result.groups)
    members = {m.doc for g in result.groups for m in g.members}
    assert members and set(grouped.member_passages) == members
    assert not any(w.doc in members for p in grouped.passages for w in p.witnesses)


def test_each_copy_reports_its_reused_words():
    records = _wire_and_copies(MIN_GROUP_DOCS + 1)
    result = jobs.chains(records)
    by_doc = {a.doc: a for a in result.articles}
    for i in range(MIN_GROUP_DOCS + 1):
        article = by_doc[f"copy-{i:03d}"]
        assert article.reused_fraction > 0.9
        assert article.sources and article.sources[0][0] == "wire"


@pytest.mark.parametrize("block_docs", [1, 1000])
def test_spilled_chains_of_a_group_equal_in_memory(tmp_path, block_docs):
    records = _wire_and_copies(MIN_GROUP_DOCS + 3, wire_date="2016-12-15")
    memory = jobs.chains(records)
    spilled = chains_spilled(records, spill_dir=tmp_path, block_docs=block_docs)
    assert spilled.edges == memory.edges
    assert spilled.articles == memory.articles


def test_a_copy_of_an_outlets_edited_copy_hangs_from_that_outlet_inside_a_group():
    """A subscriber changes two words of the agency's article; a later outlet re-publishes
    the subscriber's version. Both are members of the agency article's copy group, yet the
    re-publication hangs from the subscriber whose changes it carries, as pairwise."""
    records = _wire_and_copies(MIN_GROUP_DOCS + 2)
    wire = records[0].text
    words = wire.split(" ")
    words[5], words[40] = "reportedly", "substantially"
    edited = " ".join(words)
    records.append(Record("subscriber", edited, outlet="Edited Daily", date="2016-12-15"))
    records.append(Record("republished", edited, outlet="Copy Site", date="2016-12-16"))
    grouped = jobs.chains(records)
    members = {m.doc for g in grouped.scan.groups for m in g.members}
    assert {"subscriber", "republished"} <= members
    tree = _tree(grouped)
    assert ("subscriber", "republished", True) in tree
    assert ("wire", "republished", True) not in tree
    assert ("wire", "subscriber", True) in tree
    assert tree == _tree(_pairwise_chains(records))


def test_members_carrying_the_same_words_are_peers():
    records = _wire_and_copies(MIN_GROUP_DOCS + 2)
    words = records[0].text.split(" ")
    words[12] = "reportedly"
    edited = " ".join(words)
    records += [
        Record("edited-a", edited, outlet="A", date="2016-12-15"),
        Record("edited-b", edited, outlet="B", date="2016-12-16"),
    ]
    config = Config()
    result = scan(records, config, representative_key=source_first(config))
    peers = without_members(
        result.passages, result.groups, Words({r.id: r.text for r in records})
    ).peers
    assert peers["edited-a"] == {"edited-b"} and peers["edited-b"] == {"edited-a"}
    # the copies that changed nothing of the representative's, or other words, have none
    assert not any(d.startswith("copy-") and peers.get(d, set()) & {"edited-a"} for d in peers)


def test_members_holding_a_rewrites_passage_list_it_on_their_edges():
    """A rewrite embeds a stretch of the agency's article among other text. The scan aligns
    it with the group's representative only, yet every copy holding that stretch lists the
    rewrite's passage on its own edge, so the rewrite and each copy are linked."""
    records = _wire_and_copies(MIN_GROUP_DOCS + 2)
    wire_words = records[0].text.split(" ")
    taken = " ".join(wire_words[40:120])
    own = [_seed("003").split(" ")[:150], _seed("004").split(" ")[:150]]
    rewrite = " ".join(own[0]) + "\n\n" + taken + "\n\n" + " ".join(own[1])
    records.append(Record("rewrite", rewrite, outlet="Rewrites", date="2016-12-16"))
    result = jobs.chains(records)
    assert result.scan.groups
    into_rewrite = {p for e in result.edges if e.target == "rewrite" for p in e.passages}
    assert into_rewrite
    for i in range(MIN_GROUP_DOCS + 2):
        mine = {p for e in result.edges if e.target == f"copy-{i:03d}" for p in e.passages}
        assert mine & into_rewrite, f"copy-{i:03d}"
