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
    # every pair of two copies is the group's, and no other pair is
    assert len(inside) == copies * (copies - 1) // 2
    for p in index["pairs"]:
        both = ids[p["a"]].startswith("copy") and ids[p["b"]].startswith("copy")
        assert (p["group"] == 0) == both
    (row,) = index["groups"]
    assert ids[row["rep"]] == group.representative and row["pairs"] == len(inside)
    assert sorted(row["outlets"]) == [f"Outlet {i:02d}" for i in range(copies)]
    # each member links to its pair with the representative
    for member, _, pair in row["members"]:
        assert {index["pairs"][pair]["a"], index["pairs"][pair]["b"]} == {row["rep"], member}
    assert data["summary"]["copy_groups"] == 1
    assert data["summary"]["pairs_in_groups"] == len(inside)


@pytest.mark.parametrize("copies", [2, MIN_GROUP_DOCS - 1])
def test_fewer_copies_than_a_group_stay_pairs(copies):
    found = report(copy_corpus(copies))
    assert report_groups(found.scan) == []
    index = report_data(found.records, found.scan, found.stories, found.chains)["index"]
    assert index["groups"] == [] and all(p["group"] == -1 for p in index["pairs"])
