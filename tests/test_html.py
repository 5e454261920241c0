"""dedup.html: the report page is escaped, self-contained, deterministic, and marks the
passages at their offsets. (tests/report/test_browser.py checks the page in Chromium.)"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import pytest

from dedup import html
from dedup.config import Config
from dedup.ingest import read_corpus
from dedup.pipeline import report
from dedup.report_pages import PACK_TYPE, pack_blocks, unpack_index, unpack_page
from dedup.types import Record
from tests.conftest import (
    ATTRIBUTE,
    CORPUS,
    JS_URL,
    SCRIPT,
    SEED_IDS,
    hostile_records,
)


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text of each script."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data):
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def parse(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    return parser


def render(records: list[Record], config: Config | None = None) -> str:
    found = report(records, config or Config())
    return html.render_report(found.records, found.scan, found.stories, found.chains)


def index_of(page: str) -> dict:
    """The page's index with the detail of each pair and story (parsed by the page only
    when opened) put back in its row."""
    index = unpack_index(page)
    packed = unpack_page(page)
    for number, pair in enumerate(index["pairs"]):
        pair.update(packed["pair"][number])
    for number, story in enumerate(index["stories"]):
        story.update({"graph": None, **packed["story"][number]})
    return index


@pytest.fixture(scope="module")
def seed_corpus():
    return list(read_corpus([str(CORPUS)]).records)


@pytest.fixture(scope="module")
def seed_page(seed_corpus) -> str:
    return render(seed_corpus)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/a",
        "https://example.org/a?b=1#c",
        "HTTPS://EXAMPLE.ORG/",
    ],
)
def test_http_and_https_urls_become_links(url):
    assert html.safe_href(url) == url


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        JS_URL,
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "example.org/no-scheme",
        "http://",
        "https://exa mple.org/",
        "http://example.org/\nx",
        "file:///etc/passwd",
    ],
)
def test_other_urls_are_not_links(url):
    assert html.safe_href(url) is None


def test_payloads_never_reach_the_page_as_markup():
    page = render(hostile_records())
    for raw in (SCRIPT, ATTRIBUTE, "<img", "onerror=alert(1)>"):
        assert raw not in page
    # the data blocks hold them compressed, and they decode back to the exact text
    index = index_of(page)
    titles = {doc["id"]: doc["headline"] for doc in index["docs"]}
    assert titles == {"evil-a": f"Title {SCRIPT}", "evil-b": f"Title {ATTRIBUTE}"}
    tags = parse(page)
    assert not [tag for tag, _ in tags.tags if tag == "img"]
    assert not [attrs for _, attrs in tags.tags if any(k.startswith("on") for k in attrs)]


def test_only_http_urls_get_an_href(seed_corpus):
    index = index_of(render(hostile_records()))
    hrefs = {doc["id"]: doc["href"] for doc in index["docs"]}
    urls = {doc["id"]: doc["url"] for doc in index["docs"]}
    assert hrefs == {"evil-a": None, "evil-b": f"https://example.org/story?q={SCRIPT}"}
    assert urls["evil-a"] == JS_URL  # shown, as text


def test_article_texts_decode_to_the_originals(seed_corpus, seed_page):
    texts = unpack_page(seed_page)["text"]
    # no text is in the page as plain text: every one is in a compressed pack
    assert texts and all(text[-60:] not in seed_page for text in texts.values())
    index = index_of(seed_page)
    originals = {r.id: r.text for r in seed_corpus}
    # only documents that are in a pair carry their text: 003 and 004 share nothing
    assert sorted(index["docs"][k]["id"] for k in texts) == [
        SEED_IDS["000"],
        SEED_IDS["001"],
        SEED_IDS["002"],
    ]
    for k, text in texts.items():
        assert text == originals[index["docs"][k]["id"]]


def test_page_is_self_contained(seed_page):
    tags = parse(seed_page)
    names = {tag for tag, _ in tags.tags}
    assert not names & {"link", "img", "iframe", "object", "embed", "base", "form"}
    for tag, attrs in tags.tags:
        assert "src" not in attrs, (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith("#"), (tag, attrs)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", seed_page)
    csp = next(
        a["content"] for t, a in tags.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in csp


def test_only_the_page_script_may_run(seed_page):
    tags = parse(seed_page)
    # the index and the packs are data blocks (a type no browser runs); the page's script is the one
    data = {"application/json", PACK_TYPE}
    runnable = [text for attrs, text in tags.scripts if attrs.get("type") not in data]
    assert len(runnable) == 1
    digest = base64.b64encode(hashlib.sha256(runnable[0].encode("utf-8")).digest()).decode()
    csp = next(
        a["content"] for t, a in tags.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert f"script-src 'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_same_input_gives_byte_identical_pages(seed_corpus, seed_page):
    assert render(list(reversed(seed_corpus))) == seed_page


def test_marks_sit_at_the_alignment_offsets(seed_corpus, seed_page):
    index = index_of(seed_page)
    ids = [doc["id"] for doc in index["docs"]]
    originals = {r.id: r.text for r in seed_corpus}
    (pair,) = [
        p
        for p in index["pairs"]
        if (ids[p["a"]], ids[p["b"]]) == (SEED_IDS["000"], SEED_IDS["001"])
    ]
    found = report(seed_corpus)
    (scanned,) = [p for p in found.scan.pairs if (p.a, p.b) == (SEED_IDS["000"], SEED_IDS["001"])]
    assert pair["marks_a"] == sorted([x.a_start, x.a_end, x.cluster] for x in scanned.alignments)
    assert pair["marks_b"] == sorted([x.b_start, x.b_end, x.cluster] for x in scanned.alignments)
    kerry = [
        (m, n)
        for m, n in zip(pair["marks_a"], sorted(pair["marks_b"], key=lambda m: m[2]))
        if "show a little grace" in originals[SEED_IDS["000"]][m[0] : m[1]]
    ]
    assert len(kerry) == 1
    (_, _, passage), _ = kerry[0]
    (b_start, b_end, _) = next(m for m in pair["marks_b"] if m[2] == passage)
    assert "show a little grace" in originals[SEED_IDS["001"]][b_start:b_end]


def test_offsets_count_utf16_units_beyond_the_bmp():
    text = "a😀b 𝔘c"
    offsets = list(range(len(text) + 1))
    units = html.utf16_offsets(text, offsets)
    encoded = text.encode("utf-16-le")
    for start in offsets:
        for end in offsets[start:]:
            piece = encoded[2 * units[start] : 2 * units[end]].decode("utf-16-le")
            assert piece == text[start:end]
    assert html.utf16_offsets("plain", [0, 5]) == [0, 5]


def test_seed_graph_has_the_common_source_and_isolated_articles(seed_page):
    index = index_of(seed_page)
    graph = index["graph"]
    nodes = graph["nodes"]
    keys = [n["key"] for n in nodes]
    assert set(SEED_IDS.values()) <= set(keys)
    touched = {keys[e["s"]] for e in graph["edges"]} | {keys[e["t"]] for e in graph["edges"]}
    assert SEED_IDS["003"] not in touched and SEED_IDS["004"] not in touched
    targets_of: dict[str, set[str]] = {}
    for e in graph["edges"]:
        targets_of.setdefault(keys[e["s"]], set()).add(keys[e["t"]])
    shared = [s for s, t in targets_of.items() if {SEED_IDS["000"], SEED_IDS["001"]} <= t]
    assert shared and all(s.startswith("inferred:") for s in shared)
    assert all(nodes[keys.index(s)]["kind"] == "common" for s in shared)
    # a common source sits left of the documents carrying its copy, dated the earliest
    for e in graph["edges"]:
        assert nodes[e["s"]]["x"] < nodes[e["t"]]["x"]


def test_big_corpus_graph_is_drawn_per_story(monkeypatch, seed_corpus):
    monkeypatch.setattr(html, "GRAPH_NODE_LIMIT", 3)  # 3 linked seeds + 1 inferred source
    index = index_of(render(seed_corpus))
    assert index["graph"] is None
    with_graph = [s for s in index["stories"] if s["graph"]]
    assert [len(s["members"]) for s in with_graph] == [3]


def test_outlet_chart_has_a_bar_per_outlet(seed_page):
    found_bars = re.findall(r'<g class="bar" data-outlet="([^"]*)">', seed_page)
    assert sorted(found_bars) == ["Al Jazeera", "The Guardian", "outlet unknown"]


def test_hostile_outlet_names_are_escaped_in_the_chart():
    page = render(hostile_records())
    assert 'data-outlet="Outlet &#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in page
    assert "Other &lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_write_report_writes_run_json_last(tmp_path, seed_page):
    rows = html.write_report(seed_page, tmp_path, run={"inputs": ["corpus/"]})
    assert rows == {"report.html": len(seed_page.encode("utf-8")), "rejects.jsonl": 0}
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == seed_page
    run = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert run["command"] == "report" and run["outputs"] == rows
    assert (tmp_path / "run.json").stat().st_mtime_ns >= (
        tmp_path / "report.html"
    ).stat().st_mtime_ns


def test_pair_and_story_details_are_parsed_only_when_opened(seed_page):
    blocks = {attrs.get("id"): attrs.get("type") for attrs, _ in parse(seed_page).scripts}
    index = unpack_index(seed_page)
    assert index["pairs"] and not any("marks_a" in p or "verdict" in p for p in index["pairs"])
    assert not any("graph" in s for s in index["stories"])
    packed = unpack_page(seed_page)
    # the index is JSON; the texts and details are packs, by kind
    assert blocks.pop("report-index") == "application/json"
    assert {i.rsplit("-", 1)[0] for i, t in blocks.items() if t == PACK_TYPE} == {
        "text",
        "pair",
        "story",
    }
    for number, pair in enumerate(index["pairs"]):
        detail = packed["pair"][number]
        assert detail["marks_a"] and detail["verdict"]["text"]
        assert pair["passages"] == len({m[2] for m in detail["marks_a"]})
    (story,) = [k for k, s in enumerate(index["stories"]) if len(s["members"]) == 3]
    detail = packed["story"][story]
    assert {str(e["edge"]) for e in detail["graph"]["edges"]} == set(detail["edges"])


def test_overview_short_lists_link_inside_the_page(seed_page):
    stories = re.findall(r'<tr><td><a href="(#story/\d+)">', seed_page)
    assert stories == ["#story/0"]
    links = re.search(r'<ol id="top-links"[^>]*>(.*?)</ol>', seed_page, re.S)
    assert links and links.group(1).count("<li>") == len(index_of(seed_page)["edges"]) > 0
    assert "original not in the corpus" in links.group(1)


def test_packs_hold_each_block_once_and_index_their_first_keys():
    blocks = [(k, {"text": f"block {k} " + "x" * (k % 7) * 40}) for k in range(0, 300, 3)]
    starts, packs = pack_blocks("pair", blocks, pack_bytes=500)
    assert len(packs) > 5 and [block_id for block_id, _ in packs] == [
        f"pair-{n}" for n in range(len(packs))
    ]
    page = "".join(f'<script type="{PACK_TYPE}" id="{i}">{b}</script>' for i, b in packs)
    found = unpack_page(page)["pair"]
    assert found == dict(blocks)
    # each pack starts at the key the index says, and no pack holds a key of the next
    for n, (_, packed) in enumerate(packs):
        one = unpack_page(f'<script type="{PACK_TYPE}" id="pair-{n}">{packed}</script>')
        keys = sorted(one["pair"])
        assert keys[0] == starts[n]
        assert n + 1 == len(starts) or keys[-1] < starts[n + 1]
    assert pack_blocks("pair", blocks, pack_bytes=500) == (starts, packs)  # the same bytes
