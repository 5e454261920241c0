"""dedup.report_groups: a story carried many times over is one copy group on the page."""

from __future__ import annotations

import random

import pytest

from dedup.copies import MIN_GROUP_DOCS
from dedup.html import report_data
from dedup.pipeline import report
from dedup.report_groups import report_groups
from dedup.types import Record

SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "de", "gu")


def copy_corpus(copies: int, seed: int = 0) -> list[Record]:
    """``copies`` copies of one 250-word story (each with one word of its own), each in its
    own outlet; an article quoting its first 60 words; an unrelated one."""
    rng = random.Random(seed)
    vocabulary = sorted({"".join(rng.choices(SYLLABLES, k=3)) for _ in range(600)})
    story = [rng.choice(vocabulary) for _ in range(250)]
    records = []
    for i in range(copies):
        words = list(story)
        words[rng.randrange(len(words))] = f"own{i}"
        records.append(
            Record(
                id=f"copy{i:02d}",
                text=" ".join(words) + ".",
                outlet=f"Outlet {i:02d}",
                date=f"2016-12-{10 + i % 18:02d}",
                title=f"Wire story, copy {i}",
            )
        )
    own = " ".join(rng.choice(vocabulary) for _ in range(120))
    quote = " ".join(story[:60])
    records.append(Record("quoter", f"{own} A wire said: {quote}.", "Local", "2016-12-29"))
    records.append(Record("alone", " ".join(rng.choice(vocabulary) for _ in range(90)), "Other"))
    return records


def test_copies_form_one_group_whose_pairs_are_not_listed():
    copies = MIN_GROUP_DOCS + 2
    found = report(copy_corpus(copies))
    (group,) = report_groups(found.scan)
    assert set(group.docs) == {f"copy{i:02d}" for i in range(copies)}
    assert not group.exact and all(0.7 <= j < 1.0 for _, j in group.members)
    data = report_data(found.records, found.scan, found.stories, found.chains)
    index = data["index"]
    ids = [d["id"] for d in index["docs"]]
    inside = [p for p in index["pairs"] if p["group"] >= 0]
    # the group is decided once: each copy's pair with the representative is listed, the
    # pairs among the other copies are not (linear in the copies)
    assert len(inside) == copies - 1
    for p in index["pairs"]:
        both = ids[p["a"]].startswith("copy") and ids[p["b"]].startswith("copy")
        assert (p["group"] == 0) == both
        if both:
            assert group.representative in (ids[p["a"]], ids[p["b"]])
    (row,) = index["groups"]
    implied = copies * (copies - 1) // 2
    assert ids[row["rep"]] == group.representative and row["pairs"] == implied
    assert sorted(row["outlets"]) == [f"Outlet {i:02d}" for i in range(copies)]
    # each member links to its pair with the representative, whose passages mark both texts
    for member, _, pair in row["members"]:
        shown = index["pairs"][pair]
        assert {shown["a"], shown["b"]} == {row["rep"], member}
        assert shown["marks_a"] and shown["marks_b"] and shown["jaccard"] >= 0.7
    assert data["summary"]["copy_groups"] == 1
    assert data["summary"]["pairs_in_groups"] == implied
    # the linked pairs the scan stands for: those listed and those its group implies
    assert (
        data["summary"]["pairs"]
        == len(found.scan.pairs) + found.scan.counts["pairs_implied_by_groups"]
    )


def test_a_member_pair_reads_as_the_pairwise_scan_pair():
    """The pair of a member with its representative, made from the member's measures, is
    the pair a scan without groups reports for the two (measures and passage offsets)."""
    from dedup.inmemory import scan
    from dedup.report_groups import star_pairs

    records = copy_corpus(MIN_GROUP_DOCS + 1)
    grouped = scan(records)
    plain = {(p.a, p.b): p for p in scan(records, group_copies=False).pairs}
    made = star_pairs(grouped)
    assert len(made) == MIN_GROUP_DOCS
    for pair in made:
        other = plain[(pair.a, pair.b)]
        assert pair.jaccard == pytest.approx(other.jaccard)
        assert pair.containment_a == pytest.approx(other.containment_a)
        assert pair.containment_b == pytest.approx(other.containment_b)
        assert (pair.words_a, pair.words_b) == (other.words_a, other.words_b)
        spans = [(x.a_start, x.a_end, x.b_start, x.b_end) for x in pair.alignments]
        assert spans == [(x.a_start, x.a_end, x.b_start, x.b_end) for x in other.alignments]


@pytest.mark.parametrize("copies", [2, MIN_GROUP_DOCS - 1])
def test_fewer_copies_than_a_group_stay_pairs(copies):
    found = report(copy_corpus(copies))
    assert report_groups(found.scan) == []
    index = report_data(found.records, found.scan, found.stories, found.chains)["index"]
    assert index["groups"] == [] and all(p["group"] == -1 for p in index["pairs"])
