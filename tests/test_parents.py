"""Direct parents (dedup.parents): containment, outlet habits learnt from the corpus, and
inferred common sources. The corpora are built here from random words, so every shared
text is planted by the test."""

from __future__ import annotations

import random

import numpy as np

from dedup.config import Config
from dedup.copy_words import left_out, matched_words
from dedup.parents import REPUBLISHER, WIRE
from dedup.pipeline import chains
from dedup.types import Record

VOCAB = [f"w{k}" for k in range(20000)]


def story(rng: random.Random, paragraphs: int = 4) -> list[str]:
    return [" ".join(rng.choice(VOCAB) for _ in range(45)) for _ in range(paragraphs)]


def edit(paragraphs: list[str], mark: str) -> list[str]:
    """Three words of the second paragraph changed: an outlet's own edits (MARGIN words)."""
    words = paragraphs[1].split()
    for at in (5, 20, 35):
        words[at] = f"{mark}x{at}"
    return [paragraphs[0], " ".join(words), *paragraphs[2:]]


def network(seed: int = 1, stories: int = 4, last_same_day: bool = True) -> list[Record]:
    """Per story: Reuters' wire at 09:00, a subscriber ("Daily") the next day with one edit,
    and a scraper ("scrape.example") of the subscriber's version a day later. In the last
    story the scraper runs on the subscriber's day and neither prints a time."""
    rng = random.Random(seed)
    out = []
    for k in range(stories):
        wire = story(rng)
        sub = edit(wire, f"edited{k}")
        last = k == stories - 1 and last_same_day
        sub_date = "2020-02-02" if last else f"2020-01-{10 + 3 * k:02d}"
        scraper_date = sub_date if last else f"2020-01-{11 + 3 * k:02d}"
        own = " ".join(rng.choice(VOCAB) for _ in range(30))
        out += [
            Record(f"s{k}-wire", "\n\n".join(wire), outlet="Reuters",
                   date=f"2020-01-{9 + 3 * k:02d}T09:00:00"),
            Record(f"s{k}-sub", "\n\n".join(sub), outlet="Daily", date=sub_date),
            Record(f"s{k}-scraper", "\n\n".join([*sub, own]), outlet="scrape.example",
                   date=scraper_date),
        ]  # fmt: skip
    return out


def test_matched_words_sees_one_changed_word_and_a_shift():
    a = np.array([1, 2, 3, 4, 5, 6, 7, 8])
    b = np.array([1, 2, 3, 9, 5, 6, 7, 8])
    assert matched_words(a, b).tolist() == [True, True, True, False, True, True, True, True]
    shifted = np.array([1, 2, 3, 4, 99, 98, 5, 6, 7, 8])
    assert matched_words(a, shifted).all()
    assert matched_words(shifted, a).tolist().count(False) == 2


def test_left_out_counts_what_the_copy_lacks_between_the_runs_it_holds():
    every = np.ones(30, dtype=bool)
    held = np.zeros(30, dtype=bool)
    held[2:10] = held[13:25] = True  # a copy lacking three words in between
    assert left_out(held, every) == 3
    held[0] = True  # a stray word held far off bounds nothing
    assert left_out(held, every) == 3
    twice = np.zeros(30, dtype=bool)
    twice[0:5] = twice[25:30] = True  # the candidate prints the text twice; the copy took one
    assert left_out(twice, every) == 0
    held[11] = True
    assert left_out(held, every) == 2
    assert left_out(held, every & (np.arange(30) != 10)) == 1  # a repeat is not counted


def test_scraper_hangs_from_the_subscriber_whose_edit_it_carries():
    result = chains(network(last_same_day=False), Config())
    directed = {(e.source, e.target) for e in result.edges if e.directed}
    for k in range(4):
        assert (f"s{k}-wire", f"s{k}-sub") in directed
        assert (f"s{k}-sub", f"s{k}-scraper") in directed
        assert (f"s{k}-wire", f"s{k}-scraper") not in directed  # explained: via evidence
    edge = next(e for e in result.edges if e.target == "s0-scraper")
    assert any(
        e.kind == "via" and e.detail.startswith("s0-wire → s0-scraper") for e in edge.evidence
    )


