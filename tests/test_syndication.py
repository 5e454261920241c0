"""Syndication chains: source and order of the copies, from dates, agencies, credits,
containment and shared edits. Expected facts are read from the seed texts and metadata."""

from __future__ import annotations

import csv
import dataclasses
import json
import random
import re

import networkx as nx
import pytest

from dedup.config import Config
from dedup.errors import ConfigError
from dedup.pipeline import chains, scan
from dedup.syndication import build_chains, chain_graph, credit_lines, find_credits
from dedup.types import Record
from dedup.writers import write_graphml, write_node_link
from tests.conftest import CORPUS, SEED_IDS

ID = SEED_IDS


@pytest.fixture(scope="module")
def dated_records(seed_texts) -> list[Record]:
    """The seeds with outlet and date from corpus/metadata.csv (read with csv, not ingest)."""
    with open(CORPUS / "metadata.csv", encoding="utf-8", newline="") as handle:
        meta = {row["id"]: row for row in csv.DictReader(handle)}
    return [
        Record(
            id=ID[short],
            text=text,
            outlet=meta[ID[short]]["outlet"] or None,
            date=meta[ID[short]]["date"] or None,
        )
        for short, text in seed_texts.items()
    ]


@pytest.fixture(scope="module")
def seed_chains(dated_records):
    return chains(dated_records, Config())


