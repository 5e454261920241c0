"""The syndication benchmark's generator and scorer (benchmarks/syndication.py): the truth's
spans slice what they claim, and the scorer gives the truth itself full marks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import syndication  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (syndication.DATA / syndication.REUTERS).exists()
    or not (syndication.DATA / syndication.BASIL).exists(),
    reason="Reuters-21578 or BASIL not in the shared data folder",
)


@pytest.fixture(scope="module")
def network() -> tuple[dict[str, dict], dict]:
    records, truth = syndication.generate_network(3, "dev", stories=6, controls=3)
    return {r["id"]: r for r in records}, truth


def test_same_seed_same_network(network: tuple[dict[str, dict], dict]) -> None:
    records, truth = syndication.generate_network(3, "dev", stories=6, controls=3)
    assert {r["id"]: r for r in records} == network[0]
    assert truth == network[1]


def test_copied_spans_slice_the_same_text_in_both(network: tuple[dict[str, dict], dict]) -> None:
    records, truth = network
    assert truth["edges"]
    for edge in truth["edges"]:
        source, target = records[edge["source"]]["text"], records[edge["target"]]["text"]
        assert edge["spans"]
        for span in edge["spans"]:
            copied = source[span["source_start"] : span["source_end"]]
            assert copied
            assert copied == target[span["target_start"] : span["target_end"]]


def outside_debris(text: str, debris: list[dict]) -> list[str]:
    """The words of ``text`` outside every debris span."""
    parts, position = [], 0
    for span in sorted(debris, key=lambda d: d["start"]):
        parts.append(text[position : span["start"]])
        position = span["end"]
    parts.append(text[position:])
    return " ".join(parts).split()


def test_a_scraper_copies_its_subscribers_whole_text(
    network: tuple[dict[str, dict], dict],
) -> None:
    records, truth = network
    scraped = [e for e in truth["edges"] if e["kind"] == "subscriber→scraper"]
    assert scraped
    for edge in scraped:
        source = records[edge["source"]]["text"]
        spans = sorted(edge["spans"], key=lambda s: s["source_start"])
        copied = " ".join(source[s["source_start"] : s["source_end"]] for s in spans).split()
        assert copied == outside_debris(source, truth["articles"][edge["source"]]["debris"])


def test_debris_spans_slice_the_debris(network: tuple[dict[str, dict], dict]) -> None:
    records, truth = network
    lines = {
        line
        for outlet in syndication.SCRAPER_OUTLETS
        for line in (*outlet.share, outlet.newsletter, *outlet.comments)
    }
    teasers = tuple(f"{outlet.teaser} " for outlet in syndication.SCRAPER_OUTLETS)
    kinds = set()
    for doc, article in truth["articles"].items():
        text = records[doc]["text"]
        flat = [d for d in article["debris"] if d["kind"] == "flat-copy"]
        for span in article["debris"]:
            piece = text[span["start"] : span["end"]]
            kinds.add(span["kind"])
            assert piece == piece.strip() and piece
            if span["kind"] in ("share", "newsletter", "comments"):
                assert piece in lines
            elif span["kind"] == "teaser":
                assert piece.startswith(teasers)
            elif span["kind"] == "tags":
                assert piece.startswith("Tags: ")
            elif span["kind"] == "footer":
                assert piece == f"© 2016 {article['outlet']}. All rights reserved."
        if flat:
            # the flat copy is the body (the text outside every debris span) on one line
            piece = text[flat[0]["start"] : flat[0]["end"]]
            assert piece == " ".join(outside_debris(text, article["debris"]))
    assert {"teaser", "tags", "share", "newsletter", "comments"} <= kinds


def test_truth_scores_full_marks(network: tuple[dict[str, dict], dict]) -> None:
    _, truth = network
    score = syndication.score_links(truth, syndication.truth_prediction(truth))
    assert score["pairs"]["precision"] == score["pairs"]["recall"] == 1.0
    assert score["edges"]["precision"] == score["edges"]["recall"] == 1.0
    assert score["edges"]["classes"]["right"] == len(truth["edges"])


def test_a_reversed_edge_scores_less(network: tuple[dict[str, dict], dict]) -> None:
    _, truth = network
    prediction = syndication.truth_prediction(truth)
    source, target = next(iter(prediction.directed))
    del prediction.directed[(source, target)]
    prediction.directed[(target, source)] = 1.0
    score = syndication.score_links(truth, prediction)
    n = len(truth["edges"])
    assert score["pairs"]["precision"] == score["pairs"]["recall"] == 1.0
    assert score["edges"]["precision"] == score["edges"]["recall"] == (n - 1) / n
    assert score["edges"]["classes"]["reversed"] == 1
    assert score["outcomes"]["all"]["reversed"] == 1


def test_the_goals_are_met_by_the_truth_and_not_by_a_sibling_edge(
    network: tuple[dict[str, dict], dict],
) -> None:
    _, truth = network
    prediction = syndication.truth_prediction(truth)
    met = syndication.goals(syndication.score_links(truth, prediction))
    assert [m for _, _, m in met] == [True] * 5
    sibling = next(p for p in truth["pairs"] if p["relation"] == "sibling")
    prediction.directed[(sibling["a"], sibling["b"])] = 1.0
    met = dict(
        (goal, (figures, m))
        for goal, figures, m in syndication.goals(syndication.score_links(truth, prediction))
    )
    assert met["no edge between siblings"] == ("1", False)
    debris = {"f1": 0.96, "other text kept": 0.99}
    last = syndication.goals(syndication.score_links(truth, prediction), debris)[-1]
    assert last == ("debris F1 ≥ 0.95 with ≥ 0.995 of other text kept", "0.960 / 0.990", False)


def test_copies_the_agency_holds_alike_are_counted_and_missed_ones_apart() -> None:
    truth = {
        "articles": {
            "w": {"role": "wire"},
            "s": {"role": "subscriber"},
            "r": {"role": "rewriter"},
            "x": {"role": "scraper"},
        }
    }
    same = {("s", "r"): {"s", "w"}, ("s", "x"): {"s", "r"}, ("w", "r"): {"w", "s"}}
    # only s -> r: an outlet's article the wire's article holds alike; missed unless answered
    assert syndication.agency_alike(truth, same) == (1, 1)
    assert syndication.agency_alike(truth, same, [("s", "r"), ("w", "x")]) == (1, 0)


def test_naive_links_every_pair_sharing_an_8_gram() -> None:
    records = [
        {"id": "b", "date": "2016-12-10", "text": "one two three four five six seven eight nine"},
        {"id": "a", "date": "2016-12-10", "text": "zero one two three four five six seven eight"},
        {"id": "c", "date": "2016-12-09", "text": "one two three four five six seven"},
    ]
    prediction = syndication.naive_prediction(records)
    assert prediction.pairs == {("a", "b")}
    assert set(prediction.directed) == {("a", "b")}  # same date: ties by id


def test_edge_reasons_are_read_from_the_evidence() -> None:
    def row(source: str, *evidence: tuple[str, str | None, str]) -> dict:
        items = [{"kind": k, "favours": f, "detail": d} for k, f, d in evidence]
        return {"source": source, "target": "t", "directed": True, "evidence": items}

    assert syndication.edge_reason(row("w", ("agency", "w", ""))) == "agency, whole"
    part = ("containment", "w", "t shares 9 of its 90 words; a few passages among its own")
    assert syndication.edge_reason(row("w", ("agency", "w", ""), part)) == "agency, part"
    edits = ("containment", "s", "… it carries s's changes to the agency's text, which w lacks")
    assert syndication.edge_reason(row("s", ("date", "s", ""), edits)) == "edits"
    assert syndication.edge_reason(row("s", ("outlet", "s", ""))) == "outlet"
    assert syndication.edge_reason(row("s", ("date", "s", ""), ("agency", "w", ""))) == "date"
    truth = {"edges": [{"source": "s", "target": "t"}]}
    rows = [row("s", ("outlet", "s", "")), row("x", ("outlet", "x", ""))]
    assert syndication.score_reasons(truth, rows) == {"outlet": (2, 1)}


def test_a_copy_reading_as_the_wire_is_counted() -> None:
    wire = "Oil rose two pct on Monday, traders said."
    sub = "Oil rose two percent on Monday, traders said."
    records = [
        {"id": "w", "text": wire},
        {"id": "s", "text": sub},
        {"id": "r1", "text": "Own words. traders said."},
        {"id": "r2", "text": "Own words. two percent on Monday"},
    ]
    roles = {"w": "wire", "s": "subscriber", "r1": "rewriter", "r2": "rewriter"}
    articles = {k: {"role": v, "story": 0} for k, v in roles.items()}

    def edge(target: str, piece: str) -> dict:
        start = records[int(target[1]) + 1]["text"].index(piece)
        span = {"target_start": start, "target_end": start + len(piece)}
        return {"source": "s", "target": target, "kind": "subscriber→rewriter", "spans": [span]}

    truth = {"articles": articles, "edges": [edge("r1", "traders said"), edge("r2", "percent")]}
    assert syndication.reads_as_the_wire(records, truth) == {"subscriber→rewriter": 1}


def test_an_answer_the_text_cannot_tell_from_the_source_is_scored_apart() -> None:
    # r1 took "traders said" from s, which the wire holds too: the text cannot tell them
    # apart, so w → r1 counts in the "text" figures but not in the strict ones; r2 took
    # "two percent", which only s holds: w → r2 is wrong in both
    records = [
        {"id": "w", "text": "Oil rose two pct on Monday, traders said."},
        {"id": "s", "text": "Oil rose two percent on Monday, traders said."},
        {"id": "r1", "text": "Own words. traders said."},
        {"id": "r2", "text": "Own words. two percent on Monday"},
    ]
    roles = {"w": "wire", "s": "subscriber", "r1": "rewriter", "r2": "rewriter"}
    dates = {"w": "2016-12-10T09:00:00", "s": "2016-12-10T10:00:00"}
    sources = {"w": [], "s": ["w"], "r1": ["s"], "r2": ["s"]}
    articles = {
        k: {"role": v, "story": 0, "date": dates.get(k, "2016-12-11"), "sources": sources[k],
            "debris": []}
        for k, v in roles.items()
    }  # fmt: skip

    def edge(source: str, target: str, piece: str) -> dict:
        text = next(r["text"] for r in records if r["id"] == target)
        start = text.index(piece)
        span = {"target_start": start, "target_end": start + len(piece)}
        kind = f"{roles[source]}→{roles[target]}"
        return {"source": source, "target": target, "kind": kind, "spans": [span],
                "date_orders": True}  # fmt: skip

    edges = [edge("w", "s", "Oil rose"), edge("s", "r1", "traders said"),
             edge("s", "r2", "two percent on Monday")]  # fmt: skip
    truth = {"articles": articles, "edges": edges, "pairs": [], "boilerplate_pairs": [],
             "accidental_pairs": []}  # fmt: skip
    same = syndication.text_equivalents(records, truth)
    assert same == {("s", "r1"): {"s", "w"}}
    prediction = syndication.truth_prediction(truth)
    del prediction.directed[("s", "r1")], prediction.directed[("s", "r2")]
    prediction.directed[("w", "r1")] = prediction.directed[("w", "r2")] = 0.75
    score = syndication.score_links(truth, prediction, same)["edges"]
    assert score["classes"]["text cannot tell"] == 1 and score["classes"]["skips a link"] == 1
    assert score["precision"] == score["recall"] == 1 / 3
    assert score["precision, text"] == score["recall, text"] == 2 / 3