def test_outlet_habit_orders_a_same_day_reprint():
    result = chains(network(), Config())
    edge = next(e for e in result.edges if e.target == "s3-scraper")
    assert (edge.source, edge.directed) == ("s3-sub", True)
    outlet = [e for e in edge.evidence if e.kind == "outlet" and e.favours == "s3-sub"]
    assert any(REPUBLISHER in e.detail and "scrape.example" in e.detail for e in outlet)
    assert result.counts["outlets_republishing"] == 1


def test_a_re_publishing_outlets_rewrite_is_not_ordered_by_its_habit():
    # scrape.example re-publishes (its whole copies come from Daily's versions); a rewrite
    # of its own, printed on Daily's day without times and holding one of Daily's paragraphs
    # among its own, is no re-publication: the habit does not put Daily's article first
    records = network(stories=4, last_same_day=False)
    rng = random.Random(11)
    wire, own = story(rng), story(rng, 3)
    records += [
        Record("s4-daily", "\n\n".join(wire), outlet="Daily", date="2020-03-01"),
        Record("s4-rew", "\n\n".join([own[0], wire[1], *own[1:]]), outlet="scrape.example",
               date="2020-03-01"),
    ]  # fmt: skip
    result = chains(records, Config())
    assert result.counts["outlets_republishing"] == 1
    into = [e for e in result.edges if e.target == "s4-rew"]
    assert [e.directed for e in into] == [False] and into[0].source.startswith("inferred:")
    # a whole copy of Daily's on that day is still ordered by the habit
    records[-1] = Record("s4-rew", "\n\n".join(wire), outlet="scrape.example", date="2020-03-01")
    whole = chains(records, Config())
    assert [(e.source, e.directed) for e in whole.edges if e.target == "s4-rew"] == [
        ("s4-daily", True)
    ]


def test_without_the_wire_two_subscribers_hang_from_one_inferred_source():
    records = network(stories=4, last_same_day=False)
    rng = random.Random(9)
    wire = story(rng)
    # a fifth story whose wire is absent: "Daily" (which takes from the wire) and "Herald"
    # both print it, Daily a day earlier; dates alone must not make Daily Herald's source
    records += [
        Record("s4-daily", "\n\n".join(wire), outlet="Daily", date="2020-03-01"),
        Record("s4-herald", "\n\n".join(wire[:3]), outlet="Herald", date="2020-03-02"),
    ]
    result = chains(records, Config())
    assert not [e for e in result.edges if e.directed and "s4-" in e.target]
    hung = [e for e in result.edges if e.target in ("s4-daily", "s4-herald")]
    assert len({e.source for e in hung}) == 1 and hung[0].source.startswith("inferred:")
    reasons = {e.target: next(x.detail for x in e.evidence if x.kind == "order") for e in hung}
    assert "wire-habit" in reasons["s4-daily"]
    assert WIRE == "takes from the wire"


def test_evidence_against_the_edge_says_it_was_outweighed():
    records = network(stories=4, last_same_day=False)
    rng = random.Random(9)
    text = "\n\n".join(story(rng))
    records += [
        Record("x-first", text, outlet="Herald", date="2020-03-01"),
        Record("x-second", text + "\n\nIts own closing words here.", outlet="Post",
               date="2020-03-03"),
    ]  # fmt: skip
    result = chains(records, Config())
    for edge in result.edges:
        for item in edge.evidence:
            if item.favours not in (None, edge.source):
                assert "outweighed" in item.detail, item
    (edge,) = [e for e in result.edges if e.target == "x-second"]
    assert not edge.directed  # dates only: it may share a source with x-first
    assert any(e.kind == "date" and e.favours == "x-first" for e in edge.evidence)