def paragraphs(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def paragraph_with(text: str, start: str) -> str:
    (found,) = [p for p in paragraphs(text) if p.startswith(start)]
    return found


def edges_touching(result, doc: str):
    return [e for e in result.edges if doc in (e.source, e.target)]


# --- the seeds ----------------------------------------------------------------------------


def test_seed_000_and_001_hang_from_one_common_source(seed_chains):
    sources_000 = {e.source for e in seed_chains.edges if e.target == ID["000"]}
    sources_001 = {e.source for e in seed_chains.edges if e.target == ID["001"]}
    shared = sources_000 & sources_001
    assert len(shared) == 1
    (common,) = shared
    assert common.startswith("inferred:")
    assert all(not e.directed for e in seed_chains.edges if e.source == common)


def test_seed_000_and_001_are_never_ordered(seed_chains):
    directed = {(e.source, e.target) for e in seed_chains.edges if e.directed}
    assert (ID["000"], ID["001"]) not in directed
    assert (ID["001"], ID["000"]) not in directed


def test_seed_common_source_cites_the_credit_line(seed_chains, seed_texts):
    credit = "Source: Al Jazeera, News Agencies"
    assert seed_texts["000"].rstrip().endswith(credit)  # the fact, from the text itself
    (edge, _) = [e for e in seed_chains.edges if e.target in (ID["000"], ID["001"])][:2]
    credits = [e for e in edge.evidence if e.kind == "credit" and credit in e.detail]
    assert credits and credits[0].favours == edge.source
    assert "credit line" in credits[0].detail


def test_seed_body_mention_of_afp_is_marked_weaker(seed_chains, seed_texts):
    assert "telling AFP on Friday" in seed_texts["001"]
    edge = next(e for e in seed_chains.edges if e.target == ID["001"])
    mention = [e for e in edge.evidence if e.kind == "credit" and ID["001"] in e.detail]
    assert mention and "AFP" in mention[0].detail
    assert "body mention, weaker than a credit line" in mention[0].detail


def test_seed_same_day_date_evidence_orders_nothing(seed_chains):
    edge = next(e for e in seed_chains.edges if e.target == ID["001"])
    dates = [e for e in edge.evidence if e.kind == "date"]
    assert dates and dates[0].favours is None
    assert "2016-12-10" in dates[0].detail


def test_seed_guardian_is_linked_to_both(seed_chains):
    guardian_sources = {e.source for e in seed_chains.edges if e.target == ID["002"]}
    partners = {
        e.target
        for e in seed_chains.edges
        if e.source in guardian_sources and e.target != ID["002"]
    }
    assert partners == {ID["000"], ID["001"]}


@pytest.mark.parametrize("short", ["003", "004"])
def test_seed_no_edge_touches_unrelated_articles(seed_chains, short):
    assert edges_touching(seed_chains, ID[short]) == []


def test_seed_articles_split_reused_and_original(seed_chains):
    by_doc = {a.doc: a for a in seed_chains.articles}
    assert set(by_doc) == set(ID.values())
    for short in ("003", "004"):
        assert by_doc[ID[short]].reused_words == 0
        assert by_doc[ID[short]].original_words == by_doc[ID[short]].words
    for short in ("000", "001", "002"):
        article = by_doc[ID[short]]
        assert 0 < article.reused_words < article.words
        assert article.original_words == article.words - article.reused_words
        assert all(source.startswith("inferred:") for source, _ in article.sources)


def test_seed_articles_list_their_credits(seed_chains):
    by_doc = {a.doc: a for a in seed_chains.articles}
    assert "News Agencies" in by_doc[ID["000"]].credits
    assert "AFP" in by_doc[ID["001"]].credits
    assert by_doc[ID["002"]].credits == ()


def test_seed_outlets_take_copy_only_from_common_sources(seed_chains):
    by_outlet = {o.outlet: o for o in seed_chains.outlets}
    assert by_outlet["Al Jazeera"].documents == 2  # 000 and 004 in metadata.csv
    assert [name for name, _ in by_outlet["The Guardian"].sources] == ["common source"]


# --- direction ----------------------------------------------------------------------------


def test_later_reprint_is_dated_after_but_not_directed_on_dates_alone(dated_records, seed_texts):
    # three paragraphs only 000 prints (not in 001 or 002), reprinted two days later by an
    # outlet with no known habit: the dates say which came first, not that it took the text
    # from 000 rather than from a source both used, so the edge stays undirected
    reprinted = [
        paragraph_with(seed_texts["000"], "Mohammed bin Abdulrahman"),
        paragraph_with(seed_texts["000"], "Al Jazeera’s Imtiaz Tyab"),
        paragraph_with(seed_texts["000"], "The UN estimates about 100,000"),
    ]
    own = "The council will meet again on Monday to discuss the budget of the city library."
    reprint = Record(
        id="reprint",
        text="\n\n".join([*reprinted, own]),
        outlet="Daily Reprint",
        date="2016-12-12",
    )
    result = chains([*dated_records, reprint], Config())
    (edge,) = [e for e in result.edges if e.target == "reprint"]
    assert not edge.directed and edge.source.startswith("inferred:")
    assert any(e.kind == "date" and e.favours == ID["000"] for e in edge.evidence)
    assert any(e.kind == "order" and "date-only" in e.detail for e in edge.evidence)
    hung = {e.target for e in result.edges if e.source == edge.source}
    assert ID["000"] in hung


def test_wire_agency_outlet_is_the_source(dated_records, seed_texts):
    # paragraphs only 001 prints, carried the same day by an outlet that is AFP by alias
    wire_text = "\n\n".join(
        [
            paragraph_with(seed_texts["001"], "An AFP correspondent in west Aleppo"),
            paragraph_with(seed_texts["001"], "The strikes were so intense"),
            paragraph_with(seed_texts["001"], "Abu al-Leith spoke to AFP"),
        ]
    )
    wire = Record(id="wire", text=wire_text, outlet="Agence France-Presse", date="2016-12-10")
    result = chains([*dated_records, wire], Config())
    (edge,) = [e for e in result.edges if "wire" in (e.source, e.target)]
    assert (edge.source, edge.target, edge.directed) == ("wire", ID["001"], True)
    assert any(e.kind == "agency" and e.favours == "wire" for e in edge.evidence)


def test_agency_list_is_editable(seed_texts):
    text = paragraph_with(seed_texts["003"], "Government forces, backed by Russia")
    first = Record(id="a", text=text, outlet="Wire Co", date="2016-12-07")
    second = Record(id="b", text=text + "\n\nA closing line of its own.", date="2016-12-07")
    default = chains([first, second], Config())
    assert [e.directed for e in default.edges] == [False, False]
    custom = chains([first, second], Config(wire_agencies=("Wire Co",)))
    assert [(e.source, e.target, e.directed) for e in custom.edges] == [("a", "b", True)]


def test_containment_alone_orders_nothing(seed_texts):
    # B holds all of A's text plus more; no dates, no credits: a trimmed reprint and an
    # expanded original look alike, so both hang from one inferred source
    body = paragraphs(seed_texts["003"])[2:]
    short = Record(id="short", text="\n\n".join(body[:3]))
    long = Record(id="long", text="\n\n".join(body[:9]))
    result = chains([short, long], Config())
    assert {(e.target, e.directed) for e in result.edges} == {("short", False), ("long", False)}
    assert len({e.source for e in result.edges}) == 1
    assert all(e.confidence == 0 for e in result.edges)


def test_same_day_copies_without_credit_get_a_common_source(seed_texts):
    text = "\n\n".join(paragraphs(seed_texts["003"])[2:5])
    a = Record(id="a", text=text + "\n\nFirst outlet's own closing line here.", date="2016-12-07")
    b = Record(id="b", text=text + "\n\nAnother ending, written by the second.", date="2016-12-07")
    result = chains([a, b], Config())
    assert {(e.source, e.target, e.directed) for e in result.edges} == {
        ("inferred:p1", "a", False),
        ("inferred:p1", "b", False),
    }
    assert all(e.confidence == 0 for e in result.edges)


def test_copy_of_a_copy_hangs_from_the_closer_version(seed_texts):
    # second carries first's edit: first explains everything second shares with the wire
    # and more, so the wire → second edge is dropped and kept as via evidence
    original = paragraph_with(seed_texts["000"], "The UN estimates about 100,000")
    assert "virtually no access" in original
    edited = original.replace("virtually no access", "almost no access at all")
    wire = Record(id="wire", text=original, outlet="Reuters", date="2016-12-09")
    plain = Record(id="plain", text=original + "\n\nOwn text.", date="2016-12-10")
    first = Record(id="first", text=edited + "\n\nMore own text.", date="2016-12-10")
    second = Record(id="second", text=edited + "\n\nYet more text.", date="2016-12-11")
    result = chains([wire, plain, first, second], Config())
    directed = {e.target: e.source for e in result.edges if e.directed}
    # first is dated first and second carries first's change to the agency's text: the
    # edit, not the date alone, says second took it from first
    assert directed == {"plain": "wire", "first": "wire", "second": "first"}
    (edge,) = [e for e in result.edges if e.target == "second"]
    assert any(e.kind == "containment" and "changes" in e.detail for e in edge.evidence)
    assert not any(e.source == "wire" and e.target == "second" for e in result.edges)


def test_a_sibling_dated_first_without_an_edit_gets_no_edge(seed_texts):
    # second shares first's text but no change of first's: only the date orders them, so
    # they hang from the wire, not from each other
    original = paragraph_with(seed_texts["000"], "The UN estimates about 100,000")
    wire = Record(id="wire", text=original, outlet="Reuters", date="2016-12-09")
    first = Record(id="first", text=original + "\n\nMore own text.", date="2016-12-10")
    second = Record(id="second", text=original + "\n\nYet more text.", date="2016-12-11")
    result = chains([wire, first, second], Config())
    assert {e.target: e.source for e in result.edges if e.directed} == {
        "first": "wire",
        "second": "wire",
    }


def test_via_evidence_names_the_dropped_ancestor(seed_texts):
    original = paragraph_with(seed_texts["000"], "The UN estimates about 100,000")
    edited = original.replace("virtually no access", "almost no access at all")
    wire = Record(id="wire", text=original, outlet="Reuters", date="2016-12-09")
    sub = Record(id="sub", text=edited + "\n\nOwn text.", outlet="Reuters", date="2016-12-10")
    copy = Record(id="copy", text=edited + "\n\nMore.", outlet="Reuters", date="2016-12-11")
    result = chains([wire, sub, copy], Config())
    directed = {(e.source, e.target) for e in result.edges if e.directed}
    assert directed == {("wire", "sub"), ("sub", "copy")}
    (edge,) = [e for e in result.edges if e.target == "copy"]
    (via,) = [e for e in edge.evidence if e.kind == "via"]
    assert via.favours is None and via.detail.startswith("wire → copy dropped")


def test_one_shared_edit_of_two_is_house_style_not_copy(seed_texts):
    original = seed_texts["000"]
    assert "virtually no access" in original and "have called for an immediate end" in original
    one = original.replace("virtually no access", "almost no access")
    two = one.replace("have called for an immediate end", "have called for a swift end")
    wire = Record(id="wire", text=original, outlet="Reuters", date="2016-12-09")
    first = Record(id="first", text=two + "\n\nMore own text.", date="2016-12-10")
    second = Record(id="second", text=one + "\n\nYet more text.", date="2016-12-11")
    result = chains([wire, first, second], Config())
    # first lacks the wire's reading at its second change, which second keeps: first does
    # not explain what second shares with the wire
    assert {e.target: e.source for e in result.edges} == {"first": "wire", "second": "wire"}
    assert all(e.directed for e in result.edges)


def test_struck_agency_credit_is_no_shared_edit(seed_texts):
    original = "PARIS (Reuters) - " + paragraph_with(seed_texts["000"], "The UN estimates")
    struck = original.replace(" (Reuters)", "")
    wire = Record(id="wire", text=original, outlet="Reuters", date="2016-12-09")
    first = Record(id="first", text=struck + "\n\nMore own text.", date="2016-12-10")
    second = Record(id="second", text=struck + "\n\nYet more text.", date="2016-12-11")
    result = chains([wire, first, second], Config())
    assert {e.target: e.source for e in result.edges} == {"first": "wire", "second": "wire"}


def test_tied_closer_versions_go_to_the_earliest_not_the_first_id(seed_texts):
    original = paragraph_with(seed_texts["000"], "The UN estimates about 100,000")
    edited = original.replace("virtually no access", "almost no access")
    wire = Record(id="wire", text=original, outlet="Reuters", date="2016-12-09")
    late = Record(id="a-scraper", text=edited + "\n\nOwn A.", date="2016-12-11T10:00:00")
    sub = Record(id="z-sub", text=edited + "\n\nOwn Z.", date="2016-12-10")
    last = Record(id="b-scraper", text=edited + "\n\nOwn B.", date="2016-12-12")
    result = chains([wire, late, sub, last], Config())
    directed = {e.target: e.source for e in result.edges if e.directed}
    # both carry z-sub's change to the wire's text, and z-sub is the earliest that has it
    assert directed == {"z-sub": "wire", "a-scraper": "z-sub", "b-scraper": "z-sub"}


# --- credits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Body.\n\nSource: Al Jazeera, News Agencies", ("News Agencies",)),
        ("PARIS (AFP) - Diplomats met on Saturday.", ("AFP",)),
        ("Body.\n\nThe Associated Press contributed to this report.", ("Associated Press",)),
        ("Body.\n\nSources: Reuters and AP", ("Associated Press", "Reuters")),
        ("Zouhir al-Shimale contributed to this report from Aleppo", ()),
        ("witnesses telling AFP on Friday of cases of suffocation", ()),
        ("The map app was updated.", ()),
    ],
)
def test_credit_lines_normalise_agency_names(text, expected):
    assert credit_lines(text) == expected


