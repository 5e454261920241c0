"""dedup.report_labels: how the report names articles and sources and states a pair's
verdict. The expected words come from the seeds' metadata.csv and the chain edges as built
here by hand, not from the code under test."""

from __future__ import annotations

import dataclasses

import pytest

from dedup.ingest import read_corpus
from dedup.pipeline import report
from dedup.report_labels import (
    UNKNOWN,
    article_label,
    common_source_labels,
    edge_sentence,
    headline,
    name_ids,
    pair_verdict,
)
from dedup.types import ChainEdge, Evidence, Record
from tests.conftest import CORPUS, SEED_IDS

A, B, C = SEED_IDS["000"], SEED_IDS["001"], SEED_IDS["002"]


@pytest.fixture(scope="module")
def found():
    return report(list(read_corpus([str(CORPUS)]).records))


@pytest.fixture(scope="module")
def records(found):
    return {r.id: r for r in found.records}


def test_headline_is_the_title_or_the_first_words():
    assert headline(Record(id="x", text="body", title="  A  title ")) == "A title"
    text = " ".join(f"w{k}" for k in range(20))
    assert headline(Record(id="x", text=text)) == " ".join(f"w{k}" for k in range(12)) + "…"
    assert headline(Record(id="x", text="two words")) == "two words"
    assert headline(None) == UNKNOWN


def test_article_label_says_unknown_for_what_is_missing():
    record = Record(id="x", text="t", title="Rates cut", date="1987-03-11T09:34:00")
    assert article_label(record) == "outlet unknown 1987-03-11 09:34: Rates cut"
    assert article_label(dataclasses.replace(record, outlet="Reuters", date=None)) == (
        "Reuters date unknown: Rates cut"
    )


def test_ids_in_evidence_become_outlet_and_headline(records):
    text = name_ids(f"{A} and {B} both dated 2016-12-10; 12% of {A}'s words", records)
    assert A not in text and B not in text
    assert text.startswith("Al Jazeera “Syria and Russia pressed to end…” and outlet unknown")
    assert text.endswith("“Syria and Russia pressed to end…”'s words")


def test_common_source_is_named_by_the_credits_of_its_carriers(found):
    labels = common_source_labels(found.chains)
    carriers: dict[str, set[str]] = {}
    for edge in found.chains.edges:
        if edge.source.startswith("inferred:"):
            carriers.setdefault(edge.source, set()).add(edge.target)
    (both,) = [s for s, targets in carriers.items() if {A, B} <= targets]
    # 000 credits "News Agencies" and names Associated Press; 001 names AFP
    assert labels[both] == "AFP / Associated Press / News Agencies copy, original not in the corpus"


def test_common_verdict_gives_the_reason_for_no_order(found, records):
    labels = common_source_labels(found.chains)
    verdict = pair_verdict(found.chains, A, B, records, labels)
    assert verdict.kind == "common" and verdict.source.startswith("inferred:")
    assert verdict.text.startswith("Neither took from the other: both carry AFP")
    assert "Order unknown: " in verdict.text and "same day" in verdict.text
    assert verdict.evidence and not any(A in e or B in e for e in verdict.evidence)


def test_directed_verdict_names_who_took_from_whom(found, records):
    evidence = (
        Evidence("date", C, f"{C} dated 2016-12-09, {B} dated 2016-12-10"),
        Evidence("containment", None, "no containment asymmetry"),
    )
    edge = ChainEdge(C, B, True, 0.6, ("p8",), 41, evidence)
    chains = dataclasses.replace(found.chains, edges=(edge,))
    verdict = pair_verdict(chains, B, C, records, {})
    assert verdict.kind == "directed" and (verdict.source, verdict.target) == (C, B)
    assert verdict.text == (
        "outlet unknown 2016-12-10: Kerry denounces Syria ‘war crimes’ after new round of "
        "talks in Paris took copy from The Guardian 2016-12-10: Diplomats urge Russia and "
        "Assad to show grace in Aleppo victory (confidence 0.60)"
    )
    assert verdict.evidence[0].startswith("The Guardian “Diplomats urge Russia and Assad")
    sentence = edge_sentence(edge, records, {})
    assert " took 41 words (1 passage) from The Guardian 2016-12-10" in sentence
    assert sentence.endswith("dated 2016-12-10")


def test_without_an_edge_the_order_is_unknown_with_a_reason(found, records):
    bare = dataclasses.replace(found.chains, edges=())
    assert pair_verdict(bare, A, C, records, {}).text == (
        "Order unknown: no chain edge links them."
    )
    furniture = dataclasses.replace(bare, boilerplate_pairs=((A, C),))
    verdict = pair_verdict(furniture, C, A, records, {})
    assert verdict.kind == "unknown" and "only boilerplate" in verdict.text