def test_furniture_words_make_no_candidate_closer():
    # two subscribers print the same share line between the wire's paragraphs, inside the
    # passage they share; it is furniture, so the earlier one does not explain the wire
    # by its shared share-line words
    from dedup.carriers import Carrier, Words
    from dedup.parents import decide
    from dedup.types import PassageCluster, Witness

    rng = random.Random(7)
    first, second = story(rng, 2)
    share = "Share this article on Facebook Twitter and by email"
    texts = {
        "wire": f"{first}\n\n{second}",
        "a": f"{first}\n\n{share}\n\n{second}",
        "b": f"{first}\n\n{share}\n\n{second}",
    }
    dates = {"wire": "2020-01-01T08:00:00", "a": "2020-01-01T09:00:00", "b": "2020-01-01T10:00:00"}
    outlets = {"wire": "Reuters", "a": "Alpha Post", "b": "Beta News"}
    agency = {"wire": "Reuters"}
    docs = {
        d: Carrier(id=d, outlet=outlets[d], date=dates[d], agency=agency.get(d), credits=(),
                   text_end=len(t))
        for d, t in texts.items()
    }  # fmt: skip
    passage = PassageCluster("p1", first, tuple(Witness(d, 0, len(t)) for d, t in texts.items()))
    words = Words(texts)
    credited = dict.fromkeys(texts, False)
    at = len(first) + 2
    furniture = {"a": [(at, at + len(share))], "b": [(at, at + len(share))]}
    with_furniture, _ = decide([passage], docs, words, credited, furniture)
    assert with_furniture.parents["b"] == [("wire", "agency")]
    without, _ = decide([passage], docs, words, credited)
    assert without.parents.get("b") != [("wire", "agency")]


def test_a_rewrite_carrying_an_outlets_edits_hangs_from_it_despite_the_wire_habit():
    # "Rewrites" embeds one paragraph of each story among three of its own; four times the
    # wire's reading (its outlet learns it takes from the wire), the fifth time the
    # subscriber's edited paragraph: that rewrite hangs from the subscriber
    rng = random.Random(3)
    records = []
    for k in range(5):
        wire = story(rng)
        sub = edit(wire, f"edited{k}")
        own = story(rng, 3)
        taken = (sub if k == 4 else wire)[1]
        day = 10 + 3 * k
        records += [
            Record(f"s{k}-wire", "\n\n".join(wire), outlet="Reuters",
                   date=f"2020-01-{day:02d}T09:00:00"),
            Record(f"s{k}-sub", "\n\n".join(sub), outlet="Daily", date=f"2020-01-{day + 1:02d}"),
            Record(f"s{k}-rew", "\n\n".join([own[0], taken, *own[1:]]), outlet="Rewrites",
                   date=f"2020-01-{day + 2:02d}"),
        ]  # fmt: skip
    result = chains(records, Config())
    directed = {e.target: e.source for e in result.edges if e.directed}
    assert directed["s4-rew"] == "s4-sub"
    assert all(directed[f"s{k}-rew"] == f"s{k}-wire" for k in range(4))
    habit = "Rewrites (s0-rew's outlet) takes from the wire"
    assert any(e.detail.startswith(habit) for edge in result.edges for e in edge.evidence)


def last_word_changed(paragraphs: list[str], word: str) -> list[str]:
    """The second paragraph's last word changed (house style: "said" → "says")."""
    words = paragraphs[1].split()
    words[-1] = word
    return [paragraphs[0], " ".join(words), *paragraphs[2:]]


def rewrite_network(subscribers: int) -> list[Record]:
    """Per story: Reuters' wire, ``subscribers`` outlets that each change the last word of
    the second paragraph to "says" (the change ends the paragraph a rewrite takes), and
    "Rewrites", which embeds that second paragraph among three of its own."""
    rng = random.Random(5)
    records = []
    for k in range(3):
        wire = story(rng)
        sub = last_word_changed(wire, "says")
        own = story(rng, 3)
        day = 10 + 4 * k
        records.append(Record(f"s{k}-wire", "\n\n".join(wire), outlet="Reuters",
                              date=f"2020-01-{day:02d}T09:00:00"))  # fmt: skip
        for n in range(subscribers):
            # dated by day only, the subscribers are unordered: neither copied the other
            records.append(Record(f"s{k}-sub{n}", "\n\n".join(sub), outlet=f"Paper{n}",
                                  date=f"2020-01-{day:02d}"))  # fmt: skip
        records.append(Record(f"s{k}-rew", "\n\n".join([own[0], sub[1], *own[1:]]),
                              outlet="Rewrites", date=f"2020-01-{day + 1:02d}"))  # fmt: skip
    return records


def test_a_rewrite_whose_passage_ends_with_a_subscribers_change_hangs_from_it():
    # the one word the wire lacks is the last of the taken paragraph: it still counts
    result = chains(rewrite_network(1), Config())
    directed = {e.target: e.source for e in result.edges if e.directed}
    assert all(directed[f"s{k}-rew"] == f"s{k}-sub0" for k in range(3))