def test_body_mention_keeps_its_words(seed_texts):
    mentions = [c for c in find_credits(seed_texts["001"]) if c.kind == "body mention"]
    texts = [c.text for c in mentions]
    assert any("telling AFP on Friday" in t for t in texts)
    for credit in mentions:
        assert seed_texts["001"][credit.start : credit.end] == credit.text


def test_bad_wire_agency_entry_names_the_field():
    with pytest.raises(ConfigError, match=re.escape("wire_agencies: empty or multi-line")):
        Config(wire_agencies=("AFP|",))


# --- determinism and export ---------------------------------------------------------------


def test_same_result_in_any_input_order(dated_records):
    expected = chains(dated_records, Config())
    shuffled = list(dated_records)
    random.Random(7).shuffle(shuffled)
    result = chains(shuffled, Config())
    assert result.edges == expected.edges
    assert result.articles == expected.articles
    assert result.outlets == expected.outlets


def test_build_chains_uses_the_given_scan(dated_records):
    result = scan(dated_records, Config())
    with_scan = build_chains(dated_records, result, Config())
    assert with_scan.scan is result


def test_graphml_export_loads_back(seed_chains, tmp_path):
    path = tmp_path / "chains.graphml"
    write_graphml(chain_graph(seed_chains), path)
    graph = nx.read_graphml(path)
    assert set(graph.nodes) >= set(ID.values())
    assert graph.number_of_edges() == len(seed_chains.edges)
    first = seed_chains.edges[0]
    data = graph.edges[first.source, first.target]
    assert data["directed"] is False
    assert json.loads(data["evidence"])[0]["kind"] == first.evidence[0].kind


