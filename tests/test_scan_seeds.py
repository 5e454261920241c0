"""The seed facts (from the issue and an independent 12-gram count) through the Python API."""

from __future__ import annotations

import random

import pytest

from dedup.config import Config
from dedup.normalize import words
from dedup.pipeline import minhashes, scan
from tests.conftest import SEED_IDS

ID = SEED_IDS


def cluster_with(result, quote: str):
    """The cross-document passage cluster whose text contains the quote's words (002's
    self-repeat clusters hold its quotes too, but link no other document)."""
    target = " ".join(words(quote))
    found = [p for p in result.passages if len(p.docs) > 1 and target in " ".join(words(p.text))]
    assert len(found) == 1, f"{len(found)} clusters hold {quote!r}"
    return found[0]


def test_exactly_the_three_reported_pairs(seed_scan):
    assert [(p.a, p.b) for p in seed_scan.pairs] == [
        (ID["000"], ID["001"]),
        (ID["000"], ID["002"]),
        (ID["001"], ID["002"]),
    ]


@pytest.mark.parametrize(
    ("quote", "docs"),
    [
        (
            "Russia and Assad have a moment where they are in a dominant position to show "
            "a little grace",
            {"000", "001"},
        ),
        ("the indiscriminate bombing by the regime violates rules of law", {"000", "001"}),
        ("hundreds of men had gone missing", {"000", "001"}),
        ("tens of thousands of civilians have fled east Aleppo", {"000", "001"}),
        (
            "Fighters … don’t trust that if they agreed to leave to try to save Aleppo, that it "
            "will save Aleppo and they will be unharmed and free to move where they are not "
            "immediately attacked",
            {"000", "002"},
        ),
        ("I know people are tired of these meetings", {"001", "002"}),
        ("go home and have a nice weekend", {"001", "002"}),
        ("sit there in Washington and do nothing", {"001", "002"}),
    ],
)
def test_quote_is_one_cluster_with_its_outlets(seed_scan, quote, docs):
    cluster = cluster_with(seed_scan, quote)
    assert set(cluster.docs) == {ID[d] for d in docs}


def test_every_witness_is_the_passage_as_printed(seed_scan, seed_texts):
    texts = {ID[short]: text for short, text in seed_texts.items()}
    for cluster in seed_scan.passages:
        printed = [texts[w.doc][w.start : w.end] for w in cluster.witnesses]
        assert cluster.text in printed
        for span in printed:
            assert span == span.strip()
            assert len(words(span)) >= Config().min_passage_words


def test_kerry_grace_quote_offsets(seed_scan, seed_texts):
    cluster = cluster_with(seed_scan, "dominant position to show a little grace")
    for witness in cluster.witnesses:
        short = witness.doc[:3]
        span = seed_texts[short][witness.start : witness.end]
        assert span.startswith("Russia and Assad have a moment")
        assert "show a little grace" in span


def test_guardian_quote_has_two_witnesses_in_the_guardian(seed_scan):
    cluster = cluster_with(seed_scan, "don’t trust that if they agreed to leave")
    in_002 = [w for w in cluster.witnesses if w.doc == ID["002"]]
    assert len(in_002) == 2  # the flat copy of the body and the paragraphed copy


def test_nothing_links_003_or_004(seed_scan):
    loners = {ID["003"], ID["004"]}
    assert not [p for p in seed_scan.pairs if {p.a, p.b} & loners]
    for cluster in seed_scan.passages:
        if set(cluster.docs) & loners:
            # the only thing there is 004 printing one photo caption twice
            assert cluster.docs == (ID["004"],)
            assert "More than 250 people have been killed" in cluster.text


def test_guardian_body_repeat_is_found(seed_scan):
    doc = next(d for d in seed_scan.documents if d.id == ID["002"])
    # 952 of its 1,011 distinct 8-grams occur twice: nearly half its words are a second copy
    assert doc.repeated_words >= 0.45 * doc.words
    repeats = [c for c in seed_scan.passages if c.docs == (ID["002"],)]
    assert sum(w.end - w.start for c in repeats for w in c.witnesses[1:]) > 5000


def test_pair_measures(seed_scan):
    pair = seed_scan.pairs[0]
    assert pair.jaccard == pytest.approx(0.049, abs=0.005)  # independent 5-gram count
    assert not pair.near_duplicate
    assert pair.reused_words_a >= 100
    assert pair.reused_fraction_a == pytest.approx(pair.reused_words_a / pair.words_a)


def test_result_does_not_depend_on_record_order(seed_records, seed_scan):
    shuffled = seed_records[:]
    random.Random(4).shuffle(shuffled)
    again = scan(shuffled)
    assert again.pairs == seed_scan.pairs
    assert again.passages == seed_scan.passages
    assert again.documents == seed_scan.documents


def test_minhashes_export(seed_scan):
    sketches = minhashes(seed_scan)
    assert set(sketches) == set(ID.values())
    estimate = sketches[ID["000"]].jaccard(sketches[ID["001"]])
    assert estimate == pytest.approx(seed_scan.pairs[0].jaccard, abs=0.1)


def test_identical_documents_are_near_duplicates(seed_records):
    copy = seed_records[3].__class__(id="zz-copy", text=seed_records[3].text)
    result = scan([*seed_records, copy])
    pair = next(p for p in result.pairs if p.b == "zz-copy")
    assert pair.a == ID["003"] and pair.jaccard == 1.0 and pair.near_duplicate
    assert pair.reused_fraction_a == 1.0