def test_a_rewrite_two_subscribers_could_have_given_hangs_from_their_common_source():
    # both subscribers made the same change: no text tells which the rewrite took, so no
    # edge joins it to either; it hangs from the wire, and the evidence names both
    result = chains(rewrite_network(2), Config())
    into = [e for e in result.edges if e.target == "s0-rew"]
    assert [(e.source, e.directed) for e in into] == [("s0-wire", True)]
    assert any(
        "s0-sub0, s0-sub1 hold the same words" in item.detail and "common source" in item.detail
        for item in into[0].evidence
    )


def test_a_passage_a_candidate_witnesses_twice_is_matched_against_both_occurrences():
    # the scan split one passage at a paragraph break in the subscriber ("sub") but not in
    # its scraper: the scraper's one occurrence is compared with both of the subscriber's,
    # so it shares every word of both paragraphs with it (was: the first paragraph's only)
    from dedup.carriers import Words
    from dedup.copy_words import shared_words
    from dedup.types import PassageCluster, Witness

    first = (
        "LONDON, Nov 28 (Reuters) - Turkey is holding a buying tender for 100,000 tonnes "
        "of white sugar on March 24, traders here says."
    )
    second = (
        "The sugar is being reported for early arrival and will probably be met with "
        "April/May shipment sugar, they added."
    )
    sub = f"{first}\n\n{second}"
    scraper = f"{first} {second}\n\nRead more: Chad Says Troops Killed 1,200 Libyans"
    words = Words({"sub": sub, "scraper": scraper})
    passage = PassageCluster(
        "p1",
        sub,
        (
            Witness("scraper", 0, len(first) + 1 + len(second)),
            Witness("sub", 0, len(first)),
            Witness("sub", len(first) + 2, len(sub)),
        ),
    )
    found = shared_words([passage], words)
    both = words.size("sub")
    assert int(found["scraper"].masks["sub"].sum()) == both
    assert int(found["sub"].masks["scraper"].sum()) == both


def _credited_rewrite() -> tuple[list[str], list[str], list[str], list[Record]]:
    """A wire story, a subscriber's edited copy of it (the next day, with a time) and a
    rewrite, dated by day only on the subscriber's day, embedding the subscriber's edited
    second paragraph among its own and ending with a credit line."""
    rng = random.Random(7)
    wire, own = story(rng), story(rng, 3)
    sub = edit(wire, "edited")
    records = [
        Record("wire", "\n\n".join(wire), outlet="Reuters", date="2020-01-10T09:00:00"),
        Record("sub", "\n\n".join(sub), outlet="Daily", date="2020-01-11T15:00:00"),
        Record("rew", "\n\n".join([own[0], sub[1], *own[1:],
                                    "Reuters contributed to this report."]),
               outlet="Rewrites", date="2020-01-11"),
    ]  # fmt: skip
    return wire, own, sub, records


def test_a_credited_rewrite_carrying_an_outlets_edits_on_its_day_hangs_from_it():
    # "Rewrites" embeds the subscriber's edited second paragraph among its own and ends
    # with "Reuters contributed to this report."; dated by day only on the subscriber's
    # day, only the edits order the two: the credit line does not make the subscriber's
    # article a common source of the copy's (the wire lacks the changes it carries)
    wire, own, _sub, records = _credited_rewrite()
    result = chains(records, Config())
    into = [(e.source, e.directed) for e in result.edges if e.target == "rew"]
    assert into == [("sub", True)]
    # without the subscriber's changes the credited rewrite hangs from the wire
    records[2] = Record("rew", "\n\n".join([own[0], wire[1], *own[1:],
                                            "Reuters contributed to this report."]),
                        outlet="Rewrites", date="2020-01-11")  # fmt: skip
    into = [(e.source, e.directed) for e in chains(records, Config()).edges if e.target == "rew"]
    assert into == [("wire", True)]


def test_a_credited_rewrite_carrying_a_change_two_outlets_made_alike_is_not_directed():
    # a second outlet, on the same day, made the same changes: the credit line stands, no
    # text says which of them (or the agency's article, changed alike by the rewriter) the
    # rewrite took: it gets no directed edge
    _wire, _own, sub, records = _credited_rewrite()
    records.insert(2, Record("other", "\n\n".join(sub), outlet="Other",
                             date="2020-01-11T16:00:00"))  # fmt: skip
    into = [(e.source, e.directed) for e in chains(records, Config()).edges if e.target == "rew"]
    assert into and not any(directed for _, directed in into)