def test_node_link_export_loads_back(seed_chains, tmp_path):
    path = tmp_path / "chains.json"
    write_node_link(chain_graph(seed_chains), path)
    graph = nx.node_link_graph(json.loads(path.read_text(encoding="utf-8")), edges="edges")
    assert isinstance(graph, nx.DiGraph)
    assert sorted(graph.edges) == sorted((e.source, e.target) for e in seed_chains.edges)
    assert graph.nodes[ID["003"]]["kind"] == "document"


# --- boilerplate --------------------------------------------------------------------------

NEWSLETTER = (
    "Get the Daily Wire Digest in your inbox every morning: the ten stories everyone will be "
    "talking about before breakfast, free every weekday."
)
FORM = (
    "Leave a Reply\nYour email address will not be published. Required fields are marked *\n"
    "Save my name, email, and website in this browser for the next time I comment."
)


def furniture_corpus() -> list[Record]:
    """Six articles of one outlet with unrelated bodies and the same furniture."""
    rng = random.Random(7)
    vocab = [f"w{k}" for k in range(5000)]
    out = []
    for k in range(6):
        body = "\n\n".join(" ".join(rng.choice(vocab) for _ in range(40)) for _ in range(3))
        text = f"{body}\n\nRead more: Some other headline here\n\n{NEWSLETTER}\n\n{FORM}"
        out.append(Record(id=f"x{k}", text=text, outlet="daily.example", date=f"2020-01-0{k + 1}"))
    return out


def test_boilerplate_alone_makes_no_edge():
    result = chains(furniture_corpus(), Config())
    assert result.scan.pairs  # the scan does see the shared furniture
    assert result.edges == ()
    assert set(result.passage_kinds.values()) == {"boilerplate"}
    assert len(result.boilerplate_pairs) == len(result.scan.pairs)
    assert result.counts["boilerplate_only_pairs"] == len(result.scan.pairs)


def test_copy_with_furniture_keeps_its_edge_and_not_the_furniture():
    records = furniture_corpus()
    copy = dataclasses.replace(records[1], id="x9", date="2020-01-09")
    result = chains([*records, copy], Config())
    kinds = result.passage_kinds
    # one outlet, a later exact copy: linked (dates alone direct nothing between outlets'
    # articles), on its body passages only
    assert {e.target for e in result.edges} == {"x1", "x9"}
    for edge in result.edges:
        assert all(kinds[p] == "reuse" for p in edge.passages)
